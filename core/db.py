"""Engine, sessions, schema creation and writers that wait their turn, for SQLite (default)
and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, create_engine

from core import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from core.i18n import _

# A writer waits this long for its turn (the page shows it is running) rather than failing:
# under the soak benchmark's overload (32 threads doing bcrypt on 2 cores) a turn can take
# over 5 s.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver (the optional extra)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while one writer writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; emit it ourselves so a
        # transaction that reads then writes holds its snapshot (and BEGIN IMMEDIATE works).
        event.listen(engine, "connect", _disable_pysqlite_autobegin)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _disable_pysqlite_autobegin(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN")


SCHEMA_LOCK_KEY = 7_274_201  # any constant: PostgreSQL advisory lock for schema creation


def create_schema(engine: Engine) -> None:
    """Create every table that does not exist yet (idempotent, safe for replicas).

    Replicas starting together would otherwise all see "no table yet" and collide. On
    PostgreSQL they queue on an advisory lock; on SQLite the losers retry and find the
    tables made.
    """
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
            SQLModel.metadata.create_all(conn)
        return
    for attempt in range(3):
        try:
            SQLModel.metadata.create_all(engine)
            return
        except OperationalError:  # "already exists" or "locked": another process is at it
            if attempt == 2:
                raise
            time.sleep(0.2)


class OutdatedSchemaError(Exception):
    """The database was created by an older version of the app: a table lacks columns."""


def check_schema(engine: Engine) -> None:
    """Raise OutdatedSchemaError if a table of the app lacks a column this version uses.

    ``create_schema`` creates missing tables but never alters existing ones (there are no
    migrations yet), so a database made by an older version would fail later, on some page,
    with "no such column". This says so at start-up instead, with what to do.
    """
    found = inspect(engine)
    known = set(found.get_table_names())
    missing = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in known:
            continue
        have = {column["name"] for column in found.get_columns(table.name)}
        missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in have]
    if missing:
        columns = ", ".join(missing[:4]) + (", ..." if len(missing) > 4 else "")
        raise OutdatedSchemaError(
            _(
                "The database was created by an older version of the app (it lacks "
                "{columns}). Recreate it with `make reset-db` (this deletes its data), or "
                "point DATABASE_URL at a new database."
            ).format(columns=columns)
        )


def drop_schema(engine: Engine) -> None:
    """Drop every table of the app (used by the reset command and tests)."""
    SQLModel.metadata.drop_all(engine)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed at the end, or rolled back whole on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# --- writers that wait their turn on SQLite ---------------------------------------------
# SQLite lets one writer at a time; a transaction waits for the write lock (the busy
# timeout) only if it has not read anything yet. A statement that touches the items'
# full-text index (an FTS5 table, through triggers) reads that index before it asks for
# the write lock, so under contention it would fail at once with "database is locked".
# Taking the write lock first, with a write that involves no trigger, makes such a
# transaction wait instead, like ``BEGIN IMMEDIATE``. PostgreSQL needs nothing of this.

_TAKE_WRITE_LOCK = text("UPDATE app_meta SET value = value WHERE 0")


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer.

    Call it first in a transaction: after a read (even the refresh of an attribute expired
    by a commit), SQLite cannot wait for the lock and fails at once.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.exec(_TAKE_WRITE_LOCK)

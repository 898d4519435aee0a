"""Engine, sessions and writers that wait their turn, for SQLite (default) and PostgreSQL
(the schema and its migrations: core.schema)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

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


# set in a connection's info to make its next BEGIN take the write lock at once, waiting
# the busy timeout (the schema lock of core.schema)
BEGIN_IMMEDIATE = "begin_immediate"


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.pop(BEGIN_IMMEDIATE, False) else "BEGIN")


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


_PG_KEYED_LOCK = text("SELECT pg_advisory_xact_lock(:namespace, :key)")
RATE_LIMIT_LOCKS = 1  # a namespace of begin_keyed_write: one sender's rate-limited writes
RESET_REQUEST_LOCKS = 2  # another: the password-reset requests of one e-mail address
REPORT_LOCKS = 3  # another: one member's reports (core.moderation.reports)


def begin_keyed_write(session: Session, namespace: int, key: int) -> None:
    """``begin_write``, then wait for the other transactions holding the same (namespace,
    key) to end: what a write counts (a rate limit: the sender's messages of the last
    minute) cannot change between its count and its insert.

    PostgreSQL reads committed rows at each statement, so parallel writers each count
    without the others' uncommitted rows: a transaction-scoped advisory lock makes them
    take turns. SQLite has one writer at a time already (``begin_write``).
    """
    begin_write(session)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_PG_KEYED_LOCK, {"namespace": namespace, "key": key})

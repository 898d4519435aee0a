"""The database's schema and its upgrades: Alembic revisions (``migrations/versions``)
applied at start-up under one lock, so that every release keeps the data.

- A new, empty database gets today's tables at once (``create_all``) and is stamped with
  the newest revision, the Alembic way of building a database from scratch (a test checks
  that the revisions build exactly the same schema).
- A database made before migrations existed (no ``alembic_version``) is checked against the
  first revision, table by table and column by column, then stamped with it and upgraded.
  It is never recreated.
- A database at an older revision is upgraded to the newest; one at a revision this code
  does not know (made by a newer release) stops the app with a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, MetaData, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

import migrations
from core import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from core.db import BEGIN_IMMEDIATE, make_engine
from core.i18n import _
from core.models.base import Id

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# Alembic (with Mako and Pygments) costs about half a second to import, on the first page after
# every restart; a database already at the newest revision needs none of it.

MIGRATIONS_DIR = Path(migrations.__file__).parent
BASELINE = "0001_baseline"  # the schema of the last release without migrations
SCHEMA_LOCK_KEY = 7_274_201  # any constant: PostgreSQL advisory lock for schema changes
VERSION_TABLE = "alembic_version"


class SchemaError(Exception):
    """The database's schema cannot be used or upgraded by this code (str: the sentence)."""


class NewerSchemaError(SchemaError):
    """The database was upgraded by a newer release of the app than this one."""


class UnknownSchemaError(SchemaError):
    """A database without migrations whose tables are not those of the first revision."""


@dataclass(frozen=True)
class SchemaChange:
    """What ``upgrade_schema`` did: the revision found (None: a new database; "" for a
    database made before migrations) and the revision the database is at now."""

    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def metadata() -> MetaData:
    """The tables the app's code uses: the target of every migration."""
    return SQLModel.metadata


# Objects of the schema that are not SQLModel tables, made by DDL next to them
# (core.models.catalogue) and by the revisions: SQLite's full-text table with its shadow
# tables, PostgreSQL's GIN index on the items' text. Autogenerate would otherwise propose to
# drop them.
_FTS_TABLE = "items_fts"
_GIN_INDEX = "ix_items_search"


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table" and reflected and compare_to is None:
        return not (name == _FTS_TABLE or name.startswith(_FTS_TABLE + "_"))
    return not (type_ == "index" and name == _GIN_INDEX)


def _render_item(type_, obj, autogen_context):
    """Autogenerate writes SQLModel's column types as the plain SQLAlchemy types they stand
    for, so that a revision never depends on SQLModel's internals."""
    if type_ != "type":
        return False
    if isinstance(obj, AutoString):
        return f"sa.String(length={obj.impl.length})" if obj.impl.length else "sa.String()"
    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, Id):
        return "sa.Integer()"
    return False


def configure_options() -> dict:
    """The options every migration context gets (the app's and the ``alembic`` command's):
    batch mode, so that SQLite can change a table by copying it."""
    return {
        "render_as_batch": True,
        "render_item": _render_item,
        "include_object": _include_object,
        "compare_type": True,
        "version_table": VERSION_TABLE,
    }


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration without alembic.ini; with ``connection``, migrations run on it
    (in its transaction) instead of on an engine of their own."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision this code knows."""
    return _scripts().get_current_head()


_REVISION = re.compile(r"""^revision = ["']([^"']+)["']$""", re.MULTILINE)
_REVISES = re.compile(r"""^down_revision = ["']([^"']+)["']$""", re.MULTILINE)


@cache
def newest_revision() -> str | None:
    """The newest revision, read from the revision files without Alembic: the one that no
    other revises (None if there are several: Alembic decides). A test checks it against
    Alembic's own head."""
    revisions, revised = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revisions.update(_REVISION.findall(source))
        revised.update(_REVISES.findall(source))
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def _stamp_of(engine: Engine) -> str | None:
    """The revision in the database's version table, read with plain SQL (None: no table)."""
    try:
        with engine.connect() as conn:
            found = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    except SQLAlchemyError:  # no version table (yet)
        return None
    return found[0] if len(found) == 1 else None


def current_revision(engine: Engine) -> str | None:
    """The revision the database is stamped with (None: no stamp, new or pre-migrations)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE}
        ).get_current_revision()


@contextmanager
def _schema_lock(engine: Engine) -> Iterator[Connection]:
    """One connection in one transaction that holds the schema lock: servers starting
    together queue here, and the first one's upgrade is all the others find.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: the write lock, taken at
    BEGIN (``BEGIN IMMEDIATE``), waiting the busy timeout. Foreign keys are off meanwhile on
    SQLite (a pragma that only works outside a transaction), as its documentation asks of a
    change that rebuilds a table: dropping the old copy must not cascade to other tables.
    They are checked before the commit instead.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        raw = conn.connection.driver_connection if sqlite else None
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")
            conn.info[BEGIN_IMMEDIATE] = True
        try:
            with conn.begin():
                if not sqlite:
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY}
                    )
                yield conn
                if sqlite and (bad := conn.exec_driver_sql("PRAGMA foreign_key_check").first()):
                    raise SchemaError(
                        f"The upgrade would break a reference ({bad[0]} -> {bad[2]}): nothing was "
                        "changed."
                    )
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade_schema(engine: Engine) -> SchemaChange:
    """Bring the database to the newest revision (idempotent, safe for servers starting
    together); raise ``SchemaError`` with a sentence when it cannot be done."""
    newest = newest_revision()
    if newest is not None and _stamp_of(engine) == newest:  # every start but an upgrade's
        return SchemaChange(newest, newest)
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with _schema_lock(engine) as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        before = context.get_current_revision()
        head = head_revision()
        if before is None:
            if not _app_tables(conn):
                metadata().create_all(conn)
                context.stamp(_scripts(), head)
                return SchemaChange(None, head)
            _check_baseline(conn)
            context.stamp(_scripts(), BASELINE)
            before = ""
        else:
            _known(before)
        if context.get_current_revision() != head:
            command.upgrade(alembic_config(conn), "head")
        return SchemaChange(before, head)


def _known(revision: str) -> None:
    from alembic.util.exc import CommandError

    try:
        _scripts().get_revision(revision)
    except CommandError:
        raise NewerSchemaError(
            _(
                "The database was upgraded by a newer version of the app (its schema is at "
                "revision {revision}, which this version does not know). Run the newer "
                "version, or restore a backup made for this one."
            ).format(revision=revision)
        ) from None


def _app_tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names()) & set(metadata().tables)


@cache
def _baseline_columns() -> dict[str, frozenset[str]]:
    """The tables and columns of the first revision, read from a scratch database it built."""
    from alembic import command

    scratch = make_engine("sqlite://")
    try:
        with scratch.begin() as conn:
            command.upgrade(alembic_config(conn), BASELINE)
            found = inspect(conn)
            return {
                table: frozenset(c["name"] for c in found.get_columns(table))
                for table in found.get_table_names()
                if table != VERSION_TABLE and not table.startswith(_FTS_TABLE)
            }
    finally:
        scratch.dispose()


def _check_baseline(conn: Connection) -> None:
    """Raise ``UnknownSchemaError`` unless the database has the first revision's tables and
    columns (the schema of the last release made without migrations)."""
    found = inspect(conn)
    present = set(found.get_table_names())
    differences = []
    for table, columns in sorted(_baseline_columns().items()):
        if table not in present:
            differences.append(table)
            continue
        have = {c["name"] for c in found.get_columns(table)}
        differences += [f"{table}.{c}" for c in sorted(columns - have)]
        differences += [f"{table}.{c} (unknown)" for c in sorted(have - columns)]
    if differences:
        listed = ", ".join(differences[:4]) + (", ..." if len(differences) > 4 else "")
        raise UnknownSchemaError(
            _(
                "The database was made by a version of the app older than its migrations, "
                "and its tables differ from the ones they start from ({differences}), so it "
                "cannot be upgraded safely. Nothing was changed. Point DATABASE_URL at a new "
                "database, or export the data you need and recreate it with `make reset-db` "
                "(which deletes its data)."
            ).format(differences=listed)
        )


def drop_schema(engine: Engine) -> None:
    """Drop every table of the app and the revision stamp (the reset command and tests)."""
    metadata().drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))

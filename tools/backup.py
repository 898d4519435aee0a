"""Back up the app's database to one file, and restore it: ``python -m tools.backup``.

    python -m tools.backup create [--out PATH] [--database-url URL]
    python -m tools.backup restore FILE [--database-url URL] [--force]

The database is the app's own (``DATABASE_URL``, st.secrets, or the SQLite file under
``DATA_DIR``) unless ``--database-url`` names another. Backups land in ``DATA_DIR/backups/``
by default, named with the UTC time: ``marketplace-20261206T201500Z.sqlite`` (SQLite, a copy
made with SQLite's online backup API) or ``.dump`` (PostgreSQL, ``pg_dump --format=custom``).
A backup is written to a temporary file next to its target, checked, then renamed: a cut
backup never has a backup's name. ``restore`` refuses a database that holds rows in the
app's tables unless ``--force``. Every failure is one sentence on stderr (exit code 1; 2 for
a refusal to overwrite).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from core import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from core.config import load_settings
from core.db import SQLITE_BUSY_TIMEOUT_MS, make_engine, normalise_url
from core.errors import UserError

ALEMBIC_TABLE = "alembic_version"  # the migrations' bookkeeping, counted when present
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"  # the first bytes of a pg_dump custom-format archive
REFUSED = 2  # exit code of a restore that would overwrite data


class BackupError(Exception):
    """A failure told to the operator in one sentence (``str(exc)``), with its exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Backup:
    """A backup written: where, how big (bytes), and the rows per table it holds."""

    path: Path
    size: int
    counts: dict[str, int]


def counted_tables() -> list[str]:
    """The tables a backup is summed up by: the app's (``SQLModel.metadata``, parents
    first), then ``alembic_version``."""
    return [table.name for table in SQLModel.metadata.sorted_tables] + [ALEMBIC_TABLE]


def table_counts(connection: Connection) -> dict[str, int]:
    """Rows per table of ``counted_tables()`` present in the database (absent ones are left
    out), read in the connection's current transaction."""
    present = set(inspect(connection).get_table_names())
    quote_name = connection.dialect.identifier_preparer.quote
    return {
        name: connection.execute(text(f"SELECT count(*) FROM {quote_name(name)}")).scalar_one()
        for name in counted_tables()
        if name in present
    }


def sqlite_engine(path: Path, *, readonly: bool = True) -> Engine:
    """An engine on an existing SQLite file that never creates it, nor changes its journal
    mode (unlike ``core.db.make_engine``): for backup files and restore targets."""
    uri = f"file:{quote(str(Path(path).resolve()))}?mode={'ro' if readonly else 'rw'}"
    timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
    return create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False),
        poolclass=NullPool,
    )


def database_counts(database_url: str) -> dict[str, int]:
    """Rows per counted table of the database at ``database_url`` (SQLite or PostgreSQL)."""
    url = make_url(normalise_url(database_url))
    if is_sqlite(database_url):
        engine = sqlite_engine(Path(url.database))
    else:
        engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return table_counts(conn)
    finally:
        engine.dispose()


def is_sqlite(database_url: str) -> bool:
    """True for an SQLite URL (``sqlite:///path``), False for PostgreSQL; a sentence else."""
    try:
        backend = make_url(normalise_url(database_url)).get_backend_name()
    except ArgumentError:
        raise BackupError("The database URL is not a database address.") from None
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups handle SQLite and PostgreSQL databases, not {backend}.")
    return backend == "sqlite"


def sqlite_path(database_url: str) -> Path:
    """The file of an SQLite URL; a sentence for an in-memory database."""
    database = make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"{database_url} is not an SQLite file that can be backed up.")
    return Path(database)


def libpq_url(database_url: str) -> tuple[str, dict[str, str]]:
    """A SQLAlchemy PostgreSQL URL (``postgresql+psycopg://u:pw@host/db``) as what libpq
    tools take: the URL without driver nor password, and the password as ``PGPASSWORD``
    for their environment (so it never shows on a command line)."""
    url = make_url(normalise_url(database_url))
    env = {"PGPASSWORD": url.password} if url.password else {}
    plain = URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    )
    return plain.render_as_string(hide_password=False), env


def shown(database_url: str) -> str:
    """The URL as printed: without its password."""
    return make_url(database_url).render_as_string(hide_password=True)


def find_binary(name: str) -> str:
    """``pg_dump`` / ``pg_restore``: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = glob.glob(f"/usr/lib/postgresql/[0-9]*/bin/{name}")
    if not candidates:
        raise BackupError(
            f"{name} was not found: install PostgreSQL's client tools (e.g. apt-get install "
            "postgresql-client) or put them on PATH."
        )
    return max(candidates, key=lambda p: [int(n) for n in Path(p).parts[-3].split(".")])


def _run(args: list[str], env: dict[str, str], failure: str) -> None:
    """Run a PostgreSQL tool; on failure a sentence ``failure: <the tool's error>``."""
    done = subprocess.run(args, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()] or lines or ["no message"]
        reason = errors[0].split("error: ", 1)[-1].rstrip(".")
        raise BackupError(f"{failure}: {reason}.")


def default_backup_path(database_url: str, data_dir: Path, now: datetime | None = None) -> Path:
    """``DATA_DIR/backups/marketplace-<UTC time>.sqlite`` (or ``.dump`` for PostgreSQL)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    suffix = ".sqlite" if is_sqlite(database_url) else ".dump"
    return data_dir / "backups" / f"marketplace-{stamp}{suffix}"


@contextlib.contextmanager
def _partial(target: Path) -> Iterator[Path]:
    """A temporary file next to ``target``, renamed to it (after an fsync) when the block
    ends without error, removed otherwise."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
        with partial.open("rb+") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    finally:
        for leftover in (partial, Path(f"{partial}-journal")):
            leftover.unlink(missing_ok=True)


def _integrity(conn: sqlite3.Connection) -> str | None:
    """What ``PRAGMA integrity_check`` finds wrong, or None when the file is sound."""
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    return None if rows == ["ok"] else "; ".join(rows[:3])


def create(database_url: str, out: Path) -> Backup:
    """Back up the database at ``database_url`` to the file ``out`` (which must not exist).

    SQLite: the online backup API copies one consistent snapshot while the app goes on
    writing (WAL), the copy is switched to a self-contained journal mode and must pass
    ``PRAGMA integrity_check``. PostgreSQL: ``pg_dump --format=custom`` on a snapshot
    exported by a transaction that counts the rows of that same snapshot.
    """
    if out.exists():
        raise BackupError(f"{out} already exists: choose another --out.")
    if is_sqlite(database_url):
        source = sqlite_path(database_url)
        if not source.is_file():
            raise BackupError(f"There is no database at {source}: nothing to back up.")
        with _partial(out) as partial:
            _sqlite_copy(source, partial, self_contained=True)
        counts = database_counts(f"sqlite:///{out}")
    else:
        counts = _pg_dump(database_url, out)
    return Backup(out, out.stat().st_size, counts)


def _sqlite_copy(source: Path, target: Path, *, self_contained: bool) -> None:
    """Copy ``source`` into ``target`` with the backup API (one step: one snapshot, one
    transaction on the target), then check the target's integrity. ``self_contained``:
    switch the copy out of WAL, so that it is one file (a backup)."""
    timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
    uri = f"file:{quote(str(source.resolve()))}?mode=ro"
    src = sqlite3.connect(uri, uri=True, timeout=timeout)
    dst = sqlite3.connect(target, timeout=timeout)
    try:
        src.backup(dst)
        if self_contained:
            dst.execute("PRAGMA journal_mode=DELETE")
        problem = _integrity(dst)
    finally:
        dst.close()
        src.close()
    if problem:
        raise BackupError(f"The copy failed SQLite's integrity check ({problem}).")


def _pg_dump(database_url: str, out: Path) -> dict[str, int]:
    dsn, env = libpq_url(database_url)
    pg_dump, pg_restore = find_binary("pg_dump"), find_binary("pg_restore")
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():  # the snapshot pg_dump reads is the one counted here
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                counts = table_counts(conn)
                with _partial(out) as partial:
                    args = [pg_dump, "--format=custom", f"--snapshot={snapshot}"]
                    _run([*args, f"--file={partial}", f"--dbname={dsn}"], env, "pg_dump failed")
                    _run([pg_restore, "--list", str(partial)], env, "The dump does not read back")
    finally:
        engine.dispose()
    return counts


def backup_kind(path: Path) -> str:
    """``"sqlite"`` or ``"postgresql"`` from the file's first bytes; a sentence for a file
    that is neither an SQLite database nor a pg_dump custom archive."""
    if not path.is_file():
        raise BackupError(f"There is no file {path}.")
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        f"{path} is not a backup: it is neither an SQLite database nor a pg_dump archive."
    )


def restore(file: Path, database_url: str, *, force: bool = False) -> dict[str, int]:
    """Restore the backup ``file`` into the database at ``database_url``; return the rows
    per table restored. Refuses (exit code 2) a database holding rows in the app's tables
    unless ``force``; a missing or empty database is fine."""
    kind, target_sqlite = backup_kind(file), is_sqlite(database_url)
    if (kind == "sqlite") != target_sqlite:
        made = "SQLite" if kind == "sqlite" else "PostgreSQL"
        raise BackupError(
            f"{file} is a backup made from {made}: it restores into {made} only, not into "
            f"{shown(database_url)}."
        )
    if target_sqlite:
        return _restore_sqlite(file, sqlite_path(database_url), force=force)
    return _restore_postgres(file, database_url, force=force)


def _refuse_if_filled(counts: dict[str, int], where: str, force: bool) -> None:
    filled = {name: n for name, n in counts.items() if n and name != ALEMBIC_TABLE}
    if filled and not force:
        rows = sum(filled.values())
        raise BackupError(
            f"{where} already holds data ({rows} rows in {len(filled)} tables): nothing was "
            "changed; add --force to replace it with the backup.",
            REFUSED,
        )


def _restore_sqlite(file: Path, target: Path, *, force: bool) -> dict[str, int]:
    try:
        uri = f"file:{quote(str(file.resolve()))}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as check:
            problem = _integrity(check)
    except sqlite3.DatabaseError as exc:
        problem = str(exc)
    if problem:
        raise BackupError(f"{file} is damaged: SQLite's integrity check failed ({problem}).")
    backup_counts = database_counts(f"sqlite:///{file}")
    if not set(backup_counts) - {ALEMBIC_TABLE}:
        raise BackupError(f"{file} is an SQLite database, but not one of this app's.")
    if target.exists() and target.resolve() == file.resolve():
        raise BackupError(f"{file} is the database itself: restore into another database.")
    if target.exists():
        try:
            counts = database_counts(f"sqlite:///{target}")
        except SQLAlchemyError:
            raise BackupError(f"{target} exists but is not an SQLite database.") from None
        _refuse_if_filled(counts, str(target), force)
        # into the live file, in one transaction (the app's WAL stays coherent)
        _sqlite_copy(file, target, self_contained=False)
    else:
        for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):  # of a deleted file
            stale.unlink(missing_ok=True)
        with _partial(target) as partial:
            umask = os.umask(0o077)
            os.umask(umask)
            os.chmod(partial, 0o666 & ~umask)  # as SQLite makes a database (a backup: 0600)
            _sqlite_copy(file, partial, self_contained=False)
    return database_counts(f"sqlite:///{target}")


def _create_missing_database(database_url: str) -> bool:
    """Create the PostgreSQL database of ``database_url`` if the server lacks it (False
    when it exists: the connection failed for another reason)."""
    url = make_url(normalise_url(database_url))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            query = text("SELECT 1 FROM pg_database WHERE datname = :name")
            if conn.execute(query, {"name": url.database}).first() is not None:
                return False
            quoted = conn.dialect.identifier_preparer.quote(url.database)
            conn.execute(text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        admin.dispose()


def _restore_postgres(file: Path, database_url: str, *, force: bool) -> dict[str, int]:
    dsn, env = libpq_url(database_url)
    pg_restore = find_binary("pg_restore")
    _run([pg_restore, "--list", str(file)], env, f"{file} is damaged: pg_restore cannot read it")
    try:
        counts = database_counts(database_url)
    except OperationalError:
        if not _create_missing_database(database_url):
            raise
        counts = {}
    _refuse_if_filled(counts, shown(database_url), force)
    args = [pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    args += ["--single-transaction", "--exit-on-error", f"--dbname={dsn}", str(file)]
    _run(args, env, "The restore failed and the database was left as it was")
    return database_counts(database_url)


def _table(counts: dict[str, int]) -> str:
    width = max((len(name) for name in counts), default=0)
    return "\n".join(f"  {name:<{width}}  {n:>9}" for name, n in counts.items())


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.backup", description="Back up the app's database, or restore it."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("create", help="back up the database to one file")
    make.add_argument("--out", type=Path, help="file (or folder) to write; default: "
                      "DATA_DIR/backups/marketplace-<UTC time>.sqlite|.dump")  # fmt: skip
    back = commands.add_parser("restore", help="restore a backup file into the database")
    back.add_argument("file", type=Path)
    back.add_argument("--force", action="store_true", help="replace a database holding data")
    for command in (make, back):
        command.add_argument("--database-url", help="default: the app's DATABASE_URL")
    return parser


def _run_command(args: argparse.Namespace) -> None:
    url = args.database_url or load_settings().database_url
    if args.command == "create":
        out = args.out
        if out is None or out.is_dir():
            data_dir = out if out is not None else load_settings().data_dir
            out = default_backup_path(url, data_dir)
            if args.out is not None:  # a folder: the file goes straight in it
                out = args.out / out.name
        made = create(url, out)
        print(f"Backed up {shown(url)} to {made.path} ({_size(made.size)}):")
        print(_table(made.counts))
    else:
        counts = restore(args.file, url, force=args.force)
        print(f"Restored {args.file} into {shown(url)}:")
        print(_table(counts))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    what = "backup" if args.command == "create" else "restore"
    try:
        _run_command(args)
    except (BackupError, UserError) as exc:
        print(exc, file=sys.stderr)
        return getattr(exc, "code", 1)
    except ImportError as exc:
        print(f"The {what} failed: a module is missing ({exc.name}); for PostgreSQL: "
              "pip install -r requirements-postgres.txt.", file=sys.stderr)  # fmt: skip
        return 1
    except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split()).rstrip(".")
        print(f"The {what} failed: {reason}.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        left = "no backup file was written" if what == "backup" else "the database is unchanged"
        print(f"The {what} was interrupted: {left}.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

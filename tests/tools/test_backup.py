"""Backup and restore (tools/backup.py): a backup taken while the app writes restores whole,
photos byte for byte, and the app starts on the copy; restore refuses to overwrite data
without --force; wrong or damaged files get a sentence. SQLite always, PostgreSQL when
TEST_DATABASE_URL is set (fresh databases made on its server)."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from core.catalogue.selling import create_listing
from core.db import make_engine, normalise_url
from core.schema import upgrade_schema
from demo.listings import DEMO_LISTINGS
from demo.seed import create_demo_database
from tests.apptest import card_titles
from tests.conftest import DB_PARAMS, PG_URL, ROOT
from tests.listing_helpers import draft, make_user, photo
from tools import backup
from tools.backup import BackupError

PHOTOS = [photo(colour=(40 * n, 255 - 30 * n, 90), size=(120 + 8 * n, 160)) for n in range(6)]


class Databases:
    """Fresh databases for a test module: SQLite files in a folder, or PostgreSQL databases
    on TEST_DATABASE_URL's server (named backup_*, dropped at the end)."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind, self.folder, self.names = kind, folder, []

    def url(self, purpose: str) -> str:
        """The URL of a database that does not exist yet."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.folder / f'{purpose}-{uuid.uuid4().hex[:8]}.db'}"
        name = f"backup_{purpose}_{uuid.uuid4().hex[:8]}"
        self.names.append(name)
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def create(self, purpose: str) -> str:
        """The URL of a new, empty database."""
        url = self.url(purpose)
        if self.kind == "postgresql":
            self._admin(f'CREATE DATABASE "{make_url(url).database}"')
        return url

    def drop_all(self) -> None:
        for name in self.names:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        engine = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
        engine.dispose()


class Writer(threading.Thread):
    """Puts listings with two photos each on sale through core.catalogue.selling until stopped, as
    sellers do while the backup runs."""

    def __init__(self, database_url: str, seller_id: int) -> None:
        super().__init__(daemon=True)
        self.engine, self.seller_id = make_engine(database_url), seller_id
        self.made, self.error = 0, None
        self.done, self.changed = threading.Event(), threading.Condition()

    def run(self) -> None:
        try:
            while not self.done.is_set():
                n = self.made
                with Session(self.engine, expire_on_commit=False) as session:
                    pair = [PHOTOS[n % 6], PHOTOS[(n + 1) % 6]]
                    create_listing(session, self.seller_id, draft(title=f"Backup {n}"), pair)
                with self.changed:
                    self.made += 1
                    self.changed.notify_all()
        except BaseException as exc:
            self.error = exc
            with self.changed:
                self.changed.notify_all()

    def wait_for(self, made: int) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.made >= made or self.error, timeout=60)
        assert self.error is None and self.made >= made, self.error

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=60)
        self.engine.dispose()


def archive_counts(path: Path) -> dict[str, int]:
    """Rows per table in a pg_dump archive, read from its data (COPY blocks)."""
    sql = subprocess.run(
        [backup.find_binary("pg_restore"), "--data-only", "--file=-", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    counts, table = {}, None
    for line in sql.splitlines():
        if table is None and line.startswith("COPY "):
            table = line.split()[1].rsplit(".", 1)[-1].strip('"')
            counts[table] = 0
        elif table is not None and line == "\\.":
            table = None
        elif table is not None:
            counts[table] += 1
    return {name: counts[name] for name in backup.counted_tables() if name in counts}


def backup_file_counts(path: Path) -> dict[str, int]:
    """Rows per table held by a backup file itself (not by a database restored from it)."""
    if backup.backup_kind(path) == "sqlite":
        return backup.database_counts(f"sqlite:///{path}")
    return archive_counts(path)


def photo_hashes(database_url: str, ids=None) -> dict[int, tuple[str, str]]:
    """sha256 of each photo's image and thumbnail, by photo id (only ``ids`` if given)."""
    rows = query_rows(database_url, "SELECT id, image, thumbnail FROM photos")
    sha = lambda data: hashlib.sha256(data).hexdigest()  # noqa: E731
    return {i: (sha(image), sha(thumb)) for i, image, thumb in rows if ids is None or i in ids}


def query_rows(database_url: str, query: str) -> list:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text(query)).all()
    engine.dispose()
    return rows


@dataclass
class Taken:
    kind: str
    dbs: Databases
    source: str
    file: Path
    reported: dict[str, int]  # what create() said it wrote
    held: dict[str, int]  # what the file holds, read from it
    before: dict[str, int]  # the source just before the backup started
    after: dict[str, int]  # the source once the writer stopped


@pytest.fixture(scope="module", params=DB_PARAMS)
def taken(request, tmp_path_factory, seeded_sqlite_template) -> Taken:
    """The demo marketplace (its alembic_version row too), a thread putting listings on sale,
    and a backup taken meanwhile."""
    kind = "sqlite" if request.param == "sqlite" else "postgresql"
    folder = tmp_path_factory.mktemp(f"backup-{kind}")
    dbs = Databases(kind, folder)
    source = dbs.create("source")
    if kind == "sqlite":
        shutil.copy(seeded_sqlite_template, backup.sqlite_path(source))
    engine = make_engine(source)
    if kind == "postgresql":
        create_demo_database(engine)
    seller = make_user(engine, "writer@example.com", "Wanda")
    engine.dispose()
    writer = Writer(source, seller)
    writer.start()
    try:
        writer.wait_for(3)
        before = backup.database_counts(source)
        made = backup.create(source, folder / "backups" / f"taken.{kind}")
        writer.wait_for(writer.made + 3)  # it went on writing after the backup
    finally:
        writer.stop()
    after = backup.database_counts(source)
    held = backup_file_counts(made.path)
    yield Taken(kind, dbs, source, made.path, made.counts, held, before, after)
    if kind == "postgresql":
        dbs.drop_all()


def test_a_backup_taken_under_writes_restores_whole(taken):
    target = taken.dbs.url("restored")  # a database that does not exist (PostgreSQL: made)
    counts = backup.restore(taken.file, target)
    assert taken.before["items"] < taken.after["items"]  # the writer wrote before and after
    assert taken.held == taken.reported  # what create() printed is what the file holds
    for table, n in taken.held.items():
        assert taken.before[table] <= n <= taken.after[table], table
    demo = len(DEMO_LISTINGS)
    assert taken.held["alembic_version"] == 1 and taken.held["items"] >= demo + 3
    assert counts == taken.held  # the moment of the backup, whole
    # one snapshot: every listing has its photos (a listing and its photos are one commit)
    per_item = query_rows(
        target,
        "SELECT i.id, count(p.id) FROM items i LEFT JOIN photos p ON p.item_id = i.id "
        "WHERE i.title LIKE 'Backup %' GROUP BY i.id",
    )
    assert len(per_item) == taken.held["items"] - demo and {n for _, n in per_item} == {2}
    restored_photos = photo_hashes(target)
    assert len(restored_photos) == taken.held["photos"]
    assert restored_photos == photo_hashes(taken.source, set(restored_photos))
    # the app's start-up accepts the copy, and has nothing to add to it
    engine = make_engine(target)
    assert not upgrade_schema(engine).changed
    engine.dispose()
    assert backup.database_counts(target) == counts


def test_the_app_starts_on_the_restored_copy(taken, monkeypatch, tmp_path):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    target = taken.dbs.url("app")
    backup.restore(taken.file, target)
    newest = query_rows(target, "SELECT title FROM items ORDER BY created_at DESC LIMIT 1")
    monkeypatch.setenv("DATABASE_URL", target)
    monkeypatch.setenv("DEMO_DATA", "false")  # nothing seeded: what shows is the copy's
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "model"))
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
        assert not at.exception and not at.error, (at.exception, at.error)
        assert newest[0][0] in card_titles(at)  # a listing of the copy
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


def test_restore_refuses_a_database_with_data_unless_forced(taken):
    target = taken.dbs.create("filled")
    engine = make_engine(target)
    upgrade_schema(engine)
    make_user(engine, "someone@example.com", "Sid")
    engine.dispose()
    filled = backup.database_counts(target)
    with pytest.raises(BackupError, match=r"already holds data .* add --force") as refused:
        backup.restore(taken.file, target)
    assert refused.value.code == 2
    assert backup.database_counts(target) == filled  # nothing changed
    assert backup.restore(taken.file, target, force=True) == taken.held
    emails = {email for (email,) in query_rows(target, "SELECT email FROM users")}
    assert "someone@example.com" not in emails and "writer@example.com" in emails


def test_wrong_or_damaged_files_are_told_in_a_sentence(taken, tmp_path):
    target = taken.dbs.create("untouched")
    not_backup = tmp_path / "notes.txt"
    not_backup.write_text("not a backup\n")
    other_kind = tmp_path / "other"
    if taken.kind == "sqlite":
        other_kind.write_bytes(b"PGDMP" + bytes(200))
    else:
        with sqlite3.connect(other_kind) as conn:
            conn.execute("CREATE TABLE users (id INTEGER)")
    cut = tmp_path / "cut"
    cut.write_bytes(taken.file.read_bytes()[: taken.file.stat().st_size * 6 // 10])
    cases = {
        not_backup: "is not a backup: it is neither an SQLite database nor a pg_dump archive",
        other_kind: "is a backup made from .* only, not into",
        cut: "is damaged|The restore failed and the database was left as it was",
        tmp_path / "absent": "There is no file",
    }
    if taken.kind == "sqlite":
        foreign = tmp_path / "foreign.db"
        with sqlite3.connect(foreign) as conn:
            conn.execute("CREATE TABLE recipes (id INTEGER)")
        cases[foreign] = "is an SQLite database, but not one of this app's"
    for file, sentence in cases.items():
        with pytest.raises(BackupError, match=sentence) as told:
            backup.restore(file, target)
        assert "\n" not in str(told.value) and str(told.value).endswith("."), str(told.value)
        assert told.value.code == 1
    if taken.kind == "sqlite":  # nothing was made, not even a partial file
        assert not backup.sqlite_path(target).exists()
        assert not list(backup.sqlite_path(target).parent.glob(".*.part"))
    else:
        assert backup.database_counts(target) == {}  # the cut restore was rolled back whole


def test_urls_for_libpq_and_default_names():
    dsn, env = backup.libpq_url(
        "postgresql+psycopg://shop:p%40ss:w@db.example:5433/m?sslmode=require"
    )
    assert dsn == "postgresql://shop@db.example:5433/m?sslmode=require"
    assert env == {"PGPASSWORD": "p@ss:w"}
    assert backup.libpq_url("postgres://shop@db/m") == ("postgresql://shop@db/m", {})
    when = datetime(2026, 12, 6, 20, 15, tzinfo=UTC)
    assert backup.default_backup_path("sqlite:///x.db", Path("d"), when) == Path(
        "d/backups/marketplace-20261206T201500Z.sqlite"
    )
    assert backup.default_backup_path("postgresql://h/m", Path("d"), when).suffix == ".dump"


def test_the_command_line(tmp_path, seeded_sqlite_template):
    source = tmp_path / "shop.db"
    shutil.copy(seeded_sqlite_template, source)
    env = {**os.environ, "DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{source}"}

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "tools.backup", *args]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)

    made = run("create")
    assert made.returncode == 0, made.stderr
    (file,) = (tmp_path / "backups").glob("marketplace-*Z.sqlite")
    assert f"to {file} (" in made.stdout and "items" in made.stdout
    refused = run("restore", str(file))  # into the app's database, which holds the demo
    assert refused.returncode == 2
    assert "add --force" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert "Traceback" not in refused.stderr and refused.stdout == ""

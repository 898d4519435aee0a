"""Shared fixtures: real databases (an SQLite file in a temp dir, and PostgreSQL when
TEST_DATABASE_URL is set), the seeded demo data, and AppTest set-up."""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

# argon2id at 64 KiB (microseconds a check, not 20 ms): set before the app's modules are
# imported, and inherited by the servers the tests start. The tests that compare times put
# the real cost back (tests/core/accounts/test_accounts.py, real_cost).
os.environ.setdefault("ARGON2_MEMORY_KIB", "64")

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import close_all_sessions

from core.db import make_engine
from core.schema import current_revision, drop_schema, metadata, newest_revision, upgrade_schema
from demo.seed import create_demo_database
from tests import listing_helpers

ROOT = Path(__file__).resolve().parent.parent


def _scan_for_components_once() -> None:
    """Each new AppTest scans the metadata of every installed package for Streamlit
    components (``BidiComponentManager.discover_and_register_components``): about 0.35 s
    with torch and transformers installed, several hundred times a run. The installed
    packages do not change during a run, so the scan's answer is kept after the first."""
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    if not hasattr(scan, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.cache(scan)


_scan_for_components_once()


def _wait_for_app_test_runs_without_polling() -> None:
    """AppTest waits for its script thread by waking every millisecond to look
    (``local_script_runner.require_widgets_deltas``): each wake takes Python's lock from the
    script it waits for. Joining the thread waits as long, without waking; a run past the
    timeout is stopped and said as AppTest says it."""
    from streamlit.testing.v1 import local_script_runner

    def require_widgets_deltas(runner, timeout: float = 3) -> None:
        thread = runner._script_thread
        if thread is not None:
            thread.join(timeout)
        if not runner.script_stopped():
            runner.request_stop()
            runner.join()
            raise RuntimeError(f"AppTest script run timed out after {timeout}(s)")

    local_script_runner.require_widgets_deltas = require_widgets_deltas


_wait_for_app_test_runs_without_polling()
WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1"... under pytest-xdist


def _worker_database(url: str | None) -> str | None:
    """TEST_DATABASE_URL for this test process: under pytest-xdist each worker gets its own
    database on that server (``<name>_gw0``..., made when missing), since every test starts
    from an empty schema there. Subprocesses (a real server) inherit it."""
    if not url or not WORKER:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from core.db import normalise_url

    name = f"{make_url(url).database}_{WORKER}"
    admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        known = conn.exec_driver_sql(
            "SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": name}
        ).first()
        if not known:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    worker_url = make_url(url).set(database=name).render_as_string(hide_password=False)
    os.environ["TEST_DATABASE_URL"] = worker_url
    return worker_url


PG_URL = _worker_database(os.environ.get("TEST_DATABASE_URL"))

DB_PARAMS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set"),
        ],
    ),
]


def _fresh_engine(kind: str, tmp_path: Path) -> Engine:
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    else:
        engine = make_engine(PG_URL)
        drop_schema(engine)  # a dedicated test database: start each test from empty
    return engine


def _close(engine: Engine) -> None:
    """End the test's database work: a session a test left open would keep its transaction
    (and its locks) on PostgreSQL, and the next test's drop_schema would wait for it."""
    close_all_sessions()
    engine.dispose()


def _sqlite_template(path: Path, make) -> Path:
    """An SQLite file made by ``make(engine)``, whole in its one file (the WAL folded in),
    for tests to copy."""
    engine = make_engine(f"sqlite:///{path}")
    make(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _empty_sqlite_template(tmp_path_factory) -> Path:
    """One SQLite file at the newest schema per test process, copied by each test."""
    return _sqlite_template(tmp_path_factory.mktemp("empty") / "empty.db", upgrade_schema)


def _emptied_postgres() -> Engine:
    """The worker's PostgreSQL database at the newest schema, without a row: the rows are
    deleted (children first) and the id sequences restarted when the schema is exactly the
    app's newest, and it is made again from nothing otherwise (a test of migrations may have
    left another revision). DELETE, not TRUNCATE: on tables of a few rows it takes a quarter
    of the time, and every test on PostgreSQL starts with it."""
    engine = make_engine(PG_URL)
    tables = [t.name for t in metadata().sorted_tables]
    with engine.connect() as conn:
        present = conn.exec_driver_sql(
            "SELECT count(*) FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name = ANY(%(names)s)",
            {"names": tables},
        ).scalar()
    if present == len(tables) and current_revision(engine) == newest_revision():
        with engine.begin() as conn:
            for table in reversed(tables):
                conn.exec_driver_sql(f'DELETE FROM "{table}"')
            sequences = conn.exec_driver_sql(
                "SELECT quote_ident(sequence_schema) || '.' || quote_ident(sequence_name)"
                " FROM information_schema.sequences WHERE sequence_schema = current_schema()"
            ).scalars()
            for sequence in sequences.all():
                conn.exec_driver_sql(f"ALTER SEQUENCE {sequence} RESTART")
    else:
        drop_schema(engine)
        upgrade_schema(engine)
    return engine


@pytest.fixture(params=DB_PARAMS)
def engine(request, tmp_path) -> Iterator[Engine]:
    """An empty schema on a real database: SQLite always, PostgreSQL when configured."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("_empty_sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine = _emptied_postgres()
    yield engine
    _close(engine)


@pytest.fixture(params=DB_PARAMS)
def seeded_engine(request, tmp_path) -> Iterator[Engine]:
    """A database holding the demo accounts and listings (SQLite: a copy of one seeding)."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("seeded_sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine = _emptied_postgres()
        create_demo_database(engine)
    yield engine
    _close(engine)


@pytest.fixture(scope="session")
def seeded_sqlite_template(tmp_path_factory) -> Path:
    """One seeded SQLite file per test session, copied by tests that need a fresh one."""
    return _sqlite_template(tmp_path_factory.mktemp("template") / "seeded.db", create_demo_database)


@pytest.fixture
def app_env(monkeypatch, tmp_path, seeded_sqlite_template) -> Path:
    """Environment for AppTest / a real server: a fresh seeded SQLite file in tmp_path."""
    import streamlit as st

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db_path = data_dir / "marketplace.db"
    shutil.copy(seeded_sqlite_template, db_path)
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db_path}")
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "model"))
    # pages wait for the AI's load (ui/warmup.py), so that each run shows the same thing
    monkeypatch.setenv("AI_WARMUP", "wait")
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()  # the engine and settings are cached per process
    st.cache_data.clear()
    yield data_dir
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(scope="session")
def tiny():
    """The tiny CLIP of tests/tiny_clip.py, built and exported once per test session."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tests.tiny_clip import tiny_models

    return tiny_models()


@pytest.fixture
def seller(engine) -> int:
    return listing_helpers.make_user(engine, "seller@example.com", "Sam")


@pytest.fixture
def buyer(engine) -> int:
    return listing_helpers.make_user(engine, "buyer@example.com", "Bea")


@pytest.fixture
def people(engine) -> dict[str, int]:
    """Four people of the marketplace: a seller, a buyer, a rival buyer and an outsider to
    their dealings (the orders, offers, conversations, tracking and reviews tests)."""
    make = listing_helpers.make_user
    return {
        "seller": make(engine, "seller@example.com", "Sam"),
        "buyer": make(engine, "buyer@example.com", "Bea"),
        "rival": make(engine, "rival@example.com", "Rita"),
        "outsider": make(engine, "outsider@example.com", "Otto"),
    }


def _schedule_weight(item: pytest.Item) -> tuple[int, int]:
    """The browser files first, the largest (the longest) first; every other file after them
    in its usual order. pytest-xdist hands files out in this order (``--dist loadfile
    --no-loadscope-reorder`` in pyproject.toml): a long browser file started last would keep
    one worker busy while the others wait (its own default starts the files of most tests
    first, which puts the browser files, few tests of many seconds each, at the end)."""
    if "e2e" in item.path.parts:
        return 0, -item.path.stat().st_size
    return 1, 0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_schedule_weight)  # stable: the order within a group is kept

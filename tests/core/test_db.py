import pytest
from sqlalchemy import inspect, text

from core.db import make_engine, normalise_url
from tests.concurrency import at_once
from tests.conftest import DB_PARAMS, _fresh_engine

EXPECTED_TABLES = {
    "users",
    "login_attempts",
    "items",
    "photos",
    "cart_lines",
    "orders",
    "order_lines",
    "app_meta",
}


def test_schema_is_created(engine):
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES


def test_schema_creation_is_idempotent(engine):
    from core.schema import upgrade_schema

    upgrade_schema(engine)
    upgrade_schema(engine)
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES


def test_sqlite_pragmas(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    assert (tmp_path / "sub" / "x.db").exists()


def test_postgres_urls_use_psycopg3():
    assert normalise_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("postgresql://u@h:5/db") == "postgresql+psycopg://u@h:5/db"
    assert normalise_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


@pytest.mark.parametrize("kind", DB_PARAMS)
def test_replicas_starting_together_create_and_seed_once(kind, tmp_path):
    """Three processes' worth of first starts at once on an empty database."""
    from sqlmodel import Session, func, select

    from core.models.accounts import User
    from core.models.catalogue import Item
    from demo.seed import create_demo_database

    engines = [_fresh_engine(kind, tmp_path) for _ in range(3)]
    at_once(create_demo_database, engines)
    with Session(engines[0]) as s:
        assert s.exec(select(func.count()).select_from(User)).one() == 2
        assert s.exec(select(func.count()).select_from(Item)).one() == 24
    for engine in engines:
        engine.dispose()

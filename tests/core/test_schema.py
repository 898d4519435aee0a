"""Migrations (core/schema.py, migrations/): the revisions build the models' schema, an
upgrade from the first revision keeps every row and value, databases made before migrations
are recognised and stamped, never recreated, servers starting together upgrade once, and a
database newer than the code stops the app with a sentence."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.db import make_engine
from core.models.catalogue import Item
from core.schema import (
    BASELINE,
    VERSION_TABLE,
    NewerSchemaError,
    UnknownSchemaError,
    _schema_lock,
    alembic_config,
    configure_options,
    current_revision,
    drop_schema,
    head_revision,
    metadata,
    upgrade_schema,
)
from tests.concurrency import at_once
from tests.conftest import DB_PARAMS, _close, _fresh_engine
from tests.listing_helpers import add_items, found, make_user

T0 = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
HASH = "$2b$12$" + "a" * 53
PHOTO = bytes(range(256)) * 8  # every byte value, NUL included
VECTOR = np.linspace(-1, 1, 512, dtype="<f4").tobytes()

# One or more real rows in every table of the first revision, in an order that satisfies the
# foreign keys (ids are given by the database: 1, 2... in a new table, on both databases).
BASELINE_ROWS: list[tuple[str, dict]] = [
    ("users", dict(email="camille@example.com", display_name="Camille", password_hash=HASH,
                   birthday=date(1991, 5, 17), address="3 rue des Lilas", postal_code="75011",
                   city="Paris", language="fr", created_at=T0, password_changed_at=T0)),
    ("users", dict(email="hugo@example.com", display_name="Hugo", password_hash=HASH,
                   created_at=T0, password_changed_at=T0)),
    ("login_attempts", dict(email="hugo@example.com", attempted_at=T0)),
    ("app_meta", dict(key="cookie_secret", value="k" * 64)),
    ("items", dict(seller_id=1, title="Veste en jean", description="Portée deux fois.",
                   category="jacket", size="M", brand="Levi's", condition="very_good",
                   price_cents=4500, status="sold", colour="blue", pattern="plain",
                   ai_category="jacket", ai_confidence=0.82, revision=2,
                   search_text="veste en jean levis levi s", brand_key="levis",
                   created_at=T0, updated_at=T0)),
    ("items", dict(seller_id=1, title="Robe rouge", description="", category="dress",
                   size="S", brand="Sézane", condition="good", price_cents=6000,
                   status="available", colour=None, pattern=None, ai_category=None,
                   ai_confidence=None, revision=1, search_text="robe rouge sezane",
                   brand_key="sezane", created_at=T0, updated_at=T0)),
    ("photos", dict(item_id=2, position=0, thumbnail=PHOTO[:300], image=PHOTO, width=1200,
                    height=1600, created_at=T0)),
    ("cart_lines", dict(user_id=2, item_id=2, added_at=T0)),
    ("item_embeddings", dict(item_id=2, model="0123456789abcdef", vector=VECTOR, created_at=T0)),
    ("favourites", dict(user_id=2, item_id=2, created_at=T0)),
    ("conversations", dict(item_id=1, item_title="Veste en jean", buyer_id=2, seller_id=1,
                           buyer_unread=0, seller_unread=1, created_at=T0,
                           last_message_at=T0)),
    ("offers", dict(conversation_id=1, item_id=1, buyer_id=2, seller_id=1, made_by=2,
                    price_cents=4000, item_revision=2, asking_cents=4500, status="used",
                    created_at=T0, answered_at=T0, expires_at=T0 + timedelta(hours=48))),
    ("messages", dict(conversation_id=1, sender_id=2, kind="text", body="Encore dispo ?",
                      offer_id=None, created_at=T0)),
    ("messages", dict(conversation_id=1, sender_id=2, kind="offer", body="", offer_id=1,
                      created_at=T0)),
    ("orders", dict(buyer_id=2, seller_id=1, status="completed", tracking="LA123456789FR",
                    shipped_at=T0, received_at=T0, completed_at=T0, total_cents=4000,
                    shipping_name="Hugo", shipping_address="8 quai Saint-Vincent",
                    shipping_postal_code="69001", shipping_city="Lyon", created_at=T0)),
    ("order_lines", dict(order_id=1, item_id=1, seller_id=1, title="Veste en jean",
                         brand="Levi's", size="M", price_cents=4000, thumbnail=PHOTO[:300],
                         offer_id=1)),
    ("sessions", dict(token_hash="f" * 64, user_id=2, created_at=T0,
                      expires_at=T0 + timedelta(days=30), revoked_at=None)),
    ("notifications", dict(user_id=1, kind="order_paid", actor_id=2, item_title="Veste en jean",
                           item_id=1, conversation_id=1, order_id=1, price_cents=4000,
                           created_at=T0, read_at=None)),
    ("reviews", dict(order_id=1, seller_id=1, buyer_id=2, rating=5, comment="Parfait, merci !",
                     created_at=T0)),
]  # fmt: skip


def _migrate(engine, revision: str) -> None:
    """Run the revisions themselves up to ``revision`` (not the from-scratch create_all)."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def _all_rows(engine, tables: MetaData) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {
            name: [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key))]
            for name, table in tables.tables.items()
        }


@pytest.fixture(params=DB_PARAMS)
def baseline_db(request, tmp_path):
    """A database at the first revision holding BASELINE_ROWS, and its tables as reflected
    then (the columns a release without migrations had)."""
    engine = _fresh_engine(request.param, tmp_path)
    drop_schema(engine)
    _migrate(engine, BASELINE)
    tables = MetaData()
    tables.reflect(engine, only=lambda name, _: name in metadata().tables)
    with engine.begin() as conn:
        for name, row in BASELINE_ROWS:
            conn.execute(tables.tables[name].insert().values(**row))
    yield engine, tables
    _close(engine)


def test_every_table_of_the_first_revision_holds_rows_in_the_upgrade_test(baseline_db):
    _engine, tables = baseline_db
    assert set(tables.tables) == {name for name, _row in BASELINE_ROWS}


@pytest.mark.parametrize("stamped", [True, False], ids=["stamped", "before-migrations"])
def test_an_upgrade_from_the_first_revision_keeps_every_row_and_value(baseline_db, stamped):
    engine, tables = baseline_db
    if not stamped:  # what today's main made: the same tables, no alembic_version
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {VERSION_TABLE}"))
    before = _all_rows(engine, tables)

    change = upgrade_schema(engine)

    assert (change.before, change.after) == (BASELINE if stamped else "", head_revision())
    assert current_revision(engine) == head_revision()
    assert _all_rows(engine, tables) == before  # every row, every value, photos' bytes too
    with Session(engine) as session:  # the app reads the upgraded rows
        jacket = session.get(Item, 1)
        assert (jacket.title, jacket.ai_category, jacket.ai_colour) == (
            "Veste en jean",
            "jacket",
            None,
        )
    assert found(engine, text="sezane") == {2}  # the full-text index survived
    # ids go on where they were: nothing is reused
    assert add_items(engine, 1, [{"title": "Jupe plissée"}]) == [3]
    assert found(engine, text="plissee") == {3}


def test_a_second_start_changes_nothing(engine):
    head = head_revision()
    assert upgrade_schema(engine).before == head
    assert not upgrade_schema(engine).changed


@pytest.mark.parametrize("kind", DB_PARAMS)
def test_the_revisions_build_exactly_the_models_schema(kind, tmp_path):
    """Fails when a model changes without a migration: autogenerate must find nothing to do,
    and the revisions must make the same indexes, constraints and full-text objects as a new
    database's create_all."""
    engine = _fresh_engine(kind, tmp_path)
    drop_schema(engine)
    _migrate(engine, "head")
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts=configure_options()), metadata()
        )
        migrated = _schema_objects(conn)
    assert diff == [], "a model changed without a migration: " + repr(diff)
    drop_schema(engine)
    assert upgrade_schema(engine).before is None  # a new database: create_all, then stamped
    with engine.connect() as conn:
        created = _schema_objects(conn)
    assert migrated == created
    _close(engine)


def _schema_objects(conn) -> set[tuple]:
    if conn.dialect.name == "sqlite":
        rows = conn.execute(
            text("SELECT type, name, tbl_name, type = 'trigger' AND sql FROM sqlite_master")
        )
        # a table's own SQL differs in layout between a copy and create_all: compare what it
        # holds (AUTOINCREMENT, which 0003's copy of items had lost, and the named constraints)
        tables = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
        return {tuple(r) for r in rows} | {
            ("table sql", name, "AUTOINCREMENT" in (sql or ""),
             tuple(sorted(re.findall(r"CONSTRAINT (\w+)", sql or ""))))
            for name, sql in tables
        }  # fmt: skip
    else:
        rows = conn.execute(
            text(
                "SELECT 'index', indexname, tablename, indexdef FROM pg_indexes "
                "WHERE schemaname = 'public' UNION ALL "
                "SELECT 'constraint', conname, conrelid::regclass::text, "
                "pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE connamespace = 'public'::regnamespace"
            )
        )
    return {tuple(r) for r in rows}


@pytest.mark.parametrize("kind", DB_PARAMS)
def test_servers_starting_together_upgrade_once(kind, tmp_path, baseline_db_factory):
    first = baseline_db_factory(kind, tmp_path)
    engines = [first, *(make_engine(first.url.render_as_string(False)) for _ in range(2))]
    results = [change.before for change in at_once(upgrade_schema, engines)]
    assert sorted(results) == ["", head_revision(), head_revision()]  # one upgraded
    for engine in engines:
        _close(engine)


@pytest.fixture
def baseline_db_factory():
    def make(kind, tmp_path):
        engine = _fresh_engine(kind, tmp_path)
        drop_schema(engine)
        _migrate(engine, BASELINE)
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {VERSION_TABLE}"))  # made before migrations
        return engine

    return make


def test_a_database_unlike_the_first_revision_is_refused_and_left_alone(
    tmp_path, baseline_db_factory
):
    engine = baseline_db_factory("sqlite", tmp_path)
    with engine.begin() as conn:  # an even older version: users without a language
        conn.execute(text("ALTER TABLE users DROP COLUMN language"))
    with pytest.raises(UnknownSchemaError, match=r"users\.language.*Nothing was changed"):
        upgrade_schema(engine)
    assert VERSION_TABLE not in inspect(engine).get_table_names()
    assert "ai_colour" not in {c["name"] for c in inspect(engine).get_columns("items")}
    engine.dispose()


def test_a_database_newer_than_the_code_stops_the_app_with_a_sentence(app_env):
    from core.config import load_settings
    from tests.apptest import start_app

    engine = make_engine(load_settings().database_url)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '0999_from_the_future'"))
    with pytest.raises(NewerSchemaError, match="0999_from_the_future"):
        upgrade_schema(engine)
    engine.dispose()
    at = start_app()
    said = [e.value for e in at.error]
    assert any("upgraded by a newer version of the app" in e for e in said), said


def test_a_downgrade_and_an_upgrade_keep_search_working(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'down.db'}")
    upgrade_schema(engine)
    seller = make_user(engine, "s@example.com")
    add_items(engine, seller, [{"title": "Chemise à carreaux"}])
    with _schema_lock(engine) as conn:  # tables are copied on SQLite: foreign keys off
        command.downgrade(alembic_config(conn), BASELINE)
    assert current_revision(engine) == BASELINE
    assert upgrade_schema(engine).before == BASELINE
    assert found(engine, text="carreaux") == {1}
    engine.dispose()


def test_make_migrate_upgrades_by_hand_and_says_what_it_did(tmp_path, capsys):
    from tools.migrate import main

    url = f"sqlite:///{tmp_path / 'by-hand.db'}"
    assert main(["--database-url", url]) == 0
    assert main(["--database-url", url]) == 0
    assert main(["status", "--database-url", url]) == 0
    said = capsys.readouterr().out.splitlines()
    head = head_revision()
    assert said[0].endswith(f"created at {head}")
    assert said[1].endswith(f"already at {head}; nothing to do")
    assert said[2].endswith(f"at {head}; this code's newest is {head}")


def test_a_start_at_the_newest_revision_needs_no_alembic(tmp_path):
    """Every start but an upgrade's: the revision files name the newest revision as Alembic
    does, and the check reads the stamp with plain SQL (Alembic costs the first page after a
    restart about half a second to import)."""
    import subprocess
    import sys

    from core.schema import newest_revision

    assert newest_revision() == head_revision()
    url = f"sqlite:///{tmp_path / 'at-head.db'}"
    upgrade_schema(make_engine(url))
    check = (
        "import sys\nfrom core.db import make_engine\nfrom core.schema import upgrade_schema\n"
        f"change = upgrade_schema(make_engine({url!r}))\n"
        "assert not change.changed, change\nassert 'alembic' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", check], check=True)


@pytest.mark.parametrize("demo_ids", ["1", "2", None])
def test_a_demo_seeded_before_moderation_gets_its_administrator(baseline_db, demo_ids):
    """0003_trust_and_safety makes the demo's user2@gmail.com an administrator, as a new
    seeding does, when that account is one of the seeded ones (app_meta keeps their ids)."""
    engine, _tables = baseline_db
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET email = 'user2@gmail.com' WHERE id = 1"))
        conn.execute(text("DELETE FROM app_meta WHERE key = 'demo_user_ids'"))
        if demo_ids is not None:
            conn.execute(
                text("INSERT INTO app_meta (key, value) VALUES ('demo_user_ids', :v)"),
                {"v": demo_ids},
            )
    upgrade_schema(engine)
    with engine.connect() as conn:
        roles = dict(conn.execute(text("SELECT id, role FROM users ORDER BY id")).all())
    assert roles == {1: "admin" if demo_ids == "1" else "member", 2: "member"}


def test_0004_indexes_the_ai_picks_of_a_database_holding_rows(baseline_db):
    """0004_ai_pick_indexes on a database at 0003 whose listings hold the AI's colour and
    pattern picks: every row kept, the two indexes there, the insights read the picks."""
    from core import insights

    engine, tables = baseline_db
    with _schema_lock(engine) as conn:  # 0003 copies items on SQLite: foreign keys off
        command.upgrade(alembic_config(conn), "0003_trust_and_safety")
    with engine.begin() as conn:
        conn.execute(text("UPDATE items SET ai_colour = 'blue', ai_pattern = 'plain'"))
    before = _all_rows(engine, tables)

    change = upgrade_schema(engine)

    assert (change.before, change.after) == ("0003_trust_and_safety", head_revision())
    assert _all_rows(engine, tables) == before
    names = {index["name"] for index in inspect(engine).get_indexes("items")}
    assert {"ix_items_ai_colour", "ix_items_ai_pattern"} <= names
    with Session(engine) as session:
        record = insights.ai_record(session)
    # the jacket kept blue and plain; the dress left both unsaid
    assert (record.colours.kept, record.colours.unsaid) == (1, 1)
    assert (record.patterns.kept, record.patterns.unsaid) == (1, 1)


def test_0005_adds_the_price_history_to_a_database_holding_rows(baseline_db):
    """0005_price_history on a database at 0004 holding rows: every row kept, the new table
    empty, and an edit of an old listing's price recorded there."""
    from core.catalogue.price_history import price_history
    from core.catalogue.selling import update_listing
    from core.models.catalogue import PriceChange
    from tests.listing_helpers import draft

    engine, tables = baseline_db
    with _schema_lock(engine) as conn:  # 0003 copies items on SQLite: foreign keys off
        command.upgrade(alembic_config(conn), "0004_ai_pick_indexes")
    before = _all_rows(engine, tables)

    change = upgrade_schema(engine)

    assert (change.before, change.after) == ("0004_ai_pick_indexes", head_revision())
    assert _all_rows(engine, tables) == before
    with Session(engine) as session:
        assert session.exec(select(PriceChange)).all() == []
        assert price_history(session, 2) == []  # the red dress: never changed since
        update_listing(
            session, 1, 2,
            draft(title="Robe rouge", category="dress", size="S", brand="Sézane", price="50"),
            [1],
        )  # fmt: skip
    with Session(engine) as session:
        points = price_history(session, 2)
    assert [p.price_cents for p in points] == [6000, 5000, 5000]


def test_0006_lets_argon2id_in_and_a_log_in_replaces_a_bcrypt_hash(baseline_db):
    """0006_argon2_passwords on a database at 0005 holding rows: every row kept (ids, the
    AUTOINCREMENT mark and the e-mails' case-blind uniqueness too), a bcrypt hash still logs
    in and is replaced by an argon2id one, a hash of neither kind is refused, and a downgrade
    that an argon2id hash would break stops with a sentence."""
    from passlib.hash import bcrypt

    from core.accounts import accounts
    from core.models.accounts import User

    engine, tables = baseline_db
    with _schema_lock(engine) as conn:
        command.upgrade(alembic_config(conn), "0005_price_history")
    with engine.begin() as conn:  # Hugo's password as an older release stored it
        conn.execute(
            text("UPDATE users SET password_hash = :h WHERE id = 2"),
            {"h": bcrypt.using(ident="2b", rounds=4).hash("hugo-password")},
        )
        conn.execute(tables.tables["users"].insert().values(
            email="gone@example.com", display_name="Gone", password_hash=HASH, created_at=T0,
            password_changed_at=T0))  # fmt: skip
        conn.execute(text("DELETE FROM users WHERE email = 'gone@example.com'"))  # id 3
    before = _all_rows(engine, tables)

    change = upgrade_schema(engine)

    assert (change.before, change.after) == ("0005_price_history", head_revision())
    assert _all_rows(engine, tables) == before
    with Session(engine) as session:
        hugo = accounts.log_in(session, "hugo@example.com", "hugo-password")
    with Session(engine) as session:
        stored = session.get(User, hugo.id)
        assert stored.password_hash.startswith("$argon2id$")
        assert stored.password_changed_at == T0
    with Session(engine) as session:
        new = accounts.register_user(session, "new@example.com", "New", "pass-word", "pass-word")
    assert new.id == 4  # 3 was given once: never again
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE users SET password_hash = 'plain-text' WHERE id = 1"))
    with pytest.raises(IntegrityError), engine.begin() as conn:  # lower(email) stays unique
        conn.execute(tables.tables["users"].insert().values(
            email="CAMILLE@example.com", display_name="C", password_hash=HASH, created_at=T0,
            password_changed_at=T0))  # fmt: skip
    refused = pytest.raises(RuntimeError, match=r"2 account\(s\) hold argon2id password hashes")
    with refused, _schema_lock(engine) as conn:
        command.downgrade(alembic_config(conn), "0005_price_history")
    assert current_revision(engine) == head_revision()


def test_0007_never_gives_a_deleted_listings_id_again(baseline_db):
    """0007_sqlite_item_ids on a database at 0006 holding rows: every row kept, searching
    works, and the next listing's id is above the highest ever given, on both databases
    (SQLite's items had lost AUTOINCREMENT in 0003's copy; PostgreSQL never reuses ids)."""
    engine, tables = baseline_db
    with _schema_lock(engine) as conn:
        command.upgrade(alembic_config(conn), "0006_argon2_passwords")
    seller = 1
    assert add_items(engine, seller, [{"title": "Jupe plissée"}]) == [3]
    before = _all_rows(engine, tables)

    change = upgrade_schema(engine)

    assert (change.before, change.after) == ("0006_argon2_passwords", head_revision())
    assert _all_rows(engine, tables) == before
    assert found(engine, text="sezane plissee") == set() and found(engine, text="plissee") == {3}
    with engine.begin() as conn:  # the newest listing deleted: at 0006, SQLite gave 3 again
        conn.execute(text("DELETE FROM items WHERE id = 3"))
    assert add_items(engine, seller, [{"title": "Chemise à carreaux"}]) == [4]
    assert found(engine, text="carreaux") == {4} and found(engine, text="plissee") == set()

"""SQLite: a listing's id is never given again (AUTOINCREMENT back on items)

Revision ID: 0007_sqlite_item_ids
Revises: 0006_argon2_passwords
Create Date: 2026-12-07 16:05:00

0003_trust_and_safety copied the items table on SQLite (batch mode, for its CHECK) without
AUTOINCREMENT, which SQLite's reflection does not read back. Since then, SQLite has given a
new listing the id of the newest listing deleted before it, so an old link, a notification
or a report naming a deleted listing could open someone else's. PostgreSQL was never
affected (its sequences never go back): this revision does nothing there.

The table is copied once more, with AUTOINCREMENT; every row and id is kept, and the
full-text search's triggers, which go with the old table, are made again (the FTS index
itself names the same ids). From now on the next id is above the highest listing left (every
reference to a listing is a foreign key, so none names a higher one). The ids of the newest
listings deleted since 0003 are not recorded anywhere: they cannot be reserved, and may
already have been given again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_sqlite_item_ids"
down_revision = "0006_argon2_passwords"
branch_labels = None
depends_on = None

# the items' full-text triggers of 0001_baseline (SQLite only), as 0003 made them again
_SQLITE_FTS_TRIGGERS = (
    "CREATE TRIGGER items_fts_insert AFTER INSERT ON items WHEN new.status = 'available' "
    "BEGIN INSERT INTO items_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER items_fts_delete AFTER DELETE ON items WHEN old.status = 'available' "
    "BEGIN INSERT INTO items_fts(items_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER items_fts_update AFTER UPDATE OF search_text, status ON items BEGIN "
    "INSERT INTO items_fts(items_fts, rowid, search_text) "
    "SELECT 'delete', old.id, old.search_text WHERE old.status = 'available'; "
    "INSERT INTO items_fts(rowid, search_text) "
    "SELECT new.id, new.search_text WHERE new.status = 'available'; END",
)


def _highest_item_id(bind) -> int:
    """The highest item id the database knows of (every reference to an item is a foreign
    key: a deleted listing's references are gone or NULL, so none can name a higher id)."""
    highest = bind.execute(sa.text("SELECT max(id) FROM items")).scalar() or 0
    mark = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'items'")).scalar()
    return max(highest, mark or 0)


def _set_mark(bind, high: int) -> None:
    if bind.execute(sa.text("SELECT 1 FROM sqlite_sequence WHERE name = 'items'")).first():
        bind.execute(
            sa.text("UPDATE sqlite_sequence SET seq = max(seq, :high) WHERE name = 'items'"),
            {"high": high},
        )
    elif high:
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('items', :high)"),
            {"high": high},
        )


def _copy_items() -> None:
    with op.batch_alter_table(
        "items", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass
    for statement in _SQLITE_FTS_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    made = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'items'")).scalar()
    if "AUTOINCREMENT" in (made or "").upper():
        return  # never copied without it (a database made whole): nothing to copy
    high = _highest_item_id(bind)
    _copy_items()
    _set_mark(bind, high)


def downgrade() -> None:
    """Nothing: giving ids again was the bug, not a schema an older release needs."""

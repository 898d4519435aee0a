"""Trust and safety: password resets, administrators, suspensions, hidden listings, blocks,
reports and the moderation log

Revision ID: 0003_trust_and_safety
Revises: 0002_ai_colour_pattern
Create Date: 2026-12-07 00:11:49

New tables: password_resets, blocks, reports, moderation_log. New columns: users.role
('member' for everyone already there), users.suspended_at and suspended_reason,
notifications.note ('' for the ones already there). Items may be 'hidden' by an
administrator: the CHECK on items.status changes. On SQLite a CHECK changes only by copying
the table (batch mode); the copy keeps every row and id, and the full-text search's
triggers, which go with the old table, are made again (the FTS index itself is unchanged:
it names the same ids).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# the items' full-text triggers of 0001_baseline (SQLite only), made again after the copy
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


def _items_status_check(statuses: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("ck_items_status", "items", type_="check")
        op.create_check_constraint("ck_items_status", "items", f"status IN ({statuses})")
        return
    with op.batch_alter_table("items", recreate="always") as batch_op:
        batch_op.drop_constraint("ck_items_status", type_="check")
        batch_op.create_check_constraint("ck_items_status", f"status IN ({statuses})")
    for statement in _SQLITE_FTS_TRIGGERS:
        op.execute(statement)


revision = "0003_trust_and_safety"
down_revision = "0002_ai_colour_pattern"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("blocker_id", sa.Integer(), nullable=False),
        sa.Column("blocked_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("blocker_id <> blocked_id", name="ck_blocks_not_self"),
        sa.ForeignKeyConstraint(["blocked_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["blocker_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("blocker_id", "blocked_id", name="ux_blocks_pair"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_blocks_blocked_id"), ["blocked_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_blocks_blocker_id"), ["blocker_id"], unique=False)

    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["issued_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.create_index("ix_password_resets_email_at", ["email", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_password_resets_user_id"), ["user_id"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("target", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("details", sa.String(length=500), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("matched_item_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("source IN ('member', 'ai')", name="ck_reports_source"),
        sa.CheckConstraint("status IN ('open', 'acted', 'dismissed')", name="ck_reports_status"),
        sa.CheckConstraint("target IN ('item', 'member', 'message')", name="ck_reports_target"),
        sa.ForeignKeyConstraint(["closed_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["matched_item_id"], ["items.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["reporter_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reports_open",
            ["created_at"],
            unique=False,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.create_index(
            "ix_reports_reporter", ["reporter_id", "target", "created_at"], unique=False
        )

    op.create_table(
        "moderation_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["admin_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.create_index("ix_moderation_log_at", ["created_at", "id"], unique=False)

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("note", sa.String(length=500), nullable=False, server_default="")
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=10), nullable=False, server_default="member")
        )
        batch_op.add_column(sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("suspended_reason", sa.String(length=500), nullable=True))

    _items_status_check("'available', 'sold', 'hidden'")
    _demo_administrator()


def _demo_administrator() -> None:
    """A demo seeded before this release gets its administrator (user2@gmail.com, Hugo), as a
    new seeding makes it. The demo accounts are known by the ids the seeding kept in
    app_meta (an e-mail alone could belong to anyone)."""
    bind = op.get_bind()
    ids = bind.execute(
        sa.text("SELECT value FROM app_meta WHERE key = 'demo_user_ids'")
    ).scalar_one_or_none()
    wanted = [int(v) for v in (ids or "").split(",") if v.strip().isdigit()]
    if wanted:
        bind.execute(
            sa.text(
                "UPDATE users SET role = 'admin' WHERE email = 'user2@gmail.com' AND id IN :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": wanted},
        )


def downgrade() -> None:
    # a hidden listing goes back on sale: the old schema has no other place for it
    op.execute("UPDATE items SET status = 'available' WHERE status = 'hidden'")
    _items_status_check("'available', 'sold'")
    # SQLite 3.35+ drops a column in place (batch mode would copy the tables)
    for table, column in (
        ("users", "suspended_reason"),
        ("users", "suspended_at"),
        ("users", "role"),
        ("notifications", "note"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")

    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_log_at")

    op.drop_table("moderation_log")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_reporter")
        batch_op.drop_index(
            "ix_reports_open",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.drop_table("reports")
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_resets_user_id"))
        batch_op.drop_index("ix_password_resets_email_at")

    op.drop_table("password_resets")
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blocks_blocker_id"))
        batch_op.drop_index(batch_op.f("ix_blocks_blocked_id"))

    op.drop_table("blocks")

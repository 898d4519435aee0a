"""The schema of the last release without migrations

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-06 20:21:33.223855

Migrations are frozen: they never import core.models (which moves on), and name every
constraint and index so that SQLite (batch mode) and PostgreSQL end up alike.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE items_fts USING fts5(search_text, content='items', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
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


def upgrade() -> None:
    op.create_table(
        "app_meta",
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_login_attempts_email_at", "login_attempts", ["email", "attempted_at"], unique=False
    )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=50), nullable=False),
        sa.Column("password_hash", sa.String(length=100), nullable=False),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("city", sa.String(length=80), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("password_hash LIKE '$2%'", name="ck_users_bcrypt_hash"),
        sa.CheckConstraint("length(display_name) BETWEEN 1 AND 50", name="ck_users_name_len"),
        sa.CheckConstraint("length(email) BETWEEN 3 AND 254", name="ck_users_email_len"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("size", sa.String(length=12), nullable=False),
        sa.Column("brand", sa.String(length=40), nullable=False),
        sa.Column("condition", sa.String(length=20), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("colour", sa.String(length=20), nullable=True),
        sa.Column("pattern", sa.String(length=20), nullable=True),
        sa.Column("ai_category", sa.String(length=20), nullable=True),
        sa.Column("ai_confidence", sa.Float(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("brand_key", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "condition IN ('new_with_tags', 'very_good', 'good', 'satisfactory')",
            name="ck_items_condition",
        ),
        sa.CheckConstraint("status IN ('available', 'sold')", name="ck_items_status"),
        sa.CheckConstraint(
            "ai_confidence IS NULL OR (ai_confidence >= 0 AND ai_confidence <= 1)",
            name="ck_items_ai_confidence",
        ),
        sa.CheckConstraint("length(brand) BETWEEN 1 AND 40", name="ck_items_brand_len"),
        sa.CheckConstraint("length(description) <= 2000", name="ck_items_description_len"),
        sa.CheckConstraint("length(size) BETWEEN 1 AND 12", name="ck_items_size_len"),
        sa.CheckConstraint("length(title) BETWEEN 1 AND 80", name="ck_items_title_len"),
        sa.CheckConstraint("price_cents > 0 AND price_cents <= 10000000", name="ck_items_price"),
        sa.ForeignKeyConstraint(["seller_id"], ["users.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_items_ai", "items", ["ai_category", "category", "ai_confidence"], unique=False
    )
    op.create_index("ix_items_seller_created", "items", ["seller_id", "created_at"], unique=False)
    op.create_index("ix_items_seller_id", "items", ["seller_id"], unique=False)
    op.create_index(
        "ix_items_status_brand", "items", ["status", "brand_key", "created_at"], unique=False
    )
    op.create_index(
        "ix_items_status_category", "items", ["status", "category", "created_at"], unique=False
    )
    op.create_index(
        "ix_items_status_category_price",
        "items",
        ["status", "category", "price_cents"],
        unique=False,
    )
    op.create_index(
        "ix_items_status_created", "items", ["status", "created_at", "id"], unique=False
    )
    op.create_index("ix_items_status_price", "items", ["status", "price_cents", "id"], unique=False)
    op.create_index("ix_items_status_size", "items", ["status", "size", "created_at"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("tracking", sa.Text(), nullable=False),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("shipping_name", sa.String(length=50), nullable=False),
        sa.Column("shipping_address", sa.String(length=200), nullable=False),
        sa.Column("shipping_postal_code", sa.String(length=10), nullable=False),
        sa.Column("shipping_city", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'completed') = (completed_at IS NOT NULL)", name="ck_orders_completed_at"
        ),
        sa.CheckConstraint(
            "(status = 'paid' AND shipped_at IS NULL) OR (status <> 'paid' AND shipped_at IS NOT NULL)",
            name="ck_orders_shipped_at",
        ),
        sa.CheckConstraint(
            "(status IN ('paid', 'shipped')) = (received_at IS NULL)", name="ck_orders_received_at"
        ),
        sa.CheckConstraint(
            "status IN ('paid', 'shipped', 'received', 'completed')", name="ck_orders_status"
        ),
        sa.CheckConstraint("buyer_id <> seller_id", name="ck_orders_two_people"),
        sa.CheckConstraint("length(tracking) <= 100", name="ck_orders_tracking_len"),
        sa.CheckConstraint("total_cents > 0", name="ck_orders_total"),
        sa.ForeignKeyConstraint(["buyer_id"], ["users.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["seller_id"], ["users.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_orders_buyer_created", "orders", ["buyer_id", "created_at"], unique=False)
    op.create_index("ix_orders_buyer_id", "orders", ["buyer_id"], unique=False)
    op.create_index("ix_orders_seller_created", "orders", ["seller_id", "created_at"], unique=False)
    op.create_index("ix_orders_seller_id", "orders", ["seller_id"], unique=False)
    op.create_index("ix_orders_status_shipped", "orders", ["status", "shipped_at"], unique=False)

    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_sessions_user", "sessions", ["user_id", "revoked_at"], unique=False)
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"], unique=False)

    op.create_table(
        "cart_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "item_id", name="ux_cart_user_item"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_cart_lines_item_id", "cart_lines", ["item_id"], unique=False)
    op.create_index("ix_cart_lines_user_id", "cart_lines", ["user_id"], unique=False)

    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("item_title", sa.String(length=80), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("buyer_unread", sa.Integer(), nullable=False),
        sa.Column("seller_unread", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("buyer_id <> seller_id", name="ck_conversations_two_people"),
        sa.CheckConstraint(
            "buyer_unread >= 0 AND seller_unread >= 0", name="ck_conversations_unread"
        ),
        sa.ForeignKeyConstraint(["buyer_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["seller_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "buyer_id", name="ux_conversations_item_buyer"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_conversations_buyer_id", "conversations", ["buyer_id"], unique=False)
    op.create_index(
        "ix_conversations_buyer_last",
        "conversations",
        ["buyer_id", "last_message_at"],
        unique=False,
    )
    op.create_index(
        "ix_conversations_buyer_unread",
        "conversations",
        ["buyer_id", "buyer_unread"],
        unique=False,
        sqlite_where=sa.text("buyer_unread > 0"),
        postgresql_where=sa.text("buyer_unread > 0"),
    )
    op.create_index("ix_conversations_seller_id", "conversations", ["seller_id"], unique=False)
    op.create_index(
        "ix_conversations_seller_last",
        "conversations",
        ["seller_id", "last_message_at"],
        unique=False,
    )
    op.create_index(
        "ix_conversations_seller_unread",
        "conversations",
        ["seller_id", "seller_unread"],
        unique=False,
        sqlite_where=sa.text("seller_unread > 0"),
        postgresql_where=sa.text("seller_unread > 0"),
    )

    op.create_table(
        "favourites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "item_id", name="ux_favourites_user_item"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_favourites_item_id", "favourites", ["item_id"], unique=False)
    op.create_index(
        "ix_favourites_user_created", "favourites", ["user_id", "created_at"], unique=False
    )
    op.create_index("ix_favourites_user_id", "favourites", ["user_id"], unique=False)

    op.create_table(
        "item_embeddings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=16), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(vector) > 0", name="ck_item_embeddings_vector"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "model", name="ux_item_embeddings_item_model"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_item_embeddings_item_id", "item_embeddings", ["item_id"], unique=False)
    op.create_index("ix_item_embeddings_model_id", "item_embeddings", ["model", "id"], unique=False)

    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("position >= 0 AND position < 5", name="ck_photos_position"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "position", name="ux_photos_item_position"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_photos_item_id", "photos", ["item_id"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(comment) <= 1000", name="ck_reviews_comment_len"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_reviews_rating"),
        sa.ForeignKeyConstraint(["buyer_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["seller_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", name="ux_reviews_order"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_reviews_buyer_id", "reviews", ["buyer_id"], unique=False)
    op.create_index("ix_reviews_order_id", "reviews", ["order_id"], unique=False)
    op.create_index(
        "ix_reviews_seller_created", "reviews", ["seller_id", "created_at"], unique=False
    )
    op.create_index("ix_reviews_seller_id", "reviews", ["seller_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("item_title", sa.String(length=80), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_notifications_user_id", "notifications", ["user_id"], unique=False)
    op.create_index(
        "ix_notifications_user_recent",
        "notifications",
        ["user_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_notifications_user_unread",
        "notifications",
        ["user_id"],
        unique=False,
        sqlite_where=sa.text("read_at IS NULL"),
        postgresql_where=sa.text("read_at IS NULL"),
    )

    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("made_by", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("item_revision", sa.Integer(), nullable=False),
        sa.Column("asking_cents", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'countered', 'withdrawn', 'ended', 'used')",
            name="ck_offers_status",
        ),
        sa.CheckConstraint("made_by IN (buyer_id, seller_id)", name="ck_offers_author"),
        sa.CheckConstraint("price_cents > 0 AND price_cents <= 10000000", name="ck_offers_price"),
        sa.ForeignKeyConstraint(["buyer_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["seller_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_offers_buyer_id", "offers", ["buyer_id"], unique=False)
    op.create_index("ix_offers_buyer_status", "offers", ["buyer_id", "status"], unique=False)
    op.create_index("ix_offers_item_status", "offers", ["item_id", "status"], unique=False)
    op.create_index("ix_offers_seller_id", "offers", ["seller_id"], unique=False)
    op.create_index(
        "ux_offers_one_pending",
        "offers",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('text', 'offer', 'offer_accepted', 'offer_declined', 'offer_ended')",
            name="ck_messages_kind",
        ),
        sa.CheckConstraint("length(body) <= 1000", name="ck_messages_body_len"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["sender_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_messages_conversation_id", "messages", ["conversation_id", "id"], unique=False
    )
    op.create_index(
        "ix_messages_sender_created", "messages", ["sender_id", "created_at"], unique=False
    )
    op.create_index("ix_messages_sender_id", "messages", ["sender_id"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("brand", sa.String(length=40), nullable=False),
        sa.Column("size", sa.String(length=12), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=True),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("price_cents > 0", name="ck_order_lines_price"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["seller_id"], ["users.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", name="ux_order_lines_item"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_order_lines_item_id", "order_lines", ["item_id"], unique=False)
    op.create_index("ix_order_lines_order_id", "order_lines", ["order_id"], unique=False)
    op.create_index("ix_order_lines_seller_id", "order_lines", ["seller_id"], unique=False)

    op.create_index("ux_users_email_lower", "users", [sa.text("lower(email)")], unique=True)
    # full-text search over items.search_text, available items only: an FTS5 table kept by
    # triggers on SQLite, a GIN index on PostgreSQL (a frozen copy of core/models.py's DDL)
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_FTS:
            op.execute(statement)
    else:
        op.execute(
            "CREATE INDEX ix_items_search ON items USING gin "
            "(to_tsvector('simple', search_text)) WHERE status = 'available'"
        )


def downgrade() -> None:
    raise NotImplementedError("The first revision is where migrations start: nothing is below it.")

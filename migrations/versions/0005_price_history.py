"""Record the changes of a listing's asking price

Revision ID: 0005_price_history
Revises: 0004_ai_pick_indexes
Create Date: 2026-12-07 03:45:00

The item page shows a listing's price history (its price drops and the offers its seller
accepted). Offers were stored already; a change of the asking price was not: an edit
overwrote ``items.price_cents``. ``price_changes`` keeps each change (the price before and
after, and when) from now on. A new table only: no row of another table changes; listings
older than it have no recorded change (their history starts at this upgrade).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_price_history"
down_revision = "0004_ai_pick_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "price_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("old_cents", sa.Integer(), nullable=False),
        sa.Column("new_cents", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("old_cents > 0 AND new_cents > 0", name="ck_price_changes_prices"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("price_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_changes_item_id"), ["item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("price_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_changes_item_id"))
    op.drop_table("price_changes")

"""Store the AI's colour and pattern picks next to the seller's choice

Revision ID: 0002_ai_colour_pattern
Revises: 0001_baseline
Create Date: 2026-12-06 20:22:13

The sell page already computes the AI's top colour and pattern for the cover; they are kept
next to what the seller chose, as the category suggestion is, so that the AI's picks can be
checked against what sellers keep. Existing listings have none (NULL: not recorded).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_ai_colour_pattern"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # adding a nullable column is an ALTER TABLE on both databases (batch mode copies nothing)
    with op.batch_alter_table("items") as batch_op:
        batch_op.add_column(sa.Column("ai_colour", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("ai_pattern", sa.String(length=20), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place; batch mode would copy the table and lose the
    # full-text triggers that live on it
    op.execute("ALTER TABLE items DROP COLUMN ai_pattern")
    op.execute("ALTER TABLE items DROP COLUMN ai_colour")

"""Index the AI's colour and pattern picks against the sellers' choices

Revision ID: 0004_ai_pick_indexes
Revises: 0003_trust_and_safety
Create Date: 2026-12-08 10:00:00

The insights page's AI track record now says how often sellers kept the AI's colour and
pattern picks (``items.ai_colour`` / ``ai_pattern``, stored since 0002). Each figure is one
GROUP BY over (pick, choice); these two indexes make it an index-only scan, as
``ix_items_ai`` does for the category (bench/insights.py: about 190 ms for both at 100 000
listings without them, 40 ms with them). Only indexes: no row changes, no table copy.
"""

from __future__ import annotations

from alembic import op

revision = "0004_ai_pick_indexes"
down_revision = "0003_trust_and_safety"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_ai_colour", "items", ["ai_colour", "colour"], unique=False)
    op.create_index("ix_items_ai_pattern", "items", ["ai_pattern", "pattern"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_items_ai_pattern", table_name="items")
    op.drop_index("ix_items_ai_colour", table_name="items")

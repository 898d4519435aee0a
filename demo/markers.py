"""What the database says of the demo: whether it was seeded, and which accounts are the
demo's (read on every start and log-in, so it imports nothing of the seeding itself)."""

from __future__ import annotations

from sqlmodel import Session

from core.models.meta import AppMeta

SEEDED_KEY = "demo_seeded_at"
DEMO_IDS_KEY = "demo_user_ids"  # the seeded accounts, by id: an e-mail can belong to anyone


def demo_accounts_exist(session: Session) -> bool:
    """True if this database holds the demo accounts (whose password is public)."""
    return session.get(AppMeta, SEEDED_KEY) is not None


def demo_user_ids(session: Session) -> frozenset[int]:
    """The ids of the seeded demo accounts (none if the demo was never seeded)."""
    row = session.get(AppMeta, DEMO_IDS_KEY)
    return frozenset(int(v) for v in row.value.split(",") if v) if row else frozenset()

"""Fixtures of the moderation tests: an administrator among the people, and items."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from core.db import session_scope
from core.models.accounts import Role, User
from tests.listing_helpers import add_items, make_user


@pytest.fixture
def admin(engine) -> int:
    """An administrator by role (the users table), not by the ADMIN_EMAILS setting."""
    user_id = make_user(engine, "admin@example.com", "Ada")
    with session_scope(engine) as s:
        s.exec(update(User).where(User.id == user_id).values(role=Role.ADMIN.value))
    return user_id


@pytest.fixture
def items(engine, people) -> dict[str, int]:
    dress, hat = add_items(
        engine,
        people["seller"],
        [dict(title="Red dress", price_cents=4500), dict(title="Green hat", price_cents=1200)],
    )
    return {"dress": dress, "hat": hat}

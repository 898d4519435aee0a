"""Fixtures shared by the trade's tests: the items of the cart and checkout tests, and the
items and conversation the offers are about."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.messaging.conversations import open_conversation
from tests.listing_helpers import add_items


@pytest.fixture
def items(engine, people) -> dict[str, int]:
    """Sam's dress, jeans and hat, and Bea's own coat."""
    ids = add_items(
        engine,
        people["seller"],
        [
            dict(title="Red dress", price_cents=4500),
            dict(title="Blue jeans", price_cents=3500),
            dict(title="Green hat", price_cents=1200),
        ],
    )
    own = add_items(engine, people["buyer"], [dict(title="Buyer's own coat", price_cents=9000)])
    return {"dress": ids[0], "jeans": ids[1], "hat": ids[2], "own": own[0]}


@pytest.fixture
def for_sale(engine, people) -> dict[str, int]:
    """Sam's red dress and green hat, which the offers are about."""
    dress, hat = add_items(
        engine,
        people["seller"],
        [dict(title="Red dress", price_cents=4500), dict(title="Green hat", price_cents=1200)],
    )
    return {"dress": dress, "hat": hat}


@pytest.fixture
def chat(engine, people, for_sale) -> int:
    """Bea's conversation with Sam about the red dress (€45.00)."""
    with Session(engine) as s:
        return open_conversation(s, people["buyer"], for_sale["dress"])

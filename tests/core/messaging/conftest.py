"""Fixtures shared by the messaging tests: a seller's two items and a buyer's coat."""

from __future__ import annotations

import pytest

from tests.listing_helpers import add_items


@pytest.fixture
def items(engine, people) -> dict[str, int]:
    dress, hat = add_items(
        engine,
        people["seller"],
        [dict(title="Red dress", price_cents=4500), dict(title="Green hat", price_cents=1200)],
    )
    (coat,) = add_items(engine, people["buyer"], [dict(title="Bea's coat", price_cents=9000)])
    return {"dress": dress, "hat": hat, "coat": coat}

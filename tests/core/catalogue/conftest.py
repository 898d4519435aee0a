"""Fixtures shared by the catalogue's tests: many items to page through, one listing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from core.catalogue.selling import create_listing
from core.models.base import utcnow
from tests.listing_helpers import add_items, draft, photo


@pytest.fixture
def many(engine, seller):
    """53 items: equal prices and equal dates in places, so the id must break ties."""
    moment = utcnow() - timedelta(days=3)
    specs = []
    for n in range(53):
        specs.append(
            {
                "price_cents": 500 + (n % 7) * 100,  # many equal prices
                "created_at": moment + timedelta(hours=n // 3),  # groups of 3 equal dates
            }
        )
    return add_items(engine, seller, specs)


@pytest.fixture
def listing(engine, seller) -> int:
    with Session(engine) as s:
        return create_listing(s, seller, draft(), [photo((255, 0, 0)), photo((0, 255, 0))]).id

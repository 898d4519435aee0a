"""Listings on a real database (core/catalogue/listings.py): the item page, a seller's
listings, the seeded catalogue; the seller's writes are in test_selling.py."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.catalogue.listings import ListingNotFoundError, get_item_view, seller_listings
from core.catalogue.search import search_catalogue
from core.catalogue.selling import create_listing
from core.db import session_scope
from core.models.catalogue import Item, ItemStatus
from core.models.trade import CartLine
from tests.listing_helpers import add_items, draft, found, photo

# --- the item page -------------------------------------------------------------------------


def test_item_view(engine, seller, buyer):
    with Session(engine) as s:
        item = create_listing(s, seller, draft(), [photo((1, 2, 3)), photo((9, 9, 9), (300, 100))])
    with Session(engine) as s:
        view = get_item_view(s, item.id, buyer)
        assert (view.seller_name, view.is_own, view.in_cart, view.is_sold) == (
            "Sam", False, False, False
        )  # fmt: skip
        assert [(p.width, p.height) for p in view.photos] == [(120, 160), (300, 100)]
        assert get_item_view(s, item.id, seller).is_own
        assert not get_item_view(s, item.id, None).is_own
        s.add(CartLine(user_id=buyer, item_id=item.id))
        s.commit()
        assert get_item_view(s, item.id, buyer).in_cart
        with pytest.raises(ListingNotFoundError):
            get_item_view(s, 999_999, buyer)


# --- a seller's listings --------------------------------------------------------------------


def test_seller_listings_include_sold_ones(engine, seller, buyer, listing):
    other = add_items(engine, buyer, [{}])[0]
    with session_scope(engine) as s:
        s.get(Item, listing).status = ItemStatus.SOLD.value
    with Session(engine) as s:
        rows = seller_listings(s, seller)
    assert [r.item.id for r in rows] == [listing] and rows[0].thumbnail
    assert other not in [r.item.id for r in rows]


def test_seeded_catalogue(seeded_engine):
    with Session(seeded_engine) as s:
        page = search_catalogue(s)
    assert len(page.cards) == 24 and all(c.thumbnail for c in page.cards)
    assert found(seeded_engine, text="sezane")  # the seed's items are searchable too

"""Helpers for the cart, checkout, order and offer tests on a real database."""

from __future__ import annotations

from sqlmodel import Session

from core.db import session_scope
from core.models.catalogue import Item, ItemStatus
from core.trade.cart import get_cart
from core.trade.checkout import Shipping, checkout

SHIP = Shipping("Bea Buyer", "1 rue de la Paix", "75002", "Paris")


def mark_sold(engine, item_id) -> None:
    with session_scope(engine) as s:
        s.get(Item, item_id).status = ItemStatus.SOLD.value


def buy(engine, buyer_id, shipping=SHIP):
    """The one order of a checkout of items of one seller."""
    with Session(engine) as s:
        cart = get_cart(s, buyer_id)
        (order,) = checkout(s, buyer_id, shipping, cart.confirmation)
        return order


def seller_edits(engine, people, item_id, **changes) -> None:
    """The seller edits the listing through the app's own write (bumps its revision)."""
    from core.catalogue.listings import get_own_listing
    from core.catalogue.selling import update_listing
    from tests.listing_helpers import draft

    with Session(engine) as s:
        view = get_own_listing(s, people["seller"], item_id)
        item = view.item
        fields = dict(
            title=item.title,
            category=item.category,
            size=item.size,
            brand=item.brand,
            price=f"{item.price_cents / 100:.2f}",
        )
        update_listing(
            s,
            people["seller"],
            item_id,
            draft(**{**fields, **changes}),
            [p.id for p in view.photos],
        )

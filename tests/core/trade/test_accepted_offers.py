"""What the cart and the checkout honour, on a real database
(core/trade/accepted_offers.py): the accepted price, once, by this buyer only, until it
expires, never above the asking price, and the races."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from core.db import session_scope
from core.messaging.inbox import conversation
from core.models.base import utcnow
from core.models.catalogue import Item
from core.models.trade import CartLine, Offer, Order, OrderLine
from core.trade.accepted_offers import accepted_offers_for
from core.trade.cart import add_to_cart, get_cart
from core.trade.checkout import CheckoutError, ConfirmedItem, ItemsUnavailableError, checkout
from tests.core.trade.test_checkout import seller_edits
from tests.talk_helpers import accepted_offer, at_once, count, notices, rows, status
from tests.trade_helpers import SHIP


def cart_line(engine, buyer):
    with Session(engine) as s:
        (entry,) = get_cart(s, buyer).entries
        return entry


def test_the_cart_shows_the_accepted_price(engine, people, for_sale, chat):
    buyer = people["buyer"]
    offer_id = accepted_offer(engine, people, chat, 4000)
    with Session(engine) as s:
        add_to_cart(s, buyer, for_sale["dress"])
        add_to_cart(s, buyer, for_sale["hat"])
        cart = get_cart(s, buyer)
        assert accepted_offers_for(s, people["rival"], [for_sale["dress"]]) == {}  # Bea's only
    dress, hat = cart.entries
    assert (dress.price_cents, dress.item.price_cents, dress.offer.id) == (4000, 4500, offer_id)
    assert (hat.price_cents, hat.offer) == (1200, None)
    assert cart.total_cents == 5200
    assert [(c.item_id, c.price_cents, c.offer_id) for c in cart.confirmation] == [
        (for_sale["dress"], 4000, offer_id),
        (for_sale["hat"], 1200, None),
    ]


def test_checkout_honours_the_offer_once(engine, people, for_sale, chat):
    buyer, seller = people["buyer"], people["seller"]
    offer_id = accepted_offer(engine, people, chat, 4000)
    with Session(engine) as s:
        add_to_cart(s, buyer, for_sale["dress"])
        add_to_cart(s, buyer, for_sale["hat"])
        confirmation = get_cart(s, buyer).confirmation
        (order,) = checkout(s, buyer, SHIP, confirmation)
    assert order.total_cents == 4000 + 1200
    lines = {ln.item_id: ln for ln in rows(engine, OrderLine)}
    assert (lines[for_sale["dress"]].price_cents, lines[for_sale["dress"]].offer_id) == (
        4000,
        offer_id,
    )
    assert (lines[for_sale["hat"]].price_cents, lines[for_sale["hat"]].offer_id) == (1200, None)
    assert status(engine, offer_id) == "used"
    with session_scope(engine) as s:  # behind the app's back: the sale undone, the item back
        s.exec(update(Item).where(Item.id == for_sale["dress"]).values(status="available"))
        s.delete(s.exec(select(OrderLine).where(OrderLine.item_id == for_sale["dress"])).one())
        s.add(CartLine(user_id=buyer, item_id=for_sale["dress"]))
    dress = next(c for c in confirmation if c.item_id == for_sale["dress"])
    with Session(engine) as s, pytest.raises(CheckoutError, match="can no longer be used"):
        checkout(s, buyer, SHIP, [dress])  # the same offer, a second time
    assert count(engine, OrderLine, OrderLine.item_id == for_sale["dress"]) == 0
    assert cart_line(engine, buyer).price_cents == 4500  # the asking price again
    assert notices(engine, seller)[-1] == "item_sold"


def test_another_buyer_cannot_use_the_offer(engine, people, for_sale, chat):
    offer_id = accepted_offer(engine, people, chat, 4000)
    rival = people["rival"]
    with Session(engine) as s:
        add_to_cart(s, rival, for_sale["dress"])
        assert get_cart(s, rival).total_cents == 4500  # not Bea's price
        item = s.get(Item, for_sale["dress"])
        forged = ConfirmedItem(item.id, item.revision, 4000, item.title, offer_id)
        s.rollback()
        with pytest.raises(CheckoutError, match="can no longer be used"):
            checkout(s, rival, SHIP, [forged])
    assert status(engine, offer_id) == "accepted"
    assert count(engine, Order) == 0
    with Session(engine) as s:
        (order,) = checkout(s, rival, SHIP, get_cart(s, rival).confirmation)
    assert order.total_cents == 4500
    assert status(engine, offer_id) == "ended"  # the sale ended Bea's offer


def test_a_price_no_offer_gave_buys_nothing(engine, people, for_sale, chat):
    offer_id = accepted_offer(engine, people, chat, 4000)
    buyer = people["buyer"]
    with Session(engine) as s:
        add_to_cart(s, buyer, for_sale["dress"])
        real = get_cart(s, buyer).confirmation[0]
        s.rollback()
        cheaper = ConfirmedItem(real.item_id, real.revision, 100, real.title, offer_id)
        with pytest.raises(CheckoutError):
            checkout(s, buyer, SHIP, [cheaper])
    assert status(engine, offer_id) == "accepted" and count(engine, Order) == 0


def test_an_expired_offer_is_refused_with_a_sentence(engine, people, for_sale, chat):
    buyer = people["buyer"]
    offer_id = accepted_offer(engine, people, chat, 4000)
    with Session(engine) as s:
        add_to_cart(s, buyer, for_sale["dress"])
        confirmation = get_cart(s, buyer).confirmation  # at 40.00
    with session_scope(engine) as s:  # 48 hours later
        s.exec(
            update(Offer)
            .where(Offer.id == offer_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    with Session(engine) as s, pytest.raises(CheckoutError) as err:
        checkout(s, buyer, SHIP, confirmation)
    assert str(err.value) == (
        "The accepted price for “Red dress” has expired: your cart shows the asking price "
        "again. Nothing was bought."
    )
    assert count(engine, Order) == 0
    entry = cart_line(engine, buyer)
    assert (entry.price_cents, entry.offer) == (4500, None)
    with Session(engine) as s:
        assert conversation(s, buyer, chat).accepted is None
        assert conversation(s, buyer, chat).can_offer  # they may try again
        (order,) = checkout(s, buyer, SHIP, get_cart(s, buyer).confirmation)
    assert order.total_cents == 4500


def test_an_accepted_offer_never_costs_more_than_the_asking_price(engine, people, for_sale, chat):
    buyer = people["buyer"]
    offer_id = accepted_offer(engine, people, chat, 4000)
    with Session(engine) as s:
        add_to_cart(s, buyer, for_sale["dress"])
    seller_edits(engine, people, for_sale["dress"], price="38.00")
    entry = cart_line(engine, buyer)
    assert (entry.price_cents, entry.offer) == (3800, None)  # the lower asking price applies
    with Session(engine) as s:
        assert conversation(s, buyer, chat).accepted_price_cents == 3800
    seller_edits(engine, people, for_sale["dress"], price="50.00")
    assert cart_line(engine, buyer).price_cents == 4000  # the seller's word holds 48 hours
    with Session(engine) as s:
        (order,) = checkout(s, buyer, SHIP, get_cart(s, buyer).confirmation)
    assert order.total_cents == 4000 and status(engine, offer_id) == "used"


def test_a_listing_edited_during_the_confirmation_buys_nothing(engine, people, for_sale, chat):
    buyer = people["buyer"]
    offer_id = accepted_offer(engine, people, chat, 4000)
    with Session(engine) as s:
        add_to_cart(s, buyer, for_sale["dress"])
        confirmation = get_cart(s, buyer).confirmation
    seller_edits(engine, people, for_sale["dress"], title="Torn rag")
    with Session(engine) as s, pytest.raises(CheckoutError, match="changed “Red dress”"):
        checkout(s, buyer, SHIP, confirmation)
    assert status(engine, offer_id) == "accepted"  # still theirs, for the listing as it is


@pytest.mark.parametrize("attempt", range(4))
def test_two_buyers_one_with_an_offer_buying_at_once_make_one_order(
    engine, people, for_sale, chat, attempt
):
    buyer, rival = people["buyer"], people["rival"]
    offer_id = accepted_offer(engine, people, chat, 4000)
    confirmations = {}
    with Session(engine) as s:
        for who in (buyer, rival):
            add_to_cart(s, who, for_sale["dress"])
            confirmations[who] = get_cart(s, who).confirmation
    results = at_once(
        engine,
        [lambda s, who=who: checkout(s, who, SHIP, confirmations[who]) for who in (buyer, rival)],
    )
    orders = [r[0] for r in results if isinstance(r, list)]
    assert len(orders) == 1 and sum(isinstance(r, ItemsUnavailableError) for r in results) == 1
    (line,) = rows(engine, OrderLine)
    if orders[0].buyer_id == buyer:
        assert (line.price_cents, line.offer_id, status(engine, offer_id)) == (
            4000,
            offer_id,
            "used",
        )
    else:
        assert (line.price_cents, line.offer_id, status(engine, offer_id)) == (4500, None, "ended")
    assert count(engine, Order) == 1

"""Checkout on a real database (core/trade/checkout.py): the rules, one transaction, one
order per seller, the race, and the buyer gets what they confirmed."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from core.db import session_scope
from core.models.accounts import User
from core.models.catalogue import Item, Photo
from core.models.trade import CartLine, Order, OrderLine
from core.trade.cart import CartError, add_to_cart, cart_size, get_cart, remove_from_cart
from core.trade.checkout import (
    CartChangedError,
    CheckoutError,
    ConfirmedItem,
    ItemsUnavailableError,
    Shipping,
    ShippingError,
    check_shipping,
    checkout,
    shipping_from_profile,
)
from core.trade.orders import purchases, sales
from tests.listing_helpers import add_items
from tests.trade_helpers import SHIP, buy, mark_sold, seller_edits


def count(engine, model) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def status(engine, item_id) -> str:
    with Session(engine) as s:
        return s.get(Item, item_id).status


def confirmed(session, item_id) -> ConfirmedItem:
    """An item as a confirmation would show it now."""
    item = session.get(Item, item_id)
    return ConfirmedItem(item.id, item.revision, item.price_cents, item.title)


# --- checkout -----------------------------------------------------------------------------


def test_checkout_buys_the_cart_in_one_order(engine, people, items):
    buyer, seller = people["buyer"], people["seller"]
    with Session(engine) as s:
        add_to_cart(s, buyer, items["dress"])
        add_to_cart(s, buyer, items["hat"])
        add_to_cart(s, people["rival"], items["hat"])
    order = buy(engine, buyer)
    assert (order.total_cents, order.shipping_city) == (5700, "Paris")
    assert status(engine, items["dress"]) == status(engine, items["hat"]) == "sold"
    assert status(engine, items["jeans"]) == "available"
    with Session(engine) as s:
        lines = s.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        assert sorted((ln.title, ln.price_cents, ln.seller_id) for ln in lines) == [
            ("Green hat", 1200, seller),
            ("Red dress", 4500, seller),
        ]
        assert cart_size(s, buyer) == 0
        rival_cart = get_cart(s, people["rival"])  # the rival's line stays, flagged as sold
        assert [e.available for e in rival_cart.entries] == [False]
    assert (order.seller_id, order.status, order.shipped_at) == (seller, "paid", None)


def test_a_cart_of_two_sellers_makes_one_order_per_seller(engine, people, items):
    buyer, seller, rival = people["buyer"], people["seller"], people["rival"]
    (scarf,) = add_items(engine, rival, [dict(title="Silk scarf", price_cents=2000)])
    with Session(engine) as s:
        for item_id in (items["dress"], scarf, items["hat"]):
            add_to_cart(s, buyer, item_id)
        orders = checkout(s, buyer, SHIP, get_cart(s, buyer).confirmation)
    assert [(o.seller_id, o.total_cents) for o in orders] == sorted([(seller, 5700), (rival, 2000)])
    with Session(engine) as s:
        for order in orders:
            lines = s.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
            assert {ln.seller_id for ln in lines} == {order.seller_id}
            assert sum(ln.price_cents for ln in lines) == order.total_cents


def test_a_line_sold_meanwhile_cancels_the_whole_checkout(engine, people, items):
    buyer = people["buyer"]
    with Session(engine) as s:
        add_to_cart(s, buyer, items["dress"])
        add_to_cart(s, buyer, items["jeans"])
        cart = get_cart(s, buyer)  # what the confirmation showed
    mark_sold(engine, items["jeans"])  # someone else bought it since
    with Session(engine) as s, pytest.raises(ItemsUnavailableError) as err:
        checkout(s, buyer, SHIP, cart.confirmation)
    assert err.value.titles == ["Blue jeans"]
    assert str(err.value) == "“Blue jeans” was sold in the meantime. Nothing was bought."
    assert status(engine, items["dress"]) == "available"  # not bought alone
    assert count(engine, Order) == count(engine, OrderLine) == 0
    with Session(engine) as s:
        assert cart_size(s, buyer) == 2


def test_a_price_changed_meanwhile_cancels_the_checkout(engine, people, items):
    buyer = people["buyer"]
    with Session(engine) as s:
        add_to_cart(s, buyer, items["dress"])
        cart = get_cart(s, buyer)
    with session_scope(engine) as s:
        s.get(Item, items["dress"]).price_cents = 9900
    with Session(engine) as s, pytest.raises(CartChangedError, match="changed “Red dress”"):
        checkout(s, buyer, SHIP, cart.confirmation)
    assert status(engine, items["dress"]) == "available"
    assert count(engine, Order) == 0


def test_no_buying_through_another_users_cart_or_ones_own_item(engine, people, items):
    with Session(engine) as s:
        add_to_cart(s, people["rival"], items["dress"])
        # the buyer names an item that is in someone else's cart, not in theirs
        with pytest.raises(CheckoutError):
            checkout(s, people["buyer"], SHIP, [confirmed(s, items["dress"])])
        # and their own item, put in the cart behind the app's back
        s.add(CartLine(user_id=people["buyer"], item_id=items["own"]))
        s.commit()
        with pytest.raises(CheckoutError, match="own item"):
            checkout(s, people["buyer"], SHIP, [confirmed(s, items["own"])])
    assert status(engine, items["dress"]) == status(engine, items["own"]) == "available"
    assert count(engine, Order) == 0


def test_an_empty_checkout_is_refused(engine, people):
    with Session(engine) as s, pytest.raises(CheckoutError, match="nothing to buy"):
        checkout(s, people["buyer"], SHIP, [])


@pytest.mark.parametrize(
    ("shipping", "fields"),
    [
        (Shipping(), {"name", "address", "postal_code", "city"}),
        (Shipping("B", "1 rue", "75 002 !", "Paris"), {"postal_code"}),
        (Shipping("B", "1 rue", "SW1A 1AA", "London"), {"postal_code"}),  # the profile's rule
        (Shipping("B" * 51, "1 rue", "75002", "Paris"), {"name"}),
        (Shipping("B", "x" * 201, "75002", "C" * 81), {"address", "city"}),
        (Shipping("B\x00", "1 rue\x07", "75002", "Paris\ud800"), {"name", "address", "city"}),
        (Shipping("B", "1 rue", "٧٥٠٠٢", "Paris"), {"postal_code"}),  # ASCII digits only
    ],
)
def test_shipping_rules(shipping, fields):
    with pytest.raises(ShippingError) as err:
        check_shipping(shipping)
    assert set(err.value.errors) == fields


def test_shipping_is_tidied_and_prefilled(engine, people):
    assert check_shipping(Shipping(" Bea  B ", "1  rue", " 69002 ", "Lyon")) == Shipping(
        "Bea B", "1 rue", "69002", "Lyon"
    )
    user = User(email="x@y.z", display_name="Zoe", password_hash="$2b", city="Lyon")
    assert shipping_from_profile(user) == Shipping("Zoe", "", "", "Lyon")


# --- the race -----------------------------------------------------------------------------


def race(engine, buyers: list[int], wanted: list[list[int]]):
    """Each buyer checks out their list at the same moment, on their own connection."""
    barrier = threading.Barrier(len(buyers))
    results: list = [None] * len(buyers)

    def run(n: int) -> None:
        with Session(engine) as s:
            lines = [confirmed(s, i) for i in wanted[n]]
            s.rollback()  # start the checkout's own transaction fresh, as the page does
            barrier.wait()
            try:
                results[n] = checkout(s, buyers[n], SHIP, lines)
            except CheckoutError as exc:
                results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(buyers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.parametrize("attempt", range(5))
def test_two_buyers_racing_for_one_item_exactly_one_gets_it(engine, people, items, attempt):
    buyers = [people["buyer"], people["rival"]]
    with Session(engine) as s:
        for b in buyers:
            add_to_cart(s, b, items["dress"])
    results = race(engine, buyers, [[items["dress"]], [items["dress"]]])
    orders = [r[0] for r in results if isinstance(r, list)]
    refusals = [r for r in results if isinstance(r, ItemsUnavailableError)]
    assert len(orders) == 1 and len(refusals) == 1, results
    assert refusals[0].titles == ["Red dress"]
    assert count(engine, Order) == count(engine, OrderLine) == 1
    assert status(engine, items["dress"]) == "sold"
    with Session(engine) as s:
        line = s.exec(select(OrderLine)).one()
        winner = s.get(Order, line.order_id).buyer_id
    assert winner == orders[0].buyer_id


def test_overlapping_carts_race_all_or_nothing(engine, people, items):
    # buyer wants dress + jeans, rival wants jeans + hat: jeans goes to one of them, and the
    # loser buys nothing at all (not even the item nobody else wanted)
    buyers = [people["buyer"], people["rival"]]
    wanted = [[items["dress"], items["jeans"]], [items["jeans"], items["hat"]]]
    with Session(engine) as s:
        for b, ids in zip(buyers, wanted, strict=True):
            for i in ids:
                add_to_cart(s, b, i)
    results = race(engine, buyers, wanted)
    winner = next(n for n, r in enumerate(results) if isinstance(r, list))
    loser = 1 - winner
    assert isinstance(results[loser], ItemsUnavailableError)
    assert results[loser].titles == ["Blue jeans"]
    for i in wanted[winner]:
        assert status(engine, i) == "sold"
    for i in set(wanted[loser]) - set(wanted[winner]):
        assert status(engine, i) == "available"
    assert count(engine, Order) == 1 and count(engine, OrderLine) == 2


# --- the buyer gets what they confirmed -----------------------------------------------------


def test_a_listing_swapped_at_the_same_price_is_not_bought(engine, people, items):
    buyer = people["buyer"]
    with Session(engine) as s:
        add_to_cart(s, buyer, items["dress"])
        cart = get_cart(s, buyer)  # the confirmation shows "Red dress" at 45.00
    seller_edits(engine, people, items["dress"], title="Torn rag")  # same price
    with Session(engine) as s, pytest.raises(CartChangedError, match="changed “Red dress”"):
        checkout(s, buyer, SHIP, cart.confirmation)
    assert status(engine, items["dress"]) == "available"
    assert count(engine, Order) == count(engine, OrderLine) == 0


def test_two_price_edits_that_cancel_out_are_caught(engine, people, items):
    buyer = people["buyer"]
    with Session(engine) as s:
        add_to_cart(s, buyer, items["dress"])
        add_to_cart(s, buyer, items["jeans"])
        cart = get_cart(s, buyer)  # 45.00 + 35.00
    seller_edits(engine, people, items["dress"], price="55.00")
    seller_edits(engine, people, items["jeans"], price="25.00")  # the total is the same
    with Session(engine) as s, pytest.raises(CartChangedError, match="changed"):
        checkout(s, buyer, SHIP, cart.confirmation)
    assert status(engine, items["dress"]) == status(engine, items["jeans"]) == "available"
    with Session(engine) as s:  # confirmed again, as shown now: bought at the new prices
        (order,) = checkout(s, buyer, SHIP, get_cart(s, buyer).confirmation)
    assert order.total_cents == 5500 + 2500


def test_a_confirmation_naming_a_price_the_item_never_had_buys_nothing(engine, people, items):
    with Session(engine) as s:
        add_to_cart(s, people["buyer"], items["dress"])
        real = confirmed(s, items["dress"])
        cheap = ConfirmedItem(real.item_id, real.revision, 1, real.title)
        with pytest.raises(CartChangedError):
            checkout(s, people["buyer"], SHIP, [cheap])
    assert status(engine, items["dress"]) == "available"


def test_the_order_keeps_what_was_bought_whatever_changes_later(engine, people, items):
    with Session(engine) as s:
        add_to_cart(s, people["buyer"], items["dress"])
        thumb_then = s.exec(select(Photo.thumbnail).where(Photo.item_id == items["dress"])).first()
    buy(engine, people["buyer"])
    with session_scope(engine) as s:  # behind the app's back: the app refuses sold edits
        item = s.get(Item, items["dress"])
        item.title, item.brand, item.size, item.price_cents = "Other", "Other", "XL", 1
        for photo_row in s.exec(select(Photo).where(Photo.item_id == items["dress"])):
            s.delete(photo_row)
    with Session(engine) as s:
        (order,) = purchases(s, people["buyer"])
        (sale,) = sales(s, people["seller"])
    for summary in (order, sale):
        (line,) = summary.lines
        assert (line.title, line.brand, line.size) == ("Red dress", "Brand", "M")
        assert line.price_cents == 4500
        assert line.thumbnail == thumb_then and thumb_then is not None


def test_a_refusal_leaves_no_transaction_open(engine, people, items):
    """Explaining a refusal reads plain columns: nothing is reloaded after the rollback, so
    the session's next write can still wait for SQLite's lock."""
    with Session(engine) as s:
        add_to_cart(s, people["buyer"], items["dress"])
        with pytest.raises(CartError, match="already in your cart"):
            add_to_cart(s, people["buyer"], items["dress"])
        assert not s.in_transaction()
        cart = get_cart(s, people["buyer"])
        s.rollback()
        mark_sold(engine, items["dress"])
        with pytest.raises(ItemsUnavailableError):
            checkout(s, people["buyer"], SHIP, cart.confirmation)
        assert not s.in_transaction()
        remove_from_cart(s, people["buyer"], items["dress"])  # the next write works

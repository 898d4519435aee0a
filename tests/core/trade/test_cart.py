"""The cart on a real database (core/trade/cart.py): its rules, each user's own lines,
sold lines flagged and left out of the total."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.trade.cart import CartError, add_to_cart, cart_size, get_cart, remove_from_cart
from tests.trade_helpers import mark_sold


def test_cart_rules(engine, people, items):
    buyer = people["buyer"]
    with Session(engine) as s:
        add_to_cart(s, buyer, items["dress"])
        for item_id, message in [
            (items["dress"], "already in your cart"),
            (items["own"], "your own item"),
            (999_999, "does not exist"),
        ]:
            with pytest.raises(CartError, match=message):
                add_to_cart(s, buyer, item_id)
        mark_sold(engine, items["jeans"])
        with pytest.raises(CartError, match="already sold"):
            add_to_cart(s, buyer, items["jeans"])
        assert cart_size(s, buyer) == 1


def test_remove_only_touches_the_users_own_lines(engine, people, items):
    with Session(engine) as s:
        add_to_cart(s, people["buyer"], items["dress"])
        add_to_cart(s, people["rival"], items["dress"])
        remove_from_cart(s, people["rival"], items["dress"])
        remove_from_cart(s, people["rival"], items["dress"])  # twice: nothing happens
        assert cart_size(s, people["buyer"]) == 1
        assert cart_size(s, people["rival"]) == 0


def test_sold_lines_are_flagged_and_left_out_of_the_total(engine, people, items):
    buyer = people["buyer"]
    with Session(engine) as s:
        for name in ("dress", "jeans", "hat"):
            add_to_cart(s, buyer, items[name])
    mark_sold(engine, items["jeans"])
    with Session(engine) as s:
        cart = get_cart(s, buyer)
    assert [e.item.title for e in cart.entries] == ["Red dress", "Blue jeans", "Green hat"]
    assert [e.available for e in cart.entries] == [True, False, True]
    assert cart.total_cents == 4500 + 1200
    assert cart.item_ids == [items["dress"], items["hat"]]
    assert all(e.thumbnail for e in cart.entries)

"""Orders on a real database (core/trade/orders.py): what the buyer and the seller see."""

from __future__ import annotations

from sqlmodel import Session

from core.trade.cart import add_to_cart, get_cart
from core.trade.checkout import Shipping, checkout
from core.trade.orders import purchases, sales
from tests.listing_helpers import add_items
from tests.trade_helpers import SHIP, buy


def test_orders_views(engine, people, items):
    with Session(engine) as s:
        add_to_cart(s, people["buyer"], items["dress"])
    first = buy(engine, people["buyer"])
    with Session(engine) as s:
        add_to_cart(s, people["rival"], items["hat"])
    buy(engine, people["rival"], Shipping("Rita", "2 av", "69001", "Lyon"))
    with Session(engine) as s:
        mine = purchases(s, people["buyer"])
        sold = sales(s, people["seller"])
        assert sales(s, people["buyer"]) == []
    assert [(o.order_id, o.total_cents, [ln.title for ln in o.lines]) for o in mine] == [
        (first.id, 4500, ["Red dress"])
    ]
    assert [(o.buyer_name, o.total_cents, o.shipping.city) for o in sold] == [
        ("Rita", 1200, "Lyon"),
        ("Bea", 4500, "Paris"),
    ]


def test_a_sale_shows_only_the_sellers_lines(engine, people, items):
    other = add_items(engine, people["rival"], [dict(title="Rival's scarf", price_cents=800)])[0]
    with Session(engine) as s:
        add_to_cart(s, people["buyer"], items["dress"])
        add_to_cart(s, people["buyer"], other)
        checkout(s, people["buyer"], SHIP, get_cart(s, people["buyer"]).confirmation)
    with Session(engine) as s:
        (sale,) = sales(s, people["seller"])
        bought = purchases(s, people["buyer"])
    assert [ln.title for ln in sale.lines] == ["Red dress"] and sale.total_cents == 4500
    assert sorted(p.total_cents for p in bought) == [800, 4500]  # one parcel per seller

"""A seller's sales per month (core/catalogue/sellers.py sales_by_month), for their page."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from core.catalogue.sellers import sales_by_month
from core.db import session_scope
from core.models.trade import Order
from core.trade.cart import add_to_cart
from tests.listing_helpers import add_items
from tests.trade_helpers import buy


def bought_on(engine, buyer, item_ids, moment: datetime) -> None:
    with Session(engine) as s:
        for item in item_ids:
            add_to_cart(s, buyer, item)
    order = buy(engine, buyer)
    with session_scope(engine) as s:
        s.get(Order, order.id).created_at = moment


def test_sales_and_revenue_per_month_with_empty_months(engine, people):
    seller, buyer = people["seller"], people["buyer"]
    a, b, c, d = add_items(engine, seller, [dict(price_cents=p) for p in (1000, 2550, 4000, 999)])
    (other,) = add_items(engine, people["rival"], [dict(price_cents=7000)])
    bought_on(engine, buyer, [a, b], datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    bought_on(engine, buyer, [c], datetime(2026, 12, 1, 0, 10, tzinfo=UTC))
    bought_on(engine, buyer, [other], datetime(2026, 12, 2, tzinfo=UTC))  # not hers
    bought_on(engine, buyer, [d], datetime(2025, 12, 31, tzinfo=UTC))  # 12 months ago: out

    with Session(engine) as s:
        frame = sales_by_month(s, seller, today=date(2026, 12, 7))
    assert len(frame) == 12
    assert frame["month"].iloc[0] == datetime(2026, 1, 1)
    by_month = {m.strftime("%Y-%m"): (n, r) for m, n, r in frame.itertuples(index=False)}
    assert by_month["2026-11"] == (2, 35.50)
    assert by_month["2026-12"] == (1, 40.0)
    assert sum(n for n, _r in by_month.values()) == 3

"""A listing's price history (core/catalogue/price_history.py): the seller's price changes,
recorded by update_listing, and the offers the seller accepted."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from core.catalogue.price_history import PriceKind, price_history
from core.models.base import utcnow
from core.models.catalogue import PriceChange
from tests.listing_helpers import add_items
from tests.talk_helpers import accepted_offer, opened, run
from tests.trade_helpers import seller_edits


def history(engine, item_id):
    with Session(engine) as s:
        return [(p.kind, p.price_cents) for p in price_history(s, item_id)]


def test_a_listing_never_changed_has_no_history(engine, people):
    (item,) = add_items(engine, people["seller"], [dict(price_cents=4500)])
    seller_edits(engine, people, item, title="Same price, new title")
    assert history(engine, item) == []
    assert history(engine, 999_999) == []  # no such listing


def test_price_drops_and_an_accepted_offer_in_time_order(engine, people):
    (item,) = add_items(engine, people["seller"], [dict(price_cents=4500)])
    seller_edits(engine, people, item, price="40.00")
    seller_edits(engine, people, item, price="40.00")  # not a change
    seller_edits(engine, people, item, price="35.50")
    chat = opened(engine, people["buyer"], item)
    accepted_offer(engine, people, chat, price=3000)
    with Session(engine) as s:
        changes = s.exec(select(PriceChange).order_by(PriceChange.id)).all()
        points = price_history(s, item)
    assert [(c.old_cents, c.new_cents) for c in changes] == [(4500, 4000), (4000, 3550)]
    assert [(p.kind, p.price_cents) for p in points] == [
        (PriceKind.ASKING, 4500),  # as listed
        (PriceKind.ASKING, 4000),
        (PriceKind.ASKING, 3550),
        (PriceKind.ACCEPTED, 3000),
        (PriceKind.ASKING, 3550),  # now
    ]
    assert [p.at for p in points] == sorted(p.at for p in points)
    assert points[-1].at - utcnow() < timedelta(seconds=5)
    assert all(p.at.tzinfo is not None for p in points)


def test_an_accepted_offer_alone_makes_a_history(engine, people):
    (item,) = add_items(engine, people["seller"], [dict(price_cents=4500)])
    accepted_offer(engine, people, opened(engine, people["buyer"], item), price=4000)
    assert history(engine, item) == [
        (PriceKind.ASKING, 4500),
        (PriceKind.ACCEPTED, 4000),
        (PriceKind.ASKING, 4500),
    ]
    assert run(engine, lambda s: len(s.exec(select(PriceChange)).all())) == 0

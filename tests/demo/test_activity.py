"""The demo's life (demo/activity.py) on a real database: what a visitor logged in as a demo
account finds, made through the app's own functions."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from core import insights
from core.accounts.accounts import LoginRefused, log_in
from core.messaging.badges import badges
from core.messaging.inbox import inbox
from core.models.accounts import User
from core.models.catalogue import Item, ItemStatus
from core.models.trade import Offer, OfferStatus, Order, OrderStatus
from core.trade.cart import get_cart
from core.trade.orders import purchases, sales
from core.trade.reviews import seller_rating
from core.trade.tracking import settle_due
from demo.activity import MEMBERS
from demo.listings import DEMO_LISTINGS
from demo.markers import demo_user_ids
from demo.seed import create_demo_database
from tests.conftest import DB_PARAMS, _close, _fresh_engine


@pytest.fixture(scope="module", params=DB_PARAMS)
def engine(request, tmp_path_factory):
    """One demo with its life per database for the whole module (seeding it takes seconds):
    the tests only read it (a refused log-in adds a failed attempt, which none counts)."""
    engine = _fresh_engine(request.param, tmp_path_factory.mktemp("demo"))
    create_demo_database(engine, activity=True)
    yield engine
    _close(engine)


@pytest.fixture(scope="module")
def demo(engine):
    with Session(engine) as s:
        ids = {u.email: u.id for u in s.exec(select(User)).all()}
    return ids["user1@gmail.com"], ids["user2@gmail.com"]


def statuses(orders) -> list[str]:
    return sorted(o.status for o in orders)


def test_the_demo_accounts_find_the_whole_loop(engine, demo):
    camille, hugo = demo
    with Session(engine) as s:
        settle_due(s)  # what the orders page does first: nothing is due yet
        assert statuses(sales(s, camille)) == ["completed", "completed", "paid", "shipped"]
        bought = purchases(s, camille)
        assert statuses(bought) == ["received"] and bought[0].review is None  # to review
        assert statuses(purchases(s, hugo)) == ["completed", "paid", "shipped"]
        cart = get_cart(s, hugo)  # Camille's dress at the price she accepted, for 48 hours
        (entry,) = cart.entries
        assert entry.item.title == "Red wrap midi dress"
        assert (entry.offer is not None, entry.price_cents) == (True, 4000)
        waiting = s.exec(
            select(Offer).where(Offer.seller_id == hugo, Offer.status == OfferStatus.PENDING)
        ).one()  # Yanis's offer on Hugo's jacket, for Hugo to answer
        assert waiting.made_by == waiting.buyer_id
        rating = seller_rating(s, camille)
        assert rating.count == 2 and rating.average == 4.5
        assert len(inbox(s, camille)) == 2 and len(inbox(s, hugo)) == 2
        camille_badges, hugo_badges = badges(s, camille), badges(s, hugo)
    assert camille_badges.messages > 0 and camille_badges.notifications > 0
    assert hugo_badges.cart == 1 and hugo_badges.notifications > 0


def test_the_demo_keeps_its_24_listings_on_sale_and_has_a_history(engine, demo):
    with Session(engine) as s:
        on_sale = s.exec(
            select(func.count()).select_from(Item).where(Item.status == ItemStatus.AVAILABLE)
        ).one()
        assert on_sale == len(DEMO_LISTINGS)
        weeks = insights.marketplace(s).sales_per_week
        assert (weeks["sales"] > 0).sum() >= 8  # sales in most of the last 12 weeks
        record = insights.ai_record(s)
        assert record.suggested == s.exec(select(func.count()).select_from(Item)).one()
        assert 0.5 < record.kept_rate < 1  # a few suggestions changed by their sellers
        assert (
            s.exec(
                select(func.count()).select_from(Order).where(Order.status == OrderStatus.COMPLETED)
            ).one()
            >= 15
        )


def test_the_demo_members_cannot_log_in_and_count_as_demo_accounts(engine, demo):
    with Session(engine) as s:
        ids = demo_user_ids(s)
        members = s.exec(select(User).where(User.email.in_([m.email for m in MEMBERS]))).all()
        assert len(members) == len(MEMBERS) and {m.id for m in members} <= ids
        assert set(demo) <= ids
        for member in members:
            with pytest.raises(LoginRefused):
                log_in(s, member.email, "tototo")


def test_the_demo_has_enough_sales_for_a_price_suggestion(engine, demo):
    """In the demo's dresses, jumpers and jackets, a cover like all of them gets a price
    suggestion for either demo account (the embeddings here are one known vector: the
    mechanics; with a real model, the drawings of one category look alike)."""
    import numpy as np

    from core.catalogue.embeddings import LiveIndex, save_embedding
    from core.catalogue.price_hints import PriceHint, price_hint
    from core.db import session_scope

    model, vector = "demo-check", np.eye(16, dtype=np.float32)[0]
    categories = ("dress", "sweater", "jacket")
    with session_scope(engine) as s:
        for item_id in s.exec(select(Item.id).where(Item.category.in_(categories))).all():
            save_embedding(s, item_id, model, vector)
    with Session(engine) as s:
        index = LiveIndex(model, refresh_seconds=0).current(s)
        for category in categories:
            for seller in demo:
                hint = price_hint(s, index, vector, category, seller_id=seller)
                assert isinstance(hint, PriceHint) and hint.sold >= 5, (category, seller)
        record = insights.ai_record(s)
    assert 0.5 < record.colours.kept_rate < 1 and record.patterns.suggested > 0

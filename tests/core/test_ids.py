"""Ids no row can have (past PostgreSQL's INTEGER, past SQLite's 64 bits, negative), as a
forged link or form sends them, through the core functions that take ids: "not found", a
refusal in a sentence or nothing, never a database error (core/models/base.py, Id)."""

from __future__ import annotations

import contextlib

import pytest
from sqlmodel import Session

from core.catalogue import favourites, listings, sellers
from core.catalogue.selling import delete_listing
from core.errors import UserError
from core.messaging import conversations, inbox, messages, notifications
from core.models.catalogue import Item
from core.trade import cart, offer_answers, offers, reviews, tracking
from tests.listing_helpers import add_items

HUGE = [2**31, 2**63, 2**64, -(2**63) - 1, -(2**31) - 1]

STEPS = {
    "item page": lambda s, me, x: listings.get_item_view(s, x, me),
    "own listing": lambda s, me, x: listings.get_own_listing(s, me, x),
    "delete listing": lambda s, me, x: delete_listing(s, me, x),
    "seller page": lambda s, me, x: sellers.seller_profile(s, x),
    "seller listings": lambda s, me, x: listings.seller_listings(s, x),
    "add favourite": lambda s, me, x: favourites.add_favourite(s, me, x),
    "favourite of a stranger": lambda s, me, x: favourites.add_favourite(s, x, 1),
    "remove favourite": lambda s, me, x: favourites.remove_favourite(s, me, x),
    "hearts": lambda s, me, x: favourites.item_hearts(s, x, me),
    "favourite ids": lambda s, me, x: favourites.favourite_ids(s, me, [x, 1]),
    "add to cart": lambda s, me, x: cart.add_to_cart(s, me, x),
    "cart of a stranger": lambda s, me, x: cart.add_to_cart(s, x, 1),
    "remove from cart": lambda s, me, x: cart.remove_from_cart(s, me, x),
    "open conversation": lambda s, me, x: conversations.open_conversation(s, me, x),
    "conversation": lambda s, me, x: inbox.conversation(s, me, x),
    "send message": lambda s, me, x: messages.send_message(s, me, x, "Hello"),
    "mark conversation read": lambda s, me, x: messages.mark_read(s, me, x),
    "make offer": lambda s, me, x: offers.make_offer(s, me, x, 1000),
    "accept offer": lambda s, me, x: offer_answers.accept(s, me, x),
    "decline offer": lambda s, me, x: offer_answers.decline(s, me, x),
    "counter offer": lambda s, me, x: offer_answers.counter(s, me, x, 1000),
    "withdraw offer": lambda s, me, x: offer_answers.withdraw(s, me, x),
    "ship": lambda s, me, x: tracking.mark_shipped(s, me, x, "LA123"),
    "receive": lambda s, me, x: tracking.confirm_received(s, me, x),
    "complete": lambda s, me, x: tracking.complete_order(s, me, x),
    "review": lambda s, me, x: reviews.leave_review(s, me, x, 5, "Fine"),
    "seller rating": lambda s, me, x: reviews.seller_rating(s, x),
    "notifications read": lambda s, me, x: notifications.mark_read(s, me, [x]),
    "notifications of a stranger": lambda s, me, x: notifications.unread_count(s, x),
}


@pytest.fixture
def shop(engine, people):
    add_items(engine, people["seller"], [{"title": "Linen shirt", "price_cents": 2000}])
    return engine


@pytest.mark.parametrize("step", STEPS)
def test_an_id_no_row_can_have_is_not_found(shop, people, step):
    for huge in HUGE:
        # "not found", a refusal in a sentence, or nothing: a database error fails the test
        with Session(shop) as s, contextlib.suppress(UserError):
            STEPS[step](s, people["buyer"], huge)
    with Session(shop) as s:  # and nothing was written or left half-done
        assert [i.title for i in s.exec(Item.__table__.select()).all()] == ["Linen shirt"]


def test_a_hundred_thousand_notifications_marked_read_at_once(engine, people):
    with Session(engine) as s:
        assert notifications.mark_read(s, people["buyer"], list(range(1, 100_001))) == 0

"""Offers on a real database (core/trade/offers.py): only the buyer offers, below the asking
price, one pending at a time (also from two tabs), within the rate limit; what a sale, a
listing edit or a deletion ends, and the races. The answers are in test_offer_answers.py,
what the cart and the checkout honour in test_accepted_offers.py."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.catalogue.selling import delete_listing
from core.messaging.conversations import ConversationNotFoundError, open_conversation
from core.messaging.inbox import conversation
from core.messaging.messages import MESSAGES_PER_MINUTE, RateLimitedError, send_message
from core.models.messaging import Message
from core.models.trade import Offer
from core.trade.cart import add_to_cart, get_cart
from core.trade.checkout import checkout
from core.trade.offer_answers import accept, counter, withdraw
from core.trade.offers import OfferError, make_offer
from tests.core.trade.test_checkout import seller_edits
from tests.talk_helpers import (
    accepted_offer,
    at_once,
    count,
    item_lock,
    kinds,
    offer,
    pause_after,
    rows,
    run,
    status,
    talk,
)
from tests.trade_helpers import SHIP

# --- who may do what ----------------------------------------------------------------------------


def test_the_buyer_offers_below_the_asking_price(engine, people, chat):
    buyer = people["buyer"]
    for price, message in [
        (0, "at least €0.01"),
        (-300, "at least €0.01"),
        (4500, "below the asking price \\(€45.00\\)"),
        (9999, "below the asking price"),
    ]:
        with pytest.raises(OfferError, match=message):
            run(engine, make_offer, buyer, chat, price)
    assert count(engine, Offer) == count(engine, Message) == 0
    offer_id = run(engine, make_offer, buyer, chat, 1)  # one cent is an offer
    made = offer(engine, offer_id)
    assert (made.made_by, made.price_cents, made.asking_cents, made.status) == (
        buyer,
        1,
        4500,
        "pending",
    )
    assert made.item_revision == 1 and made.expires_at is None


def test_only_the_buyer_makes_offers(engine, people, chat):
    with pytest.raises(OfferError, match="Only the buyer makes offers"):
        run(engine, make_offer, people["seller"], chat, 3000)
    for intruder in (people["rival"], people["outsider"]):
        with pytest.raises(ConversationNotFoundError):
            run(engine, make_offer, intruder, chat, 3000)
    with pytest.raises(ConversationNotFoundError):
        run(engine, make_offer, people["buyer"], 999_999, 3000)
    assert count(engine, Offer) == 0


def test_one_pending_offer_at_a_time(engine, people, chat):
    buyer, seller = people["buyer"], people["seller"]
    first = run(engine, make_offer, buyer, chat, 3000)
    with pytest.raises(OfferError, match=r"Your offer of €30.00 is waiting for an answer"):
        run(engine, make_offer, buyer, chat, 3500)
    run(engine, withdraw, buyer, first)  # the stated rule: withdraw it to make another
    second = run(engine, make_offer, buyer, chat, 3500)
    run(engine, counter, seller, second, 4200)
    with pytest.raises(OfferError, match=r"The seller proposed €42.00: accept it"):
        run(engine, make_offer, buyer, chat, 3600)
    assert [o.status for o in rows(engine, Offer)] == ["withdrawn", "countered", "pending"]


# --- each step applied once ---------------------------------------------------------------------


@pytest.mark.parametrize("attempt", range(3))
def test_two_tabs_offering_at_once_make_one_offer(engine, people, chat, attempt):
    buyer = people["buyer"]
    results = at_once(engine, [lambda s: make_offer(s, buyer, chat, 3000)] * 2)
    refused = [r for r in results if isinstance(r, OfferError)]
    assert len(refused) == 1 and "waiting for an answer" in str(refused[0]), results
    assert count(engine, Offer) == 1 and kinds(engine, chat) == ["offer"]


def test_offers_count_in_the_rate_limit(engine, people, chat):
    buyer = people["buyer"]
    for n in range(MESSAGES_PER_MINUTE - 1):
        run(engine, send_message, buyer, chat, f"Message {n}")
    offer_id = run(engine, make_offer, buyer, chat, 3000)  # the tenth
    run(engine, withdraw, buyer, offer_id)  # answers and withdrawals are not counted
    with pytest.raises(RateLimitedError):
        run(engine, make_offer, buyer, chat, 3100)
    assert count(engine, Offer) == 1


# --- what a sale ends -----------------------------------------------------------------------------


def test_a_sale_ends_the_other_open_offers(engine, people, for_sale, chat):
    buyer, rival, seller = people["buyer"], people["rival"], people["seller"]
    bea = accepted_offer(engine, people, chat, 4000)
    with Session(engine) as s:
        rivals_chat = open_conversation(s, rival, for_sale["dress"])
    rita = run(engine, make_offer, rival, rivals_chat, 3000)
    with Session(engine) as s:
        add_to_cart(s, buyer, for_sale["dress"])
        checkout(s, buyer, SHIP, get_cart(s, buyer).confirmation)
    assert (status(engine, bea), status(engine, rita)) == ("used", "ended")
    assert kinds(engine, rivals_chat) == ["offer", "offer_ended"]
    ended = rows(engine, Message, Message.conversation_id == rivals_chat)[-1]
    assert (ended.sender_id, ended.body, ended.offer_id) == (seller, "sold", rita)
    assert talk(engine, rivals_chat).buyer_unread == 1
    with Session(engine) as s:
        view = conversation(s, rival, rivals_chat)
        assert view.messages[-1].text == "The item was sold: the offer of €30.00 has ended."
        assert (view.pending, view.accepted, view.can_offer) == (None, None, False)
        with pytest.raises(OfferError, match="sold"):
            make_offer(s, rival, rivals_chat, 2000)
        with pytest.raises(OfferError, match="sold"):
            accept(s, seller, rita)


# --- a listing edit ---------------------------------------------------------------------------


def test_a_lower_price_ends_the_pending_offers_it_reaches(engine, people, for_sale, chat):
    buyer, rival = people["buyer"], people["rival"]
    with Session(engine) as s:
        rivals_chat = open_conversation(s, rival, for_sale["dress"])
    high = run(engine, make_offer, buyer, chat, 4000)
    low = run(engine, make_offer, rival, rivals_chat, 3000)
    seller_edits(engine, people, for_sale["dress"], price="40.00")
    assert (status(engine, high), status(engine, low)) == ("ended", "pending")
    assert kinds(engine, chat) == ["offer", "offer_ended"]
    with Session(engine) as s:
        assert conversation(s, buyer, chat).messages[-1].text == (
            "The asking price went down: the offer of €40.00 has ended."
        )
    seller_edits(engine, people, for_sale["dress"], title="Red dress, hemmed")  # same price
    assert status(engine, low) == "pending"  # other edits keep the offers


def test_a_deleted_listing_ends_its_offers_and_keeps_their_history(engine, people, for_sale, chat):
    offer_id = run(engine, make_offer, people["buyer"], chat, 3000)
    run(engine, delete_listing, people["seller"], for_sale["dress"])
    ended = offer(engine, offer_id)
    assert (ended.status, ended.item_id, ended.price_cents) == ("ended", None, 3000)
    with Session(engine) as s:
        view = conversation(s, people["buyer"], chat)
        assert [m.text for m in view.messages] == [
            "You offered €30.00.",
            "The listing was removed: the offer of €30.00 has ended.",
        ]
        with pytest.raises(OfferError, match="removed"):
            make_offer(s, people["buyer"], chat, 2000)
    assert talk(engine, chat).item_id is None


# --- races ------------------------------------------------------------------------------------


@pytest.mark.parametrize("first", ["offer", "checkout"])
def test_an_offer_made_while_the_item_sells_ends_or_is_refused(
    engine, people, for_sale, chat, first
):
    buyer, rival = people["buyer"], people["rival"]
    with Session(engine) as s:
        add_to_cart(s, rival, for_sale["dress"])
        rivals = get_cart(s, rival).confirmation
    steps = [lambda s: make_offer(s, buyer, chat, 3000), lambda s: checkout(s, rival, SHIP, rivals)]
    if first == "checkout":
        steps.reverse()
    fragment = item_lock(engine) if first == "offer" else "UPDATE items"
    with pause_after(engine, 0, fragment):
        results = at_once(engine, steps, stagger=0.1)
    if first == "checkout":
        results.reverse()
    made, bought = results
    assert isinstance(bought, list), results
    if first == "offer":  # made, then ended by the sale: never left open on a sold item
        assert [o.status for o in rows(engine, Offer)] == ["ended"], results
    else:
        assert isinstance(made, OfferError) and "sold" in str(made), results
        assert count(engine, Offer) == 0

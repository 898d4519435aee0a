"""The answers to offers on a real database (core/trade/offer_answers.py): only the side
addressed answers, accept, counter, decline and withdraw, each step applied once (a double
click, two tabs), and the races with a checkout."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.messaging.conversations import open_conversation
from core.messaging.inbox import conversation
from core.models.base import utcnow
from core.models.trade import Offer, OrderLine
from core.trade.accepted_offers import accepted_offer_for
from core.trade.cart import add_to_cart, get_cart
from core.trade.checkout import checkout
from core.trade.offer_answers import accept, counter, decline, withdraw
from core.trade.offers import ACCEPTED_FOR, OfferError, OfferNotFoundError, make_offer
from tests.talk_helpers import (
    at_once,
    count,
    item_lock,
    kinds,
    notices,
    offer,
    pause_after,
    rows,
    run,
    status,
    talk,
)
from tests.trade_helpers import SHIP


def test_only_the_side_addressed_answers(engine, people, chat):
    buyer, seller = people["buyer"], people["seller"]
    offer_id = run(engine, make_offer, buyer, chat, 3000)
    for step in (accept, decline):
        with pytest.raises(OfferError, match="You made this offer"):
            run(engine, step, buyer, offer_id)
    with pytest.raises(OfferError, match="You made this offer"):
        run(engine, counter, buyer, offer_id, 3100)
    with pytest.raises(OfferError, match="Only its author can withdraw"):
        run(engine, withdraw, seller, offer_id)
    for intruder in (people["rival"], people["outsider"]):
        for step in (accept, decline, withdraw):
            with pytest.raises(OfferNotFoundError, match=r"This offer does not exist."):
                run(engine, step, intruder, offer_id)
        with pytest.raises(OfferNotFoundError):
            run(engine, counter, intruder, offer_id, 100)
    with pytest.raises(OfferNotFoundError):
        run(engine, accept, seller, 999_999)
    assert status(engine, offer_id) == "pending"
    assert kinds(engine, chat) == ["offer"]


def test_offer_counter_accept(engine, people, chat):
    buyer, seller = people["buyer"], people["seller"]
    first = run(engine, make_offer, buyer, chat, 3000)
    assert talk(engine, chat).seller_unread == 1
    assert notices(engine, seller) == ["offer_made"]
    with pytest.raises(OfferError, match=r"counter-offer must be below your asking price"):
        run(engine, counter, seller, first, 4500)  # a seller's counter too, said to the seller
    with pytest.raises(OfferError, match=r"at least €0.01"):
        run(engine, counter, seller, first, 0)
    for not_above in (3000, 2500):  # at or under the buyer's own offer: accepting is meant
        with pytest.raises(OfferError, match=r"above the buyer's offer of €30.00: to sell at"):
            run(engine, counter, seller, first, not_above)
    assert status(engine, first) == "pending" and kinds(engine, chat) == ["offer"]
    second = run(engine, counter, seller, first, 4000)
    assert status(engine, first) == "countered"
    with pytest.raises(OfferError, match=r"below the seller's price of €40.00: to pay that"):
        run(engine, counter, buyer, second, 4000)
    assert status(engine, second) == "pending"
    countered = offer(engine, second)
    assert (countered.made_by, countered.price_cents, countered.status) == (seller, 4000, "pending")
    assert notices(engine, buyer) == ["offer_countered"]
    before = utcnow()
    until = run(engine, accept, buyer, second)
    accepted = offer(engine, second)
    assert accepted.status == "accepted"
    assert before + ACCEPTED_FOR <= until <= utcnow() + ACCEPTED_FOR
    assert notices(engine, seller) == ["offer_made", "counter_accepted"]
    assert kinds(engine, chat) == ["offer", "offer", "offer_accepted"]
    c = talk(engine, chat)
    assert (c.buyer_unread, c.seller_unread) == (1, 2)
    with Session(engine) as s:
        view = conversation(s, buyer, chat)
        assert view.accepted.id == second and view.pending is None and not view.can_offer
        assert view.accepted_price_cents == 4000
        assert [m.text for m in view.messages] == [
            "You offered €30.00.",
            "Sam offered €40.00.",
            "You accepted €40.00.",
        ]
        with pytest.raises(OfferError, match=r"Your offer of €40.00 was accepted"):
            make_offer(s, buyer, chat, 3000)
        assert accepted_offer_for(s, buyer, accepted.item_id).price_cents == 4000


def test_declined_and_withdrawn(engine, people, chat):
    buyer, seller = people["buyer"], people["seller"]
    first = run(engine, make_offer, buyer, chat, 2000)
    run(engine, decline, seller, first)
    assert notices(engine, buyer) == ["offer_declined"]
    second = run(engine, make_offer, buyer, chat, 2500)
    run(engine, withdraw, buyer, second)
    assert [status(engine, first), status(engine, second)] == ["declined", "withdrawn"]
    assert kinds(engine, chat) == ["offer", "offer_declined", "offer", "offer_ended"]
    with Session(engine) as s:
        texts = [m.text for m in conversation(s, seller, chat).messages]
    assert texts[1] == "You declined €20.00."
    assert texts[3] == "Bea withdrew the offer of €25.00."


@pytest.mark.parametrize(
    ("step", "args", "message"),
    [
        (accept, (), "already accepted"),
        (decline, (), "already declined"),
        (counter, (4000,), "already answered with another price"),
    ],
)
def test_a_double_click_answers_once(engine, people, chat, step, args, message):
    offer_id = run(engine, make_offer, people["buyer"], chat, 3000)
    run(engine, step, people["seller"], offer_id, *args)
    events = kinds(engine, chat)
    with pytest.raises(OfferError, match=message):
        run(engine, step, people["seller"], offer_id, *args)
    assert kinds(engine, chat) == events  # no second event
    assert count(engine, Offer) == (2 if step is counter else 1)


def test_a_withdrawn_offer_can_no_longer_be_accepted(engine, people, chat):
    offer_id = run(engine, make_offer, people["buyer"], chat, 3000)
    run(engine, withdraw, people["buyer"], offer_id)
    with pytest.raises(OfferError, match=r"This offer was withdrawn."):
        run(engine, accept, people["seller"], offer_id)
    with pytest.raises(OfferError, match=r"This offer was withdrawn."):
        run(engine, withdraw, people["buyer"], offer_id)


@pytest.mark.parametrize("attempt", range(3))
def test_two_tabs_accepting_at_once_accept_once(engine, people, chat, attempt):
    offer_id = run(engine, make_offer, people["buyer"], chat, 3000)
    seller = people["seller"]
    results = at_once(engine, [lambda s: accept(s, seller, offer_id)] * 2)
    refused = [r for r in results if isinstance(r, OfferError)]
    assert len(refused) == 1 and "already accepted" in str(refused[0]), results
    assert kinds(engine, chat) == ["offer", "offer_accepted"]


@pytest.mark.parametrize("attempt", range(3))
def test_accepting_and_declining_at_once_apply_one(engine, people, chat, attempt):
    offer_id = run(engine, make_offer, people["buyer"], chat, 3000)
    seller = people["seller"]
    results = at_once(
        engine, [lambda s: accept(s, seller, offer_id), lambda s: decline(s, seller, offer_id)]
    )
    assert sum(isinstance(r, OfferError) for r in results) == 1, results
    assert status(engine, offer_id) in ("accepted", "declined")
    assert len(kinds(engine, chat)) == 2


@pytest.mark.parametrize("first", ["accept", "checkout"])
def test_the_seller_accepting_while_another_buyer_buys(engine, people, for_sale, chat, first):
    buyer, rival, seller = people["buyer"], people["rival"], people["seller"]
    offer_id = run(engine, make_offer, buyer, chat, 4000)
    with Session(engine) as s:
        add_to_cart(s, rival, for_sale["dress"])
        add_to_cart(s, buyer, for_sale["dress"])
        rivals = get_cart(s, rival).confirmation
    steps = [lambda s: accept(s, seller, offer_id), lambda s: checkout(s, rival, SHIP, rivals)]
    if first == "checkout":
        steps.reverse()
    # the first one holds its lock while the second arrives
    fragment = item_lock(engine) if first == "accept" else "UPDATE items"
    with pause_after(engine, 0, fragment):
        results = at_once(engine, steps, stagger=0.1)
    if first == "checkout":
        results.reverse()
    accepted, bought = results
    assert isinstance(bought, list), results  # the rival bought it, at the asking price
    if first == "accept":  # accepted, then ended by the sale
        assert not isinstance(accepted, Exception), results
    else:  # refused: the item was sold
        assert isinstance(accepted, OfferError) and "sold" in str(accepted), results
    assert status(engine, offer_id) == "ended"
    with Session(engine) as s:  # never a sale at the offer's price after the item sold
        assert accepted_offer_for(s, buyer, for_sale["dress"]) is None
        assert get_cart(s, buyer).available == []
    (line,) = rows(engine, OrderLine)
    assert (line.price_cents, line.offer_id) == (4500, None)


@pytest.mark.parametrize("attempt", range(3))
def test_two_buyers_accepting_counters_at_once_both_hold_an_offer_one_buys(
    engine, people, for_sale, chat, attempt
):
    buyer, rival, seller = people["buyer"], people["rival"], people["seller"]
    with Session(engine) as s:
        rivals_chat = open_conversation(s, rival, for_sale["dress"])
    counters = {}
    for who, conversation_id in ((buyer, chat), (rival, rivals_chat)):
        first = run(engine, make_offer, who, conversation_id, 3000)
        counters[who] = run(engine, counter, seller, first, 4000)
        with Session(engine) as s:
            add_to_cart(s, who, for_sale["dress"])
    results = at_once(engine, [lambda s, w=w: accept(s, w, counters[w]) for w in (buyer, rival)])
    assert not any(isinstance(r, Exception) for r in results), results  # each their own price
    confirmations = {}
    with Session(engine) as s:
        for who in (buyer, rival):
            confirmations[who] = get_cart(s, who).confirmation
            assert confirmations[who][0].offer_id == counters[who]
    results = at_once(
        engine, [lambda s, w=w: checkout(s, w, SHIP, confirmations[w]) for w in (buyer, rival)]
    )
    assert sum(isinstance(r, list) for r in results) == 1, results
    winner = buyer if isinstance(results[0], list) else rival
    loser = rival if winner == buyer else buyer
    assert (status(engine, counters[winner]), status(engine, counters[loser])) == ("used", "ended")
    (line,) = rows(engine, OrderLine)
    assert (line.price_cents, line.offer_id) == (4000, counters[winner])

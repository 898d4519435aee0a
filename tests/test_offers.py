"""Offers on a real database: who may do what, each step applied once, the events and
notifications they post, what the cart and checkout honour (once, by this buyer only,
until it expires), what a sale and a listing edit end, and the races."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from core.catalogue.selling import delete_listing
from core.db import session_scope
from core.messaging.conversations import ConversationNotFoundError, open_conversation
from core.messaging.inbox import conversation
from core.messaging.messages import MESSAGES_PER_MINUTE, RateLimitedError, send_message
from core.models.base import utcnow
from core.models.catalogue import Item
from core.models.messaging import Message
from core.models.trade import CartLine, Offer, Order, OrderLine
from core.offers import (
    ACCEPTED_FOR,
    OfferError,
    OfferNotFoundError,
    accept,
    accepted_offer_for,
    accepted_offers_for,
    counter,
    decline,
    make_offer,
    withdraw,
)
from core.orders import (
    CheckoutError,
    ConfirmedItem,
    ItemsUnavailableError,
    Shipping,
    add_to_cart,
    checkout,
    get_cart,
)
from tests.listing_helpers import add_items
from tests.talk_helpers import at_once, count, kinds, notices, offer, pause_after, rows, talk
from tests.test_orders import seller_edits

SHIP = Shipping("Bea Buyer", "1 rue de la Paix", "75002", "Paris")


@pytest.fixture
def items(engine, people) -> dict[str, int]:
    dress, hat = add_items(
        engine,
        people["seller"],
        [dict(title="Red dress", price_cents=4500), dict(title="Green hat", price_cents=1200)],
    )
    return {"dress": dress, "hat": hat}


@pytest.fixture
def chat(engine, people, items) -> int:
    """Bea's conversation with Sam about the red dress (€45.00)."""
    with Session(engine) as s:
        return open_conversation(s, people["buyer"], items["dress"])


def run(engine, step, *args):
    with Session(engine) as s:
        return step(s, *args)


def status(engine, offer_id) -> str:
    return offer(engine, offer_id).status


def accepted_offer(engine, people, chat, price=4000) -> int:
    """Bea offers ``price``, Sam accepts."""
    offer_id = run(engine, make_offer, people["buyer"], chat, price)
    run(engine, accept, people["seller"], offer_id)
    return offer_id


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
    second = run(engine, counter, seller, first, 4000)
    assert status(engine, first) == "countered"
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


# --- each step applied once ---------------------------------------------------------------------


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
def test_two_tabs_offering_at_once_make_one_offer(engine, people, chat, attempt):
    buyer = people["buyer"]
    results = at_once(engine, [lambda s: make_offer(s, buyer, chat, 3000)] * 2)
    refused = [r for r in results if isinstance(r, OfferError)]
    assert len(refused) == 1 and "waiting for an answer" in str(refused[0]), results
    assert count(engine, Offer) == 1 and kinds(engine, chat) == ["offer"]


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


def test_offers_count_in_the_rate_limit(engine, people, chat):
    buyer = people["buyer"]
    for n in range(MESSAGES_PER_MINUTE - 1):
        run(engine, send_message, buyer, chat, f"Message {n}")
    offer_id = run(engine, make_offer, buyer, chat, 3000)  # the tenth
    run(engine, withdraw, buyer, offer_id)  # answers and withdrawals are not counted
    with pytest.raises(RateLimitedError):
        run(engine, make_offer, buyer, chat, 3100)
    assert count(engine, Offer) == 1


# --- what the cart and the checkout honour -------------------------------------------------------


def cart_line(engine, buyer):
    with Session(engine) as s:
        (entry,) = get_cart(s, buyer).entries
        return entry


def test_the_cart_shows_the_accepted_price(engine, people, items, chat):
    buyer = people["buyer"]
    offer_id = accepted_offer(engine, people, chat, 4000)
    with Session(engine) as s:
        add_to_cart(s, buyer, items["dress"])
        add_to_cart(s, buyer, items["hat"])
        cart = get_cart(s, buyer)
        assert accepted_offers_for(s, people["rival"], [items["dress"]]) == {}  # Bea's only
    dress, hat = cart.entries
    assert (dress.price_cents, dress.item.price_cents, dress.offer.id) == (4000, 4500, offer_id)
    assert (hat.price_cents, hat.offer) == (1200, None)
    assert cart.total_cents == 5200
    assert [(c.item_id, c.price_cents, c.offer_id) for c in cart.confirmation] == [
        (items["dress"], 4000, offer_id),
        (items["hat"], 1200, None),
    ]


def test_checkout_honours_the_offer_once(engine, people, items, chat):
    buyer, seller = people["buyer"], people["seller"]
    offer_id = accepted_offer(engine, people, chat, 4000)
    with Session(engine) as s:
        add_to_cart(s, buyer, items["dress"])
        add_to_cart(s, buyer, items["hat"])
        confirmation = get_cart(s, buyer).confirmation
        (order,) = checkout(s, buyer, SHIP, confirmation)
    assert order.total_cents == 4000 + 1200
    lines = {ln.item_id: ln for ln in rows(engine, OrderLine)}
    assert (lines[items["dress"]].price_cents, lines[items["dress"]].offer_id) == (4000, offer_id)
    assert (lines[items["hat"]].price_cents, lines[items["hat"]].offer_id) == (1200, None)
    assert status(engine, offer_id) == "used"
    with session_scope(engine) as s:  # behind the app's back: the sale undone, the item back
        s.exec(update(Item).where(Item.id == items["dress"]).values(status="available"))
        s.delete(s.exec(select(OrderLine).where(OrderLine.item_id == items["dress"])).one())
        s.add(CartLine(user_id=buyer, item_id=items["dress"]))
    dress = next(c for c in confirmation if c.item_id == items["dress"])
    with Session(engine) as s, pytest.raises(CheckoutError, match="can no longer be used"):
        checkout(s, buyer, SHIP, [dress])  # the same offer, a second time
    assert count(engine, OrderLine, OrderLine.item_id == items["dress"]) == 0
    assert cart_line(engine, buyer).price_cents == 4500  # the asking price again
    assert notices(engine, seller)[-1] == "item_sold"


def test_another_buyer_cannot_use_the_offer(engine, people, items, chat):
    offer_id = accepted_offer(engine, people, chat, 4000)
    rival = people["rival"]
    with Session(engine) as s:
        add_to_cart(s, rival, items["dress"])
        assert get_cart(s, rival).total_cents == 4500  # not Bea's price
        item = s.get(Item, items["dress"])
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


def test_a_price_no_offer_gave_buys_nothing(engine, people, items, chat):
    offer_id = accepted_offer(engine, people, chat, 4000)
    buyer = people["buyer"]
    with Session(engine) as s:
        add_to_cart(s, buyer, items["dress"])
        real = get_cart(s, buyer).confirmation[0]
        s.rollback()
        cheaper = ConfirmedItem(real.item_id, real.revision, 100, real.title, offer_id)
        with pytest.raises(CheckoutError):
            checkout(s, buyer, SHIP, [cheaper])
    assert status(engine, offer_id) == "accepted" and count(engine, Order) == 0


def test_an_expired_offer_is_refused_with_a_sentence(engine, people, items, chat):
    buyer = people["buyer"]
    offer_id = accepted_offer(engine, people, chat, 4000)
    with Session(engine) as s:
        add_to_cart(s, buyer, items["dress"])
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


def test_a_sale_ends_the_other_open_offers(engine, people, items, chat):
    buyer, rival, seller = people["buyer"], people["rival"], people["seller"]
    bea = accepted_offer(engine, people, chat, 4000)
    with Session(engine) as s:
        rivals_chat = open_conversation(s, rival, items["dress"])
    rita = run(engine, make_offer, rival, rivals_chat, 3000)
    with Session(engine) as s:
        add_to_cart(s, buyer, items["dress"])
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


def test_a_lower_price_ends_the_pending_offers_it_reaches(engine, people, items, chat):
    buyer, rival = people["buyer"], people["rival"]
    with Session(engine) as s:
        rivals_chat = open_conversation(s, rival, items["dress"])
    high = run(engine, make_offer, buyer, chat, 4000)
    low = run(engine, make_offer, rival, rivals_chat, 3000)
    seller_edits(engine, people, items["dress"], price="40.00")
    assert (status(engine, high), status(engine, low)) == ("ended", "pending")
    assert kinds(engine, chat) == ["offer", "offer_ended"]
    with Session(engine) as s:
        assert conversation(s, buyer, chat).messages[-1].text == (
            "The asking price went down: the offer of €40.00 has ended."
        )
    seller_edits(engine, people, items["dress"], title="Red dress, hemmed")  # same price
    assert status(engine, low) == "pending"  # other edits keep the offers


def test_an_accepted_offer_never_costs_more_than_the_asking_price(engine, people, items, chat):
    buyer = people["buyer"]
    offer_id = accepted_offer(engine, people, chat, 4000)
    with Session(engine) as s:
        add_to_cart(s, buyer, items["dress"])
    seller_edits(engine, people, items["dress"], price="38.00")
    entry = cart_line(engine, buyer)
    assert (entry.price_cents, entry.offer) == (3800, None)  # the lower asking price applies
    with Session(engine) as s:
        assert conversation(s, buyer, chat).accepted_price_cents == 3800
    seller_edits(engine, people, items["dress"], price="50.00")
    assert cart_line(engine, buyer).price_cents == 4000  # the seller's word holds 48 hours
    with Session(engine) as s:
        (order,) = checkout(s, buyer, SHIP, get_cart(s, buyer).confirmation)
    assert order.total_cents == 4000 and status(engine, offer_id) == "used"


def test_a_listing_edited_during_the_confirmation_buys_nothing(engine, people, items, chat):
    buyer = people["buyer"]
    offer_id = accepted_offer(engine, people, chat, 4000)
    with Session(engine) as s:
        add_to_cart(s, buyer, items["dress"])
        confirmation = get_cart(s, buyer).confirmation
    seller_edits(engine, people, items["dress"], title="Torn rag")
    with Session(engine) as s, pytest.raises(CheckoutError, match="changed “Red dress”"):
        checkout(s, buyer, SHIP, confirmation)
    assert status(engine, offer_id) == "accepted"  # still theirs, for the listing as it is


def test_a_deleted_listing_ends_its_offers_and_keeps_their_history(engine, people, items, chat):
    offer_id = run(engine, make_offer, people["buyer"], chat, 3000)
    run(engine, delete_listing, people["seller"], items["dress"])
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


@pytest.mark.parametrize("attempt", range(4))
def test_two_buyers_one_with_an_offer_buying_at_once_make_one_order(
    engine, people, items, chat, attempt
):
    buyer, rival = people["buyer"], people["rival"]
    offer_id = accepted_offer(engine, people, chat, 4000)
    confirmations = {}
    with Session(engine) as s:
        for who in (buyer, rival):
            add_to_cart(s, who, items["dress"])
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


def item_lock(engine) -> str:
    """The statement that takes an offer step's lock on the item: SQLite's write lock
    (``begin_write``), PostgreSQL's row lock for share."""
    return "FOR SHARE" if engine.dialect.name == "postgresql" else "app_meta"


@pytest.mark.parametrize("first", ["accept", "checkout"])
def test_the_seller_accepting_while_another_buyer_buys(engine, people, items, chat, first):
    buyer, rival, seller = people["buyer"], people["rival"], people["seller"]
    offer_id = run(engine, make_offer, buyer, chat, 4000)
    with Session(engine) as s:
        add_to_cart(s, rival, items["dress"])
        add_to_cart(s, buyer, items["dress"])
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
        assert accepted_offer_for(s, buyer, items["dress"]) is None
        assert get_cart(s, buyer).available == []
    (line,) = rows(engine, OrderLine)
    assert (line.price_cents, line.offer_id) == (4500, None)


@pytest.mark.parametrize("first", ["offer", "checkout"])
def test_an_offer_made_while_the_item_sells_ends_or_is_refused(engine, people, items, chat, first):
    buyer, rival = people["buyer"], people["rival"]
    with Session(engine) as s:
        add_to_cart(s, rival, items["dress"])
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


@pytest.mark.parametrize("attempt", range(3))
def test_two_buyers_accepting_counters_at_once_both_hold_an_offer_one_buys(
    engine, people, items, chat, attempt
):
    buyer, rival, seller = people["buyer"], people["rival"], people["seller"]
    with Session(engine) as s:
        rivals_chat = open_conversation(s, rival, items["dress"])
    counters = {}
    for who, conversation_id in ((buyer, chat), (rival, rivals_chat)):
        first = run(engine, make_offer, who, conversation_id, 3000)
        counters[who] = run(engine, counter, seller, first, 4000)
        with Session(engine) as s:
            add_to_cart(s, who, items["dress"])
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

"""Conversations and offers through the real pages (AppTest): message the seller from the
item page, the seller answers, unread counts move, an outsider reads "not found", an offer
is countered and accepted, and the cart and checkout charge the accepted price."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from core.accounts import accounts
from core.messaging.conversations import open_conversation
from core.messaging.messages import unread_total
from core.models.messaging import Conversation, Message
from core.models.trade import Offer, Order, OrderLine
from core.trade.offer_answers import decline
from tests.apptest import log_in, open_page, start_app, texts
from tests.shop_helpers import app_db, click, errors, item_by_title, labels, open_item, user_id

INBOX, CART = "app_pages/inbox.py", "app_pages/cart.py"
DRESS = "Red wrap midi dress"  # Camille's (user1), €45.00
BUYER, SELLER = "user2@gmail.com", "user1@gmail.com"  # Hugo, Camille


def open_talk(at, conversation_id) -> None:
    at.switch_page(INBOX)
    at.query_params["c"] = str(conversation_id)
    at.run()
    assert not at.exception, at.exception


def landed_in_a_conversation(at) -> int:
    """After a button that switched to a conversation: its id, AppTest pinned to that page
    (AppTest's next run would go back to the page it was switched to last, unlike a
    browser, which keeps the new address)."""
    conversation_id = int(at.query_params["c"])
    open_talk(at, conversation_id)
    return conversation_id


def write(at, body: str) -> None:
    at.chat_input[0].set_value(body).run()
    assert not at.exception, at.exception


def typed_texts(at) -> list[str]:
    return [t.value for t in at.text]


def price(at, typed: str, submit: str) -> None:
    (field,) = [t for t in at.text_input if t.label == "Your price (EUR)"]
    field.input(typed)
    click(at, submit)


def the_conversation(engine) -> Conversation:
    with Session(engine) as s:
        return s.exec(select(Conversation)).one()


def opened_by_core(engine) -> int:
    with Session(engine) as s:
        return open_conversation(s, user_id(engine, BUYER), item_by_title(engine, DRESS).id)


def count(engine, model) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_message_the_seller_then_the_seller_answers(app_env):
    engine = app_db(app_env)
    dress = item_by_title(engine, DRESS)
    buyer, seller = user_id(engine, BUYER), user_id(engine, SELLER)
    at = log_in(start_app(), BUYER)
    open_item(at, dress.id)
    click(at, "Message the seller")
    assert at.title[0].value == DRESS
    landed_in_a_conversation(at)
    assert "With Camille, the seller" in texts(at)
    write(at, "Hello! Is it still **available**? <b>")
    assert typed_texts(at) == ["Hello! Is it still **available**? <b>"]  # as typed, as text
    talk = the_conversation(engine)
    assert (talk.buyer_id, talk.seller_unread, talk.buyer_unread) == (buyer, 1, 0)

    at2 = open_page(log_in(start_app(), SELLER), INBOX)
    assert any("Hugo" in m.value and DRESS in m.value for m in at2.markdown)
    assert any("Hello" in c.value for c in at2.caption)
    open_item(at2, dress.id)
    assert "1 conversation about this item" in [p.label for p in at2.page_link]
    assert "Message the seller" not in labels(at2)
    with Session(engine) as s:
        assert unread_total(s, seller) == 1
    open_talk(at2, talk.id)
    assert "With Hugo, a buyer" in texts(at2)
    with Session(engine) as s:  # opening it read it
        assert unread_total(s, seller) == 0
    write(at2, "Yes, it is.")
    with Session(engine) as s:
        assert (unread_total(s, seller), unread_total(s, buyer)) == (0, 1)

    open_item(at, dress.id)  # the buyer's button now opens the same conversation
    click(at, "Open the conversation")
    assert landed_in_a_conversation(at) == talk.id
    assert typed_texts(at) == ["Hello! Is it still **available**? <b>", "Yes, it is."]
    with Session(engine) as s:
        assert unread_total(s, buyer) == 0
    assert count(engine, Conversation) == 1


def test_an_empty_or_too_long_message_is_refused(app_env):
    engine = app_db(app_env)
    cid = opened_by_core(engine)
    at = log_in(start_app(), BUYER)
    open_talk(at, cid)
    write(at, "   ")
    assert errors(at) == ["Write a message first. It was not sent: its text is back in the box."]
    long = "A long question about the seams. " * 31  # 1023 characters, pasted whole
    write(at, long)
    assert errors(at) == [
        "A message can be at most 1000 characters (this one has 1022). "
        "It was not sent: its text is back in the box."
    ]
    assert count(engine, Message) == 0


def test_logged_out_visitors_log_in_then_come_back_to_the_item(app_env):
    dress = item_by_title(app_db(app_env), DRESS)
    at = open_item(start_app(), dress.id)
    click(at, "Message the seller")
    assert "Welcome back" in [t.value for t in at.title]
    log_in(at, BUYER)
    assert at.query_params["item"] == str(dress.id)
    assert "Message the seller" in labels(at)


@pytest.mark.parametrize("address", ["own", "999999", "abc", "-1"])
def test_an_outsider_reads_not_found(app_env, address):
    engine = app_db(app_env)
    cid = opened_by_core(engine)
    with Session(engine) as s:
        accounts.register_user(s, "otto@example.com", "Otto", "long-enough", "long-enough")
    at = log_in(start_app(), "otto@example.com", "long-enough")
    open_talk(at, cid if address == "own" else address)
    assert at.title[0].value == "Conversation not found"
    assert "There is no conversation of yours at this address." in texts(at)
    assert not at.chat_input  # nothing to write in


def test_an_outsider_sees_no_conversation_in_their_inbox(app_env):
    engine = app_db(app_env)
    opened_by_core(engine)
    with Session(engine) as s:
        accounts.register_user(s, "otto@example.com", "Otto", "long-enough", "long-enough")
    at = open_page(log_in(start_app(), "otto@example.com", "long-enough"), INBOX)
    assert "No conversations yet. Write to a seller from an item's page." in texts(at)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-3", "Enter the price as a number of euros, like 12.50."),
        ("abc", "Enter the price as a number of euros, like 12.50."),
        ("0", "The price must be more than 0 EUR."),
        (
            "45",
            "An offer must be below the asking price (€45.00): at that price, simply buy it.",
        ),
        (
            "99,99",
            "An offer must be below the asking price (€45.00): at that price, simply buy it.",
        ),
    ],
)
def test_a_bad_price_gets_a_sentence_and_writes_nothing(app_env, typed, message):
    engine = app_db(app_env)
    cid = opened_by_core(engine)
    at = log_in(start_app(), BUYER)
    open_talk(at, cid)
    price(at, typed, "Send the offer")
    assert errors(at) == [message.replace("\\", "")]
    assert count(engine, Offer) == count(engine, Message) == 0


def test_offer_counter_accept_then_the_cart_charges_the_accepted_price(app_env):
    engine = app_db(app_env)
    cid = opened_by_core(engine)
    buyer = log_in(start_app(), BUYER)
    open_talk(buyer, cid)
    assert "Asking price **€45.00**" in [m.value for m in buyer.markdown]
    price(buyer, "30,50", "Send the offer")  # a comma works as well as a dot
    assert "Your offer was sent." in [s.value for s in buyer.success]
    assert "Your price of €30.50 waits for Camille's answer." in [i.value for i in buyer.info]

    seller = log_in(start_app(), SELLER)
    open_talk(seller, cid)
    assert "Hugo offers €30.50." in [i.value for i in seller.info]
    assert {"Accept", "Decline", "Send the counter-offer"} <= set(labels(seller))
    price(seller, "40.00", "Send the counter-offer")
    assert "Your counter-offer was sent." in [s.value for s in seller.success]

    open_talk(buyer, cid)
    assert "Camille offers €40.00." in [i.value for i in buyer.info]
    click(buyer, "Accept")
    assert not buyer.warning  # a click that worked is not "too late"
    (accepted,) = [s.value for s in buyer.success if s.value.startswith("Offer accepted")]
    assert accepted.startswith("Offer accepted: buy it at €40.00 until ")
    with Session(engine) as s:
        statuses = [o.status for o in s.exec(select(Offer).order_by(Offer.id))]
    assert statuses == ["countered", "accepted"]

    click(buyer, "Buy at this price")
    assert buyer.title[0].value == "My cart"
    open_page(buyer, CART)  # pinned there (see landed_in_a_conversation)
    assert "Total: €40.00" in [s.value for s in buyer.subheader]
    assert "**€40.00** ~~€45.00~~" in [m.value for m in buyer.markdown]
    assert any(c.value.startswith("Offer accepted, until ") for c in buyer.caption)
    click(buyer, "Buy for €40.00")
    assert any("€40.00" in m.value for m in buyer.markdown)  # the dialog's line
    click(buyer, "Confirm the purchase")
    assert "My orders" in [t.value for t in buyer.title]
    with Session(engine) as s:
        order = s.exec(select(Order)).one()
        line = s.exec(select(OrderLine)).one()
        used = s.exec(select(Offer).where(Offer.status == "used")).one()
    assert (order.total_cents, line.price_cents, line.offer_id) == (4000, 4000, used.id)

    open_talk(seller, cid)  # the item is sold: no more offers
    assert "This item is sold." in [i.value for i in seller.info]


def test_a_click_on_an_offer_answered_in_another_tab_says_so(app_env):
    engine = app_db(app_env)
    cid = opened_by_core(engine)
    buyer = log_in(start_app(), BUYER)
    open_talk(buyer, cid)
    price(buyer, "30", "Send the offer")
    seller = log_in(start_app(), SELLER)
    open_talk(seller, cid)
    with Session(engine) as s:  # the seller's other tab declined it a moment before
        offer_id = s.exec(select(Offer.id)).one()
        decline(s, user_id(engine, SELLER), offer_id)
    click(seller, "Accept")  # this tab still shows the offer waiting
    assert [w.value for w in seller.warning] == [
        "This offer was answered meanwhile: your click changed nothing."
    ]
    assert "Accept" not in labels(seller)
    with Session(engine) as s:
        assert s.get(Offer, offer_id).status == "declined"

"""Conversations on a real database: who may open, read and write one, the message rules,
the rate limit, unread counts, the inbox in one query, the badge on the partial indexes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import Session

from core.catalogue.selling import delete_listing
from core.conversations import (
    MESSAGES_PER_HOUR,
    MESSAGES_PER_MINUTE,
    ConversationError,
    ConversationNotFoundError,
    MessageError,
    RateLimitedError,
    conversation,
    conversation_id_from_text,
    conversations_about,
    inbox,
    mark_read,
    open_conversation,
    send_message,
    unread_total,
)
from core.db import session_scope
from core.models.base import utcnow
from core.models.catalogue import Item
from core.models.messaging import MESSAGE_MAX, Conversation, Message
from core.notifications import unread_count
from core.text import CONTROL_MESSAGE
from tests.listing_helpers import add_items
from tests.talk_helpers import at_once, count, notices, rows, talk


@pytest.fixture
def items(engine, people) -> dict[str, int]:
    dress, hat = add_items(
        engine,
        people["seller"],
        [dict(title="Red dress", price_cents=4500), dict(title="Green hat", price_cents=1200)],
    )
    (coat,) = add_items(engine, people["buyer"], [dict(title="Bea's coat", price_cents=9000)])
    return {"dress": dress, "hat": hat, "coat": coat}


def opened(engine, buyer, item_id) -> int:
    with Session(engine) as s:
        return open_conversation(s, buyer, item_id)


def send(engine, sender, conversation_id, body="Hello") -> int:
    with Session(engine) as s:
        return send_message(s, sender, conversation_id, body)


def sold(engine, item_id) -> None:
    with session_scope(engine) as s:
        s.get(Item, item_id).status = "sold"


# --- opening ----------------------------------------------------------------------------------


def test_one_conversation_per_item_and_buyer(engine, people, items):
    first = opened(engine, people["buyer"], items["dress"])
    assert opened(engine, people["buyer"], items["dress"]) == first
    other = opened(engine, people["rival"], items["dress"])
    hat = opened(engine, people["buyer"], items["hat"])
    assert len({first, other, hat}) == 3
    c = talk(engine, first)
    assert (c.buyer_id, c.seller_id, c.item_title) == (
        people["buyer"],
        people["seller"],
        "Red dress",
    )
    assert (c.buyer_unread, c.seller_unread) == (0, 0)
    with Session(engine) as s:
        assert conversations_about(s, people["seller"], items["dress"]) == 2
        assert conversations_about(s, people["buyer"], items["dress"]) == 0  # not theirs


def test_who_may_open_a_conversation(engine, people, items):
    with Session(engine) as s:
        with pytest.raises(ConversationError, match="your own item"):
            open_conversation(s, people["buyer"], items["coat"])
        with pytest.raises(ConversationError, match="does not exist"):
            open_conversation(s, people["buyer"], 999_999)
        existing = open_conversation(s, people["buyer"], items["dress"])
    sold(engine, items["dress"])
    with Session(engine) as s:
        with pytest.raises(ConversationError, match="sold"):  # no new one on a sold item
            open_conversation(s, people["rival"], items["dress"])
        assert open_conversation(s, people["buyer"], items["dress"]) == existing  # the old one
        assert not s.in_transaction()
    assert count(engine, Conversation) == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_tabs_opening_at_once_get_the_same_conversation(engine, people, items, attempt):
    buyer, dress = people["buyer"], items["dress"]
    results = at_once(engine, [lambda s: open_conversation(s, buyer, dress)] * 2)
    assert results[0] == results[1] and isinstance(results[0], int), results
    assert count(engine, Conversation) == 1


@pytest.mark.parametrize("raw", [None, "", "abc", "-1", "0", " 7", "1_0", "١", "99999999999"])
def test_conversation_ids_in_the_address_are_ascii_digits(raw):
    with pytest.raises(ConversationNotFoundError, match="Conversation not found"):
        conversation_id_from_text(raw)


def test_conversation_id_from_the_address():
    assert conversation_id_from_text("12") == 12


# --- who may read and write ----------------------------------------------------------------


def test_only_the_two_participants_read_or_write(engine, people, items):
    cid = opened(engine, people["buyer"], items["dress"])
    send(engine, people["buyer"], cid, "Is it still available?")
    with Session(engine) as s:
        for intruder in (people["outsider"], people["rival"]):
            with pytest.raises(ConversationNotFoundError) as err:
                conversation(s, intruder, cid)
            assert str(err.value) == "Conversation not found."
            with pytest.raises(ConversationNotFoundError):
                send_message(s, intruder, cid, "Let me in")
            assert mark_read(s, intruder, cid) is False
        with pytest.raises(ConversationNotFoundError) as missing:  # the same sentence
            conversation(s, people["buyer"], 999_999)
        assert str(missing.value) == "Conversation not found."
        with pytest.raises(ConversationNotFoundError):
            send_message(s, people["buyer"], 999_999, "Hello?")
        for user in (people["buyer"], people["seller"]):
            assert [m.text for m in conversation(s, user, cid).messages] == [
                "Is it still available?"
            ]
    assert count(engine, Message) == 1
    assert talk(engine, cid).seller_unread == 1  # the intruder's mark_read changed nothing


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write a message first."),
        ("   \n\t ", "Write a message first."),
        ("hi\x00", CONTROL_MESSAGE),
        ("hi\x07", CONTROL_MESSAGE),
        ("Camille \u202eeciloP", CONTROL_MESSAGE),
        ("x\ud800", CONTROL_MESSAGE),
        ("x" * (MESSAGE_MAX + 1), f"at most {MESSAGE_MAX} characters (this one has 1001)"),
    ],
)
def test_message_rules(engine, people, items, body, message):
    cid = opened(engine, people["buyer"], items["dress"])
    with Session(engine) as s, pytest.raises(MessageError) as err:
        send_message(s, people["buyer"], cid, body)
    assert message in str(err.value)
    assert count(engine, Message) == 0
    assert talk(engine, cid).seller_unread == 0


def test_messages_are_stripped_kept_as_typed_and_capped(engine, people, items):
    cid = opened(engine, people["buyer"], items["dress"])
    send(engine, people["buyer"], cid, "  **Bold?** <b>no</b>\nsecond line  ")
    send(engine, people["buyer"], cid, "x" * MESSAGE_MAX)  # exactly the cap
    bodies = [m.body for m in rows(engine, Message)]
    assert bodies == ["**Bold?** <b>no</b>\nsecond line", "x" * MESSAGE_MAX]


# --- unread counts and notifications --------------------------------------------------------


def test_a_message_counts_unread_for_the_other_side_in_one_transaction(engine, people, items):
    buyer, seller = people["buyer"], people["seller"]
    cid = opened(engine, buyer, items["dress"])
    before = talk(engine, cid).last_message_at
    send(engine, buyer, cid, "Hello")
    send(engine, buyer, cid, "Still there?")
    c = talk(engine, cid)
    assert (c.buyer_unread, c.seller_unread) == (0, 2)
    assert c.last_message_at > before
    assert notices(engine, seller) == ["message"]  # one per conversation, brought up to date
    with Session(engine) as s:
        assert (unread_total(s, seller), unread_total(s, buyer)) == (2, 0)
        assert unread_count(s, seller) == 1
        assert conversation(s, seller, cid).unread == 2
        assert mark_read(s, seller, cid) is True
        assert mark_read(s, seller, cid) is False  # nothing left: no write
        assert unread_total(s, seller) == 0 and unread_count(s, seller) == 0
        send_message(s, seller, cid, "Yes, it is.")
        assert (unread_total(s, seller), unread_total(s, buyer)) == (0, 1)
    assert notices(engine, buyer) == ["message"]
    c = talk(engine, cid)
    assert (c.buyer_unread, c.seller_unread) == (1, 0)


def test_the_badge_sums_both_sides_over_conversations(engine, people, items):
    buyer, seller, rival = people["buyer"], people["seller"], people["rival"]
    (scarf,) = add_items(engine, buyer, [dict(title="Bea's scarf", price_cents=800)])
    dress = opened(engine, buyer, items["dress"])
    hat = opened(engine, buyer, items["hat"])
    mine = opened(engine, rival, scarf)  # Bea sells here
    send(engine, seller, dress)
    send(engine, seller, hat)
    send(engine, seller, hat)
    send(engine, rival, mine)
    with Session(engine) as s:
        assert unread_total(s, buyer) == 4
        mark_read(s, buyer, hat)
        assert unread_total(s, buyer) == 2
        assert unread_total(s, people["outsider"]) == 0


def _plan(engine, session, statement, params) -> str:
    if engine.dialect.name == "sqlite":
        found = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        return "\n".join(str(r[-1]) for r in found)
    session.exec(text("SET LOCAL enable_seqscan = off"))  # tiny tables: show what it can use
    found = session.connection().exec_driver_sql(f"EXPLAIN {statement}", params)
    return "\n".join(r[0] for r in found)


def test_the_badge_reads_the_partial_indexes(engine, people):
    statements = []

    def seen(conn, cursor, statement, params, context, executemany):
        if statement != "BEGIN":
            statements.append((statement, params))

    with Session(engine) as s:
        event.listen(engine, "before_cursor_execute", seen)
        try:
            unread_total(s, people["buyer"])
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert len(statements) == 1
        plan = _plan(engine, s, *statements[0])
    assert "ix_conversations_buyer_unread" in plan, plan
    assert "ix_conversations_seller_unread" in plan, plan


# --- the rate limit -------------------------------------------------------------------------


def backdate(engine, sender, n, ago: timedelta) -> None:
    """``n`` messages of the sender, written ``ago`` (behind the app's back)."""
    with session_scope(engine) as s:
        cid = s.exec(
            text("SELECT id FROM conversations WHERE buyer_id = :u OR seller_id = :u LIMIT 1"),
            params={"u": sender},
        ).one()[0]
        at = utcnow() - ago
        s.add_all(
            Message(conversation_id=cid, sender_id=sender, body="old", created_at=at)
            for _ in range(n)
        )


def test_at_most_so_many_messages_a_minute(engine, people, items):
    buyer = people["buyer"]
    cid = opened(engine, buyer, items["dress"])
    for n in range(MESSAGES_PER_MINUTE):
        send(engine, buyer, cid, f"Message {n}")
    with Session(engine) as s, pytest.raises(RateLimitedError) as err:
        send_message(s, buyer, cid, "One too many")
    assert "you can write again in" in str(err.value) and "second" in str(err.value)
    assert 0 < (err.value.retry_at - utcnow()).total_seconds() <= 60
    assert count(engine, Message) == MESSAGES_PER_MINUTE  # the refused one wrote nothing
    assert talk(engine, cid).seller_unread == MESSAGES_PER_MINUTE
    send(engine, people["seller"], cid, "Calm down")  # the limit is the sender's own


def test_the_minute_passes(engine, people, items):
    buyer = people["buyer"]
    cid = opened(engine, buyer, items["dress"])
    backdate(engine, buyer, MESSAGES_PER_MINUTE, timedelta(seconds=61))
    send(engine, buyer, cid, "Allowed again")
    assert count(engine, Message, Message.body == "Allowed again") == 1


def test_at_most_so_many_messages_an_hour(engine, people, items):
    buyer = people["buyer"]
    cid = opened(engine, buyer, items["dress"])
    backdate(engine, buyer, MESSAGES_PER_HOUR - 1, timedelta(minutes=30))
    send(engine, buyer, cid, "The last one this hour")
    with Session(engine) as s, pytest.raises(RateLimitedError) as err:
        send_message(s, buyer, cid, "Too many")
    assert "you can write again in 30 minutes" in str(err.value)
    backdate(engine, people["seller"], MESSAGES_PER_HOUR, timedelta(hours=1, seconds=5))
    send(engine, people["seller"], cid, "An hour ago does not count")


# --- the inbox and one conversation -------------------------------------------------------------


def test_the_inbox_lists_the_latest_first_with_what_it_needs(engine, people, items):
    buyer, seller, rival = people["buyer"], people["seller"], people["rival"]
    dress = opened(engine, buyer, items["dress"])
    hat = opened(engine, buyer, items["hat"])
    rivals = opened(engine, rival, items["dress"])
    send(engine, buyer, dress, "About the dress")
    send(engine, rival, rivals, "Rita here " + "long " * 30)
    send(engine, seller, hat, "The hat is yours")
    with Session(engine) as s:
        seen_by_seller = inbox(s, seller)
        seen_by_buyer = inbox(s, buyer)
        assert inbox(s, people["outsider"]) == []
    assert [(e.id, e.other_name, e.item_title, e.unread) for e in seen_by_seller] == [
        (hat, "Bea", "Green hat", 0),
        (rivals, "Rita", "Red dress", 1),
        (dress, "Bea", "Red dress", 1),
    ]
    assert seen_by_seller[0].last_is_mine and seen_by_seller[0].preview == "The hat is yours"
    assert seen_by_seller[1].preview.endswith("…") and len(seen_by_seller[1].preview) <= 80
    assert all(e.thumbnail for e in seen_by_seller)
    assert [(e.id, e.other_name, e.unread) for e in seen_by_buyer] == [
        (hat, "Sam", 1),
        (dress, "Sam", 0),
    ]


def test_the_inbox_is_one_query_whatever_its_length(engine, people):
    seller = people["seller"]
    specs = [dict(title=f"Item {n}", price_cents=1000 + n) for n in range(6)]
    item_ids = add_items(engine, seller, specs)

    def queries() -> int:
        statements = []
        listener = lambda *args: args[2] == "BEGIN" or statements.append(args[2])  # noqa: E731
        with Session(engine) as s:
            event.listen(engine, "before_cursor_execute", listener)
            try:
                inbox(s, seller)
            finally:
                event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    for item_id in item_ids[:2]:
        send(engine, people["buyer"], opened(engine, people["buyer"], item_id))
    few = queries()
    for item_id in item_ids[2:]:
        send(engine, people["rival"], opened(engine, people["rival"], item_id))
    assert queries() == few == 1


def test_a_deleted_listing_keeps_its_conversations(engine, people, items):
    cid = opened(engine, people["buyer"], items["dress"])
    send(engine, people["buyer"], cid, "Still for sale?")
    with Session(engine) as s:
        delete_listing(s, people["seller"], items["dress"])
    with Session(engine) as s:
        (entry,) = inbox(s, people["seller"])
        view = conversation(s, people["buyer"], cid)
        with pytest.raises(ConversationError, match="does not exist"):
            open_conversation(s, people["buyer"], items["dress"])
    assert (entry.item_id, entry.item_title, entry.thumbnail) == (None, "Red dress", None)
    assert (view.item_id, view.item_title, view.item_available) == (None, "Red dress", False)
    assert [m.text for m in view.messages] == ["Still for sale?"]
    assert not view.can_offer


def test_the_conversation_shows_who_wrote_what(engine, people, items):
    buyer, seller = people["buyer"], people["seller"]
    cid = opened(engine, buyer, items["dress"])
    send(engine, buyer, cid, "Hello")
    send(engine, seller, cid, "Hi Bea")
    with Session(engine) as s:
        view = conversation(s, buyer, cid)
    assert (view.is_buyer, view.other_name, view.item_title) == (True, "Sam", "Red dress")
    assert (view.asking_cents, view.item_available, view.can_offer) == (4500, True, True)
    assert [(m.sender_name, m.mine, m.text) for m in view.messages] == [
        ("Bea", True, "Hello"),
        ("Sam", False, "Hi Bea"),
    ]
    assert view.messages[0].created_at.tzinfo is not None

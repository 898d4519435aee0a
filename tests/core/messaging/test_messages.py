"""Messages on a real database (core/messaging/messages.py): the message rules, unread
counts and notifications in one transaction, the badge on the partial indexes, the rate
limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import Session

from core.db import session_scope
from core.messaging.inbox import conversation
from core.messaging.messages import (
    MESSAGES_PER_HOUR,
    MESSAGES_PER_MINUTE,
    MessageError,
    RateLimitedError,
    mark_read,
    send_message,
    unread_total,
)
from core.messaging.notifications import unread_count
from core.models.base import utcnow
from core.models.messaging import MESSAGE_MAX, Message
from core.text import CONTROL_MESSAGE
from tests.listing_helpers import add_items
from tests.talk_helpers import at_once, count, notices, opened, rows, send, talk


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


def test_the_limit_holds_when_the_messages_come_in_parallel(engine, people, items):
    """Fifteen tabs sending at once (PostgreSQL counted each without the others' uncommitted
    messages: up to 15 of 15 were stored); SQLite has one writer at a time."""
    buyer = people["buyer"]
    cid = opened(engine, buyer, items["dress"])
    results = at_once(
        engine, [lambda s, n=n: send_message(s, buyer, cid, f"m{n}") for n in range(15)]
    )
    refused = [r for r in results if isinstance(r, RateLimitedError)]
    assert len(refused) == 15 - MESSAGES_PER_MINUTE, results
    assert count(engine, Message) == MESSAGES_PER_MINUTE
    assert talk(engine, cid).seller_unread == MESSAGES_PER_MINUTE


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

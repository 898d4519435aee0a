"""Conversations on a real database (core/messaging/conversations.py): who may open one, its
id in the address, who may read and write it. Messages, the rate limit, unread counts and
the badge are in test_messages.py; the inbox and one conversation in test_inbox.py."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.messaging.conversations import (
    ConversationError,
    ConversationNotFoundError,
    conversation_id_from_text,
    conversations_about,
    open_conversation,
)
from core.messaging.inbox import conversation
from core.messaging.messages import mark_read, send_message
from core.models.messaging import Conversation, Message
from tests.talk_helpers import at_once, count, opened, send, sold, talk

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

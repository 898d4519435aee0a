"""The inbox and one conversation on a real database (core/messaging/inbox.py): the latest
first with what the page needs, in one query; a deleted listing keeps its conversations."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlmodel import Session

from core.catalogue.selling import delete_listing
from core.messaging.conversations import ConversationError, open_conversation
from core.messaging.inbox import conversation, inbox
from tests.listing_helpers import add_items
from tests.talk_helpers import opened, send


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

"""Blocks (core/moderation/blocks.py) on both databases: no messages, offers, answers or
purchases between two members once one blocked the other, either way, refused by the core
functions themselves (a stale page or a second tab is refused as well)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.errors import BlockedError
from core.messaging.conversations import open_conversation
from core.messaging.messages import send_message
from core.models.messaging import Message
from core.models.moderation import Block
from core.moderation.admins import ModerationError
from core.moderation.blocks import block, is_blocked, is_blocked_by, unblock
from core.trade.cart import add_to_cart, get_cart
from core.trade.checkout import CheckoutError, checkout
from core.trade.offer_answers import accept, counter, decline
from core.trade.offers import make_offer
from tests.talk_helpers import count, opened, run, send
from tests.trade_helpers import SHIP


def test_block_is_one_row_and_only_the_blocker_lifts_it(engine, people):
    sam, bea = people["seller"], people["buyer"]
    assert run(engine, block, bea, sam) is True
    assert run(engine, block, bea, sam) is False  # a second click changes nothing
    assert count(engine, Block) == 1
    assert run(engine, is_blocked, sam, bea) and run(engine, is_blocked, bea, sam)
    assert run(engine, is_blocked_by, bea, sam) and not run(engine, is_blocked_by, sam, bea)
    assert run(engine, unblock, sam, bea) is False  # not Sam's block to lift
    assert run(engine, is_blocked, sam, bea)
    assert run(engine, unblock, bea, sam) is True
    assert not run(engine, is_blocked, sam, bea)


def test_no_self_block(engine, people):
    with pytest.raises(ModerationError):
        run(engine, block, people["buyer"], people["buyer"])


@pytest.mark.parametrize("who_blocks", ["buyer", "seller"])
def test_messages_refused_both_ways_from_an_open_page(engine, people, items, who_blocks):
    sam, bea = people["seller"], people["buyer"]
    chat = opened(engine, bea, items["dress"])  # the page was open before the block
    send(engine, bea, chat)
    run(engine, block, people[who_blocks], sam if who_blocks == "buyer" else bea)
    for sender in (bea, sam):
        with pytest.raises(BlockedError), Session(engine) as s:
            send_message(s, sender, chat, "Still there?")
    assert count(engine, Message) == 1
    with pytest.raises(BlockedError), Session(engine) as s:  # nor a new conversation
        open_conversation(s, bea, items["hat"])


def test_offers_and_answers_refused(engine, people, items):
    sam, bea = people["seller"], people["buyer"]
    chat = opened(engine, bea, items["dress"])
    pending = run(engine, make_offer, bea, chat, 4000)
    run(engine, block, sam, bea)
    for step, args in (
        (accept, (sam, pending)),
        (decline, (sam, pending)),
        (counter, (sam, pending, 4200)),
    ):
        with pytest.raises(BlockedError), Session(engine) as s:
            step(s, *args)
    run(engine, unblock, sam, bea)
    run(engine, decline, sam, pending)  # lifted: answers work again
    run(engine, block, bea, sam)
    with pytest.raises(BlockedError), Session(engine) as s:
        make_offer(s, bea, chat, 3900)


def test_cart_and_checkout_refused(engine, people, items):
    sam, bea = people["seller"], people["buyer"]
    run(engine, add_to_cart, bea, items["dress"])
    confirmed = run(engine, get_cart, bea).confirmation  # the confirmation page, shown before
    run(engine, block, sam, bea)
    with pytest.raises(BlockedError), Session(engine) as s:
        add_to_cart(s, bea, items["hat"])
    with pytest.raises(CheckoutError, match="blocked"), Session(engine) as s:
        checkout(s, bea, SHIP, confirmed)
    run(engine, unblock, sam, bea)
    with Session(engine) as s:
        assert len(checkout(s, bea, SHIP, confirmed)) == 1


def test_others_are_not_affected(engine, people, items):
    run(engine, block, people["buyer"], people["seller"])
    chat = opened(engine, people["rival"], items["dress"])
    send(engine, people["rival"], chat)
    run(engine, add_to_cart, people["rival"], items["hat"])

"""Notifications and the per-run badges on a real database: what is recorded, who sees it,
marking read, and the counts the navigation and the bell show."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, select

from core.catalogue.selling import delete_listing
from core.messaging.badges import Badges, badges, unread_counts
from core.messaging.notifications import (
    Kind,
    describe,
    mark_conversation_read,
    mark_read,
    notify,
    recent,
    unread_count,
)
from core.models.messaging import Conversation, Notification
from core.trade.cart import add_to_cart, get_cart
from core.trade.checkout import Shipping, checkout
from tests.listing_helpers import add_items, make_user

SHIP = Shipping("Bea", "1 rue de la Paix", "75002", "Paris")


def people(engine):
    return make_user(engine, "sam@example.com", "Sam"), make_user(engine, "bea@example.com", "Bea")


def test_a_notification_is_recorded_and_described(engine):
    sam, bea = people(engine)
    with Session(engine) as s:
        notify(s, sam, Kind.OFFER_MADE, actor_id=bea, item_title="Red dress", price_cents=3950)
        s.commit()
        assert unread_count(s, sam) == 1 and unread_count(s, bea) == 0
        (n,) = recent(s, sam)
    assert (n.kind, n.actor_name, n.unread) == (Kind.OFFER_MADE, "Bea", True)
    assert describe(n) == "Bea offers €39.50 for “Red dress”."


def test_nothing_is_recorded_when_the_step_rolls_back(engine):
    sam, bea = people(engine)
    with Session(engine) as s:
        notify(s, sam, Kind.REVIEW, actor_id=bea, item_title="Red dress")
        s.rollback()  # the step failed: its notification goes with it
        assert unread_count(s, sam) == 0


def test_messages_of_one_conversation_make_one_unread_notification(engine):
    sam, bea = people(engine)
    (item,) = add_items(engine, sam, [dict(title="Red dress", price_cents=4500)])
    with Session(engine) as s:
        talk = Conversation(item_id=item, item_title="Red dress", buyer_id=bea, seller_id=sam)
        s.add(talk)
        s.commit()
        for _ in range(3):
            notify(s, sam, Kind.MESSAGE, actor_id=bea, conversation_id=talk.id)
            s.commit()
        assert unread_count(s, sam) == 1
        mark_conversation_read(s, sam, talk.id)  # the conversation was opened
        s.commit()
        assert unread_count(s, sam) == 0
        notify(s, sam, Kind.MESSAGE, actor_id=bea, conversation_id=talk.id)  # a new one
        s.commit()
        assert unread_count(s, sam) == 1
        assert len(recent(s, sam)) == 2


def test_only_the_owner_marks_their_notifications_read(engine):
    sam, bea = people(engine)
    with Session(engine) as s:
        notify(s, sam, Kind.ORDER_RECEIVED, actor_id=bea, item_title="Red dress")
        notify(s, bea, Kind.ORDER_SHIPPED, actor_id=sam, item_title="Red dress")
        s.commit()
        ids = [n.id for n in s.exec(select(Notification)).all()]
        assert mark_read(s, bea, ids) == 1  # Sam's is not Bea's to mark
        assert unread_count(s, sam) == 1 and unread_count(s, bea) == 0
        assert mark_read(s, sam) == 1
        assert mark_read(s, sam) == 0  # already read: nothing changes twice
        assert [n.unread for n in recent(s, sam)] == [False]


def test_recent_is_newest_first_and_capped(engine):
    sam, bea = people(engine)
    with Session(engine) as s:
        for n in range(5):
            notify(s, sam, Kind.ITEM_SOLD, actor_id=bea, item_title=f"Item {n}")
        s.commit()
        shown = recent(s, sam, limit=3)
        assert [n.item_title for n in shown] == ["Item 4", "Item 3", "Item 2"]
        notify(s, sam, Kind.ITEM_SOLD, actor_id=bea, item_title="Item 5")  # while reading
        s.commit()
        # the page marks up to the newest it showed, older ones past the list too
        assert mark_read(s, sam, up_to_id=max(n.id for n in shown)) == 5
        assert [n.unread for n in recent(s, sam)] == [True] + [False] * 5


def test_checkout_tells_each_seller_of_their_sale(engine):
    sam, bea = people(engine)
    rita = make_user(engine, "rita@example.com", "Rita")
    dress, hat = add_items(
        engine, sam, [dict(title="Red dress", price_cents=4500), dict(title="Hat", price_cents=900)]
    )
    (scarf,) = add_items(engine, rita, [dict(title="Silk scarf", price_cents=2000)])
    with Session(engine) as s:
        for item in (dress, hat, scarf):
            add_to_cart(s, bea, item)
        orders = checkout(s, bea, SHIP, get_cart(s, bea).confirmation)
        (to_sam,) = recent(s, sam)
        (to_rita,) = recent(s, rita)
        assert recent(s, bea) == []
    by_seller = {o.seller_id: o.id for o in orders}
    assert (to_sam.kind, to_sam.order_id, to_sam.price_cents) == (
        Kind.ITEM_SOLD,
        by_seller[sam],
        5400,
    )
    assert to_sam.text == "Bea bought “Red dress + 1”: ship it to them."
    assert (to_rita.order_id, to_rita.item_title) == (by_seller[rita], "Silk scarf")


def test_badges_count_the_cart_unread_messages_and_notifications(engine):
    sam, bea = people(engine)
    items = add_items(engine, sam, [dict(title=f"Item {n}", price_cents=1000) for n in range(3)])
    with Session(engine) as s:
        assert badges(s, bea) == Badges(0, 0, 0)
        add_to_cart(s, bea, items[0])
        add_to_cart(s, bea, items[1])
        # Bea asks about two items; Sam has 3 unread messages in one, 1 in the other; Bea
        # has 2 unread in the second
        s.add(Conversation(item_id=items[0], item_title="Item 0", buyer_id=bea, seller_id=sam,
                           seller_unread=3))  # fmt: skip
        s.add(Conversation(item_id=items[1], item_title="Item 1", buyer_id=bea, seller_id=sam,
                           seller_unread=1, buyer_unread=2))  # fmt: skip
        notify(s, sam, Kind.OFFER_MADE, actor_id=bea, item_title="Item 0", price_cents=500)
        s.commit()
        assert badges(s, bea) == Badges(cart=2, messages=2, notifications=0)
        assert badges(s, sam) == Badges(cart=0, messages=4, notifications=1)
        assert unread_counts(s, sam) == (4, 1)
        s.exec(update(Conversation).values(seller_unread=0))
        s.commit()
        assert unread_counts(s, sam) == (0, 1)


def test_a_notification_keeps_its_facts_when_the_listing_goes(engine):
    sam, bea = people(engine)
    (item,) = add_items(engine, sam, [dict(title="Red dress", price_cents=4500)])
    with Session(engine) as s:
        notify(s, bea, Kind.OFFER_ACCEPTED, actor_id=sam, item_id=item, item_title="Red dress",
               price_cents=4000)  # fmt: skip
        s.commit()
        delete_listing(s, sam, item)
        (n,) = recent(s, bea)
    assert n.item_id is None
    assert n.text.startswith("Sam accepted €40.00 for “Red dress”")

"""The counts every page shows a logged-in person, read in one statement per run: the
cart's lines, unread messages (the inbox) and unread notifications (the bell).

Each count is an index read whatever the size of the marketplace: cart lines by user, the
conversations that have something unread for this person (partial indexes on the unread
counters, which the message's own transaction keeps), and unread notifications (a partial
index on the unread rows). bench/inbox.py measures it at 10 000 users and 1 000 000
messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal_column
from sqlmodel import Session, select

from core.models.messaging import Conversation, Notification
from core.models.trade import CartLine


@dataclass(frozen=True)
class Badges:
    cart: int = 0
    messages: int = 0  # unread messages, over all the person's conversations
    notifications: int = 0  # unread notifications


def cart_lines_query(user_id: int):
    """The lines of ``user_id``'s cart, as a scalar subquery."""
    return (
        select(func.count())
        .select_from(CartLine)
        .where(CartLine.user_id == user_id)
        .scalar_subquery()
    )


# written in the SQL, not bound: the planners match it to the partial indexes' own "> 0"
_ZERO = literal_column("0")


def unread_messages_query(user_id: int):
    """Unread messages of ``user_id`` as a scalar subquery, as buyer plus as seller: two
    reads of the partial indexes (only conversations with something unread are in them)."""
    as_buyer = (
        select(func.coalesce(func.sum(Conversation.buyer_unread), 0))
        .where(Conversation.buyer_id == user_id, Conversation.buyer_unread > _ZERO)
        .scalar_subquery()
    )
    as_seller = (
        select(func.coalesce(func.sum(Conversation.seller_unread), 0))
        .where(Conversation.seller_id == user_id, Conversation.seller_unread > _ZERO)
        .scalar_subquery()
    )
    return as_buyer + as_seller


def unread_notifications_query(user_id: int):
    """``user_id``'s unread notifications, as a scalar subquery (a partial index)."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def badges(session: Session, user_id: int) -> Badges:
    """The three counts, in one round trip."""
    cart, messages, notifications = session.exec(
        select(
            cart_lines_query(user_id),
            unread_messages_query(user_id),
            unread_notifications_query(user_id),
        )
    ).one()
    return Badges(int(cart), int(messages), int(notifications))


def unread_counts(session: Session, user_id: int) -> tuple[int, int]:
    """Unread messages and notifications (what the header refreshes), in one round trip."""
    messages, notifications = session.exec(
        select(unread_messages_query(user_id), unread_notifications_query(user_id))
    ).one()
    return int(messages), int(notifications)

"""Conversations about an item between its seller and one buyer: opening one, its id in the
address, and the errors of every conversation step.

One conversation per (item, buyer), opened by the buyer; only its two participants can read
it or write in it (anyone else is told it does not exist, as for an id that does not).
Writing in one is ``core.messaging.messages``; what the inbox shows (the list, one
conversation) is ``core.messaging.inbox``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, insert, literal
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.db import begin_write
from core.errors import BlockedError, UserError
from core.i18n import _
from core.models.base import ID_MAX, id_literal, utcnow
from core.models.catalogue import Item, ItemStatus
from core.models.messaging import Conversation
from core.models.moderation import blocked_between

# --- errors -------------------------------------------------------------------------------


class ConversationError(UserError):
    """A conversation step that was refused; ``str(exc)`` is for the user."""


class ConversationNotFoundError(ConversationError):
    """No such conversation, or not one of this user's: the same sentence for both."""

    def __init__(self) -> None:
        super().__init__(_("Conversation not found."))


def conversation_id_from_text(raw: str | None) -> int:
    """The id in ``?c=``, or ConversationNotFoundError. ASCII digits only (``int()`` would
    also read "١", " 7" or "1_0")."""
    if not raw or len(raw) > 10 or not (raw.isascii() and raw.isdigit()):
        raise ConversationNotFoundError()
    value = int(raw)
    if not 0 < value <= ID_MAX:
        raise ConversationNotFoundError()
    return value


def aware(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (SQLite and PostgreSQL give naive UTC back)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- opening a conversation -------------------------------------------------------------------


def existing_conversation(session: Session, buyer_id: int, item_id: int) -> int | None:
    """The id of the buyer's conversation about the item, if they opened one."""
    return session.exec(
        select(Conversation.id).where(
            Conversation.item_id == item_id, Conversation.buyer_id == buyer_id
        )
    ).first()


def open_conversation(session: Session, buyer_id: int, item_id: int) -> int:
    """The buyer's conversation with the item's seller: the existing one, or a new one.

    A new one needs an available item of another seller; a sold item keeps the
    conversations it had. Two tabs opening it at once get the same one (the unique
    (item, buyer) constraint). Raises ConversationError.
    """
    found = existing_conversation(session, buyer_id, item_id)
    session.rollback()  # the read only looked: the insert below starts its own transaction
    if found is not None:
        return found
    now = utcnow()
    openable = (
        select(
            Item.id,
            Item.title,
            id_literal(buyer_id),
            Item.seller_id,
            literal(now, Conversation.created_at.type),
            literal(now, Conversation.last_message_at.type),
        )
        .where(
            Item.id == item_id,
            Item.status == ItemStatus.AVAILABLE.value,
            Item.seller_id != buyer_id,
            ~blocked_between(buyer_id, Item.seller_id),
        )
        .subquery()
    )
    statement = (
        insert(Conversation.__table__)
        .from_select(
            ["item_id", "item_title", "buyer_id", "seller_id", "created_at", "last_message_at"],
            select(*openable.c),
        )
        .returning(Conversation.__table__.c.id)
    )
    try:
        begin_write(session)
        made = session.exec(statement).all()
        if made:
            session.commit()
            return made[0][0]
        session.rollback()
    except IntegrityError:  # opened a moment ago (another tab): use that one
        session.rollback()
    found = existing_conversation(session, buyer_id, item_id)
    item = session.exec(
        select(Item.seller_id, Item.status, blocked_between(buyer_id, Item.seller_id)).where(
            Item.id == item_id
        )
    ).first()
    session.rollback()  # the reads only explain
    if found is not None:
        return found
    if item is None:
        raise ConversationError(_("This item does not exist (it may have been removed)."))
    if item.seller_id == buyer_id:
        raise ConversationError(_("This is your own item: buyers write to you about it."))
    if item.status != ItemStatus.AVAILABLE.value:
        raise ConversationError(_("This item is sold: it can no longer be discussed."))
    if item[2]:
        raise BlockedError()
    raise ConversationError(_("The conversation could not be opened; try again."))


def conversations_about(session: Session, seller_id: int, item_id: int) -> int:
    """How many buyers wrote to the seller about this item."""
    return session.exec(
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.item_id == item_id, Conversation.seller_id == seller_id)
    ).one()

"""Messages in a conversation: typed text and offer events, written by its participants.

Messages are plain text, capped at ``MESSAGE_MAX`` characters, and rate-limited per sender.
A message is one transaction: the conversation's conditional UPDATE (participant, rate
limit: the first statement), the other side's unread count +1, the message row and the
notification. The offers of ``core.trade.offers`` post their events through the same helpers
(``touch``, ``add_message``); ``describe_event`` says an event as a sentence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, case, func, or_, update
from sqlmodel import Session, select

from core.db import RATE_LIMIT_LOCKS, begin_keyed_write, begin_write
from core.errors import BlockedError, UserError
from core.i18n import _, ngettext
from core.messaging.badges import unread_messages_query
from core.messaging.conversations import ConversationError, ConversationNotFoundError, aware
from core.messaging.notifications import Kind, mark_conversation_read, notify
from core.models.base import utcnow
from core.models.messaging import MESSAGE_MAX, Conversation, Message, MessageKind
from core.models.moderation import blocked_between
from core.money import format_eur
from core.text import text_problem

# At most this many typed messages and offers per sender: enough for any real exchange,
# too few to flood someone's inbox. Answers to offers and system events are not counted.
MESSAGES_PER_MINUTE = 10


MESSAGES_PER_HOUR = 100


RATE_WINDOWS = (
    (timedelta(minutes=1), MESSAGES_PER_MINUTE),
    (timedelta(hours=1), MESSAGES_PER_HOUR),
)


_RATED_KINDS = (MessageKind.TEXT.value, MessageKind.OFFER.value)


class OfferEnd(StrEnum):
    """Why an offer ended: the body of its ``offer_ended`` message."""

    WITHDRAWN = "withdrawn"  # by its author
    SOLD = "sold"  # the item was sold (to anyone)
    PRICE = "price"  # the seller lowered the asking price to the offer or below
    REMOVED = "removed"  # the seller deleted the listing


class MessageError(ConversationError):
    """A message that cannot be sent as typed."""


class RateLimitedError(ConversationError):
    """Too many messages in a short time; ``retry_at`` is when the next one is allowed."""

    def __init__(self, retry_at: datetime, now: datetime):
        wait = max(1, math.ceil((retry_at - now).total_seconds()))
        if wait < 90:
            message = ngettext(
                "You are sending messages too quickly: you can write again in {n} second.",
                "You are sending messages too quickly: you can write again in {n} seconds.",
                wait,
            ).format(n=wait)
        else:
            minutes = math.ceil(wait / 60)
            message = ngettext(
                "You are sending messages too quickly: you can write again in {n} minute.",
                "You are sending messages too quickly: you can write again in {n} minutes.",
                minutes,
            ).format(n=minutes)
        super().__init__(message)
        self.retry_at = retry_at


def check_message(body: str | None) -> str:
    """The message as it will be stored (surrounding blanks removed); MessageError if it
    is empty, too long or holds characters that cannot be stored."""
    if problem := text_problem(body, multiline=True):
        raise MessageError(problem)
    text = (body or "").strip()
    if not text:
        raise MessageError(_("Write a message first."))
    if len(text) > MESSAGE_MAX:
        raise MessageError(
            _("A message can be at most {limit} characters (this one has {n}).").format(
                limit=MESSAGE_MAX, n=len(text)
            )
        )
    return text


def under_rate_limit(sender_id: int, now: datetime):
    """SQL: the sender may write one more message now (counted on (sender_id, created_at))."""
    return and_(
        *(
            select(func.count())
            .select_from(Message)
            .where(
                Message.sender_id == sender_id,
                Message.created_at > now - window,
                Message.kind.in_(_RATED_KINDS),
            )
            .scalar_subquery()
            < limit
            for window, limit in RATE_WINDOWS
        )
    )


def next_allowed(session: Session, sender_id: int, now: datetime) -> datetime | None:
    """When the sender may write again, or None if they may now."""
    moments = []
    for window, limit in RATE_WINDOWS:
        oldest_counted = session.exec(
            select(Message.created_at)
            .where(
                Message.sender_id == sender_id,
                Message.created_at > now - window,
                Message.kind.in_(_RATED_KINDS),
            )
            .order_by(Message.created_at.desc())
            .offset(limit - 1)
            .limit(1)
        ).first()
        if oldest_counted is not None:  # the window holds `limit`: wait until it leaves
            moments.append(aware(oldest_counted) + window)
    return max(moments) if moments else None


@dataclass(frozen=True)
class Participants:
    """A conversation as a step that writes in it needs it."""

    id: int
    buyer_id: int
    seller_id: int
    item_id: int | None
    item_title: str

    def other(self, user_id: int) -> int:
        return self.seller_id if user_id == self.buyer_id else self.buyer_id


def touch(session: Session, conversation_id: int, sender_id: int, now: datetime, *where):
    """The conditional UPDATE of a message: the other side's unread +1 and the time of the
    last message, if ``sender_id`` is a participant (and ``where`` holds). The row as
    Participants, or None if nothing matched (caller's transaction, no commit)."""
    row = session.exec(
        update(Conversation)
        .where(
            Conversation.id == conversation_id,
            or_(Conversation.buyer_id == sender_id, Conversation.seller_id == sender_id),
            *where,
        )
        .values(
            buyer_unread=Conversation.buyer_unread
            + case((Conversation.buyer_id == sender_id, 0), else_=1),
            seller_unread=Conversation.seller_unread
            + case((Conversation.seller_id == sender_id, 0), else_=1),
            last_message_at=now,
        )
        .returning(
            Conversation.id,
            Conversation.buyer_id,
            Conversation.seller_id,
            Conversation.item_id,
            Conversation.item_title,
        )
    ).first()
    return None if row is None else Participants(*row)


def add_message(
    session: Session,
    conversation_id: int,
    sender_id: int,
    kind: MessageKind,
    now: datetime,
    *,
    body: str = "",
    offer_id: int | None = None,
) -> int:
    """Insert one message (caller's transaction); its id."""
    message = Message(
        conversation_id=conversation_id,
        sender_id=sender_id,
        kind=kind.value,
        body=body,
        offer_id=offer_id,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message.id


def send_message(session: Session, sender_id: int, conversation_id: int, body: str) -> int:
    """Write ``body`` in the conversation as ``sender_id``, in one transaction with the
    other side's unread count, the time of the last message and their notification.
    Returns the message id. Raises MessageError, RateLimitedError or
    ConversationNotFoundError (not a participant, or no such conversation)."""
    text = check_message(body)
    now = utcnow()
    try:
        begin_keyed_write(session, RATE_LIMIT_LOCKS, sender_id)  # counted one at a time
        talk = touch(
            session,
            conversation_id,
            sender_id,
            now,
            under_rate_limit(sender_id, now),
            ~blocked_between(Conversation.buyer_id, Conversation.seller_id),
        )
        if talk is None:
            raise _refused(session, sender_id, conversation_id, now)
        message_id = add_message(session, talk.id, sender_id, MessageKind.TEXT, now, body=text)
        notify(
            session,
            talk.other(sender_id),
            Kind.MESSAGE,
            actor_id=sender_id,
            item_id=talk.item_id,
            item_title=talk.item_title,
            conversation_id=talk.id,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return message_id


def _refused(session: Session, user_id: int, conversation_id: int, now: datetime) -> UserError:
    """Why a write in a conversation matched nothing (after a rollback)."""
    session.rollback()
    mine = session.exec(
        select(
            Conversation.id, blocked_between(Conversation.buyer_id, Conversation.seller_id)
        ).where(
            Conversation.id == conversation_id,
            or_(Conversation.buyer_id == user_id, Conversation.seller_id == user_id),
        )
    ).first()
    retry_at = next_allowed(session, user_id, now) if mine is not None else None
    session.rollback()  # the reads only explain
    if mine is None:
        return ConversationNotFoundError()
    if mine[1]:
        return BlockedError()
    if retry_at is not None:
        return RateLimitedError(retry_at, now)
    return ConversationError(_("The message could not be sent; try again."))


def mark_read(session: Session, user_id: int, conversation_id: int) -> bool:
    """The user opened the conversation: their unread count is 0 and its message
    notification is seen. Writes only when something was unread; True if it was. Starts
    its own transaction: call it with no read open in the session (SQLite's write lock)."""
    is_buyer = Conversation.buyer_id == user_id
    is_seller = Conversation.seller_id == user_id
    try:
        begin_write(session)
        done = session.exec(
            update(Conversation)
            .where(
                Conversation.id == conversation_id,
                or_(
                    and_(is_buyer, Conversation.buyer_unread > 0),
                    and_(is_seller, Conversation.seller_unread > 0),
                ),
            )
            .values(
                buyer_unread=case((is_buyer, 0), else_=Conversation.buyer_unread),
                seller_unread=case((is_seller, 0), else_=Conversation.seller_unread),
            )
            .returning(Conversation.id)
        ).all()
        if done:
            mark_conversation_read(session, user_id, conversation_id)
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    return bool(done)


def unread_total(session: Session, user_id: int) -> int:
    """The navigation's badge: unread messages over all the user's conversations (the same
    subquery Home.py reads with the other badges, ``core.messaging.badges``)."""
    return int(session.exec(select(unread_messages_query(user_id))).one())


def describe_event(
    kind: MessageKind, sender_name: str | None, price_cents: int | None, body: str = ""
) -> str:
    """An offer event as a sentence in the reader's language (plain text: pages escape it
    for markdown). ``sender_name`` None: the reader's own event ("You offered..."); an
    offer whose price is gone is named without it."""
    mine = sender_name is None
    if price_cents is None:
        return _event_without_price(kind, mine, body).format(who=sender_name)
    match kind:
        case MessageKind.OFFER:
            sentence = _("You offered {price}.") if mine else _("{who} offered {price}.")
        case MessageKind.OFFER_ACCEPTED:
            sentence = _("You accepted {price}.") if mine else _("{who} accepted {price}.")
        case MessageKind.OFFER_DECLINED:
            sentence = _("You declined {price}.") if mine else _("{who} declined {price}.")
        case MessageKind.OFFER_ENDED:
            match body:
                case OfferEnd.WITHDRAWN:
                    sentence = (
                        _("You withdrew the offer of {price}.")
                        if mine
                        else _("{who} withdrew the offer of {price}.")
                    )
                case OfferEnd.SOLD:
                    sentence = _("The item was sold: the offer of {price} has ended.")
                case OfferEnd.PRICE:
                    sentence = _("The asking price went down: the offer of {price} has ended.")
                case OfferEnd.REMOVED:
                    sentence = _("The listing was removed: the offer of {price} has ended.")
                case _:
                    sentence = _("The offer of {price} has ended.")
        case _:
            return body
    return sentence.format(who=sender_name, price=format_eur(price_cents))


def _event_without_price(kind: MessageKind, mine: bool, body: str) -> str:
    """The sentence of an event whose offer no longer exists (its price is unknown)."""
    match kind:
        case MessageKind.OFFER:
            return _("You made an offer.") if mine else _("{who} made an offer.")
        case MessageKind.OFFER_ACCEPTED:
            return _("You accepted the offer.") if mine else _("{who} accepted the offer.")
        case MessageKind.OFFER_DECLINED:
            return _("You declined the offer.") if mine else _("{who} declined the offer.")
        case MessageKind.OFFER_ENDED if body == OfferEnd.WITHDRAWN:
            return _("You withdrew the offer.") if mine else _("{who} withdrew the offer.")
        case MessageKind.OFFER_ENDED:
            return _("The offer has ended.")
    return body.replace("{", "{{").replace("}", "}}")

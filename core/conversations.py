"""Conversations about an item between its seller and one buyer, and their messages.

One conversation per (item, buyer), opened by the buyer; only its two participants can read
it or write in it (anyone else is told it does not exist, as for an id that does not).
Messages are plain text, capped at ``MESSAGE_MAX`` characters, and rate-limited per sender.
A message is one transaction: the conversation's conditional UPDATE (participant, rate
limit: the first statement), the other side's unread count +1, the message row and the
notification. The offers of ``core.offers`` post their events through the same helpers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, case, func, insert, literal, or_, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from core.badges import unread_messages_query
from core.db import begin_write
from core.errors import UserError
from core.i18n import _, ngettext
from core.models.accounts import User
from core.models.base import utcnow
from core.models.catalogue import Item, ItemStatus, Photo
from core.models.messaging import MESSAGE_MAX, Conversation, Message, MessageKind
from core.models.trade import Offer, OfferStatus
from core.money import format_eur
from core.notifications import Kind, mark_conversation_read, notify
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
INBOX_LIMIT = 100  # the latest conversations the inbox lists
MESSAGES_SHOWN = 200  # the latest messages a conversation shows
PREVIEW_CHARS = 80
MAX_ID = 2**31 - 1  # PostgreSQL's integer


class OfferEnd(StrEnum):
    """Why an offer ended: the body of its ``offer_ended`` message."""

    WITHDRAWN = "withdrawn"  # by its author
    SOLD = "sold"  # the item was sold (to anyone)
    PRICE = "price"  # the seller lowered the asking price to the offer or below
    REMOVED = "removed"  # the seller deleted the listing


# --- errors -------------------------------------------------------------------------------


class ConversationError(UserError):
    """A conversation step that was refused; ``str(exc)`` is for the user."""


class ConversationNotFoundError(ConversationError):
    """No such conversation, or not one of this user's: the same sentence for both."""

    def __init__(self) -> None:
        super().__init__(_("Conversation not found."))


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


def conversation_id_from_text(raw: str | None) -> int:
    """The id in ``?c=``, or ConversationNotFoundError. ASCII digits only (``int()`` would
    also read "١", " 7" or "1_0")."""
    if not raw or len(raw) > 10 or not (raw.isascii() and raw.isdigit()):
        raise ConversationNotFoundError()
    value = int(raw)
    if not 0 < value <= MAX_ID:
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
            literal(buyer_id),
            Item.seller_id,
            literal(now, Conversation.created_at.type),
            literal(now, Conversation.last_message_at.type),
        )
        .where(
            Item.id == item_id,
            Item.status == ItemStatus.AVAILABLE.value,
            Item.seller_id != buyer_id,
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
    item = session.exec(select(Item.seller_id, Item.status).where(Item.id == item_id)).first()
    session.rollback()  # the reads only explain
    if found is not None:
        return found
    if item is None:
        raise ConversationError(_("This item does not exist (it may have been removed)."))
    if item.seller_id == buyer_id:
        raise ConversationError(_("This is your own item: buyers write to you about it."))
    if item.status != ItemStatus.AVAILABLE.value:
        raise ConversationError(_("This item is sold: it can no longer be discussed."))
    raise ConversationError(_("The conversation could not be opened; try again."))


def conversations_about(session: Session, seller_id: int, item_id: int) -> int:
    """How many buyers wrote to the seller about this item."""
    return session.exec(
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.item_id == item_id, Conversation.seller_id == seller_id)
    ).one()


# --- writing ----------------------------------------------------------------------------------


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
        begin_write(session)
        talk = touch(session, conversation_id, sender_id, now, under_rate_limit(sender_id, now))
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
        select(Conversation.id).where(
            Conversation.id == conversation_id,
            or_(Conversation.buyer_id == user_id, Conversation.seller_id == user_id),
        )
    ).first()
    retry_at = next_allowed(session, user_id, now) if mine is not None else None
    session.rollback()  # the reads only explain
    if mine is None:
        return ConversationNotFoundError()
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
    subquery Home.py reads with the other badges, ``core.badges``)."""
    return int(session.exec(select(unread_messages_query(user_id))).one())


# --- reading ----------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class InboxEntry:
    """One conversation in the user's inbox."""

    id: int
    item_id: int | None  # None: the listing was deleted
    item_title: str
    thumbnail: bytes | None
    other_name: str
    unread: int  # this user's unread messages in it
    last_message_at: datetime
    preview: str  # the last message, shortened ("" before the first one)
    last_is_mine: bool


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1].rstrip() + "…"


def inbox(session: Session, user_id: int, limit: int = INBOX_LIMIT) -> list[InboxEntry]:
    """The user's conversations, the latest message first, with the other person's name,
    the item's title and cover thumbnail, the last message and this user's unread count.
    One query: each side's latest ``limit`` from its (user, last_message_at) index."""
    latest = [
        select(Conversation.id)
        .where(column == user_id)
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(limit)
        .subquery()
        for column in (Conversation.buyer_id, Conversation.seller_id)
    ]
    ids = union_all(*(select(sub.c.id) for sub in latest))
    other = aliased(User)
    sender = aliased(User)
    last = aliased(Message)
    is_buyer = Conversation.buyer_id == user_id
    last_id = (
        select(func.max(last.id))
        .where(last.conversation_id == Conversation.id)
        .correlate(Conversation)
        .scalar_subquery()
    )
    rows = session.exec(
        select(
            Conversation.id,
            Conversation.item_id,
            func.coalesce(Item.title, Conversation.item_title),
            Photo.thumbnail,
            other.display_name,
            case((is_buyer, Conversation.buyer_unread), else_=Conversation.seller_unread),
            Conversation.last_message_at,
            Message.kind,
            Message.body,
            Message.sender_id,
            sender.display_name,
            Offer.price_cents,
        )
        .join(
            other,
            other.id == case((is_buyer, Conversation.seller_id), else_=Conversation.buyer_id),
        )
        .join(Item, Item.id == Conversation.item_id, isouter=True)
        .join(
            Photo,
            and_(Photo.item_id == Conversation.item_id, Photo.position == 0),
            isouter=True,
        )
        .join(Message, Message.id == last_id, isouter=True)
        .join(sender, sender.id == Message.sender_id, isouter=True)
        .join(Offer, Offer.id == Message.offer_id, isouter=True)
        .where(Conversation.id.in_(ids))
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(limit)
    ).all()
    entries = []
    for (
        cid, item_id, title, thumb, other_name, unread, at, kind, body, sender_id, sender_name,
        price,
    ) in rows:  # fmt: skip
        if kind is None:
            preview = ""
        elif kind == MessageKind.TEXT.value:
            preview = _preview(body)
        else:
            name = None if sender_id == user_id else sender_name
            preview = describe_event(MessageKind(kind), name, price, body)
        entries.append(
            InboxEntry(
                id=cid,
                item_id=item_id,
                item_title=title,
                thumbnail=thumb,
                other_name=other_name,
                unread=unread,
                last_message_at=aware(at),
                preview=preview,
                last_is_mine=sender_id == user_id,
            )
        )
    return entries


@dataclass(frozen=True)
class MessageView:
    id: int
    sender_id: int
    sender_name: str
    mine: bool
    kind: MessageKind
    body: str
    price_cents: int | None  # the offer's price, for offer events
    created_at: datetime

    @property
    def text(self) -> str:
        """What the message says: the typed text, or the offer event as a sentence."""
        if self.kind is MessageKind.TEXT:
            return self.body
        who = None if self.mine else self.sender_name
        return describe_event(self.kind, who, self.price_cents, self.body)


@dataclass(frozen=True)
class OfferView:
    """An open offer as the viewer sees it."""

    id: int
    price_cents: int
    made_by_me: bool
    status: OfferStatus
    created_at: datetime
    expires_at: datetime | None  # accepted offers: the buyer's price until then


@dataclass(frozen=True)
class ConversationView:
    """A conversation as one of its two participants sees it."""

    id: int
    viewer_id: int
    buyer_id: int
    seller_id: int
    buyer_name: str
    seller_name: str
    item_id: int | None  # None: the listing was deleted
    item_title: str
    item_available: bool
    asking_cents: int | None  # the item's current price (None: deleted)
    thumbnail: bytes | None
    unread: int  # the viewer's unread count (before mark_read)
    messages: list[MessageView]
    earlier: bool  # older messages exist than those shown
    pending: OfferView | None  # the offer waiting for an answer (item still for sale)
    accepted: OfferView | None  # the buyer's live accepted offer (not expired, not used)

    @property
    def is_buyer(self) -> bool:
        return self.viewer_id == self.buyer_id

    @property
    def other_name(self) -> str:
        return self.seller_name if self.is_buyer else self.buyer_name

    @property
    def can_offer(self) -> bool:
        """The buyer may make an offer now (what ``core.offers.make_offer`` checks)."""
        return (
            self.is_buyer and self.item_available and self.pending is None and self.accepted is None
        )

    @property
    def accepted_price_cents(self) -> int | None:
        """The price the buyer pays with the accepted offer: never above the asking price."""
        if self.accepted is None or self.asking_cents is None:
            return None
        return min(self.accepted.price_cents, self.asking_cents)


def conversation(session: Session, user_id: int, conversation_id: int) -> ConversationView:
    """The conversation, its latest messages and its open offers, for one of its two
    participants; ConversationNotFoundError for anyone else (and for no such id).
    Three queries whatever its length."""
    buyer = aliased(User)
    seller = aliased(User)
    row = session.exec(
        select(Conversation, buyer.display_name, seller.display_name, Item, Photo.thumbnail)
        .join(buyer, buyer.id == Conversation.buyer_id)
        .join(seller, seller.id == Conversation.seller_id)
        .join(Item, Item.id == Conversation.item_id, isouter=True)
        .join(
            Photo,
            and_(Photo.item_id == Conversation.item_id, Photo.position == 0),
            isouter=True,
        )
        .where(
            Conversation.id == conversation_id,
            or_(Conversation.buyer_id == user_id, Conversation.seller_id == user_id),
        )
    ).first()
    if row is None:
        raise ConversationNotFoundError()
    talk, buyer_name, seller_name, item, thumb = row
    names = {talk.buyer_id: buyer_name, talk.seller_id: seller_name}
    rows = session.exec(
        select(Message, Offer.price_cents)
        .join(Offer, Offer.id == Message.offer_id, isouter=True)
        .where(Message.conversation_id == talk.id)
        .order_by(Message.id.desc())
        .limit(MESSAGES_SHOWN + 1)
    ).all()
    earlier = len(rows) > MESSAGES_SHOWN
    messages = [
        MessageView(
            id=m.id,
            sender_id=m.sender_id,
            sender_name=names.get(m.sender_id) or _("Someone"),
            mine=m.sender_id == user_id,
            kind=MessageKind(m.kind),
            body=m.body,
            price_cents=price,
            created_at=aware(m.created_at),
        )
        for m, price in reversed(rows[:MESSAGES_SHOWN])
    ]
    available = item is not None and item.status == ItemStatus.AVAILABLE.value
    pending = accepted = None
    if available:
        now = utcnow()
        offers = session.exec(
            select(Offer)
            .where(
                Offer.conversation_id == talk.id,
                Offer.item_id == item.id,
                or_(
                    Offer.status == OfferStatus.PENDING.value,
                    and_(Offer.status == OfferStatus.ACCEPTED.value, Offer.expires_at > now),
                ),
            )
            .order_by(Offer.id)
        ).all()
        for offer in offers:
            view = OfferView(
                id=offer.id,
                price_cents=offer.price_cents,
                made_by_me=offer.made_by == user_id,
                status=OfferStatus(offer.status),
                created_at=aware(offer.created_at),
                expires_at=aware(offer.expires_at) if offer.expires_at else None,
            )
            if view.status is OfferStatus.PENDING:
                pending = view
            else:
                accepted = view
    return ConversationView(
        id=talk.id,
        viewer_id=user_id,
        buyer_id=talk.buyer_id,
        seller_id=talk.seller_id,
        buyer_name=buyer_name,
        seller_name=seller_name,
        item_id=talk.item_id,
        item_title=item.title if item is not None else talk.item_title,
        item_available=available,
        asking_cents=item.price_cents if item is not None else None,
        thumbnail=thumb,
        unread=talk.buyer_unread if user_id == talk.buyer_id else talk.seller_unread,
        messages=messages,
        earlier=earlier,
        pending=pending,
        accepted=accepted,
    )

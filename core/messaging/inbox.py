"""What the inbox page reads: the user's conversations, the latest first (``inbox``), and
one conversation as one of its two participants sees it, with its latest messages and open
offers (``conversation``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from core.i18n import _
from core.messaging.conversations import ConversationNotFoundError, aware
from core.messaging.messages import describe_event
from core.models.accounts import User
from core.models.base import utcnow
from core.models.catalogue import Item, ItemStatus, Photo
from core.models.messaging import Conversation, Message, MessageKind
from core.models.trade import Offer, OfferStatus

INBOX_LIMIT = 100  # the latest conversations the inbox lists


MESSAGES_SHOWN = 200  # the latest messages a conversation shows


PREVIEW_CHARS = 80


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
        """The buyer may make an offer now (what ``core.trade.offers.make_offer`` checks)."""
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

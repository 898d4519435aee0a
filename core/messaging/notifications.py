"""In-app notifications: what happened for a user since they last looked (the bell).

A step that notifies (a message, an offer answered, a sale, a parcel shipped or received,
a review) calls ``notify()`` inside its own transaction, so that the notification exists
exactly when the step happened. The text is made at display time from the kind and the
few facts stored with it (``describe``), never stored as a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from core.i18n import _
from core.messaging.badges import unread_notifications_query
from core.models.accounts import User
from core.models.base import utcnow
from core.models.messaging import Notification
from core.money import format_eur

RECENT_LIMIT = 30


class Kind(StrEnum):
    MESSAGE = "message"  # a new message in a conversation (one unread per conversation)
    OFFER_MADE = "offer_made"  # the buyer offers a price (to the seller)
    OFFER_COUNTERED = "offer_countered"  # the other side proposes another price
    OFFER_ACCEPTED = "offer_accepted"  # to the buyer: the seller accepted their price
    COUNTER_ACCEPTED = "counter_accepted"  # to the seller: the buyer accepted their counter
    OFFER_DECLINED = "offer_declined"
    ITEM_SOLD = "item_sold"  # to the seller, per order
    ORDER_SHIPPED = "order_shipped"  # to the buyer
    ORDER_RECEIVED = "order_received"  # to the seller
    REVIEW = "review"  # to the seller
    LISTING_HIDDEN = "listing_hidden"  # to the seller: an administrator hid it (note: why)
    LISTING_RESTORED = "listing_restored"  # to the seller: it is on sale again (note: why)


def notify(
    session: Session,
    user_id: int,
    kind: Kind,
    *,
    actor_id: int | None = None,
    item_id: int | None = None,
    item_title: str = "",
    conversation_id: int | None = None,
    order_id: int | None = None,
    price_cents: int | None = None,
    note: str = "",
) -> None:
    """Record a notification for ``user_id`` in the caller's transaction (no commit).

    New messages of one conversation make one unread notification, brought up to date by
    each message, not one per message: a chatty conversation does not bury the rest.
    """
    now = utcnow()
    if kind is Kind.MESSAGE and conversation_id is not None:
        bumped = session.exec(
            update(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.kind == Kind.MESSAGE.value,
                Notification.conversation_id == conversation_id,
                Notification.read_at.is_(None),
            )
            .values(created_at=now, actor_id=actor_id)
            .returning(Notification.id)
        ).all()
        if bumped:
            return
    session.add(
        Notification(
            user_id=user_id,
            kind=kind.value,
            actor_id=actor_id,
            item_id=item_id,
            item_title=item_title,
            conversation_id=conversation_id,
            order_id=order_id,
            price_cents=price_cents,
            note=note,
            created_at=now,
        )
    )
    session.flush()


def unread_count(session: Session, user_id: int) -> int:
    """How many notifications the user has not seen (a partial index: unread rows only)."""
    return session.exec(select(unread_notifications_query(user_id))).one()


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: Kind
    actor_name: str | None
    item_id: int | None
    item_title: str
    conversation_id: int | None
    order_id: int | None
    price_cents: int | None
    created_at: datetime
    unread: bool
    note: str = ""  # a moderator's reason

    @property
    def text(self) -> str:
        return describe(self)


def recent(session: Session, user_id: int, limit: int = RECENT_LIMIT) -> list[NotificationView]:
    """The user's latest notifications, newest first."""
    actor = aliased(User)
    rows = session.exec(
        select(Notification, actor.display_name)
        .join(actor, actor.id == Notification.actor_id, isouter=True)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()
    return [
        NotificationView(
            id=n.id,
            kind=Kind(n.kind),
            actor_name=name,
            item_id=n.item_id,
            item_title=n.item_title,
            conversation_id=n.conversation_id,
            order_id=n.order_id,
            price_cents=n.price_cents,
            created_at=n.created_at,
            unread=n.read_at is None,
            note=n.note or "",
        )
        for n, name in rows
    ]


MARK_READ_BATCH = 1000  # ids per statement when marking given notifications read


def mark_read(
    session: Session, user_id: int, ids: list[int] | None = None, *, up_to_id: int | None = None
) -> int:
    """Mark the user's unread notifications read (only ``ids`` if given; only those up to
    ``up_to_id``, the newest the person saw, if given); how many were. Only the user's own:
    another user's ids are ignored."""
    where = [Notification.user_id == user_id, Notification.read_at.is_(None)]
    if up_to_id is not None:  # what came after the page was read stays new
        where.append(Notification.id <= up_to_id)
    if ids is None:
        batches: list[list[int] | None] = [None]
    else:  # a statement takes so many values at most (SQLite 32 766, PostgreSQL 65 535)
        unique = sorted(set(ids))
        batches = [
            unique[at : at + MARK_READ_BATCH] for at in range(0, len(unique), MARK_READ_BATCH)
        ]
    now, done = utcnow(), 0
    try:
        for batch in batches:
            chosen = [] if batch is None else [Notification.id.in_(batch)]
            done += len(
                session.exec(
                    update(Notification)
                    .where(*where, *chosen)
                    .values(read_at=now)
                    .returning(Notification.id)
                ).all()
            )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return done


def mark_conversation_read(session: Session, user_id: int, conversation_id: int) -> None:
    """The conversation was opened: its message notification is seen (caller commits)."""
    session.exec(
        update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.conversation_id == conversation_id,
            Notification.kind == Kind.MESSAGE.value,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )


def describe(n: NotificationView) -> str:
    """The notification as a sentence in the person's language (plain text: pages escape it
    for markdown). A person or an item that is gone is named "Someone", "an item"."""
    facts = {
        "who": n.actor_name or _("Someone"),
        "title": _("“{title}”").format(title=n.item_title) if n.item_title else _("an item"),
        "price": format_eur(n.price_cents) if n.price_cents is not None else "",
        "note": n.note,
    }
    sentence = "{who}: {title}"  # a kind this version does not know
    match n.kind:
        case Kind.MESSAGE:
            sentence = _("{who} sent you a message about {title}.")
        case Kind.OFFER_MADE:
            sentence = _("{who} offers {price} for {title}.")
        case Kind.OFFER_COUNTERED:
            sentence = _("{who} proposes {price} for {title}.")
        case Kind.OFFER_ACCEPTED:
            sentence = _(
                "{who} accepted {price} for {title}: buy it within 48 hours at that price."
            )
        case Kind.COUNTER_ACCEPTED:
            sentence = _("{who} accepted your price of {price} for {title}: they may buy it now.")
        case Kind.OFFER_DECLINED:
            sentence = _("{who} declined your offer of {price} for {title}.")
        case Kind.ITEM_SOLD:
            sentence = _("{who} bought {title}: ship it to them.")
        case Kind.ORDER_SHIPPED:
            sentence = _("{who} shipped {title}.")
        case Kind.ORDER_RECEIVED:
            sentence = _("{who} received {title}.")
        case Kind.REVIEW:
            sentence = _("{who} reviewed you for {title}.")
        case Kind.LISTING_HIDDEN:
            sentence = _("The administrators hid your listing {title}. Reason: {note}")
        case Kind.LISTING_RESTORED:
            sentence = _("The administrators put your listing {title} back on sale. Reason: {note}")
    return sentence.format(**facts)

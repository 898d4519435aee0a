"""Offers: a price proposed in a conversation, answered by the other side. Here: the rules
of a price, the buyer's offer, and the offers a sale, a price change or a deletion ends; the
answers are in ``core.trade.offer_answers``, what the checkout honours in
``core.trade.accepted_offers``.

The buyer offers a price below the asking price; the side an offer is addressed to accepts
it, declines it, or counters it with another price (the offer becomes ``countered`` and the
counter is a new pending offer, addressed the other way). At most one offer per
conversation waits for an answer: a new offer needs the pending one withdrawn by its author
or answered by the other side, so a double click or a second tab never makes two. While the
buyer holds a live accepted offer, they make no new one: they buy at that price.

An accepted offer is that buyer's price for ``ACCEPTED_HOURS``, for that item, once: the
checkout (``core.trade.checkout``, through ``core.trade.accepted_offers``) marks it ``used``
in the transaction that sells the item, and a sale to anyone ends the item's other open
offers. Past ``expires_at`` it is not honoured (decided at read time). A listing edit keeps
the offers, except a price change: pending offers at or above the new asking price end, and
an accepted offer is never worth more than the asking price (a lower asking price applies
instead).

Every step is one transaction whose write is conditional (``WHERE status = 'pending'``,
the right side, the item still for sale) and that posts its event message, the other side's
unread count and a notification. Steps that make or accept a price first lock the item's
row for share (PostgreSQL; SQLite has one writer at a time): a checkout or a listing edit
of that item waits for them or they wait for it, so an offer is never accepted, nor made,
for an item sold meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, insert, literal, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.db import RATE_LIMIT_LOCKS, begin_keyed_write
from core.errors import BlockedError, UserError
from core.i18n import _, format_moment
from core.messaging.conversations import ConversationNotFoundError, aware
from core.messaging.messages import (
    OfferEnd,
    RateLimitedError,
    add_message,
    next_allowed,
    touch,
    under_rate_limit,
)
from core.messaging.notifications import Kind, notify
from core.models.base import id_literal, utcnow
from core.models.catalogue import MAX_PRICE_CENTS, Item, ItemStatus
from core.models.messaging import Conversation, MessageKind
from core.models.moderation import blocked_between
from core.models.trade import Offer, OfferStatus
from core.money import format_eur

ACCEPTED_HOURS = 48
ACCEPTED_FOR = timedelta(hours=ACCEPTED_HOURS)
MIN_OFFER_CENTS = 1


class OfferError(UserError):
    """An offer step that was refused; ``str(exc)`` is for the user."""


class OfferNotFoundError(OfferError):
    """No such offer, or not in one of this user's conversations: the same sentence."""

    def __init__(self) -> None:
        super().__init__(_("This offer does not exist."))


def check_offer_price(price_cents: int, asking_cents: int, *, buyer: bool = True) -> int:
    """``price_cents`` if it can be offered (by the buyer, or countered by the seller) for an
    item at ``asking_cents``; OfferError."""
    if price_cents < MIN_OFFER_CENTS:
        raise OfferError(
            _("An offer must be at least {price}.").format(price=format_eur(MIN_OFFER_CENTS))
        )
    if price_cents >= asking_cents or price_cents > MAX_PRICE_CENTS:
        if buyer:
            message = _(
                "An offer must be below the asking price ({price}): at that price, simply buy it."
            )
        else:  # the seller: the asking price is theirs to keep, a counter goes below it
            message = _(
                "A counter-offer must be below your asking price ({price}), which the buyer "
                "can pay without bargaining."
            )
        raise OfferError(message.format(price=format_eur(asking_cents)))
    return price_cents


def live_accepted(now: datetime):
    """SQL: the offer is accepted and not expired at ``now``."""
    return and_(Offer.status == OfferStatus.ACCEPTED.value, Offer.expires_at > now)


@dataclass(frozen=True)
class _ItemNow:
    id: int
    price_cents: int
    revision: int


def lock_item(session: Session, item_id: int | None) -> _ItemNow | None:
    """The item if it is for sale, its row locked for share until the commit (PostgreSQL):
    a checkout or an edit of it waits for this transaction, or this one for them."""
    if item_id is None:
        return None
    row = session.exec(
        select(Item.id, Item.price_cents, Item.revision)
        .where(Item.id == item_id, Item.status == ItemStatus.AVAILABLE.value)
        .with_for_update(read=True)
    ).first()
    return None if row is None else _ItemNow(*row)


def item_gone(session: Session, item_id: int | None) -> OfferError:
    """Why the offer's item cannot be bargained for any more (after a rollback)."""
    session.rollback()
    status = (
        None
        if item_id is None
        else session.exec(select(Item.status).where(Item.id == item_id)).first()
    )
    session.rollback()
    if status is None:
        return OfferError(_("The listing was removed: there is nothing to offer for any more."))
    return OfferError(_("This item is sold: offers for it have ended."))


# --- the buyer offers -------------------------------------------------------------------------


def make_offer(session: Session, buyer_id: int, conversation_id: int, price_cents: int) -> int:
    """The buyer offers ``price_cents`` (at least 1 cent, below the asking price) in their
    conversation, in one transaction with its message, the seller's unread count and
    notification. Returns the offer id. Raises OfferError (price, item sold, an offer
    already waiting or accepted), RateLimitedError or ConversationNotFoundError."""
    now = utcnow()
    try:
        begin_keyed_write(session, RATE_LIMIT_LOCKS, buyer_id)  # counted one at a time
        talk = session.exec(
            select(Conversation.buyer_id, Conversation.seller_id, Conversation.item_id).where(
                Conversation.id == conversation_id,
                or_(Conversation.buyer_id == buyer_id, Conversation.seller_id == buyer_id),
            )
        ).first()
        if talk is None:
            raise ConversationNotFoundError()
        if talk.buyer_id != buyer_id:
            raise OfferError(_("Only the buyer makes offers; you can answer theirs or counter."))
        item = lock_item(session, talk.item_id)
        if item is None:
            raise item_gone(session, talk.item_id)
        check_offer_price(price_cents, item.price_cents)
        values = {
            "conversation_id": id_literal(conversation_id),
            "item_id": id_literal(item.id),
            "buyer_id": id_literal(buyer_id),
            "seller_id": id_literal(talk.seller_id),
            "made_by": id_literal(buyer_id),
            "price_cents": literal(price_cents),
            "item_revision": literal(item.revision),
            "asking_cents": literal(item.price_cents),
            "status": literal(OfferStatus.PENDING.value),
            "created_at": literal(now, Offer.created_at.type),
        }
        open_offer = exists().where(
            Offer.conversation_id == conversation_id,
            or_(Offer.status == OfferStatus.PENDING.value, live_accepted(now)),
        )
        made = session.exec(
            insert(Offer.__table__)
            .from_select(
                list(values),
                select(*values.values()).where(
                    ~open_offer,
                    under_rate_limit(buyer_id, now),
                    ~blocked_between(buyer_id, talk.seller_id),
                ),
            )
            .returning(Offer.__table__.c.id)
        ).all()
        if not made:
            raise _why_no_offer(session, buyer_id, conversation_id, now)
        offer_id = made[0][0]
        post_event(
            session,
            conversation_id,
            buyer_id,
            MessageKind.OFFER,
            now,
            offer_id,
            Kind.OFFER_MADE,
            price_cents,
        )
        session.commit()
    except IntegrityError as exc:  # another tab's offer, a moment ago (one pending at most)
        session.rollback()
        raise _why_no_offer(session, buyer_id, conversation_id, now) from exc
    except BaseException:
        session.rollback()
        raise
    return offer_id


def _why_no_offer(session: Session, buyer_id: int, conversation_id: int, now) -> UserError:
    """Why the buyer's offer was not made (after a rollback)."""
    session.rollback()
    blocked = session.exec(
        select(blocked_between(Conversation.buyer_id, Conversation.seller_id)).where(
            Conversation.id == conversation_id
        )
    ).first()
    if blocked:
        session.rollback()
        return BlockedError()
    current = session.exec(
        select(Offer.status, Offer.made_by, Offer.price_cents, Offer.expires_at)
        .where(
            Offer.conversation_id == conversation_id,
            or_(Offer.status == OfferStatus.PENDING.value, live_accepted(now)),
        )
        .order_by(Offer.id.desc())
    ).first()
    retry_at = next_allowed(session, buyer_id, now)
    session.rollback()
    if current is not None:
        price = format_eur(current.price_cents)
        if current.status == OfferStatus.ACCEPTED.value:
            return OfferError(
                _(
                    "Your offer of {price} was accepted: buy the item at that price before it "
                    "expires ({when} UTC)."
                ).format(price=price, when=format_moment(aware(current.expires_at)))
            )
        if current.made_by == buyer_id:
            return OfferError(
                _(
                    "Your offer of {price} is waiting for an answer: withdraw it to make another."
                ).format(price=price)
            )
        return OfferError(
            _("The seller proposed {price}: accept it, decline it or counter it.").format(
                price=price
            )
        )
    if retry_at is not None:
        return RateLimitedError(retry_at, now)
    return OfferError(_("The offer could not be made; try again."))


def post_event(
    session: Session,
    conversation_id: int,
    sender_id: int,
    kind: MessageKind,
    now: datetime,
    offer_id: int,
    notice: Kind,
    price_cents: int,
) -> None:
    """An offer step's event: its message, the other side's unread count and notification."""
    talk = touch(session, conversation_id, sender_id, now)
    add_message(session, talk.id, sender_id, kind, now, offer_id=offer_id)
    notify(
        session,
        talk.other(sender_id),
        notice,
        actor_id=sender_id,
        item_id=talk.item_id,
        item_title=talk.item_title,
        conversation_id=talk.id,
        price_cents=price_cents,
    )


# --- the offers a sale, a price change or a deletion ends --------------------------------------


def end_offers(
    session: Session,
    item_ids: Iterable[int],
    reason: OfferEnd,
    now: datetime,
    *,
    at_or_above_cents: int | None = None,
) -> int:
    """End the open offers of these items, in the caller's transaction (a sale, a price
    change: only pending offers at or above ``at_or_above_cents``, a deletion), each live one
    with an ``offer_ended`` message from the seller, counted unread for the buyer. Returns
    how many live offers ended."""
    ids = sorted(set(item_ids))
    if not ids:
        return 0
    if at_or_above_cents is None:
        which = Offer.status.in_((OfferStatus.PENDING.value, OfferStatus.ACCEPTED.value))
    else:
        which = and_(
            Offer.status == OfferStatus.PENDING.value, Offer.price_cents >= at_or_above_cents
        )
    ended = session.exec(
        update(Offer)
        .where(Offer.item_id.in_(ids), which)
        .values(status=OfferStatus.ENDED.value, answered_at=now)
        .returning(Offer.id, Offer.conversation_id, Offer.seller_id, Offer.status, Offer.expires_at)
    ).all()
    # RETURNING gives the new status; an offer that was accepted has its expiry set
    live = [
        row
        for row in ended
        if row.expires_at is None or aware(row.expires_at) > now  # pending, or accepted, live
    ]
    seen = set()
    for offer_id, conversation_id, seller_id, _status, _expires in sorted(live):
        if conversation_id in seen:  # one message per conversation
            continue
        seen.add(conversation_id)
        touch(session, conversation_id, seller_id, now)
        add_message(
            session,
            conversation_id,
            seller_id,
            MessageKind.OFFER_ENDED,
            now,
            body=reason.value,
            offer_id=offer_id,
        )
    return len(live)

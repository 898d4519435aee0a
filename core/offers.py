"""Offers: a price proposed in a conversation, answered by the other side.

The buyer offers a price below the asking price; the side an offer is addressed to accepts
it, declines it, or counters it with another price (the offer becomes ``countered`` and the
counter is a new pending offer, addressed the other way). At most one offer per
conversation waits for an answer: a new offer needs the pending one withdrawn by its author
or answered by the other side, so a double click or a second tab never makes two. While the
buyer holds a live accepted offer, they make no new one: they buy at that price.

An accepted offer is that buyer's price for ``ACCEPTED_HOURS``, for that item, once: the
checkout (``core.orders``) marks it ``used`` in the transaction that sells the item, and a
sale to anyone ends the item's other open offers. Past ``expires_at`` it is not honoured
(decided at read time). A listing edit keeps the offers, except a price change: pending
offers at or above the new asking price end, and an accepted offer is never worth more than
the asking price (a lower asking price applies instead).

Every step is one transaction whose write is conditional (``WHERE status = 'pending'``,
the right side, the item still for sale) and that posts its event message, the other side's
unread count and a notification. Steps that make or accept a price first lock the item's
row for share (PostgreSQL; SQLite has one writer at a time): a checkout or a listing edit
of that item waits for them or they wait for it, so an offer is never accepted, nor made,
for an item sold meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, insert, literal, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.db import begin_write
from core.errors import UserError
from core.i18n import N_, _, format_moment
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
from core.models.base import utcnow
from core.models.catalogue import MAX_PRICE_CENTS, Item, ItemStatus
from core.models.messaging import Conversation, MessageKind
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


_ANSWERED = {  # translated where raised
    OfferStatus.ACCEPTED: N_("This offer was already accepted."),
    OfferStatus.DECLINED: N_("This offer was already declined."),
    OfferStatus.COUNTERED: N_("This offer was already answered with another price."),
    OfferStatus.WITHDRAWN: N_("This offer was withdrawn."),
    OfferStatus.ENDED: N_("This offer has ended."),
    OfferStatus.USED: N_("This offer was already used for a purchase."),
}


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


def _live_accepted(now: datetime):
    return and_(Offer.status == OfferStatus.ACCEPTED.value, Offer.expires_at > now)


@dataclass(frozen=True)
class _ItemNow:
    id: int
    price_cents: int
    revision: int


def _lock_item(session: Session, item_id: int | None) -> _ItemNow | None:
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


def _item_gone(session: Session, item_id: int | None) -> OfferError:
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
        begin_write(session)
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
        item = _lock_item(session, talk.item_id)
        if item is None:
            raise _item_gone(session, talk.item_id)
        check_offer_price(price_cents, item.price_cents)
        values = {
            "conversation_id": literal(conversation_id),
            "item_id": literal(item.id),
            "buyer_id": literal(buyer_id),
            "seller_id": literal(talk.seller_id),
            "made_by": literal(buyer_id),
            "price_cents": literal(price_cents),
            "item_revision": literal(item.revision),
            "asking_cents": literal(item.price_cents),
            "status": literal(OfferStatus.PENDING.value),
            "created_at": literal(now, Offer.created_at.type),
        }
        open_offer = exists().where(
            Offer.conversation_id == conversation_id,
            or_(Offer.status == OfferStatus.PENDING.value, _live_accepted(now)),
        )
        made = session.exec(
            insert(Offer.__table__)
            .from_select(
                list(values),
                select(*values.values()).where(~open_offer, under_rate_limit(buyer_id, now)),
            )
            .returning(Offer.__table__.c.id)
        ).all()
        if not made:
            raise _why_no_offer(session, buyer_id, conversation_id, now)
        offer_id = made[0][0]
        _post(
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
    current = session.exec(
        select(Offer.status, Offer.made_by, Offer.price_cents, Offer.expires_at)
        .where(
            Offer.conversation_id == conversation_id,
            or_(Offer.status == OfferStatus.PENDING.value, _live_accepted(now)),
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


# --- the answers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answered:
    id: int
    conversation_id: int
    buyer_id: int
    seller_id: int
    made_by: int
    price_cents: int
    item_id: int | None


_ANSWERED_COLUMNS = (
    Offer.id,
    Offer.conversation_id,
    Offer.buyer_id,
    Offer.seller_id,
    Offer.made_by,
    Offer.price_cents,
    Offer.item_id,
)


def _addressed_to(user_id: int):
    """SQL: the pending offer waits for ``user_id``'s answer."""
    return and_(
        Offer.status == OfferStatus.PENDING.value,
        Offer.made_by != user_id,
        or_(Offer.buyer_id == user_id, Offer.seller_id == user_id),
    )


def _answer(session: Session, user_id: int, offer_id: int, where, **values) -> _Answered | None:
    row = session.exec(
        update(Offer)
        .where(Offer.id == offer_id, *where)
        .values(**values)
        .returning(*_ANSWERED_COLUMNS)
    ).first()
    return None if row is None else _Answered(*row)


def _offer_item(session: Session, user_id: int, offer_id: int) -> int | None:
    """The item of an offer in one of the user's conversations; OfferNotFoundError."""
    row = session.exec(
        select(Offer.id, Offer.item_id).where(
            Offer.id == offer_id, or_(Offer.buyer_id == user_id, Offer.seller_id == user_id)
        )
    ).first()
    if row is None:
        raise OfferNotFoundError()
    return row.item_id


def _why_not_answered(
    session: Session, user_id: int, offer_id: int, *, author: bool
) -> UserError | None:
    """Why an answer (or, ``author``, a withdrawal) matched no offer (after a rollback);
    None if the offer still waits for this user's step (something else refused it)."""
    session.rollback()
    offer = session.exec(
        select(Offer.status, Offer.made_by, Offer.buyer_id, Offer.seller_id).where(
            Offer.id == offer_id
        )
    ).first()
    session.rollback()
    if offer is None or user_id not in (offer.buyer_id, offer.seller_id):
        return OfferNotFoundError()
    if offer.status != OfferStatus.PENDING.value:
        return OfferError(_(_ANSWERED[OfferStatus(offer.status)]))
    if author and offer.made_by != user_id:
        return OfferError(_("Only its author can withdraw an offer; you can decline it."))
    if not author and offer.made_by == user_id:
        return OfferError(_("You made this offer: wait for the answer, or withdraw it."))
    return None


def _refusal(session: Session, user_id: int, offer_id: int, *, author: bool = False) -> UserError:
    return _why_not_answered(session, user_id, offer_id, author=author) or OfferError(
        _("The offer could not be answered; try again.")
    )


def accept(session: Session, user_id: int, offer_id: int) -> datetime:
    """The side a pending offer is addressed to accepts it: it becomes the buyer's price for
    ``ACCEPTED_HOURS`` (returned: until when). Raises OfferError or OfferNotFoundError."""
    now = utcnow()
    expires_at = now + ACCEPTED_FOR
    try:
        begin_write(session)
        item_id = _offer_item(session, user_id, offer_id)
        item = _lock_item(session, item_id)
        if item is None:
            raise _item_gone(session, item_id)
        offer = _answer(
            session,
            user_id,
            offer_id,
            (
                _addressed_to(user_id),
                Offer.item_id == item.id,
                Offer.price_cents < item.price_cents,
            ),
            status=OfferStatus.ACCEPTED.value,
            answered_at=now,
            expires_at=expires_at,
        )
        if offer is None:
            raise _refusal(session, user_id, offer_id)
        # the buyer learns they may buy; a seller whose counter was taken, who will sell
        kind = Kind.OFFER_ACCEPTED if offer.made_by == offer.buyer_id else Kind.COUNTER_ACCEPTED
        _post(
            session,
            offer.conversation_id,
            user_id,
            MessageKind.OFFER_ACCEPTED,
            now,
            offer.id,
            kind,
            offer.price_cents,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return expires_at


def decline(session: Session, user_id: int, offer_id: int) -> None:
    """The side a pending offer is addressed to declines it. Raises OfferError or
    OfferNotFoundError."""
    now = utcnow()
    try:
        begin_write(session)
        offer = _answer(
            session,
            user_id,
            offer_id,
            (_addressed_to(user_id),),
            status=OfferStatus.DECLINED.value,
            answered_at=now,
        )
        if offer is None:
            raise _refusal(session, user_id, offer_id)
        _post(
            session,
            offer.conversation_id,
            user_id,
            MessageKind.OFFER_DECLINED,
            now,
            offer.id,
            Kind.OFFER_DECLINED,
            offer.price_cents,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise


def counter(session: Session, user_id: int, offer_id: int, price_cents: int) -> int:
    """The side a pending offer is addressed to proposes ``price_cents`` instead (at least
    1 cent, below the asking price): the offer becomes ``countered`` and the counter is a
    new pending offer made by that side. Returns its id. Raises OfferError,
    RateLimitedError or OfferNotFoundError."""
    now = utcnow()
    try:
        begin_write(session)
        item_id = _offer_item(session, user_id, offer_id)
        item = _lock_item(session, item_id)
        if item is None:
            raise _item_gone(session, item_id)
        seller_id = session.exec(select(Offer.seller_id).where(Offer.id == offer_id)).first()
        check_offer_price(price_cents, item.price_cents, buyer=user_id != seller_id)
        old = _answer(
            session,
            user_id,
            offer_id,
            (_addressed_to(user_id), Offer.item_id == item.id, under_rate_limit(user_id, now)),
            status=OfferStatus.COUNTERED.value,
            answered_at=now,
        )
        if old is None:
            raise _why_not_countered(session, user_id, offer_id, now)
        new = Offer(
            conversation_id=old.conversation_id,
            item_id=item.id,
            buyer_id=old.buyer_id,
            seller_id=old.seller_id,
            made_by=user_id,
            price_cents=price_cents,
            item_revision=item.revision,
            asking_cents=item.price_cents,
            created_at=now,
        )
        session.add(new)
        session.flush()
        new_id = new.id
        _post(
            session,
            old.conversation_id,
            user_id,
            MessageKind.OFFER,
            now,
            new_id,
            Kind.OFFER_COUNTERED,
            price_cents,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return new_id


def _why_not_countered(session: Session, user_id: int, offer_id: int, now) -> UserError:
    if refusal := _why_not_answered(session, user_id, offer_id, author=False):
        return refusal
    retry_at = next_allowed(session, user_id, now)  # the offer waits: the rate limit refused
    session.rollback()
    if retry_at is not None:
        return RateLimitedError(retry_at, now)
    return OfferError(_("The offer could not be answered; try again."))


def withdraw(session: Session, user_id: int, offer_id: int) -> None:
    """The author of a pending offer takes it back. Raises OfferError or
    OfferNotFoundError."""
    now = utcnow()
    try:
        begin_write(session)
        offer = _answer(
            session,
            user_id,
            offer_id,
            (Offer.status == OfferStatus.PENDING.value, Offer.made_by == user_id),
            status=OfferStatus.WITHDRAWN.value,
            answered_at=now,
        )
        if offer is None:
            raise _refusal(session, user_id, offer_id, author=True)
        talk = touch(session, offer.conversation_id, user_id, now)
        add_message(
            session,
            talk.id,
            user_id,
            MessageKind.OFFER_ENDED,
            now,
            body=OfferEnd.WITHDRAWN.value,
            offer_id=offer.id,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _post(
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


# --- what the cart and the checkout honour ------------------------------------------------------


@dataclass(frozen=True)
class AcceptedOffer:
    """A buyer's live accepted offer for an item, below its asking price: their price."""

    id: int
    item_id: int
    price_cents: int
    expires_at: datetime
    conversation_id: int


def accepted_offers_for(
    session: Session, buyer_id: int, item_ids: Iterable[int]
) -> dict[int, AcceptedOffer]:
    """The buyer's live accepted offers for these items (a cart), by item id: one query.
    An offer at or above the item's current asking price is left out (the asking price,
    lower, applies)."""
    ids = sorted(set(item_ids))
    if not ids:
        return {}
    now = utcnow()
    rows = session.exec(
        select(Offer.id, Offer.item_id, Offer.price_cents, Offer.expires_at, Offer.conversation_id)
        .join(Item, Item.id == Offer.item_id)
        .where(
            Offer.buyer_id == buyer_id,
            Offer.item_id.in_(ids),
            _live_accepted(now),
            Offer.price_cents < Item.price_cents,
            Item.status == ItemStatus.AVAILABLE.value,
        )
        .order_by(Offer.price_cents.desc(), Offer.id)
    ).all()
    found = {}
    for offer_id, item_id, price, expires_at, conversation_id in rows:  # the lowest wins
        found[item_id] = AcceptedOffer(offer_id, item_id, price, aware(expires_at), conversation_id)
    return found


def accepted_offer_for(session: Session, buyer_id: int, item_id: int) -> AcceptedOffer | None:
    """The buyer's live accepted offer for the item, if any (see ``accepted_offers_for``)."""
    return accepted_offers_for(session, buyer_id, [item_id]).get(item_id)


@dataclass(frozen=True)
class OfferLine:
    """An item the buyer confirmed at an accepted offer's price."""

    offer_id: int
    item_id: int
    price_cents: int
    title: str = ""


class OfferNoLongerValidError(OfferError):
    """A confirmed offer that checkout cannot honour (expired, used, not this buyer's...)."""


def use_offers(session: Session, buyer_id: int, lines: Sequence[OfferLine], now: datetime) -> None:
    """Mark the confirmed offers used, in the checkout's transaction: each only if it is
    still accepted, this buyer's, for this item at this price, and not expired. Raises
    OfferNoLongerValidError (the caller rolls back: nothing is bought)."""
    if not lines:
        return
    used = session.exec(
        update(Offer)
        .where(
            or_(
                *(
                    and_(
                        Offer.id == line.offer_id,
                        Offer.item_id == line.item_id,
                        Offer.price_cents == line.price_cents,
                    )
                    for line in lines
                )
            ),
            Offer.buyer_id == buyer_id,
            _live_accepted(now),
        )
        .values(status=OfferStatus.USED.value)
        .returning(Offer.id)
    ).all()
    if len(used) == len(lines):
        return
    done = {row[0] for row in used}
    bad = [line for line in lines if line.offer_id not in done]
    session.rollback()
    expired = set(
        session.exec(
            select(Offer.id).where(
                Offer.id.in_([line.offer_id for line in bad]),
                Offer.buyer_id == buyer_id,
                Offer.status == OfferStatus.ACCEPTED.value,
                Offer.expires_at <= now,
            )
        ).all()
    )
    session.rollback()
    names = ", ".join(
        _("“{title}”").format(title=line.title) if line.title else _("an item") for line in bad
    )
    if expired and len(expired) == len(bad):
        raise OfferNoLongerValidError(
            _(
                "The accepted price for {names} has expired: your cart shows the asking price "
                "again. Nothing was bought."
            ).format(names=names)
        )
    raise OfferNoLongerValidError(
        _(
            "The accepted price for {names} can no longer be used: your cart shows the price "
            "that applies. Nothing was bought."
        ).format(names=names)
    )


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

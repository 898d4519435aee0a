"""The answers to a pending offer: the side it is addressed to accepts, declines or counters
it, and its author may withdraw it. Each step is one transaction whose write is conditional
(``WHERE status = 'pending'``, the right side), with its event message and notification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, update
from sqlmodel import Session, select

from core.db import RATE_LIMIT_LOCKS, begin_keyed_write, begin_write
from core.errors import BlockedError, UserError
from core.i18n import N_, _
from core.messaging.messages import (
    OfferEnd,
    RateLimitedError,
    add_message,
    next_allowed,
    touch,
    under_rate_limit,
)
from core.messaging.notifications import Kind
from core.models.base import utcnow
from core.models.messaging import MessageKind
from core.models.moderation import blocked_between
from core.models.trade import Offer, OfferStatus
from core.money import format_eur
from core.trade.offers import (
    ACCEPTED_FOR,
    OfferError,
    OfferNotFoundError,
    check_offer_price,
    item_gone,
    lock_item,
    post_event,
)

_ANSWERED = {  # translated where raised
    OfferStatus.ACCEPTED: N_("This offer was already accepted."),
    OfferStatus.DECLINED: N_("This offer was already declined."),
    OfferStatus.COUNTERED: N_("This offer was already answered with another price."),
    OfferStatus.WITHDRAWN: N_("This offer was withdrawn."),
    OfferStatus.ENDED: N_("This offer has ended."),
    OfferStatus.USED: N_("This offer was already used for a purchase."),
}


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
    """SQL: the pending offer waits for ``user_id``'s answer (and neither side blocked the
    other)."""
    return and_(
        Offer.status == OfferStatus.PENDING.value,
        Offer.made_by != user_id,
        or_(Offer.buyer_id == user_id, Offer.seller_id == user_id),
        ~blocked_between(Offer.buyer_id, Offer.seller_id),
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
        select(
            Offer.status,
            Offer.made_by,
            Offer.buyer_id,
            Offer.seller_id,
            blocked_between(Offer.buyer_id, Offer.seller_id),
        ).where(Offer.id == offer_id)
    ).first()
    session.rollback()
    if offer is None or user_id not in (offer.buyer_id, offer.seller_id):
        return OfferNotFoundError()
    if offer[4] and not author:
        return BlockedError()
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
        item = lock_item(session, item_id)
        if item is None:
            raise item_gone(session, item_id)
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
        post_event(
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
        post_event(
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
        begin_keyed_write(session, RATE_LIMIT_LOCKS, user_id)  # counted one at a time
        item_id = _offer_item(session, user_id, offer_id)
        item = lock_item(session, item_id)
        if item is None:
            raise item_gone(session, item_id)
        answered = session.exec(
            select(Offer.seller_id, Offer.price_cents, Offer.status, Offer.made_by).where(
                Offer.id == offer_id
            )
        ).first()
        seller_id, offered_cents, status, made_by = answered or (None, None, None, None)
        check_offer_price(price_cents, item.price_cents, buyer=user_id != seller_id)
        if status == OfferStatus.PENDING.value and made_by != user_id:  # else refused below
            check_counter_price(price_cents, offered_cents, seller=user_id == seller_id)
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
        post_event(
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


def check_counter_price(price_cents: int, offered_cents: int, *, seller: bool) -> None:
    """A counter-offer moves towards the other side's price: the seller asks more than the
    buyer offered, the buyer offers less than the seller's counter. Otherwise accepting is
    what they mean, and a counter would cost the one who makes it. OfferError."""
    if seller and price_cents <= offered_cents:
        message = _(
            "Your counter-offer must be above the buyer's offer of {price}: to sell at that "
            "price, accept it."
        )
    elif not seller and price_cents >= offered_cents:
        message = _(
            "Your counter-offer must be below the seller's price of {price}: to pay that, "
            "accept it."
        )
    else:
        return
    raise OfferError(message.format(price=format_eur(offered_cents)))


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

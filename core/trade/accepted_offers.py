"""What the cart and the checkout honour: a buyer's live accepted offers, below the asking
price, used once in the checkout's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, update
from sqlmodel import Session, select

from core.i18n import _
from core.messaging.conversations import aware
from core.models.base import utcnow
from core.models.catalogue import Item, ItemStatus
from core.models.trade import Offer, OfferStatus
from core.trade.offers import OfferError, live_accepted


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
            live_accepted(now),
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
            live_accepted(now),
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

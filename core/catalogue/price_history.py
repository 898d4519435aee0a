"""A listing's price over time, for its page: the asking price and its changes (recorded
since migration 0005_price_history) and the offers its seller accepted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlmodel import Session, select

from core.models.base import utcnow
from core.models.catalogue import Item, PriceChange
from core.models.trade import Offer


class PriceKind(StrEnum):
    ASKING = "asking"  # the asking price from that moment (listed, or changed by the seller)
    ACCEPTED = "accepted"  # an offer the seller accepted (or a counter the buyer accepted)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite: naive UTC


@dataclass(frozen=True)
class PricePoint:
    at: datetime  # UTC
    price_cents: int
    kind: PriceKind


def price_history(
    session: Session, item_id: int, *, now: datetime | None = None
) -> list[PricePoint]:
    """The listing's asking price from its listing to ``now`` (a point at each change and one
    at ``now``) and its accepted offers, in time order; [] when it has neither a change nor
    an accepted offer (one flat price is no history) or does not exist."""
    item = session.exec(select(Item.created_at, Item.price_cents).where(Item.id == item_id)).first()
    if item is None:
        return []
    changes = session.exec(
        select(PriceChange.old_cents, PriceChange.new_cents, PriceChange.changed_at)
        .where(PriceChange.item_id == item_id)
        .order_by(PriceChange.changed_at, PriceChange.id)
    ).all()
    # an offer once accepted has an expiry (kept when it is used, or ends unused)
    accepted = session.exec(
        select(Offer.price_cents, Offer.answered_at)
        .where(Offer.item_id == item_id, Offer.expires_at.is_not(None))
        .order_by(Offer.answered_at, Offer.id)
    ).all()
    if not changes and not accepted:
        return []
    first = changes[0].old_cents if changes else item.price_cents
    points = [PricePoint(_utc(item.created_at), first, PriceKind.ASKING)]
    points += [PricePoint(_utc(at), new, PriceKind.ASKING) for _old, new, at in changes]
    points.append(PricePoint(now or utcnow(), item.price_cents, PriceKind.ASKING))
    points += [
        PricePoint(_utc(at), cents, PriceKind.ACCEPTED) for cents, at in accepted if at is not None
    ]
    return sorted(points, key=lambda p: p.at)

"""A seller's public page: who they are, their rating and reviews, what they sell and how
much they sold (plain functions over a session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, select

from core.catalogue.search import CatalogueCard
from core.errors import UserError
from core.i18n import _
from core.models.accounts import User
from core.models.base import ID_MAX
from core.models.catalogue import Item, ItemStatus, Photo
from core.models.trade import Order, OrderLine
from core.trade.reviews import LATEST_REVIEWS, Rating, ReviewView, seller_rating, seller_reviews

ITEMS_SHOWN = 48  # the newest listings on the page; the count says how many there are
SALES_MONTHS = 12  # the seller page's chart of sales: this month and the 11 before


class SellerNotFoundError(UserError):
    def __init__(self) -> None:
        super().__init__(_("Seller not found."))


def seller_id_from_text(raw: str | None) -> int:
    """The id in ``?id=`` of a seller's page, or SellerNotFoundError. ASCII digits only
    (``int()`` would also read "١", " 7" or "1_0")."""
    if not raw or len(raw) > 10 or not (raw.isascii() and raw.isdigit()):
        raise SellerNotFoundError()
    value = int(raw)
    if not 0 < value <= ID_MAX:
        raise SellerNotFoundError()
    return value


@dataclass(frozen=True)
class SellerProfile:
    seller_id: int
    display_name: str
    member_since: datetime
    rating: Rating
    reviews: list[ReviewView]  # the latest LATEST_REVIEWS
    items: list[CatalogueCard]  # the newest ITEMS_SHOWN for sale
    on_sale: int
    sold: int


def seller_profile(session: Session, seller_id: int) -> SellerProfile:
    """What a seller's page shows, to anyone. Raises SellerNotFoundError."""
    user = session.exec(
        select(User.display_name, User.created_at).where(User.id == seller_id)
    ).first()
    if user is None:
        raise SellerNotFoundError()
    for_sale = (Item.seller_id == seller_id, Item.status == ItemStatus.AVAILABLE.value)
    rows = session.exec(
        select(Item, Photo.thumbnail)
        .join(Photo, (Photo.item_id == Item.id) & (Photo.position == 0), isouter=True)
        .where(*for_sale)
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(ITEMS_SHOWN)
    ).all()
    on_sale = session.exec(select(func.count()).select_from(Item).where(*for_sale)).one()
    sold = session.exec(
        select(func.count()).select_from(OrderLine).where(OrderLine.seller_id == seller_id)
    ).one()
    return SellerProfile(
        seller_id=seller_id,
        display_name=user.display_name,
        member_since=user.created_at,
        rating=seller_rating(session, seller_id),
        reviews=seller_reviews(session, seller_id, LATEST_REVIEWS),
        items=[CatalogueCard(item, thumb) for item, thumb in rows],
        on_sale=on_sale,
        sold=sold,
    )


def _month_starts(today: date, months: int) -> list[date]:
    starts = []
    year, month = today.year, today.month
    for _n in range(months):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def sales_by_month(
    session: Session, seller_id: int, *, months: int = SALES_MONTHS, today: date | None = None
) -> pd.DataFrame:
    """The seller's sales per calendar month (UTC), this month and the ``months - 1`` before,
    months without a sale as zeros: ``month`` (its first day), ``sales`` (items) and
    ``revenue`` (euros, what the buyers paid)."""
    starts = _month_starts(today or datetime.now(UTC).date(), months)
    since = datetime(starts[0].year, starts[0].month, 1, tzinfo=UTC)
    rows = session.exec(
        select(Order.created_at, OrderLine.price_cents)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.seller_id == seller_id, Order.created_at >= since)
    ).all()
    sums = {start: [0, 0] for start in starts}
    for created_at, cents in rows:
        at = created_at.astimezone(UTC) if created_at.tzinfo else created_at  # SQLite: naive UTC
        month = date(at.year, at.month, 1)
        if month in sums:
            sums[month][0] += 1
            sums[month][1] += cents
    frame = pd.DataFrame(
        [[start, n, cents / 100] for start, (n, cents) in sums.items()],
        columns=["month", "sales", "revenue"],
    )
    frame["month"] = pd.to_datetime(frame["month"])
    return frame

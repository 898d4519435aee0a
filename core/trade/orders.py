"""Orders as the buyer (purchases) and the seller (sales) see them, with the lines as they
were bought (plain functions over a session)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from core.models.accounts import User
from core.models.trade import Order, OrderLine, OrderStatus, Review
from core.trade.checkout import Shipping, short_titles


@dataclass(frozen=True)
class OrderItem:
    """A line as it was bought (copied at checkout)."""

    item_id: int
    title: str
    brand: str
    size: str
    price_cents: int
    thumbnail: bytes | None


@dataclass(frozen=True)
class OrderReview:
    """The buyer's review of this order, if they left one."""

    rating: int
    comment: str
    created_at: datetime


@dataclass(frozen=True)
class OrderSummary:
    """An order (one parcel) as its buyer or its seller sees it, with where it stands."""

    order_id: int
    created_at: datetime
    lines: list[OrderItem]
    buyer_name: str
    shipping: Shipping
    status: str = OrderStatus.PAID.value
    tracking: str = ""
    shipped_at: datetime | None = None
    received_at: datetime | None = None
    completed_at: datetime | None = None
    seller_id: int = 0
    seller_name: str = ""
    review: OrderReview | None = None

    @property
    def total_cents(self) -> int:
        return sum(line.price_cents for line in self.lines)


def _summaries(session: Session, *where) -> list[OrderSummary]:
    seller = aliased(User)
    rows = session.exec(
        select(Order, OrderLine, User.display_name, seller.display_name, Review)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(User, User.id == Order.buyer_id)
        .join(seller, seller.id == Order.seller_id)
        .join(Review, Review.order_id == Order.id, isouter=True)
        .where(*where)
        .order_by(Order.created_at.desc(), Order.id.desc(), OrderLine.id)
    ).all()
    summaries: dict[int, OrderSummary] = {}
    for order, line, buyer_name, seller_name, review in rows:
        if order.id not in summaries:
            summaries[order.id] = OrderSummary(
                order_id=order.id,
                created_at=order.created_at,
                lines=[],
                buyer_name=buyer_name,
                shipping=Shipping(
                    order.shipping_name,
                    order.shipping_address,
                    order.shipping_postal_code,
                    order.shipping_city,
                ),
                status=order.status,
                tracking=order.tracking,
                shipped_at=order.shipped_at,
                received_at=order.received_at,
                completed_at=order.completed_at,
                seller_id=order.seller_id,
                seller_name=seller_name,
                review=(
                    OrderReview(review.rating, review.comment, review.created_at)
                    if review
                    else None
                ),
            )
        summaries[order.id].lines.append(
            OrderItem(
                line.item_id, line.title, line.brand, line.size, line.price_cents, line.thumbnail
            )
        )
    return list(summaries.values())


def order_labels(session: Session, order_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """Each order's first item and its title for a notification ("Red dress + 2")."""
    lines: dict[int, list] = {}
    for line in session.exec(
        select(OrderLine.order_id, OrderLine.item_id, OrderLine.title)
        .where(OrderLine.order_id.in_(list(order_ids)))
        .order_by(OrderLine.order_id, OrderLine.id)
    ).all():
        lines.setdefault(line.order_id, []).append(line)
    return {
        order_id: (rows[0].item_id, short_titles(row.title for row in rows))
        for order_id, rows in lines.items()
    }


def purchases(session: Session, buyer_id: int) -> list[OrderSummary]:
    """The buyer's orders, newest first, with every line."""
    return _summaries(session, Order.buyer_id == buyer_id)


def sales(session: Session, seller_id: int) -> list[OrderSummary]:
    """The seller's orders (one per checkout that bought their items), newest first, with
    the buyer's name and where to ship."""
    return _summaries(session, Order.seller_id == seller_id)

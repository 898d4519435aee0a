"""Reviews: after receiving an order, its buyer rates the seller 1 to 5, with an optional
comment, once per order; a seller's rating is the average of their reviews.

Leaving a review is one conditional INSERT ... SELECT that names the order, its buyer and
the statuses that allow it; the unique order_id of ``reviews`` makes "once" a rule of the
schema, whatever two tabs do at the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, exists, func, insert, literal
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.errors import UserError
from core.i18n import _
from core.messaging.notifications import Kind, notify
from core.models.accounts import User
from core.models.base import utcnow
from core.models.trade import REVIEW_COMMENT_MAX, Order, OrderStatus, Review
from core.text import text_problem
from core.trade.orders import order_labels
from core.trade.tracking import OrderNotFoundError

STARS = 5
REVIEWABLE = (OrderStatus.RECEIVED.value, OrderStatus.COMPLETED.value)
LATEST_REVIEWS = 20  # on a seller's page


class ReviewError(UserError):
    """A review that was refused; ``str(exc)`` is for the user."""


def check_review(rating: int | None, comment: str | None) -> tuple[int, str]:
    """The rating (an int, 1 to 5) and the comment (stripped, checked, capped), or
    ReviewError."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= STARS:
        raise ReviewError(_("Choose a rating from 1 to {n} stars.").format(n=STARS))
    if problem := text_problem(comment, multiline=True):
        raise ReviewError(problem)
    clean = (comment or "").strip()
    if len(clean) > REVIEW_COMMENT_MAX:
        raise ReviewError(
            _("The comment can be at most {n} characters.").format(n=REVIEW_COMMENT_MAX)
        )
    return rating, clean


def leave_review(
    session: Session, buyer_id: int, order_id: int, rating: int, comment: str = ""
) -> None:
    """The order's buyer rates its seller, once, when the order is received or completed;
    the seller is notified. Raises ReviewError or OrderNotFoundError."""
    rating, clean = check_review(rating, comment)
    now = utcnow()
    reviewable = (
        select(
            Order.id,
            Order.seller_id,
            Order.buyer_id,
            literal(rating, Integer),
            literal(clean, Review.__table__.c.comment.type),
            literal(now, Review.__table__.c.created_at.type),
        )
        .where(
            Order.id == order_id,
            Order.buyer_id == buyer_id,
            Order.status.in_(REVIEWABLE),
            ~exists().where(Review.order_id == order_id),
        )
        .subquery()
    )
    table = Review.__table__
    statement = (
        insert(table)
        .from_select(
            ["order_id", "seller_id", "buyer_id", "rating", "comment", "created_at"],
            select(*reviewable.c),
        )
        .returning(table.c.seller_id)
    )
    try:
        added = session.exec(statement).first()  # writes first: no stale read to act on
        if added is not None:
            item_id, title = order_labels(session, [order_id]).get(order_id, (None, ""))
            notify(session, added.seller_id, Kind.REVIEW, actor_id=buyer_id, item_id=item_id,
                   item_title=title, order_id=order_id)  # fmt: skip
            session.commit()
            return
        session.rollback()
    except IntegrityError:  # the same review sent a moment ago (another tab)
        session.rollback()
    except BaseException:
        session.rollback()
        raise
    raise _refusal(session, buyer_id, order_id)


def _refusal(session: Session, buyer_id: int, order_id: int) -> UserError:
    """Why nothing was inserted (read after the rollback, plain columns)."""
    order = session.exec(
        select(Order.status, Order.buyer_id, Order.seller_id).where(Order.id == order_id)
    ).first()
    reviewed = session.exec(select(Review.id).where(Review.order_id == order_id)).first()
    session.rollback()  # only explains the refusal
    if order is None or buyer_id not in (order.buyer_id, order.seller_id):
        return OrderNotFoundError()
    if order.buyer_id != buyer_id:
        return ReviewError(_("Only the buyer can review this order."))
    if reviewed is not None:
        return ReviewError(_("You already reviewed this order."))
    return ReviewError(_("You can review the seller once you have received the order."))


# --- a seller's rating and reviews -----------------------------------------------------------


@dataclass(frozen=True)
class Rating:
    """A seller's average rating (None: no review yet) and how many reviews."""

    average: float | None
    count: int


def seller_rating(session: Session, seller_id: int) -> Rating:
    """The seller's average rating and number of reviews (one aggregate query)."""
    average, count = session.exec(
        select(func.avg(Review.rating), func.count(Review.id)).where(Review.seller_id == seller_id)
    ).one()
    return Rating(float(average) if average is not None else None, count)


@dataclass(frozen=True)
class ReviewView:
    rating: int
    comment: str
    reviewer_name: str
    created_at: datetime


def seller_reviews(
    session: Session, seller_id: int, limit: int = LATEST_REVIEWS
) -> list[ReviewView]:
    """The seller's latest reviews, newest first, with the reviewer's display name."""
    rows = session.exec(
        select(Review.rating, Review.comment, User.display_name, Review.created_at)
        .join(User, User.id == Review.buyer_id)
        .where(Review.seller_id == seller_id)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(limit)
    ).all()
    return [ReviewView(*row) for row in rows]

"""Order tracking: paid -> shipped -> received -> completed, each step by the right party.

- shipped: the seller marks the parcel sent, with an optional tracking text;
- received: the buyer confirms, or it happens by itself ``RECEIVE_AFTER`` (14 days) after
  shipping;
- completed: the buyer says everything is fine, or it happens by itself ``COMPLETE_AFTER``
  (2 days) after receipt: the window to report a problem closes. (No dispute flow is built
  yet; it would live in that window.)

Each step is one transaction whose first statement is a conditional UPDATE naming the order,
the status it needs and the party: no skipping, no going back, nobody else. Of two clicks or
two tabs only one finds the status it needs; the other is told where the order stands. The
step's notification is written in the same transaction. The automatic steps are set-based
UPDATEs run lazily where orders are read (``settle_due``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import and_, exists, func, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from core.db import begin_write
from core.errors import UserError
from core.i18n import N_, _
from core.messaging.notifications import Kind, notify
from core.models.base import utcnow
from core.models.trade import TRACKING_MAX, Order, OrderStatus
from core.text import text_problem
from core.trade.orders import order_labels

RECEIVE_AFTER = timedelta(days=14)  # shipped -> received by itself
COMPLETE_AFTER = timedelta(days=2)  # received -> completed by itself (the problem window)

_log = logging.getLogger(__name__)
_STEPS = tuple(OrderStatus)  # paid, shipped, received, completed: the only way forward


class TrackingError(UserError):
    """A tracking step that was refused; ``str(exc)`` is for the user."""


class OrderNotFoundError(TrackingError):
    """No such order, or not one of this user's (the same answer, so ids reveal nothing)."""

    def __init__(self) -> None:
        super().__init__(_("Order not found."))


@dataclass(frozen=True)
class _Step:
    before: OrderStatus
    after: OrderStatus
    by_seller: bool  # else by the buyer
    other_party: str  # the sentence for the other person of the order (N_: translated when said)


_SHIP = _Step(
    OrderStatus.PAID, OrderStatus.SHIPPED, True, N_("Only the seller can mark an order as shipped.")
)
_RECEIVE = _Step(
    OrderStatus.SHIPPED,
    OrderStatus.RECEIVED,
    False,
    N_("Only the buyer can confirm that the order was received."),
)
_COMPLETE = _Step(
    OrderStatus.RECEIVED,
    OrderStatus.COMPLETED,
    False,
    N_("Only the buyer can say that everything is fine with the order."),
)

_ALREADY = {  # translated where raised
    OrderStatus.SHIPPED: N_("This order is already marked as shipped."),
    OrderStatus.RECEIVED: N_("This order is already marked as received."),
    OrderStatus.COMPLETED: N_("This order is already completed."),
}
_NOT_YET = {
    OrderStatus.PAID: N_("This order is not shipped yet."),
    OrderStatus.SHIPPED: N_("This order is shipped but not received yet."),
}

# the name of each status, on the timeline and the orders' badges (translated where shown)
STATUS_LABELS = {
    OrderStatus.PAID: N_("Paid"),
    OrderStatus.SHIPPED: N_("Shipped"),
    OrderStatus.RECEIVED: N_("Received"),
    OrderStatus.COMPLETED: N_("Completed"),
}


def check_tracking(tracking: str | None) -> str:
    """The tracking text on one line, or TrackingError (control characters, too long)."""
    if problem := text_problem(tracking):
        raise TrackingError(problem)
    clean = " ".join((tracking or "").split())
    if len(clean) > TRACKING_MAX:
        raise TrackingError(
            _("The tracking text can be at most {n} characters.").format(n=TRACKING_MAX)
        )
    return clean


def mark_shipped(session: Session, seller_id: int, order_id: int, tracking: str = "") -> None:
    """The seller sent the parcel (paid -> shipped), with an optional tracking text; the
    buyer is notified. Raises TrackingError (or OrderNotFoundError)."""
    clean = check_tracking(tracking)
    _take_step(session, seller_id, order_id, _SHIP, shipped_at=utcnow(), tracking=clean)


def confirm_received(session: Session, buyer_id: int, order_id: int) -> None:
    """The buyer got the parcel (shipped -> received); the seller is notified. Raises
    TrackingError (or OrderNotFoundError)."""
    _take_step(session, buyer_id, order_id, _RECEIVE, received_at=utcnow())


def complete_order(session: Session, buyer_id: int, order_id: int) -> None:
    """The buyer says everything is fine (received -> completed), before the window closes
    by itself. Raises TrackingError (or OrderNotFoundError)."""
    _take_step(session, buyer_id, order_id, _COMPLETE, completed_at=utcnow())


def _take_step(session: Session, user_id: int, order_id: int, step: _Step, **values) -> None:
    party = Order.seller_id if step.by_seller else Order.buyer_id
    try:
        begin_write(session)
        moved = session.exec(  # writes first: no stale read to act on
            update(Order)
            .where(Order.id == order_id, Order.status == step.before.value, party == user_id)
            .values(status=step.after.value, **values)
            .returning(Order.buyer_id, Order.seller_id)
        ).first()
        if moved is None:
            raise _refusal(session, user_id, order_id, step)
        if step.after is OrderStatus.SHIPPED:
            _notify(session, moved.buyer_id, Kind.ORDER_SHIPPED, moved.seller_id, order_id)
        elif step.after is OrderStatus.RECEIVED:
            _notify(session, moved.seller_id, Kind.ORDER_RECEIVED, moved.buyer_id, order_id)
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _refusal(session: Session, user_id: int, order_id: int, step: _Step) -> TrackingError:
    """Why the conditional update moved nothing (read after a rollback, plain columns)."""
    session.rollback()
    order = session.exec(
        select(Order.status, Order.buyer_id, Order.seller_id).where(Order.id == order_id)
    ).first()
    session.rollback()  # only explains the refusal
    if order is None or user_id not in (order.buyer_id, order.seller_id):
        return OrderNotFoundError()
    if (order.seller_id == user_id) != step.by_seller:
        return TrackingError(_(step.other_party))
    status = OrderStatus(order.status)
    if _STEPS.index(status) >= _STEPS.index(step.after):
        return TrackingError(_(_ALREADY[status]))
    return TrackingError(_(_NOT_YET[status]))


def _notify(session: Session, user_id: int, kind: Kind, actor_id: int, order_id: int) -> None:
    item_id, title = order_labels(session, [order_id]).get(order_id, (None, ""))
    notify(session, user_id, kind, actor_id=actor_id, item_id=item_id, item_title=title,
           order_id=order_id)  # fmt: skip


# --- the automatic steps ------------------------------------------------------------------


def _later(session: Session, moment, delta: timedelta):
    """``moment + delta`` in SQL. SQLite keeps datetimes as text in SQLAlchemy's format
    ("2026-05-03 10:20:30.123456"); its strftime gives milliseconds, padded back to six
    digits so that the text still sorts and parses like the others."""
    if session.get_bind().dialect.name == "sqlite":
        seconds = f"{delta.total_seconds():+.3f} seconds"
        return func.strftime("%Y-%m-%d %H:%M:%f000", moment, seconds)
    return moment + delta


def settle_due(session: Session, now: datetime | None = None) -> int:
    """Take the steps that happen by themselves, for every order due at ``now``: shipped ->
    received ``RECEIVE_AFTER`` after shipping (the seller is notified), received ->
    completed ``COMPLETE_AFTER`` after receipt. Each is dated when it fell due, not when
    this runs. Returns how many steps were taken.

    Called where orders are read. When nothing is due it costs two index probes and no
    write. A failure (e.g. two replicas settling the same rows) is logged and left for the
    next read: every UPDATE re-checks its status, so nothing is taken twice.
    """
    now = now or utcnow()
    receive_by = now - RECEIVE_AFTER
    complete_by = now - COMPLETE_AFTER
    to_receive = and_(Order.status == OrderStatus.SHIPPED.value, Order.shipped_at <= receive_by)
    to_complete = and_(
        Order.status == OrderStatus.RECEIVED.value,
        Order.shipped_at <= complete_by,  # implied (received after shipped): uses the index
        Order.received_at <= complete_by,
    )
    try:
        due = session.exec(select(exists().where(to_receive), exists().where(to_complete))).one()
        session.rollback()  # a read only: the writes below start their own transaction
        if not any(due):
            return 0
        begin_write(session)
        received = session.exec(
            update(Order)
            .where(to_receive)
            .values(
                status=OrderStatus.RECEIVED.value,
                received_at=_later(session, Order.shipped_at, RECEIVE_AFTER),
            )
            .returning(Order.id, Order.buyer_id, Order.seller_id)
        ).all()
        labels = order_labels(session, [row.id for row in received]) if received else {}
        for row in received:
            item_id, title = labels.get(row.id, (None, ""))
            notify(session, row.seller_id, Kind.ORDER_RECEIVED, actor_id=row.buyer_id,
                   item_id=item_id, item_title=title, order_id=row.id)  # fmt: skip
        completed = session.exec(  # also the ones just received, if long due
            update(Order)
            .where(to_complete)
            .values(
                status=OrderStatus.COMPLETED.value,
                completed_at=_later(session, Order.received_at, COMPLETE_AFTER),
            )
            .returning(Order.id)
        ).all()
        session.commit()
    except DBAPIError:
        session.rollback()
        _log.warning("the automatic order steps failed; the next read tries again", exc_info=True)
        return 0
    except BaseException:
        session.rollback()
        raise
    return len(received) + len(completed)


# --- the timeline -------------------------------------------------------------------------


class TrackedOrder(Protocol):
    status: str
    created_at: datetime
    shipped_at: datetime | None
    received_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True)
class TimelineStep:
    """One step of an order, done (``at``) or not yet (``expected``: when it happens by
    itself, if it does and the step before is done)."""

    status: OrderStatus
    label: str  # in the reader's language
    at: datetime | None
    expected: datetime | None = None

    @property
    def done(self) -> bool:
        return self.at is not None


def status_label(status: OrderStatus | str) -> str:
    """An order's status as people read it, in their language: "Shipped", "Expédiée"."""
    return _(STATUS_LABELS[OrderStatus(status)])


def timeline(order: TrackedOrder) -> list[TimelineStep]:
    """The four steps of ``order`` with their dates, for both sides' pages."""
    status = OrderStatus(order.status)
    received_by = order.shipped_at + RECEIVE_AFTER if status is OrderStatus.SHIPPED else None
    complete_by = order.received_at + COMPLETE_AFTER if status is OrderStatus.RECEIVED else None
    return [
        TimelineStep(OrderStatus.PAID, status_label(OrderStatus.PAID), order.created_at),
        TimelineStep(OrderStatus.SHIPPED, status_label(OrderStatus.SHIPPED), order.shipped_at),
        TimelineStep(
            OrderStatus.RECEIVED,
            status_label(OrderStatus.RECEIVED),
            order.received_at,
            received_by,
        ),
        TimelineStep(
            OrderStatus.COMPLETED,
            status_label(OrderStatus.COMPLETED),
            order.completed_at,
            complete_by,
        ),
    ]

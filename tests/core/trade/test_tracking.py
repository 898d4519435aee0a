"""Order tracking on a real database: each step by its party only, no skipping, no going
back, a double click applied once, the automatic steps, and the notifications."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from core.messaging.notifications import Kind
from core.models.base import utcnow
from core.models.messaging import Notification
from core.models.trade import Order
from core.text import CONTROL_MESSAGE
from core.trade.cart import add_to_cart
from core.trade.orders import purchases, sales
from core.trade.tracking import (
    COMPLETE_AFTER,
    RECEIVE_AFTER,
    OrderNotFoundError,
    TrackingError,
    complete_order,
    confirm_received,
    mark_shipped,
    settle_due,
    timeline,
)
from tests.core.trade.test_checkout import buy
from tests.listing_helpers import add_items

MS = timedelta(milliseconds=1)  # SQLite dates the automatic steps to the millisecond


def place_order(engine, people, titles=("Red dress", "Blue jeans")) -> int:
    ids = add_items(engine, people["seller"], [dict(title=t) for t in titles])
    with Session(engine) as s:
        for item_id in ids:
            add_to_cart(s, people["buyer"], item_id)
    return buy(engine, people["buyer"]).id


@pytest.fixture
def order_id(engine, people) -> int:
    return place_order(engine, people)


def order(engine, order_id) -> Order:
    with Session(engine) as s:
        return s.get(Order, order_id)


def notifications(engine, kind: Kind) -> list[Notification]:
    with Session(engine) as s:
        return list(s.exec(select(Notification).where(Notification.kind == kind.value)).all())


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def step_fails(engine, call, message: str, *args) -> None:
    """``call(session, *args)`` is refused with ``message`` and leaves no transaction."""
    with Session(engine) as s:
        with pytest.raises(TrackingError) as refused:
            call(s, *args)
        assert str(refused.value) == message
        assert not s.in_transaction()


# --- each step by hand ------------------------------------------------------------------


def test_paid_shipped_received_completed(engine, people, order_id):
    seller, buyer = people["seller"], people["buyer"]
    assert order(engine, order_id).status == "paid"
    with Session(engine) as s:
        mark_shipped(s, seller, order_id, "  Colissimo   6A1234 ")
    shipped = order(engine, order_id)
    assert (shipped.status, shipped.tracking) == ("shipped", "Colissimo 6A1234")
    assert shipped.shipped_at is not None and shipped.received_at is None
    (note,) = notifications(engine, Kind.ORDER_SHIPPED)
    assert (note.user_id, note.actor_id, note.order_id) == (buyer, seller, order_id)
    assert note.item_title == "Red dress + 1"
    with Session(engine) as s:
        confirm_received(s, buyer, order_id)
    received = order(engine, order_id)
    assert received.status == "received" and received.received_at >= received.shipped_at
    (note,) = notifications(engine, Kind.ORDER_RECEIVED)
    assert (note.user_id, note.actor_id, note.order_id) == (seller, buyer, order_id)
    with Session(engine) as s:
        complete_order(s, buyer, order_id)
    done = order(engine, order_id)
    assert done.status == "completed" and done.completed_at >= done.received_at
    assert done.tracking == "Colissimo 6A1234"


def test_the_tracking_text_is_optional(engine, people, order_id):
    with Session(engine) as s:
        mark_shipped(s, people["seller"], order_id)
    assert (order(engine, order_id).status, order(engine, order_id).tracking) == ("shipped", "")


@pytest.mark.parametrize(
    ("tracking", "message"),
    [
        ("6A\x001234", CONTROL_MESSAGE),
        ("La Poste \u202e4321", CONTROL_MESSAGE),
        ("x" * 101, "The tracking text can be at most 100 characters."),
    ],
)
def test_a_bad_tracking_text_ships_nothing(engine, people, order_id, tracking, message):
    step_fails(engine, mark_shipped, message, people["seller"], order_id, tracking)
    assert order(engine, order_id).status == "paid"
    assert notifications(engine, Kind.ORDER_SHIPPED) == []


# --- the forbidden steps ------------------------------------------------------------------


def test_no_skipping_a_step(engine, people, order_id):
    buyer = people["buyer"]
    step_fails(engine, confirm_received, "This order is not shipped yet.", buyer, order_id)
    step_fails(engine, complete_order, "This order is not shipped yet.", buyer, order_id)
    assert order(engine, order_id).status == "paid"
    with Session(engine) as s:
        mark_shipped(s, people["seller"], order_id)
    step_fails(
        engine, complete_order, "This order is shipped but not received yet.", buyer, order_id
    )
    assert order(engine, order_id).status == "shipped"
    assert notifications(engine, Kind.ORDER_RECEIVED) == []


def test_no_going_back(engine, people, order_id):
    seller, buyer = people["seller"], people["buyer"]
    with Session(engine) as s:
        mark_shipped(s, seller, order_id, "first")
        confirm_received(s, buyer, order_id)
    step_fails(
        engine, mark_shipped, "This order is already marked as received.", seller, order_id, "x"
    )
    with Session(engine) as s:
        complete_order(s, buyer, order_id)
    step_fails(engine, confirm_received, "This order is already completed.", buyer, order_id)
    step_fails(engine, mark_shipped, "This order is already completed.", seller, order_id)
    done = order(engine, order_id)
    assert (done.status, done.tracking) == ("completed", "first")
    assert len(notifications(engine, Kind.ORDER_SHIPPED)) == 1


def test_only_the_right_party_takes_each_step(engine, people, order_id):
    seller, buyer = people["seller"], people["buyer"]
    step_fails(
        engine, mark_shipped, "Only the seller can mark an order as shipped.", buyer, order_id
    )
    with Session(engine) as s:
        mark_shipped(s, seller, order_id)
    step_fails(
        engine,
        confirm_received,
        "Only the buyer can confirm that the order was received.",
        seller,
        order_id,
    )
    with Session(engine) as s:
        confirm_received(s, buyer, order_id)
    step_fails(
        engine,
        complete_order,
        "Only the buyer can say that everything is fine with the order.",
        seller,
        order_id,
    )
    assert order(engine, order_id).status == "received"


@pytest.mark.parametrize("step", [mark_shipped, confirm_received, complete_order])
def test_another_users_order_is_not_found(engine, people, order_id, step):
    with Session(engine) as s:  # the order is at the step the call needs
        if step is not mark_shipped:
            mark_shipped(s, people["seller"], order_id)
        if step is complete_order:
            confirm_received(s, people["buyer"], order_id)
    before = order(engine, order_id).status
    with Session(engine) as s:
        for who, which in ((people["rival"], order_id), (people["buyer"], 999_999)):
            with pytest.raises(OrderNotFoundError, match=r"^Order not found\.$"):
                step(s, who, which)
    assert order(engine, order_id).status == before


# --- double clicks and two tabs -------------------------------------------------------------


def test_a_double_click_ships_once(engine, people, order_id):
    with Session(engine) as s:
        mark_shipped(s, people["seller"], order_id, "first")
    step_fails(
        engine,
        mark_shipped,
        "This order is already marked as shipped.",
        people["seller"],
        order_id,
        "second",
    )
    assert order(engine, order_id).tracking == "first"
    assert len(notifications(engine, Kind.ORDER_SHIPPED)) == 1


def at_once(engine, calls) -> list:
    """Each call(session) at the same moment, on its own connection: result or refusal."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(n: int) -> None:
        with Session(engine) as s:
            barrier.wait()
            try:
                results[n] = calls[n](s)
            except TrackingError as exc:
                results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_two_tabs_confirming_receipt_at_once_apply_it_once(engine, people, order_id, attempt):
    buyer = people["buyer"]
    with Session(engine) as s:
        mark_shipped(s, people["seller"], order_id)
    results = at_once(engine, [lambda s: confirm_received(s, buyer, order_id)] * 2)
    refusals = [r for r in results if isinstance(r, TrackingError)]
    assert results.count(None) == 1 and len(refusals) == 1, results
    assert str(refusals[0]) == "This order is already marked as received."
    assert order(engine, order_id).status == "received"
    assert len(notifications(engine, Kind.ORDER_RECEIVED)) == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_tabs_shipping_at_once_ship_once(engine, people, order_id, attempt):
    seller = people["seller"]
    results = at_once(
        engine, [lambda s, t=t: mark_shipped(s, seller, order_id, t) for t in ("A", "B")]
    )
    assert results.count(None) == 1, results
    winner = "AB"[results.index(None)]
    assert order(engine, order_id).tracking == winner
    assert len(notifications(engine, Kind.ORDER_SHIPPED)) == 1


# --- the automatic steps ------------------------------------------------------------------


def shipped_at(engine, people, order_id) -> datetime:
    with Session(engine) as s:
        mark_shipped(s, people["seller"], order_id)
    return aware(order(engine, order_id).shipped_at)


def test_a_shipped_order_is_received_by_itself_after_14_days(engine, people, order_id):
    sent = shipped_at(engine, people, order_id)
    with Session(engine) as s:
        assert settle_due(s, sent + RECEIVE_AFTER - timedelta(minutes=1)) == 0
        assert not s.in_transaction()
    assert order(engine, order_id).status == "shipped"
    with Session(engine) as s:
        assert settle_due(s, sent + RECEIVE_AFTER + timedelta(minutes=1)) == 1
    got = order(engine, order_id)
    assert got.status == "received"
    assert abs(aware(got.received_at) - (sent + RECEIVE_AFTER)) < MS  # when it fell due
    (note,) = notifications(engine, Kind.ORDER_RECEIVED)
    assert (note.user_id, note.actor_id, note.order_id) == (
        people["seller"],
        people["buyer"],
        order_id,
    )
    assert note.item_title == "Red dress + 1"
    # the buyer's own click afterwards is told where the order stands
    step_fails(
        engine,
        confirm_received,
        "This order is already marked as received.",
        people["buyer"],
        order_id,
    )


def test_a_received_order_completes_by_itself_after_the_window(engine, people, order_id):
    shipped_at(engine, people, order_id)
    with Session(engine) as s:
        confirm_received(s, people["buyer"], order_id)
    got = aware(order(engine, order_id).received_at)
    with Session(engine) as s:
        assert settle_due(s, got + COMPLETE_AFTER - timedelta(minutes=1)) == 0
    assert order(engine, order_id).status == "received"
    with Session(engine) as s:
        assert settle_due(s, got + COMPLETE_AFTER + timedelta(minutes=1)) == 1
    done = order(engine, order_id)
    assert done.status == "completed"
    assert abs(aware(done.completed_at) - (got + COMPLETE_AFTER)) < MS
    assert len(notifications(engine, Kind.ORDER_RECEIVED)) == 1  # the buyer's, not another


def test_a_long_forgotten_order_takes_both_steps_at_once(engine, people, order_id):
    sent = shipped_at(engine, people, order_id)
    with Session(engine) as s:
        assert settle_due(s, sent + timedelta(days=60)) == 2
        assert settle_due(s, sent + timedelta(days=61)) == 0  # nothing twice
    done = order(engine, order_id)
    assert done.status == "completed"
    assert abs(aware(done.received_at) - (sent + RECEIVE_AFTER)) < MS
    assert abs(aware(done.completed_at) - (sent + RECEIVE_AFTER + COMPLETE_AFTER)) < MS
    assert len(notifications(engine, Kind.ORDER_RECEIVED)) == 1


def test_settling_touches_only_the_orders_due(engine, people):
    paid = place_order(engine, people, ["Paid hat"])
    due = place_order(engine, people, ["Due coat"])
    fresh = place_order(engine, people, ["Fresh scarf"])
    with Session(engine) as s:
        mark_shipped(s, people["seller"], due)
        mark_shipped(s, people["seller"], fresh)
    with Session(engine) as s:  # behind the app's back: shipped 15 days ago
        s.get(Order, due).shipped_at = utcnow() - timedelta(days=15)
        s.commit()
    with Session(engine) as s:
        assert settle_due(s) == 1  # now
        assert settle_due(s) == 0  # nothing twice
    assert order(engine, due).status == "received"
    assert order(engine, fresh).status == "shipped"
    assert order(engine, paid).status == "paid"
    (note,) = notifications(engine, Kind.ORDER_RECEIVED)
    assert (note.order_id, note.item_title) == (due, "Due coat")


def test_settling_races_with_the_buyers_click(engine, people, order_id):
    sent = shipped_at(engine, people, order_id)
    buyer = people["buyer"]
    later = sent + RECEIVE_AFTER + timedelta(minutes=1)  # the receipt is due
    results = at_once(
        engine,
        [lambda s: confirm_received(s, buyer, order_id), lambda s: settle_due(s, later)],
    )
    clicked, settled = results
    assert settled == 1, results  # one step each, never the same one twice
    if clicked is None:  # the buyer first: a receipt of today is 2 days old by then
        assert order(engine, order_id).status == "completed"
    else:  # settling first: received 14 days after shipping, completed 2 days later
        assert str(clicked) == "This order is already marked as received."
        assert order(engine, order_id).status == "received"
    assert len(notifications(engine, Kind.ORDER_RECEIVED)) == 1  # whoever won, once


# --- what the pages read ------------------------------------------------------------------


def test_the_timeline_follows_the_order(engine, people, order_id):
    def steps():
        with Session(engine) as s:
            (summary,) = purchases(s, people["buyer"])
        return {step.label: step for step in timeline(summary)}

    start = steps()
    assert list(start) == ["Paid", "Shipped", "Received", "Completed"]
    assert [step.done for step in start.values()] == [True, False, False, False]
    assert start["Received"].expected is None  # nothing happens by itself before shipping
    sent = shipped_at(engine, people, order_id)
    middle = steps()
    assert middle["Shipped"].done and not middle["Received"].done
    assert aware(middle["Received"].expected) == sent + RECEIVE_AFTER
    with Session(engine) as s:
        confirm_received(s, people["buyer"], order_id)
    late = steps()
    got = aware(late["Received"].at)
    assert aware(late["Completed"].expected) == got + COMPLETE_AFTER
    assert late["Received"].expected is None


def test_both_sides_see_the_status_and_the_tracking(engine, people, order_id):
    with Session(engine) as s:
        mark_shipped(s, people["seller"], order_id, "6A1234")
    with Session(engine) as s:
        (bought,) = purchases(s, people["buyer"])
        (sold,) = sales(s, people["seller"])
        assert purchases(s, people["rival"]) == sales(s, people["rival"]) == []
    for summary in (bought, sold):
        assert (summary.status, summary.tracking) == ("shipped", "6A1234")
        assert summary.shipped_at is not None and summary.received_at is None
        assert (summary.seller_id, summary.seller_name) == (people["seller"], "Sam")
        assert summary.review is None


def test_a_settle_with_nothing_due_writes_nothing(engine, people, order_id):
    with Session(engine) as s:
        mark_shipped(s, people["seller"], order_id)
    with Session(engine) as s:
        before = s.exec(select(func.count()).select_from(Notification)).one()
        assert settle_due(s) == 0
        assert not s.in_transaction()
        assert s.exec(select(func.count()).select_from(Notification)).one() == before

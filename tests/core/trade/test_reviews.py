"""Reviews and sellers' pages on a real database: only the buyer, only once received, once
per order (also from two tabs at once), the checks, and what a seller's page shows."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from core.catalogue.sellers import (
    ITEMS_SHOWN,
    SellerNotFoundError,
    seller_id_from_text,
    seller_profile,
)
from core.messaging.notifications import Kind
from core.models.accounts import User
from core.models.base import utcnow
from core.models.messaging import Notification
from core.models.trade import Review
from core.text import CONTROL_MESSAGE
from core.trade.orders import purchases, sales
from core.trade.reviews import ReviewError, leave_review, seller_rating, seller_reviews
from core.trade.tracking import OrderNotFoundError, complete_order, confirm_received, mark_shipped
from tests.core.trade.test_tracking import place_order
from tests.listing_helpers import add_items, make_user


def received_order(engine, people, titles=("Red dress",)) -> int:
    order_id = place_order(engine, people, titles)
    with Session(engine) as s:
        mark_shipped(s, people["seller"], order_id)
        confirm_received(s, people["buyer"], order_id)
    return order_id


def reviews(engine) -> list[Review]:
    with Session(engine) as s:
        return list(s.exec(select(Review)).all())


def refused(engine, message: str, *args, error=ReviewError) -> None:
    with Session(engine) as s:
        with pytest.raises(error) as caught:
            leave_review(s, *args)
        assert str(caught.value) == message
        assert not s.in_transaction()


def test_the_buyer_reviews_a_received_order_once(engine, people):
    order_id = received_order(engine, people)
    with Session(engine) as s:
        leave_review(s, people["buyer"], order_id, 4, "  Quick and well packed.\nThanks!  ")
    (review,) = reviews(engine)
    assert (review.order_id, review.seller_id, review.buyer_id) == (
        order_id,
        people["seller"],
        people["buyer"],
    )
    assert (review.rating, review.comment) == (4, "Quick and well packed.\nThanks!")
    with Session(engine) as s:
        (note,) = s.exec(select(Notification).where(Notification.kind == Kind.REVIEW.value))
        assert (note.user_id, note.actor_id, note.order_id) == (
            people["seller"],
            people["buyer"],
            order_id,
        )
        assert note.item_title == "Red dress"
    refused(engine, "You already reviewed this order.", people["buyer"], order_id, 1, "changed")
    assert [r.rating for r in reviews(engine)] == [4]  # the first one stands


def test_a_completed_order_can_be_reviewed_too_and_the_comment_is_optional(engine, people):
    order_id = received_order(engine, people)
    with Session(engine) as s:
        complete_order(s, people["buyer"], order_id)
        leave_review(s, people["buyer"], order_id, 5)
    assert [(r.rating, r.comment) for r in reviews(engine)] == [(5, "")]


def test_no_review_before_the_order_is_received(engine, people):
    order_id = place_order(engine, people, ["Red dress"])
    message = "You can review the seller once you have received the order."
    refused(engine, message, people["buyer"], order_id, 5, "")
    with Session(engine) as s:
        mark_shipped(s, people["seller"], order_id)
    refused(engine, message, people["buyer"], order_id, 5, "")
    assert reviews(engine) == []


def test_only_the_buyer_reviews(engine, people):
    order_id = received_order(engine, people)
    refused(engine, "Only the buyer can review this order.", people["seller"], order_id, 5, "")
    refused(engine, "Order not found.", people["rival"], order_id, 5, "", error=OrderNotFoundError)
    refused(engine, "Order not found.", people["buyer"], 999_999, 5, "", error=OrderNotFoundError)
    assert reviews(engine) == []


@pytest.mark.parametrize(
    ("rating", "comment", "message"),
    [
        (0, "", "Choose a rating from 1 to 5 stars."),
        (6, "", "Choose a rating from 1 to 5 stars."),
        (None, "", "Choose a rating from 1 to 5 stars."),
        (True, "", "Choose a rating from 1 to 5 stars."),
        (4.5, "", "Choose a rating from 1 to 5 stars."),
        ("5", "", "Choose a rating from 1 to 5 stars."),
        (3, "ok\x00", CONTROL_MESSAGE),
        (3, "great \u202eeciloP", CONTROL_MESSAGE),
        (3, "x" * 1001, "The comment can be at most 1000 characters."),
    ],
)
def test_review_checks(engine, people, rating, comment, message):
    order_id = received_order(engine, people)
    refused(engine, message, people["buyer"], order_id, rating, comment)
    assert reviews(engine) == []


def test_the_longest_comment_fits(engine, people):
    order_id = received_order(engine, people)
    with Session(engine) as s:
        leave_review(s, people["buyer"], order_id, 3, "  " + "x" * 1000 + "\n")
    assert len(reviews(engine)[0].comment) == 1000


@pytest.mark.parametrize("attempt", range(3))
def test_two_tabs_sending_a_review_at_once_store_one(engine, people, attempt):
    order_id = received_order(engine, people)
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(n: int) -> None:
        with Session(engine) as s:
            barrier.wait()
            try:
                leave_review(s, people["buyer"], order_id, n + 1, f"tab {n}")
                results[n] = "ok"
            except ReviewError as exc:
                results[n] = str(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["You already reviewed this order.", "ok"], results
    (review,) = reviews(engine)
    assert review.comment == f"tab {results.index('ok')}"
    with Session(engine) as s:
        notes = s.exec(
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == Kind.REVIEW.value)
        ).one()
    assert notes == 1


def test_both_sides_see_the_review_on_the_order(engine, people):
    order_id = received_order(engine, people)
    with Session(engine) as s:
        leave_review(s, people["buyer"], order_id, 2, "Late.")
        (bought,) = purchases(s, people["buyer"])
        (sold,) = sales(s, people["seller"])
    for summary in (bought, sold):
        assert (summary.review.rating, summary.review.comment) == (2, "Late.")


# --- a seller's rating and page -------------------------------------------------------------


def test_the_rating_is_the_average_of_the_sellers_reviews(engine, people):
    with Session(engine) as s:
        assert seller_rating(s, people["seller"]).average is None
        assert seller_rating(s, people["seller"]).count == 0
    for n, stars in enumerate((5, 4, 4)):
        order_id = received_order(engine, people, [f"Item {n}"])
        with Session(engine) as s:
            leave_review(s, people["buyer"], order_id, stars, f"review {n}")
    other = make_user(engine, "other@example.com", "Olga")  # another seller's review
    order_id = place_order(engine, {**people, "seller": other}, ["Olga's hat"])
    with Session(engine) as s:
        mark_shipped(s, other, order_id)
        confirm_received(s, people["buyer"], order_id)
        leave_review(s, people["buyer"], order_id, 1)
        rating = seller_rating(s, people["seller"])
        assert (round(rating.average, 2), rating.count) == (4.33, 3)
        assert seller_rating(s, other).average == 1.0
        latest = seller_reviews(s, people["seller"])
    assert [r.comment for r in latest] == ["review 2", "review 1", "review 0"]  # newest first
    assert {r.reviewer_name for r in latest} == {"Bea"}


def test_the_sellers_page(engine, people):
    seller = people["seller"]
    sold_id = received_order(engine, people, ["Sold dress", "Sold scarf"])
    add_items(engine, seller, [dict(title="Jeans on sale"), dict(title="Hat on sale")])
    add_items(engine, people["rival"], [dict(title="Someone else's")])
    with Session(engine) as s:
        leave_review(s, people["buyer"], sold_id, 5, "Perfect")
        profile = seller_profile(s, seller)
        joined = s.get(User, seller).created_at
    assert (profile.seller_id, profile.display_name, profile.member_since) == (
        seller,
        "Sam",
        joined,
    )
    assert (profile.rating.average, profile.rating.count) == (5.0, 1)
    assert [(r.rating, r.comment, r.reviewer_name) for r in profile.reviews] == [
        (5, "Perfect", "Bea")
    ]
    assert [c.item.title for c in profile.items] == ["Hat on sale", "Jeans on sale"]
    assert all(c.thumbnail for c in profile.items)  # the cover's thumbnail
    assert (profile.on_sale, profile.sold) == (2, 2)  # two lines of one order


def test_a_seller_with_many_listings_shows_the_newest(engine, people):
    seller = people["seller"]
    base = utcnow() - timedelta(days=1)
    add_items(
        engine,
        seller,
        [
            dict(title=f"Item {n}", created_at=base + timedelta(seconds=n))
            for n in range(ITEMS_SHOWN + 2)
        ],
    )
    with Session(engine) as s:
        profile = seller_profile(s, seller)
    assert len(profile.items) == ITEMS_SHOWN and profile.on_sale == ITEMS_SHOWN + 2
    assert profile.items[0].item.title == f"Item {ITEMS_SHOWN + 1}"
    assert (profile.rating.count, profile.reviews, profile.sold) == (0, [], 0)


def test_an_unknown_seller_is_not_found(engine, people):
    with Session(engine) as s, pytest.raises(SellerNotFoundError, match=r"^Seller not found\.$"):
        seller_profile(s, 999_999)


@pytest.mark.parametrize("raw", [None, "", "abc", "1a", " 7", "7 ", "١", "1_0", "0", "-3",
                                 "+3", "99999999999", "2147483648"])  # fmt: skip
def test_seller_ids_in_the_address_are_ascii_digits(raw):
    with pytest.raises(SellerNotFoundError):
        seller_id_from_text(raw)


def test_a_seller_id_in_the_address():
    assert seller_id_from_text("42") == 42
    assert seller_id_from_text("2147483647") == 2147483647

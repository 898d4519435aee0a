"""Order tracking, reviews and sellers' pages through the real pages (AppTest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from core.models.base import utcnow
from core.models.trade import Order, Review
from core.text import CONTROL_MESSAGE
from core.trade.cart import add_to_cart, get_cart
from core.trade.checkout import Shipping, checkout
from core.trade.reviews import ReviewError, leave_review
from core.trade.tracking import confirm_received, mark_shipped
from tests.apptest import card_titles, log_in, open_page, start_app, texts
from tests.shop_helpers import app_db, click, errors, item_by_title, labels, open_item, user_id

ORDERS, SELLER = "app_pages/orders.py", "app_pages/seller.py"
SHIP = Shipping("Hugo", "4 place Bellecour", "69002", "Lyon")


def place_order(app_env, title="Red wrap midi dress", buyer="user2@gmail.com") -> int:
    """The buyer checks out ``title`` (a listing of user1, Camille) through core."""
    engine = app_db(app_env)
    buyer_id = user_id(engine, buyer)
    with Session(engine) as s:
        add_to_cart(s, buyer_id, item_by_title(engine, title).id)
        (order,) = checkout(s, buyer_id, SHIP, get_cart(s, buyer_id).confirmation)
    return order.id


def order(app_env, order_id) -> Order:
    with Session(app_db(app_env)) as s:
        return s.get(Order, order_id)


def open_seller(at, raw_id: str):
    at.switch_page(SELLER)
    at.query_params["id"] = raw_id
    at.run()
    assert not at.exception, at.exception
    return at


def successes(at) -> list[str]:
    return [s.value for s in at.success]


def test_ship_receive_review_then_the_sellers_page(app_env):
    order_id = place_order(app_env)
    # the seller ships, with a tracking text
    at = open_page(log_in(start_app(), "user1@gmail.com"), ORDERS)
    assert any("Paid: to ship" in m.value for m in at.markdown)  # the status badge
    assert "I received it" not in labels(at)  # the buyer's step, not offered to the seller
    (tracking,) = [t for t in at.text_input if "tracking number" in t.label]
    tracking.input("Colissimo 6A1234")
    click(at, "Mark as shipped")
    assert successes(at) == ["Marked as shipped: the buyer is told."]
    assert not at.warning  # a click that worked is not "too late"
    assert "Mark as shipped" not in labels(at)
    assert (order(app_env, order_id).status, order(app_env, order_id).tracking) == (
        "shipped",
        "Colissimo 6A1234",
    )
    # the buyer sees it and confirms
    at = open_page(log_in(start_app(), "user2@gmail.com"), ORDERS)
    assert "tracking: Colissimo 6A1234" in texts(at)
    assert "Mark as shipped" not in labels(at) and "Send the review" not in labels(at)
    click(at, "I received it")
    assert successes(at) == ["Thank you: the seller is told."]
    assert not at.warning  # a click that worked is not "too late"
    assert order(app_env, order_id).status == "received"
    assert "Everything is fine" in labels(at)
    # and reviews the seller, once
    (stars,) = at.feedback
    stars.set_value(3)  # the fourth star
    (comment,) = at.text_area
    comment.input("Well packed, *as described*.")
    click(at, "Send the review")
    assert successes(at) == ["Thank you for your review."]
    assert not at.warning  # a click that worked is not "too late"
    assert "Send the review" not in labels(at)  # no second form
    assert any(m.value.startswith("Your review: **★★★★☆**") for m in at.markdown)
    assert "Well packed, *as described*." in [t.value for t in at.text]  # as typed
    with Session(app_db(app_env)) as s:  # a forged second review is refused by core
        buyer = user_id(app_db(app_env), "user2@gmail.com")
        with pytest.raises(ReviewError, match="already reviewed"):
            leave_review(s, buyer, order_id, 1, "forged")
        assert [r.rating for r in s.exec(select(Review))] == [4]
    click(at, "Everything is fine")
    assert successes(at) == ["The order is completed."]
    assert order(app_env, order_id).status == "completed"
    # the seller sees the review on the sale
    at = open_page(log_in(start_app(), "user1@gmail.com"), ORDERS)
    assert any(m.value.startswith("Hugo's review: **★★★★☆**") for m in at.markdown)
    # everyone sees it on the seller's page
    at = open_seller(start_app(), str(user_id(app_db(app_env), "user1@gmail.com")))
    assert [t.value for t in at.title] == ["Camille"]
    assert "**★ 4.0 (1 review)** · **1 sold** · **11 for sale**" in texts(at)
    assert "Well packed, *as described*." in [t.value for t in at.text]
    assert any("★★★★☆" in m.value and "Hugo" in m.value for m in at.markdown)
    assert "Green hooded parka" in card_titles(at) and "Red wrap midi dress" not in texts(at)


@pytest.mark.parametrize("raw", ["999", "abc", "", "1a", "٣"])
def test_an_unknown_seller_is_not_found(app_env, raw):
    at = open_seller(start_app(), raw)
    assert [t.value for t in at.title] == ["Seller not found"]
    assert "Go to the shop" in [link.value for link in at.page_link]


def test_a_logged_out_visitor_opens_a_sellers_page(app_env):
    seller = user_id(app_db(app_env), "user2@gmail.com")
    at = open_seller(start_app(), str(seller))
    assert [t.value for t in at.title] == ["Hugo"]
    assert "**No reviews yet** · **0 sold**" in texts(at)
    assert "No reviews yet." in [i.value for i in at.info]
    assert "Navy summer dress" in texts(at)  # Hugo's listing, as a shop card
    assert "Welcome back" not in texts(at)  # not sent to log in


def test_the_item_page_links_to_the_seller_with_the_rating(app_env):
    engine = app_db(app_env)
    item = item_by_title(engine, "Straw-colour fedora")
    at = open_item(start_app(), item.id)
    (link,) = [p for p in at.page_link if p.value.startswith("Camille's page")]
    assert link.value == "Camille's page · No reviews yet"
    order_id = place_order(app_env)
    with Session(engine) as s:
        seller, buyer = user_id(engine, "user1@gmail.com"), user_id(engine, "user2@gmail.com")
        mark_shipped(s, seller, order_id)
        confirm_received(s, buyer, order_id)
        leave_review(s, buyer, order_id, 5)
    at = open_item(start_app(), item.id)
    (link,) = [p for p in at.page_link if p.value.startswith("Camille's page")]
    assert link.value == "Camille's page · ★ 5.0 (1 review)"
    assert link.proto.query_string == f"id={seller}"


def test_a_click_in_a_tab_behind_another_ships_nothing_more(app_env):
    order_id = place_order(app_env)
    at = open_page(log_in(start_app(), "user1@gmail.com"), ORDERS)
    with Session(app_db(app_env)) as s:  # the other tab was quicker
        mark_shipped(s, user_id(app_db(app_env), "user1@gmail.com"), order_id, "other tab")
    (tracking,) = [t for t in at.text_input if "tracking number" in t.label]
    tracking.input("this tab")
    click(at, "Mark as shipped")  # the rerun reads the order first: the form is gone
    assert errors(at) == [] and successes(at) == []
    assert [w.value for w in at.warning] == [
        f"Order n°{order_id} is already “Shipped”: your click came too late and changed nothing."
    ]
    assert "Mark as shipped" not in labels(at)
    assert "tracking: other tab" in texts(at)
    assert order(app_env, order_id).tracking == "other tab"


def test_a_parcel_shipped_long_ago_is_received_by_itself(app_env):
    order_id = place_order(app_env)
    engine = app_db(app_env)
    with Session(engine) as s:
        mark_shipped(s, user_id(engine, "user1@gmail.com"), order_id)
    with Session(engine) as s:  # behind the app's back: shipped 15 days ago
        s.get(Order, order_id).shipped_at = utcnow() - timedelta(days=15)
        s.commit()
    at = open_page(log_in(start_app(), "user2@gmail.com"), ORDERS)
    assert order(app_env, order_id).status == "received"  # settled when the page read it
    assert "I received it" not in labels(at)
    assert "Send the review" in labels(at) and "Everything is fine" in labels(at)


def test_the_forms_say_what_to_fix(app_env):
    order_id = place_order(app_env)
    at = open_page(log_in(start_app(), "user1@gmail.com"), ORDERS)
    (tracking,) = [t for t in at.text_input if "tracking number" in t.label]
    tracking.input("6A\u202e1234")
    click(at, "Mark as shipped")
    assert errors(at) == [CONTROL_MESSAGE]
    assert order(app_env, order_id).status == "paid" and "Mark as shipped" in labels(at)
    with Session(app_db(app_env)) as s:
        mark_shipped(s, user_id(app_db(app_env), "user1@gmail.com"), order_id)
        confirm_received(s, user_id(app_db(app_env), "user2@gmail.com"), order_id)
    at = open_page(log_in(start_app(), "user2@gmail.com"), ORDERS)
    click(at, "Send the review")  # no star chosen
    assert errors(at) == ["Choose a rating from 1 to 5 stars."]
    assert "Send the review" in labels(at)
    with Session(app_db(app_env)) as s:
        assert s.exec(select(Review)).all() == []

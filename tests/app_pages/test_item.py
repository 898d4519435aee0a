"""The item page (app_pages/item.py, ui/item_page.py): what a visitor, a buyer and the seller
see and may do, and the ids it refuses."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.catalogue.photos import prepare_photo
from core.catalogue.selling import ListingDraft, create_listing
from tests.apptest import card_titles, log_in, open_page, start_app, texts
from tests.shop_helpers import (
    CATALOGUE,
    app_db,
    click,
    enabled,
    item_by_title,
    jpeg,
    labels,
    mark_sold,
    open_item,
    user_id,
)
from ui.widgets import plain


def test_item_page_logged_out_shows_everything_and_sends_to_log_in(app_env):
    engine = app_db(app_env)
    item = item_by_title(engine, "Red wrap midi dress")
    at = open_item(start_app(), item.id)
    page = texts(at).replace("\\", "")
    for fact in ("Red wrap midi dress", "€45.00", "Dress", "Sézane", "Very good", "Camille"):
        assert fact in page, fact
    assert "Worn twice to weddings" in next(t.value for t in at.text)
    assert len(at.get("image")) >= 1
    click(at, "Log in to buy")
    assert "Welcome back" in [t.value for t in at.title]
    log_in(at, "user2@gmail.com")
    assert at.query_params.get("item") == str(item.id)  # back on the item after logging in
    assert "Add to cart" in labels(at)
    del at.query_params["item"]  # Back to the shop: the item does not come back
    at.run()
    assert at.title[0].value == "Second-hand clothes"


def test_an_item_asked_to_log_in_for_does_not_come_back_by_itself(app_env):
    item = item_by_title(app_db(app_env), "Red wrap midi dress")
    at = open_item(start_app(), item.id)
    click(at, "Log in to buy")
    assert "Welcome back" in [t.value for t in at.title]
    open_page(at, CATALOGUE)  # Back, without logging in: the shop, not the item
    at.query_params.clear()
    at.run()
    assert at.title[0].value == "Second-hand clothes"
    assert "item" not in at.query_params


def test_unknown_items_say_so(app_env):
    for raw in ("999999", "abc", "-3", ""):
        at = open_item(start_app(), raw)
        assert "Item not found" in [t.value for t in at.title], raw


def test_add_to_cart_once_then_in_your_cart(app_env):
    engine = app_db(app_env)
    item = item_by_title(engine, "Red wrap midi dress")
    at = open_item(log_in(start_app(), "user2@gmail.com"), item.id)
    click(at, "Add to cart")
    assert "Added to your cart." in [s.value for s in at.success]
    assert "Add to cart" not in labels(at) and not enabled(at, "In your cart")


def test_add_to_cart_of_an_item_sold_meanwhile(app_env):
    engine = app_db(app_env)
    item = item_by_title(engine, "Red wrap midi dress")
    at = open_item(log_in(start_app(), "user2@gmail.com"), item.id)
    mark_sold(engine, item.id)
    at.run()  # the click reruns the page, which now knows the item is sold
    assert "This item is sold." in [i.value for i in at.info]
    assert "Add to cart" not in labels(at)


def test_the_seller_sees_edit_and_delete_and_can_delete(app_env):
    engine = app_db(app_env)
    item = item_by_title(engine, "Red wrap midi dress")
    at = open_item(log_in(start_app(), "user1@gmail.com"), item.id)
    assert {"Edit", "Delete"} <= set(labels(at)) and "Add to cart" not in labels(at)
    click(at, "Delete")
    click(at, "Cancel", key="cancel_delete")
    click(at, "Delete")
    click(at, "Delete", key="confirm_delete")
    assert "My listings" in [t.value for t in at.title]
    assert "Your listing is deleted." in [s.value for s in at.success]
    open_item(at, item.id)
    assert "Item not found" in [t.value for t in at.title]


def test_edit_goes_to_the_sell_page(app_env):
    item = item_by_title(app_db(app_env), "Red wrap midi dress")
    at = open_item(log_in(start_app(), "user1@gmail.com"), item.id)
    click(at, "Edit")
    assert "Edit your listing" in [t.value for t in at.title]
    assert at.text_input(key=f"sell_title_{item.id}-0").value == "Red wrap midi dress"


def test_a_sold_item_cannot_be_bought_or_changed(app_env):
    engine = app_db(app_env)
    item = item_by_title(engine, "Red wrap midi dress")
    mark_sold(engine, item.id)
    at = open_item(log_in(start_app(), "user2@gmail.com"), item.id)
    assert "This item is sold." in [i.value for i in at.info]
    assert "Add to cart" not in labels(at)
    at = open_item(log_in(start_app(), "user1@gmail.com"), item.id)
    assert "You sold this item." in [i.value for i in at.info]
    assert not {"Edit", "Delete"} & set(labels(at))
    assert item.title not in card_titles(open_page(at, CATALOGUE))


def test_user_text_is_shown_as_text_never_as_markdown_or_html(app_env):
    engine = app_db(app_env)
    title = "**Bold** <b>tag</b> [link](http://evil.example) :red[x] $x$"
    description = "# Not a heading\n<script>alert(1)</script>\n- not a list"
    with Session(engine) as s:
        create_listing(
            s,
            user_id(engine, "user1@gmail.com"),
            ListingDraft(
                title=title,
                description=description,
                category="hat",
                size="One size",
                brand="<i>Brand</i>",
                condition="good",
                price="10",
            ),
            [prepare_photo(jpeg())],
        )
    at = start_app()
    # as typed on the card (which the browser sets as text, ui/card_grid.js), not as markdown
    assert title in card_titles(at)
    assert not any(title in m.value for m in at.markdown)
    item = item_by_title(engine, title)
    at = open_item(at, item.id)
    assert plain(title) in [h.value for h in at.header]
    assert description in [t.value for t in at.text]  # st.text: no markdown at all
    assert not any("<i>Brand</i>" in m.value for m in at.markdown)
    assert not at.get("html") or all("<b>tag</b>" not in h.proto.body for h in at.get("html"))


def test_an_impossible_item_id_is_just_not_found(app_env):
    at = start_app()
    for raw in ("100000000000000000000", "2147483648", "-3", "abc", ""):
        at.query_params["item"] = raw
        at.run()
        assert not at.exception, raw
        assert "Item not found" in [t.value for t in at.title], raw


@pytest.mark.parametrize("raw", ["١", "۱", "１", " 1", "1 ", "+1", "1_0", "0x1", "²"])
def test_an_item_id_is_ascii_digits_only(app_env, raw):
    """Before: int() read "١" (an Arabic digit) as 1 and opened item 1."""
    at = start_app()
    at.query_params["item"] = raw
    at.run()
    assert not at.exception, raw
    assert "Item not found" in [t.value for t in at.title], raw

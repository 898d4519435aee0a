"""My listings, the cart with checkout, and the orders, through the real pages (AppTest)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from core.accounts import accounts
from core.models.catalogue import Item
from core.models.trade import CartLine, Order, OrderLine
from core.trade.cart import add_to_cart
from tests.apptest import log_in, open_page, start_app, texts
from tests.shop_helpers import app_db, click, errors, item_by_title, labels, mark_sold, user_id

LISTINGS, CART, ORDERS = "app_pages/my_listings.py", "app_pages/cart.py", "app_pages/orders.py"


@pytest.mark.parametrize("page", [LISTINGS, CART, ORDERS])
def test_logged_out_visitors_are_sent_to_log_in_then_back(app_env, page):
    at = open_page(start_app(), page)
    assert "Welcome back" in [t.value for t in at.title]
    log_in(at)
    assert at.title[0].value in ("My listings", "My cart", "My orders")


# --- my listings --------------------------------------------------------------------------


def test_my_listings_shows_status_and_actions(app_env):
    engine = app_db(app_env)
    sold = item_by_title(engine, "Red wrap midi dress")
    mark_sold(engine, sold.id)
    at = open_page(log_in(start_app(), "user1@gmail.com"), LISTINGS)
    assert "11 on sale · 1 sold" in texts(at)
    assert labels(at).count("Edit") == labels(at).count("Delete") == 11  # not for the sold one
    assert "Navy summer dress" not in texts(at)  # user2's


def test_delete_from_my_listings_with_confirmation(app_env):
    engine = app_db(app_env)
    item = item_by_title(engine, "Red wrap midi dress")
    at = open_page(log_in(start_app(), "user1@gmail.com"), LISTINGS)
    click(at, "Delete", key=f"delete_{item.id}")
    assert "Delete this listing?" in texts(at) or "confirm_delete" in [b.key for b in at.button]
    click(at, "Cancel", key="cancel_delete")
    assert "Red wrap midi dress" in texts(at)
    click(at, "Delete", key=f"delete_{item.id}")
    mark_sold(engine, item.id)  # sold while the dialog was open
    click(at, "Delete", key="confirm_delete")
    assert errors(at) == ["This item is sold: it can no longer be changed or deleted."]


def test_delete_from_my_listings(app_env):
    engine = app_db(app_env)
    item = item_by_title(engine, "Red wrap midi dress")
    at = open_page(log_in(start_app(), "user1@gmail.com"), LISTINGS)
    click(at, "Delete", key=f"delete_{item.id}")
    click(at, "Delete", key="confirm_delete")
    assert "Your listing is deleted." in [s.value for s in at.success]
    assert "11 on sale · 0 sold" in texts(at)
    with Session(engine) as s:
        assert s.get(Item, item.id) is None


def test_a_new_seller_has_no_listings_yet(app_env):
    with Session(app_db(app_env)) as s:
        accounts.register_user(s, "new@example.com", "Nina", "long-enough", "long-enough")
    at = open_page(log_in(start_app(), "new@example.com", "long-enough"), LISTINGS)
    assert "You have nothing on sale yet." in [i.value for i in at.info]


# --- cart and checkout --------------------------------------------------------------------


def fill_cart(app_env, email, titles) -> list[int]:
    engine = app_db(app_env)
    buyer = user_id(engine, email)
    ids = [item_by_title(engine, t).id for t in titles]
    with Session(engine) as s:
        for item_id in ids:
            add_to_cart(s, buyer, item_id)
    return ids


def test_empty_cart(app_env):
    at = open_page(log_in(start_app(), "user2@gmail.com"), CART)
    assert "Your cart is empty." in [i.value for i in at.info]


def test_cart_lines_total_and_remove(app_env):
    fill_cart(app_env, "user2@gmail.com", ["Red wrap midi dress", "Straw-colour fedora"])
    at = open_page(log_in(start_app(), "user2@gmail.com"), CART)
    assert "Total: €70.00" in [s.value for s in at.subheader]
    assert "Buy for €70.00" in labels(at)
    click(at, "Remove")
    assert "Total: €25.00" in [s.value for s in at.subheader]
    assert "Red wrap midi dress" not in texts(at)


def test_sold_lines_are_flagged_and_not_counted(app_env):
    ids = fill_cart(app_env, "user2@gmail.com", ["Red wrap midi dress", "Straw-colour fedora"])
    mark_sold(app_db(app_env), ids[0])
    at = open_page(log_in(start_app(), "user2@gmail.com"), CART)
    assert "Total: €25.00" in [s.value for s in at.subheader]
    assert "~~€45.00~~" in [m.value for m in at.markdown]
    assert "1 item to buy" in texts(at)


def test_checkout_with_confirmation_then_orders(app_env):
    engine = app_db(app_env)
    ids = fill_cart(app_env, "user2@gmail.com", ["Red wrap midi dress", "Straw-colour fedora"])
    at = open_page(log_in(start_app(), "user2@gmail.com"), CART)
    fields = {t.label: t for t in at.text_input}
    assert (fields["Name"].value, fields["City"].value) == ("Hugo", "Lyon")  # from the profile
    click(at, "Buy for €70.00")
    assert "Confirm the purchase" in labels(at)
    click(at, "Cancel")
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Order)).one() == 0
    click(at, "Buy for €70.00")
    click(at, "Confirm the purchase")
    assert "My orders" in [t.value for t in at.title]
    (thanks,) = [s.value for s in at.success]
    assert thanks.startswith("Thank you! Your order n°")
    assert "Total **€70.00**" in [m.value for m in at.markdown]
    with Session(engine) as s:
        assert {s.get(Item, i).status for i in ids} == {"sold"}
        assert s.exec(select(func.count()).select_from(CartLine)).one() == 0
    # the seller sees the sale, the buyer's name and where to ship
    at = open_page(log_in(start_app(), "user1@gmail.com"), ORDERS)
    assert "My sales (1)" in [t.label for t in at.tabs]
    assert any("Bought by Hugo" in c.value for c in at.caption)


def test_an_item_sold_during_confirmation_cancels_the_order(app_env):
    engine = app_db(app_env)
    ids = fill_cart(app_env, "user2@gmail.com", ["Red wrap midi dress", "Straw-colour fedora"])
    at = open_page(log_in(start_app(), "user2@gmail.com"), CART)
    click(at, "Buy for €70.00")
    mark_sold(engine, ids[0])  # another buyer was faster
    click(at, "Confirm the purchase")
    assert errors(at) == ["“Red wrap midi dress” was sold in the meantime. Nothing was bought."]
    assert "Total: €25.00" in [s.value for s in at.subheader]  # flagged, left out
    with Session(engine) as s:
        assert s.get(Item, ids[1]).status == "available"
        assert s.exec(select(func.count()).select_from(OrderLine)).one() == 0


def test_shipping_errors_stop_before_the_confirmation(app_env):
    fill_cart(app_env, "user2@gmail.com", ["Red wrap midi dress"])
    at = open_page(log_in(start_app(), "user2@gmail.com"), CART)
    fields = {t.label: t for t in at.text_input}
    fields["Address"].input("")
    fields["Postal code"].input("7!")
    click(at, "Buy for €45.00")
    assert set(errors(at)) == {
        "Enter the street address.",
        "The postal code must be 4 to 10 digits.",
    }
    assert "Confirm the purchase" not in labels(at)


def test_nothing_left_to_buy(app_env):
    ids = fill_cart(app_env, "user2@gmail.com", ["Red wrap midi dress"])
    mark_sold(app_db(app_env), ids[0])
    at = open_page(log_in(start_app(), "user2@gmail.com"), CART)
    assert "Nothing in your cart can be bought any more." in [i.value for i in at.info]
    assert not any(label.startswith("Buy for") for label in labels(at))


# --- orders -------------------------------------------------------------------------------


def test_no_orders_yet(app_env):
    at = open_page(log_in(start_app(), "user1@gmail.com"), ORDERS)
    assert [i.value for i in at.info] == [
        "You have not bought anything yet.",
        "You have not sold anything yet.",
    ]


def test_a_listing_swapped_during_confirmation_is_not_bought(app_env):
    from core.catalogue.listings import get_own_listing
    from core.catalogue.selling import update_listing
    from tests.listing_helpers import draft

    engine = app_db(app_env)
    (item_id,) = fill_cart(app_env, "user2@gmail.com", ["Red wrap midi dress"])
    at = open_page(log_in(start_app(), "user2@gmail.com"), CART)
    click(at, "Buy for €45.00")
    assert any("Red wrap midi dress" in m.value for m in at.markdown)  # what the dialog shows
    seller = user_id(engine, "user1@gmail.com")
    with Session(engine) as s:  # the seller swaps the listing, same price, through the app
        view = get_own_listing(s, seller, item_id)
        update_listing(
            s,
            seller,
            item_id,
            draft(title="Torn rag", category="dress", size="S", price="45.00"),
            [p.id for p in view.photos],
        )
    click(at, "Confirm the purchase")
    assert errors(at) == [
        "The seller changed “Red wrap midi dress” since you confirmed; check it and confirm "
        "again. Nothing was bought."
    ]
    with Session(engine) as s:
        assert s.get(Item, item_id).status == "available"
        assert s.exec(select(func.count()).select_from(Order)).one() == 0


def test_the_checkout_dialog_warns_while_demo_accounts_exist(app_env, monkeypatch):
    import streamlit as st

    fill_cart(app_env, "user2@gmail.com", ["Red wrap midi dress"])
    at = open_page(log_in(start_app(), "user2@gmail.com"), CART)
    click(at, "Buy for €45.00")
    assert any("Do not type a real address" in w.value for w in at.warning)
    # a real marketplace (no demo accounts) has no such warning
    with Session(app_db(app_env)) as s:
        accounts.register_user(s, "real@example.com", "Real", "long-enough", "long-enough")
        add_to_cart(
            s,
            user_id(app_db(app_env), "real@example.com"),
            item_by_title(app_db(app_env), "Straw-colour fedora").id,
        )
    monkeypatch.setenv("DEMO_DATA", "false")
    st.cache_resource.clear()
    at = open_page(log_in(start_app(), "real@example.com", "long-enough"), CART)
    fields = {t.label: t for t in at.text_input}
    fields["Address"].input("3 rue Neuve")
    fields["Postal code"].input("13001")
    fields["City"].input("Marseille")
    click(at, "Buy for €25.00")
    assert "Confirm the purchase" in labels(at)
    assert not any("real address" in w.value for w in at.warning)


def test_the_order_shows_what_was_bought_after_the_seller_edits(app_env):
    engine = app_db(app_env)
    (item_id,) = fill_cart(app_env, "user2@gmail.com", ["Red wrap midi dress"])
    at = open_page(log_in(start_app(), "user2@gmail.com"), CART)
    click(at, "Buy for €45.00")
    click(at, "Confirm the purchase")
    with Session(engine) as s:  # behind the app's back: the app refuses edits of sold items
        item = s.get(Item, item_id)
        item.title, item.brand = "Something else", "Other"
        s.commit()
    at = open_page(at, ORDERS)
    assert any("Red wrap midi dress" in m.value for m in at.markdown)
    assert not any("Something else" in m.value for m in at.markdown)
    assert any("Sézane · size S" in c.value for c in at.caption)


def test_my_listings_counts_a_hidden_listing_apart(app_env):
    engine = app_db(app_env)
    item = item_by_title(engine, "Red wrap midi dress")
    with Session(engine) as s:
        s.get(Item, item.id).status = "hidden"  # by an administrator
        s.commit()
    at = open_page(log_in(start_app(), "user1@gmail.com"), LISTINGS)
    assert "11 on sale · 0 sold · 1 hidden" in texts(at)

"""The item page, shown by the shop at ``?item=ID`` (a link people can share)."""

from __future__ import annotations

import streamlit as st

from core.listings import ItemView, ListingError, delete_listing, get_item_view
from core.models import User
from core.orders import CartError, add_to_cart
from ui import dialogs
from ui.auth import require_user
from ui.state import db_session
from ui.widgets import CATALOGUE_PAGE, flash, item_facts, money, plain, status_badge

MAX_ID = 2**31 - 1  # PostgreSQL's integer; a larger id cannot exist anywhere
RETURN_TO_ITEM = "_return_to_item"  # the item to show again after logging in
DELETE_KEY = "_confirm_delete_item"
FLASH_KEY = "_flash"


def parse_item_id(raw: str | None) -> int | None:
    """The id in ``?item=`` / ``?edit=``: ASCII digits only (``int()`` would also take "١",
    " 7" or "1_0"), within the database's integer."""
    if not raw or len(raw) > 10 or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def render_item_page(user: User | None, raw_id: str | None) -> None:
    """The item's photos, details and what this viewer can do with it."""
    st.page_link(CATALOGUE_PAGE, label="Back to the shop", icon=":material/arrow_back:")
    item_id = parse_item_id(raw_id)
    try:
        if item_id is None:
            raise LookupError
        with db_session() as session:
            view = get_item_view(session, item_id, user.id if user else None)
    except (LookupError, ListingError):
        st.title("Item not found")
        st.info("This item does not exist (it may have been removed).")
        return

    item = view.item
    photos, details = st.columns([5, 4], gap="large")
    with photos:
        _photos(view)
    with details:
        st.header(plain(item.title), anchor=False)
        status_badge(item)
        st.markdown(f"### {money(item.price_cents)}")
        item_facts(item, view.seller_name)
        if item.description:
            st.text(item.description)
        st.divider()
        flash(FLASH_KEY)
        _actions(user, view)
    confirm_delete(DELETE_KEY, then="app_pages/my_listings.py")


def _photos(view: ItemView) -> None:
    if not view.photos:
        st.caption("No photo")
        return
    if len(view.photos) == 1:
        st.image(view.photos[0].image, width="stretch")
        return
    for tab, photo in zip(st.tabs([f"Photo {n}" for n in range(1, len(view.photos) + 1)]),
                          view.photos, strict=True):  # fmt: skip
        tab.image(photo.image, width="stretch")


def _actions(user: User | None, view: ItemView) -> None:
    item = view.item
    if view.is_own:
        if view.is_sold:
            st.info("You sold this item.")
            return
        left, right = st.columns(2)
        if left.button("Edit", icon=":material/edit:", width="stretch"):
            st.switch_page("app_pages/sell.py", query_params={"edit": str(item.id)})
        right.button(
            "Delete",
            icon=":material/delete:",
            width="stretch",
            on_click=dialogs.ask,
            args=(DELETE_KEY, (item.id, item.title)),
        )
    elif view.is_sold:
        st.info("This item is sold.")
    elif user is None:
        if st.button("Log in to buy", type="primary", icon=":material/login:"):
            st.session_state[RETURN_TO_ITEM] = item.id
            require_user(CATALOGUE_PAGE)
    elif view.in_cart:
        st.button("In your cart", icon=":material/check:", disabled=True)
        st.page_link("app_pages/cart.py", label="Go to the cart", icon=":material/shopping_cart:")
    else:
        if st.button("Add to cart", type="primary", icon=":material/add_shopping_cart:"):
            try:
                with db_session() as session:
                    add_to_cart(session, user.id, item.id)
            except CartError as exc:
                st.error(exc.message)
            else:
                st.session_state[FLASH_KEY] = "Added to your cart."
                st.rerun()


def confirm_delete(key: str, *, then: str | None = None) -> None:
    """The "Delete this listing?" dialog opened by ``dialogs.ask(key, (id, title))``.

    After the deletion, go to the page ``then`` (or stay, refreshed).
    """

    def body(value: tuple[int, str]) -> None:
        item_id, title = value
        user = require_user(then or CATALOGUE_PAGE)
        st.markdown(f"**{plain(title)}** will be removed from the shop. This cannot be undone.")
        left, right = st.columns(2)
        if left.button("Delete", type="primary", key="confirm_delete", width="stretch"):
            try:
                with db_session() as session:
                    delete_listing(session, user.id, item_id)
            except ListingError as exc:
                st.error(exc.message)
                return
            dialogs.close(key)
            st.session_state[FLASH_KEY] = "Your listing is deleted."
            if then:
                st.switch_page(then)
            st.rerun()
        if right.button("Cancel", key="cancel_delete", width="stretch"):
            dialogs.close(key)
            st.rerun()

    dialogs.confirm(key, "Delete this listing?", body)

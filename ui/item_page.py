"""The item page, ``/item?item=ID`` (``pages.ITEM``; a link people can share)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.catalogue.address import ShopAddress
from core.catalogue.favourites import item_hearts
from core.catalogue.listings import ItemView, ListingError, get_item_view, item_id_from_text
from core.catalogue.price_history import price_history
from core.catalogue.selling import delete_listing
from core.errors import UserError
from core.i18n import _, current_language
from core.models.accounts import User
from core.models.catalogue import ItemStatus
from core.models.moderation import ReportTarget
from core.moderation.blocks import is_blocked
from core.trade.cart import add_to_cart
from core.trade.reviews import seller_rating
from ui import charts, dialogs, pages, search, warmup
from ui.auth import require_user
from ui.card_grid import card_grid
from ui.conversations import item_page_actions
from ui.favourites import item_heart, page_hearts
from ui.moderation import report_form
from ui.sellers import seller_link
from ui.state import db_session
from ui.widgets import flash, item_facts, money, photo_alt, plain, status_badge

DELETE_KEY = "_confirm_delete_item"
FLASH_KEY = "_flash"


def render_item_page(
    user: User | None, raw_id: str | None, back: ShopAddress | None = None
) -> None:
    """The item's photos, details and what this viewer can do with it; a link back to the
    results it was opened from (``back``, the shop's address)."""
    query = (back or ShopAddress()).params()
    pages.SHOP.link(_("Back to the shop"), icon=":material/arrow_back:", query=query or None)
    try:
        with db_session() as session:
            view = get_item_view(session, item_id_from_text(raw_id), user.id if user else None)
            hearts = item_hearts(session, view.item.id, user.id if user else None)
            rating = seller_rating(session, view.item.seller_id)
            blocked = (  # one of the two blocked the other: nothing to buy, ask or offer
                user is not None
                and not view.is_own
                and is_blocked(session, user.id, view.item.seller_id)
            )
    except ListingError:
        not_found = _("Item not found")
        st.set_page_config(page_title=f"{not_found} · {pages.APP_NAME}")
        st.title(not_found, anchor=False)
        st.info(_("This item does not exist (it may have been removed)."))
        return

    item = view.item
    st.set_page_config(page_title=f"{item.title} · {pages.APP_NAME}")  # the tab's title: text
    photos, details = st.columns([5, 4], gap="large")
    with photos:
        _photos(view)
    with details:
        st.header(plain(item.title), anchor=False)
        status_badge(item)
        st.markdown(f"### {money(item.price_cents)}")
        item_heart(user, item, hearts)
        item_facts(item, view.seller_name)
        seller_link(item.seller_id, view.seller_name, rating)
        if item.description:
            st.text(item.description)
        st.divider()
        flash(FLASH_KEY)
        if blocked:
            st.info(
                _("One of you blocked the other: no messages, offers or purchases between you."),
                icon=":material/block:",
            )
        else:
            _actions(user, view)
            item_page_actions(user, view)
        if user is not None and not view.is_own:
            report_form(user, ReportTarget.ITEM, item.id)
    _price_history(item.id)
    _similar(user, item.id, query)
    confirm_delete(DELETE_KEY, then=pages.MY_LISTINGS)


def _price_history(item_id: int) -> None:
    """The price over time, when it moved (a price change or an accepted offer)."""
    with db_session() as session:
        points = price_history(session, item_id)
    if not points:
        return
    # the last point is "now": to the minute, so that the spec's cache serves a minute
    now = points[-1].at.replace(second=0, microsecond=0)
    rows = [(p.at, p.price_cents, p.kind.value) for p in points[:-1]]
    rows.append((now, points[-1].price_cents, "asking"))
    st.subheader(_("Price history"), anchor=False)
    charts.show(_history_spec(tuple(rows), current_language()))


# ``language``: only a key of the cache (the chart's words are in the spec)
@st.cache_data(ttl=120, max_entries=500, show_spinner=False)
def _history_spec(rows: tuple, language: str) -> dict:
    frame = pd.DataFrame(
        [(at.replace(tzinfo=None), cents / 100, kind) for at, cents, kind in rows],
        columns=["at", "price", "kind"],
    )
    return charts.spec(charts.price_history(frame))


SIMILAR_COUNT = 4  # one row of the card grid on a laptop, two on a phone


def _similar(user: User | None, item_id: int, query) -> None:
    """One row of the listings that look most like this one (nothing without a model)."""
    if search.warming_up():
        warmup.note(_("The AI is warming up… Similar items will show here in a moment."))
        return
    with db_session() as session:
        cards = search.similar(session, item_id, SIMILAR_COUNT)
        hearts = page_hearts(session, user, [card.item.id for card in cards], back=pages.ITEM)
    if not cards:
        return
    st.subheader(_("Similar items"), anchor=False)
    card_grid(cards, key="similar", query=query, hearts=hearts)


def _photos(view: ItemView) -> None:
    if not view.photos:
        st.caption(_("No photo"))
        return
    alt = photo_alt(view.item.title, view.item.category)
    if len(view.photos) == 1:
        st.image(view.photos[0].image, width="stretch", alt=alt)
        return
    count = len(view.photos)
    names = [_("Photo {n}").format(n=n) for n in range(1, count + 1)]
    for n, (tab, photo) in enumerate(zip(st.tabs(names), view.photos, strict=True), start=1):
        tab.image(
            photo.image,
            width="stretch",
            alt=_("{photo}, {n} of {count}").format(photo=alt, n=n, count=count),
        )


def _actions(user: User | None, view: ItemView) -> None:
    item = view.item
    if view.is_own and item.status == ItemStatus.HIDDEN.value:
        st.warning(
            _("The administrators hid this listing: your notifications say why."),
            icon=":material/visibility_off:",
        )
        return
    if view.is_own:
        if view.is_sold:
            st.info(_("You sold this item."))
            return
        left, right = st.columns(2)
        if left.button(_("Edit"), icon=":material/edit:", width="stretch"):
            pages.SELL.go({"edit": str(item.id)})
        right.button(
            _("Delete"),
            icon=":material/delete:",
            width="stretch",
            on_click=dialogs.ask,
            args=(DELETE_KEY, (item.id, item.title)),
        )
    elif view.is_sold:
        st.info(_("This item is sold."))
    elif user is None:
        if st.button(_("Log in to buy"), type="primary", icon=":material/login:"):
            require_user(pages.ITEM)  # back to this address (this item) after logging in
    elif view.in_cart:
        st.button(_("In your cart"), icon=":material/check:", disabled=True)
        pages.CART.link(_("Go to the cart"))
    else:
        if st.button(_("Add to cart"), type="primary", icon=":material/add_shopping_cart:"):
            try:
                with db_session() as session:
                    add_to_cart(session, user.id, item.id)
            except UserError as exc:  # sold meanwhile, or a block between the two
                st.error(str(exc))
            else:
                st.session_state[FLASH_KEY] = _("Added to your cart.")
                st.rerun()


def confirm_delete(key: str, *, then: pages.Screen | None = None) -> None:
    """The "Delete this listing?" dialog opened by ``dialogs.ask(key, (id, title))``.

    After the deletion, go to the page ``then`` (or stay, refreshed).
    """

    def body(value: tuple[int, str]) -> None:
        item_id, title = value
        user = require_user(then or pages.SHOP)
        st.markdown(
            _("{title} will be removed from the shop. This cannot be undone.").format(
                title=f"**{plain(title)}**"
            )
        )
        left, right = st.columns(2)
        if left.button(_("Delete"), type="primary", key="confirm_delete", width="stretch"):
            try:
                with db_session() as session:
                    delete_listing(session, user.id, item_id)
            except ListingError as exc:
                st.error(str(exc))
                return
            dialogs.close(key)
            st.session_state[FLASH_KEY] = _("Your listing is deleted.")
            if then:
                then.go()
            st.rerun()
        if right.button(_("Cancel"), key="cancel_delete", width="stretch"):
            dialogs.close(key)
            st.rerun()

    dialogs.confirm(key, _("Delete this listing?"), body)

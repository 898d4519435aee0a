"""The heart: on every card of a grid (``Hearts``, read once per page; drawn by
ui/card_grid.py) and on the item page.

Outlined when the item is not one of the viewer's favourites, filled when it is. A click is
a callback (the button's ``on_click``, the grid's heart trigger): the change is written
before the page reruns, so the rerun draws the new heart and the shop keeps its address
(page, filters) and scroll like any rerun. A logged-out visitor's click sends them to log
in, then back to the same address. The seller gets no heart on their own listing; everyone
sees how many people like an item on its page.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from contextlib import nullcontext
from dataclasses import dataclass

import streamlit as st
from sqlmodel import Session

from core.catalogue.favourites import FavouriteError, ItemHearts, favourite_ids, set_favourite
from core.i18n import _, ngettext
from core.models.accounts import User
from core.models.catalogue import Item, ItemStatus
from ui import pages
from ui.auth import refresh_user, require_user
from ui.state import db_session

HEART_OFF = ":material/favorite_border:"
HEART_ON = ":material/favorite:"
FILLED_PREFIX = "filled_"  # the key of the container of the item page's filled heart


@dataclass(frozen=True)
class Hearts:
    """The hearts of the cards of one page: who looks (None: logged out), which of the cards
    they favourited, and the screen a logged-out visitor comes back to after logging in."""

    viewer_id: int | None = None
    favourited: frozenset[int] = frozenset()
    back: pages.Screen = pages.SHOP


def page_hearts(
    session: Session,
    user: User | None,
    item_ids: Collection[int],
    back: pages.Screen = pages.SHOP,
) -> Hearts:
    """The hearts of the cards ``item_ids``: one query for the whole page (none logged out)."""
    viewer = user.id if user else None
    return Hearts(viewer, frozenset(favourite_ids(session, viewer, item_ids)), back)


def item_heart(user: User | None, item: Item, state: ItemHearts) -> None:
    """The item page's heart and how many people like the item (for everyone, the seller
    too: the seller gets the count but no heart)."""
    viewer = user.id if user else None
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        if has_heart(item, viewer, state.favourited):
            label = _("In your favourites") if state.favourited else _("Add to favourites")
            _heart(label, item.id, state.favourited, viewer, pages.ITEM, key="heart_item")
        if state.count:
            st.caption(
                ngettext("{n} person likes this", "{n} people like this", state.count).format(
                    n=state.count
                )
            )


def heart_label(on: bool, viewer_id: int | None) -> str:
    """A heart's tooltip: what a click does."""
    if viewer_id is None:
        return _("Log in to keep it in favourites")
    return _("Remove from your favourites") if on else _("Add to your favourites")


def has_heart(item: Item, viewer_id: int | None, on: bool) -> bool:
    if viewer_id is not None and item.seller_id == viewer_id:
        return False
    return on or item.status == ItemStatus.AVAILABLE.value  # a sold one: only to take it out


def _heart(
    label: str, item_id: int, on: bool, viewer_id: int | None, back: pages.Screen, *, key: str
) -> None:
    if viewer_id is None:  # like "Log in to buy": back to this very address afterwards
        if st.button(
            label,
            key=key,
            icon=HEART_OFF,
            type="tertiary",
            help=heart_label(False, None),
        ):
            require_user(back, then=functools.partial(heart_after_login, item_id))
        return
    # a filled heart is drawn in a keyed container: Material Symbols draw "favorite" as an
    # outline unless a style rule fills it (ui/layout.py); an outlined one needs none
    with st.container(key=f"{FILLED_PREFIX}{key}", width="content") if on else nullcontext():
        st.button(
            label,
            key=key,
            icon=HEART_ON if on else HEART_OFF,
            type="tertiary",
            help=heart_label(on, viewer_id),
            on_click=change_heart,
            args=(item_id, not on),
        )


def heart_after_login(item_id: int, user: User) -> None:
    """The heart a visitor clicked before logging in, kept once they have (a toast if it
    cannot be: their own listing, sold meanwhile)."""
    try:
        with db_session() as session:
            set_favourite(session, user.id, item_id, True)
    except FavouriteError as exc:
        st.toast(str(exc), icon=":material/error:")


def change_heart(item_id: int, wanted: bool) -> None:
    """The heart's ``on_click``: what the heart showed, turned over (not a blind toggle:
    a tab that was behind does what it showed). Runs before the page: the session is
    checked again here, as in a dialog."""
    user = refresh_user()
    if user is None:
        return  # the session ended elsewhere: the rerun shows the page logged out
    try:
        with db_session() as session:
            set_favourite(session, user.id, item_id, wanted)
    except FavouriteError as exc:
        # a toast: seen wherever the page is scrolled, even if the card is gone (deleted)
        st.toast(str(exc), icon=":material/error:")

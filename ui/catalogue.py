"""The shop's state lives in its address (query parameters), not in the session: every run
reads it from ``st.query_params``, the widgets show it, and a change to a widget or a page
button writes the new address, which the browser keeps as a new history entry. An item's
page (``/item``, ``pages.ITEM``) carries the address of the results it was opened from.
So Back and Forward step through searches and items, and a search can be shared and
reloaded.

How Streamlit 1.67 moves the address: a write to ``st.query_params`` pushes a history entry
(``history.pushState``; nothing when the URL is unchanged; ``replaceState`` during a Back or
Forward rerun), Back and Forward rerun the page with the URL's query, and a
``st.page_link`` to the page already shown reruns it with the link's query but leaves the
address bar alone, so the page writes that query itself. A switch to another page (a link,
``st.switch_page``, the navigation) always pushes that page's address: it cannot replace
the entry it leaves. And Streamlit ignores a navigation to the page already shown, which is
why an item is not shown by the shop page: its "Shop" in the navigation did nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import streamlit as st

from core.catalogue.address import ITEM_PARAM, ShopAddress, ShopFilters
from core.catalogue.search import Sort, known_brands
from ui import pages
from ui.state import db_session

TEXT = "f_text"
CATEGORIES = "f_categories"
SIZES = "f_sizes"
BRANDS = "f_brands"
CONDITIONS = "f_conditions"
COLOURS = "f_colours"
PATTERNS = "f_patterns"
LOW = "f_low"
HIGH = "f_high"
SORT = "f_sort"

T = TypeVar("T")


def labelled(label: Callable[[T], str], options: Iterable[T]) -> Callable[[T], str]:
    """A widget's ``format_func`` with the labels of ``options`` read now, in this run's
    language: whoever formats them later (AppTest does, outside the script run, where no
    language is set) gets the labels the widget was drawn with."""
    names = {option: label(option) for option in options}
    return lambda option: names.get(option, str(option))


def current_address(semantic: bool = False) -> ShopAddress:
    """What the address bar asks the shop to show (the item aside); ``semantic``: whether
    searches are ranked by meaning (it decides the default sort)."""
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    return ShopAddress.from_params(params, semantic=semantic)


def show_address(
    address: ShopAddress, item: str | None = None, *, screen: pages.Screen = pages.SHOP
) -> None:
    """Put ``address`` (and the item, on an item's ``screen``) in the address bar. Streamlit
    pushes a history entry only when the URL changes, so writing it on every run costs
    nothing; not in a run that switched pages, whose address Streamlit writes itself (see
    ``pages.in_address_bar``)."""
    if not pages.in_address_bar(screen):
        return
    params = address.params()
    if item is not None:
        params[ITEM_PARAM] = [item]
    st.query_params.from_dict(params)


def follow_old_item_link(address: ShopAddress) -> None:
    """The shop's ``?item=ID``, an item's address before items had a page of their own (links
    shared then): the item's page, after the same search (``address``).

    The switch pushes the item page's address as a new history entry, so the browser's Back
    comes back to this one: that run shows the shop, its address without the item replacing
    this entry, instead of switching to the item again, which would leave the person no way
    back. Forward goes to the item again."""
    if pages.history_navigation():
        show_address(address)
        return
    pages.ITEM.go({**address.params(), ITEM_PARAM: [st.query_params.get(ITEM_PARAM) or ""]})


def show_filters(filters: ShopFilters, sort: Sort) -> None:
    """Set every filter widget to what the address says, before the widgets are drawn: the
    address wins over what the browser last showed (after Back, Forward or a shared link)."""
    st.session_state[TEXT] = filters.text
    st.session_state[CATEGORIES] = list(filters.categories)
    st.session_state[SIZES] = list(filters.sizes)
    st.session_state[BRANDS] = list(filters.brands)
    st.session_state[CONDITIONS] = list(filters.conditions)
    st.session_state[COLOURS] = list(filters.colours)
    st.session_state[PATTERNS] = list(filters.patterns)
    st.session_state[LOW] = filters.min_price
    st.session_state[HIGH] = filters.max_price
    st.session_state[SORT] = sort  # the one shown: chosen, or the default


def filters_changed(default_sort: Sort | None = None) -> None:
    """A widget's ``on_change``: the address says the new filters, from their first page.
    The sort selectbox passes the sort it shows by default: choosing that one is choosing
    no sort (the address then leaves it out); the other widgets keep the address's sort."""
    state = st.session_state
    sort = current_address().filters.sort
    if default_sort is not None:
        chosen = Sort(state.get(SORT) or default_sort)
        sort = None if chosen is default_sort else chosen
    show_address(
        ShopAddress(
            ShopFilters(
                text=state.get(TEXT) or "",
                categories=tuple(state.get(CATEGORIES) or ()),
                sizes=tuple(state.get(SIZES) or ()),
                brands=tuple(state.get(BRANDS) or ()),
                conditions=tuple(state.get(CONDITIONS) or ()),
                min_price=_whole_or_none(state.get(LOW)),
                max_price=_whole_or_none(state.get(HIGH)),
                sort=sort,
                colours=tuple(state.get(COLOURS) or ()),
                patterns=tuple(state.get(PATTERNS) or ()),
            )
        )
    )


def reset_filters() -> None:
    """Every filter, the search and the sort back to their defaults (a button's ``on_click``)."""
    show_address(ShopAddress())


def go_to(address: ShopAddress) -> None:
    """Show another page of the same results (a button's ``on_click``)."""
    show_address(address)


def _whole_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


@st.cache_data(ttl=300, show_spinner=False)
def known_brand_names() -> list[str]:
    """The brands on sale, most listed first; refreshed every 5 minutes."""
    with db_session() as session:
        return known_brands(session)

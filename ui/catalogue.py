"""The shop's UI state: filters that survive a visit to an item or another page, the
current page of results, and the cached brand list."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.catalogue import PageRequest, known_brands
from ui.state import db_session

PAGE_STATE = "_catalogue_page"
_SAVED = "_catalogue_filters"
_DEFAULTS: dict[str, Any] = {}


def remembered(key: str, default: Any) -> str:
    """``key`` for a filter widget whose value is kept while the shop is not shown.

    Streamlit forgets a widget's value when a run does not draw it (the item page, another
    page); this puts the last value back before the widget is drawn again.
    """
    _DEFAULTS[key] = default
    saved = st.session_state.setdefault(_SAVED, {})
    if key not in st.session_state:
        st.session_state[key] = saved.get(key, default)
    saved[key] = st.session_state[key]
    return key


def reset_filters() -> None:
    """Every filter back to its default (a button's ``on_click``)."""
    st.session_state.pop(_SAVED, None)
    for key, default in _DEFAULTS.items():
        st.session_state[key] = default


def go_to_page(request: PageRequest, number: int | None) -> None:
    """Show another page of the same results (a button's ``on_click``)."""
    state = st.session_state.get(PAGE_STATE)
    if state is not None:
        state["request"] = request
        state["number"] = number


@st.cache_data(ttl=300, show_spinner=False)
def known_brand_names() -> list[str]:
    """The brands on sale, most listed first; refreshed every 5 minutes."""
    with db_session() as session:
        return known_brands(session)

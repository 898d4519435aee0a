"""Small rendering helpers shared by pages."""

from __future__ import annotations

import streamlit as st

from core import categories
from core.money import format_eur


def plain(text: str) -> str:
    """Escape markdown so user text is shown as text (st.text does not wrap nicely)."""
    specials = "\\`*_{}[]()<>#+-.!|~$:"
    return "".join("\\" + ch if ch in specials else ch for ch in text)


def item_card(item, thumbnail: bytes | None) -> None:
    """One catalogue card: thumbnail, title, size, brand, price, category."""
    with st.container(border=True):
        if thumbnail:
            st.image(thumbnail, width="stretch")
        st.markdown(f"**{plain(item.title)}**")
        st.caption(f"{plain(item.brand)} · {plain(item.size)} · {categories.label(item.category)}")
        st.markdown(f"**{format_eur(item.price_cents)}**")

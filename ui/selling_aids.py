"""The sell page's help from the model and the sales: a price suggestion from comparable
listings, "similar to one you already listed", and the draft title and description.

Each reads the cover's embedding the category suggestion already computed (no second
inference) and the listings' in-memory index (``ui/search.py``); without a model, while the
AI warms up, or before any listing is embedded, the price suggestion and the look-alike
note are simply absent. The drafts need no model: they are made from the picks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import streamlit as st
from sqlmodel import Session

from core.ai.vectors import VectorIndex
from core.catalogue import drafts
from core.catalogue.embeddings import stored_vectors
from core.catalogue.lookalikes import Lookalike, own_lookalike
from core.catalogue.price_hints import MIN_COMPARABLES, PriceHint, TooFew, price_hint
from core.i18n import _, format_ago, format_share, ngettext
from core.models.base import utcnow
from core.money import format_eur, price_field_text
from ui import search
from ui.state import get_settings
from ui.widgets import item_link, money, photo_alt, plain, thumbnail

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cover:
    """The cover's unit embedding and the index of the same model's listings."""

    index: VectorIndex
    vector: np.ndarray


def cover(session: Session, embedding: np.ndarray | None, item_id: int | None) -> Cover | None:
    """The cover to compare: the new cover's embedding (computed by the suggestion), else,
    when editing, the listing's stored one; None without a model or an embedded listing."""
    found = search.search_model()
    if found is None:
        return None
    index = search.current_index(session, found)
    if index is None:
        return None
    if embedding is None and item_id is not None:
        embedding = stored_vectors(session, found.fingerprint, [item_id]).get(item_id)
    if embedding is None or np.asarray(embedding).shape != (index.dim,):
        return None
    return Cover(index, np.asarray(embedding, np.float32))


# --- similar to one you already listed ------------------------------------------------------


def lookalike(session: Session, found: Cover | None, seller_id: int, item_id: int | None):
    """The seller's own listing on sale that the cover nearly duplicates, or None."""
    if found is None:
        return None
    try:
        return own_lookalike(
            session,
            found.index,
            found.vector,
            seller_id,
            exclude=[item_id] if item_id else [],
            threshold=get_settings().flag_duplicate_threshold,
        )
    except Exception:  # a help, never a reason for the page to fail
        _log.exception("the look-alike check failed")
        return None


def show_lookalike(match: Lookalike | None) -> None:
    if match is None:
        return
    with st.container(border=True, key="sell_lookalike"):
        st.markdown(
            _(
                ":material/content_copy: **Similar to one you already listed**: this photo "
                "looks {share} like your listing “{title}”. Listing the same item twice?"
            ).format(share=format_share(match.similarity), title=plain(match.title))
        )
        item_link(match.item_id, _("See that listing"), icon=":material/arrow_forward:")


# --- the price suggestion -------------------------------------------------------------------


def hint(
    session: Session,
    found: Cover | None,
    category: str | None,
    *,
    seller_id: int,
    condition: str | None,
    brand: str,
    item_id: int | None,
) -> PriceHint | TooFew | None:
    """The price suggestion for the cover in ``category``, or None (nothing to compare)."""
    if found is None or not category:
        return None
    try:
        return price_hint(
            session,
            found.index,
            found.vector,
            category,
            seller_id=seller_id,
            condition=condition,
            brand=brand,
            exclude=[item_id] if item_id else [],
        )
    except Exception:  # a help, never a reason for the page to fail
        _log.exception("the price suggestion failed")
        return None


def _use_price(price_key: str, cents: int) -> None:
    st.session_state[price_key] = price_field_text(cents)


def show_hint(suggestion: PriceHint | TooFew | None, price_key: str) -> None:
    """The range, the typical price with a button that puts it in the price field (never
    by itself), how many comparables it rests on and the three nearest as small cards."""
    if suggestion is None:
        return
    if isinstance(suggestion, TooFew):
        st.caption(
            _(
                "No price suggestion: fewer than {n} comparable listings in this category "
                "look like your photo yet."
            ).format(n=MIN_COMPARABLES)
        )
        return
    with st.container(border=True, key="sell_price_hint"):
        st.markdown(
            _("**Suggested price:** {low} to {high}, typically {typical}").format(
                low=format_eur(suggestion.low_cents),
                high=format_eur(suggestion.high_cents),
                typical=money(suggestion.typical_cents),
            )
        )
        st.caption(
            ngettext(
                "From {n} comparable listing that looks like your photo ({sold} sold, "
                "{listed} on sale), same brand and condition counting more.",
                "From {n} comparable listings that look like your photo ({sold} sold, "
                "{listed} on sale), same brand and condition counting more.",
                len(suggestion.comparables),
            ).format(n=len(suggestion.comparables), sold=suggestion.sold, listed=suggestion.listed)
        )
        st.button(
            _("Use {price}").format(price=format_eur(suggestion.typical_cents)),
            key="sell_use_price",
            icon=":material/price_check:",
            on_click=_use_price,
            args=(price_key, suggestion.typical_cents),
        )
        now = utcnow()
        for column, comparable in zip(
            st.columns(len(suggestion.shown)), suggestion.shown, strict=True
        ):
            with column:
                thumbnail(comparable.thumbnail, alt=photo_alt(comparable.title))
                st.markdown(money(comparable.price_cents))
                ago = format_ago(comparable.when, now)
                st.caption(
                    _("Sold {ago}").format(ago=ago)
                    if comparable.sold
                    else _("On sale, listed {ago}").format(ago=ago)
                )


# --- the drafts -----------------------------------------------------------------------------


def _offer(key: str, draft: str) -> bool:
    """Put ``draft`` in the text field of widget ``key`` unless the seller wrote there:
    their own text (typed before any draft, or a draft they changed) is never replaced, and
    from then on the field is theirs. Whether the field holds the draft."""
    mark, own = f"_draft_{key}", f"_own_{key}"
    if st.session_state.get(own):
        return False
    current = st.session_state.get(key, "")
    last = st.session_state.get(mark)
    if current != (last if last is not None else ""):
        st.session_state[own] = True  # the seller's text from now on
        st.session_state.pop(mark, None)
        return False
    st.session_state[key] = draft
    st.session_state[mark] = draft
    return bool(draft)


def offer_drafts(
    title_key: str,
    description_key: str,
    *,
    category: str | None,
    colour: str | None,
    pattern: str | None,
    brand: str,
    size: str | None,
    condition: str | None,
) -> tuple[bool, bool]:
    """Draft the title and the description from the picks into their empty fields (before
    those widgets are drawn), and redraw them as the picks change until the seller edits
    the text: whether each field holds a draft."""
    title = drafts.draft_title(category, colour, pattern, brand, size)
    description = drafts.draft_description(category, colour, pattern, brand, size, condition)
    return _offer(title_key, title), _offer(description_key, description)


def draft_note() -> None:
    st.caption(_(":material/edit_note: A draft from your picks: change it as you like."))

"""The grid of catalogue cards: the shop's results, a seller's listings, similar items and
favourites, four a row (two on a phone).

A card: the thumbnail; the title, brand, size, category, colour and price; a "Sold" badge
once sold; the heart. All but the heart is one link to the item's page, ``/item?item=ID``
after the shop's own address when it is a result (the item page knows the results to go
back to), opened in the same tab without reloading the app, as Streamlit's page links do.

The grid is one Streamlit element, a component (``st.components.v2``) drawn in the browser
by ``card_grid.js`` with ``card_grid.css``: the server sends the cards as data. Drawn with
Streamlit's own elements, a card was four or five elements (container, text, page link,
badge, heart button), about a hundred for a page of 24, and a page's cost on the server
grows with its number of elements: a quarter of a shop page's time under load went to its
cards (``bench/capacity.py --profile-gil``).

The heart is the component's ``heart`` trigger, ``{"item": ID, "on": wanted}``: logged in,
the change is written before the page reruns (the rerun draws the new heart, and the shop
keeps its address and scroll); logged out, the visitor is sent to log in, then back to the
same address with the heart kept. The browser's value is checked: only a card this grid
showed, and only by whoever is logged in when it arrives.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from core.catalogue import attributes, categories
from core.catalogue.address import ITEM_PARAM
from core.i18n import _, pgettext
from core.models.catalogue import Item, ItemStatus
from core.money import format_eur
from ui import pages, thumbnails
from ui.auth import require_user
from ui.favourites import Hearts, change_heart, has_heart, heart_after_login, heart_label
from ui.widgets import one_line, photo_alt

GRID_KEY_PREFIX = "grid_"  # the component's key: grid_cards, grid_similar (one per page)
COMPONENT_NAME = "seconde.card_grid"
HEART_EVENT = "heart"

_HERE = Path(__file__).parent
_grid = st.components.v2.component(
    COMPONENT_NAME,
    html='<div class="grid"></div>',
    css=(_HERE / "card_grid.css").read_text(encoding="utf-8"),
    js=(_HERE / "card_grid.js").read_text(encoding="utf-8"),
)


def card_grid(
    cards: Sequence,
    *,
    key: str = "cards",
    query: Mapping[str, list[str]] | None = None,
    hearts: Hearts | None = None,
) -> None:
    """``cards`` (anything with ``.item`` and ``.thumbnail``, the JPEG bytes), in order;
    ``key`` unique on the page; ``query``: the shop's address the item links come after;
    ``hearts``: the page's hearts (None: no hearts, a seller's page)."""
    data = {
        "cards": [card_data(card.item, card.thumbnail, query, hearts) for card in cards],
        "noPhoto": _("No photo"),
        "sold": pgettext("one item", "Sold"),
    }
    shown = frozenset(card.item.id for card in cards)
    result = _grid(
        key=GRID_KEY_PREFIX + key,
        # JSON as bytes, passed through as they are: a dict is walked by Streamlit for
        # tables to convert (a list of dicts is one), 4 % of the server's time under load
        data=json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(),
        on_heart_change=functools.partial(_heart_clicked, GRID_KEY_PREFIX + key, shown),
    )
    wanted = _heart_wanted(result.get(HEART_EVENT), shown)
    if wanted is not None and hearts is not None and hearts.viewer_id is None:
        # logged out: like "Log in to buy", back to this very address afterwards
        require_user(hearts.back, then=functools.partial(heart_after_login, wanted[0]))


def card_data(
    item: Item,
    image: bytes | None,
    query: Mapping[str, list[str]] | None = None,
    hearts: Hearts | None = None,
) -> dict:
    """One card as the component draws it (plain text: the browser sets it as text)."""
    facts = [item.brand, categories.size_label(item.size), categories.label(item.category)]
    if item.colour:  # a shopper scanning cards looks for a colour first
        facts.append(attributes.colour_label(item.colour))
    params = {**(query or {}), ITEM_PARAM: [str(item.id)]}
    heart = None
    if hearts is not None:
        on = item.id in hearts.favourited
        if has_heart(item, hearts.viewer_id, on):
            heart = {"on": on, "label": heart_label(on, hearts.viewer_id)}
    return {
        "id": item.id,
        "href": f"{pages.ITEM.url_path}?{urlencode(params, doseq=True)}",
        "title": one_line(item.title),
        "facts": " · ".join(one_line(fact) for fact in facts if fact),
        "price": format_eur(item.price_cents),
        "img": thumbnails.markdown_url(image) if image else None,
        "alt": photo_alt(item.title, item.category),
        "sold": item.status == ItemStatus.SOLD.value,
        "heart": heart,
    }


def _heart_wanted(value: object, shown: frozenset[int]) -> tuple[int, bool] | None:
    """The heart trigger's (item id, wanted) when it names a card of this grid; None for
    anything else the browser could send."""
    if not isinstance(value, dict):
        return None
    item_id, on = value.get("item"), value.get("on")
    if type(item_id) is not int or item_id not in shown or not isinstance(on, bool):
        return None
    return item_id, on


def _heart_clicked(key: str, shown: frozenset[int]) -> None:
    """The heart trigger's callback, before the page runs: logged in, the change is made
    (``ui.favourites.change_heart`` checks the session again); logged out, the page's run
    sends the visitor to log in (``card_grid``)."""
    wanted = _heart_wanted(st.session_state[key].get(HEART_EVENT), shown)
    if wanted is not None:
        change_heart(*wanted)

"""Shop: search, filter and page through the available items; ``?item=ID`` shows one item."""

import math

import streamlit as st

from core import categories
from core.catalogue import (
    SORT_LABELS,
    CatalogueQuery,
    PageRequest,
    Sort,
    price_range,
    search_catalogue,
)
from core.categories import SIZES
from core.listings import CONDITION_LABELS
from core.models import MAX_PRICE_CENTS
from core.money import PriceError
from ui.catalogue import PAGE_STATE, go_to_page, known_brand_names, remembered, reset_filters
from ui.item_page import RETURN_TO_ITEM, render_item_page
from ui.state import current_user, db_session
from ui.widgets import item_card

user = current_user()

if "item" not in st.query_params and (back := st.session_state.pop(RETURN_TO_ITEM, None)):
    st.query_params["item"] = str(back)  # back from logging in to buy this item
if "item" in st.query_params:
    # written back so the browser's address bar shows the item's shareable link (a
    # st.page_link to this same page does not), and later reruns keep the item open
    st.query_params["item"] = st.query_params.get("item")
    render_item_page(user, st.query_params.get("item"))
    st.stop()

st.title("Second-hand clothes")

with st.sidebar:
    st.header("Filters", anchor=False)
    st.pills(
        "Category",
        [c.code for c in categories.CATEGORIES],
        format_func=categories.label,
        selection_mode="multi",
        key=remembered("f_categories", []),
    )
    all_sizes = list(dict.fromkeys(size for family in SIZES.values() for size in family))
    st.multiselect("Size", all_sizes, key=remembered("f_sizes", []), placeholder="Any size")
    st.multiselect(
        "Brand",
        known_brand_names(),
        key=remembered("f_brands", []),
        placeholder="Any brand",
        accept_new_options=True,
    )
    st.pills(
        "Condition",
        list(CONDITION_LABELS),
        format_func=CONDITION_LABELS.get,
        selection_mode="multi",
        key=remembered("f_conditions", []),
    )
    low_col, high_col = st.columns(2)
    top = MAX_PRICE_CENTS // 100
    low = low_col.number_input(
        "Min price (EUR)", min_value=0, max_value=top, step=5, key=remembered("f_low", None)
    )
    high = high_col.number_input(
        "Max price (EUR)", min_value=0, max_value=top, step=5, key=remembered("f_high", None)
    )
    st.button("Clear the filters", icon=":material/filter_alt_off:", on_click=reset_filters)

search_col, sort_col = st.columns([3, 1], vertical_alignment="bottom")
text = search_col.text_input(
    "Search",
    key=remembered("f_text", ""),
    placeholder="Search titles, brands and descriptions: linen shirt, levis...",
    max_chars=200,
    icon=":material/search:",
)
sort = sort_col.selectbox(
    "Sort by", list(Sort), format_func=SORT_LABELS.get, key=remembered("f_sort", Sort.NEWEST)
)

try:
    low_cents, high_cents = price_range(low, high)
except PriceError as exc:
    st.warning(f"{exc} The price filter is left out.")
    low_cents = high_cents = None

query = CatalogueQuery(
    text=text,
    categories=tuple(st.session_state["f_categories"] or ()),
    sizes=tuple(st.session_state["f_sizes"]),
    brands=tuple(st.session_state["f_brands"]),
    conditions=tuple(st.session_state["f_conditions"] or ()),
    min_price_cents=low_cents,
    max_price_cents=high_cents,
    sort=Sort(sort),
)
state = st.session_state.get(PAGE_STATE)
if state is None or state["query"] != query:  # a new search starts on its first page
    state = st.session_state[PAGE_STATE] = {"query": query, "request": PageRequest(), "number": 1}

with db_session() as session:
    page = search_catalogue(session, query, state["request"])

filtered = query != CatalogueQuery(sort=query.sort)
if not page.cards:
    if filtered:
        st.info("No item matches your search. Try other words or fewer filters.")
    else:
        st.info("Nothing is for sale right now. Come back soon!")
    st.stop()

count = "1 000+ items" if page.total_is_capped else f"{page.total} item" + "s" * (page.total > 1)
pages = None if page.total_is_capped else max(1, math.ceil(page.total / PageRequest().size))
number = state["number"]
where = f"page {number} of {pages}" if number and pages else f"page {number}" if number else ""
st.caption(f"{count}{' · ' + where if where else ''}")

for start in range(0, len(page.cards), 4):
    for column, card in zip(st.columns(4), page.cards[start : start + 4], strict=False):
        with column:
            item_card(card.item, card.thumbnail)

first_col, prev_col, _, next_col, last_col = st.columns([1, 1, 2, 1, 1])
first_col.button(
    "First",
    icon=":material/first_page:",
    disabled=not page.has_previous,
    on_click=go_to_page,
    args=(PageRequest(), 1),
    width="stretch",
)
prev_col.button(
    "Previous",
    icon=":material/chevron_left:",
    disabled=not page.has_previous,
    on_click=go_to_page,
    args=(PageRequest(before=page.first), number - 1 if number else None),
    width="stretch",
)
next_col.button(
    "Next",
    icon=":material/chevron_right:",
    icon_position="right",
    disabled=not page.has_next,
    on_click=go_to_page,
    args=(PageRequest(after=page.last), number + 1 if number else None),
    width="stretch",
)
# with an exact count the last page holds the remainder, so page numbers stay aligned
last_size = (page.total % PageRequest().size or PageRequest().size) if pages else None
last_col.button(
    "Last",
    icon=":material/last_page:",
    icon_position="right",
    disabled=not page.has_next,
    on_click=go_to_page,
    args=(PageRequest(last=True, size=last_size or PageRequest().size), pages),
    width="stretch",
)

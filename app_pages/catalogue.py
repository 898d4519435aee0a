"""Shop: search, filter and page through the available items (one item: ``pages.ITEM``).

The address (query parameters) says what is shown: see ui/catalogue.py."""

import streamlit as st

from core.catalogue import attributes, categories
from core.catalogue.address import ITEM_PARAM, MAX_SEARCH_TEXT
from core.catalogue.categories import SIZES
from core.catalogue.listings import CONDITION_LABELS, condition_label
from core.catalogue.search import PageRequest, Sort, sort_label
from core.catalogue.semantic import nearest_instead
from core.catalogue.shop import browse, swapped_note
from core.i18n import _, format_number
from core.models.catalogue import MAX_PRICE_CENTS
from ui import catalogue as shop
from ui import search, warmup
from ui.card_grid import card_grid
from ui.favourites import page_hearts
from ui.state import current_user, db_session
from ui.widgets import plain

user = current_user()
ai = search.semantic_on()  # searches ranked by meaning too (a model that embeds text)
address = shop.current_address(semantic=ai)
if ITEM_PARAM in st.query_params:  # /?item=ID: an item's address before its own page
    shop.follow_old_item_link(address)  # to /item?item=ID, or the shop on the way back
shop.show_address(address)  # e.g. after a phone's "Shop" on a search: a link to this page
photo = search.search_photo_name()
ranked = photo is not None or (ai and bool(address.filters.text.strip()))
shown_sort = address.filters.effective_sort(ai)
if photo is not None and address.filters.sort is None:
    shown_sort = Sort.RELEVANCE  # a photo search: the nearest first
shop.show_filters(address.filters, shown_sort)

st.title(_("Second-hand clothes"))

with st.sidebar:
    st.header(_("Filters"), anchor=False)
    codes = [c.code for c in categories.CATEGORIES]
    st.pills(
        _("Category"),
        codes,
        format_func=shop.labelled(categories.label, codes),
        selection_mode="multi",
        key=shop.CATEGORIES,
        on_change=shop.filters_changed,
    )
    all_sizes = list(dict.fromkeys(size for family in SIZES.values() for size in family))
    st.multiselect(
        _("Size"),
        all_sizes,
        format_func=shop.labelled(categories.size_label, all_sizes),
        key=shop.SIZES,
        placeholder=_("Any size"),
        on_change=shop.filters_changed,
    )
    st.multiselect(
        _("Brand"),
        shop.known_brand_names(),
        key=shop.BRANDS,
        placeholder=_("Any brand"),
        accept_new_options=True,
        on_change=shop.filters_changed,
    )
    colours = [a.code for a in attributes.COLOURS]
    st.multiselect(
        _("Colour"),
        colours,
        format_func=shop.labelled(attributes.colour_label, colours),
        key=shop.COLOURS,
        placeholder=_("Any colour"),
        on_change=shop.filters_changed,
    )
    patterns = [a.code for a in attributes.PATTERNS]
    st.pills(
        _("Pattern"),
        patterns,
        format_func=shop.labelled(attributes.pattern_label, patterns),
        selection_mode="multi",
        key=shop.PATTERNS,
        on_change=shop.filters_changed,
    )
    st.pills(
        _("Condition"),
        list(CONDITION_LABELS),
        format_func=shop.labelled(condition_label, CONDITION_LABELS),
        selection_mode="multi",
        key=shop.CONDITIONS,
        on_change=shop.filters_changed,
    )
    low_col, high_col = st.columns(2)
    top = MAX_PRICE_CENTS // 100
    prices = dict(min_value=0, max_value=top, step=5, on_change=shop.filters_changed)
    low_col.number_input(_("Min price (EUR)"), key=shop.LOW, **prices)
    high_col.number_input(_("Max price (EUR)"), key=shop.HIGH, **prices)
    st.button(_("Clear the filters"), icon=":material/filter_alt_off:", on_click=shop.reset_filters)

search_col, photo_col, sort_col = st.columns([5, 1.5, 2], vertical_alignment="bottom")
search_col.text_input(
    _("Search"),
    key=shop.TEXT,
    placeholder=(
        _("Describe it or name it: a red summer dress for a wedding, levis...")
        if ai
        else _("Search titles, brands and descriptions: linen shirt, levis...")
    ),
    max_chars=MAX_SEARCH_TEXT,
    icon=":material/search:",
    on_change=shop.filters_changed,
)
with photo_col.popover(_("Photo"), icon=":material/photo_camera:", width="stretch"):
    search.photo_search_box()
sorts = [s for s in Sort if s is not Sort.RELEVANCE or ranked]
sort_col.selectbox(
    _("Sort by"),
    sorts,
    format_func=shop.labelled(sort_label, sorts),
    key=shop.SORT,
    on_change=shop.filters_changed,
    args=(Sort.RELEVANCE if ranked else Sort.NEWEST,),
)
if search.warming_up():  # after a start: keywords until the AI is loaded, then a rerun
    warmup.note(_("The AI is warming up… Searches go by keywords until it is ready, in a moment."))
if photo is not None:
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.info(
        _("Items that look like your photo ({name}), nearest first.").format(name=plain(photo))
    )
    right.button(_("Clear the photo"), icon=":material/close:", on_click=search.clear_search_photo)

with db_session() as session:
    near = (
        search.for_photo(session)
        if photo is not None
        else search.for_text(session, address.filters.text)
    )
    shown = browse(session, address, near)
    hearts = page_hearts(session, user, [card.item.id for card in shown.page.cards])
    getting_ready = search.indexing_progress(session)
page, number, pages = shown.page, shown.number, shown.pages
if getting_ready:
    done, total = getting_ready
    st.caption(
        _("The AI search is getting ready: {done} of {total} listings looked at so far.").format(
            done=format_number(done), total=format_number(total)
        )
    )

if not page.cards:
    if swapped := swapped_note(address.filters.prices):
        st.caption(swapped)
    if not address.filters.narrows:
        st.info(_("Nothing is for sale right now. Come back soon!"))
        st.stop()
    words = address.filters.text.strip()
    if words:
        st.info(
            _("No item matches “{words}”. Try other words or fewer filters.").format(
                words=plain(words)
            )
        )
    else:
        st.info(_("No item matches your search. Try other words or fewer filters."))
    if near is not None and photo is None:  # the AI's nearest all the same, said to be so
        with db_session() as session:
            instead = nearest_instead(session, near, address.filters.query(True))
            hearts = page_hearts(session, user, [card.item.id for card in instead])
        if instead:
            st.subheader(_("The nearest listings, though they do not match"), anchor=False)
            card_grid(instead, key="nearest", query=address.params(), hearts=hearts)
    st.stop()

st.caption(shown.caption(address.filters.prices))

card_grid(page.cards, query=address.params(), hearts=hearts)

first_col, prev_col, _gap, next_col, last_col = st.columns([1, 1, 2, 1, 1])
first_col.button(
    _("First"),
    icon=":material/first_page:",
    disabled=not page.has_previous,
    on_click=shop.go_to,
    args=(address.turned(PageRequest(), 1),),
    width="stretch",
)
prev_col.button(
    _("Previous"),
    icon=":material/chevron_left:",
    disabled=not page.has_previous,
    on_click=shop.go_to,
    args=(address.turned(PageRequest(before=page.first), number - 1 if number else None),),
    width="stretch",
)
next_col.button(
    _("Next"),
    icon=":material/chevron_right:",
    icon_position="right",
    disabled=not page.has_next,
    on_click=shop.go_to,
    args=(address.turned(PageRequest(after=page.last), number + 1 if number else None),),
    width="stretch",
)
last_col.button(
    _("Last"),
    icon=":material/last_page:",
    icon_position="right",
    disabled=not page.has_next,
    on_click=shop.go_to,
    args=(address.turned(PageRequest(last=True), None),),
    width="stretch",
)

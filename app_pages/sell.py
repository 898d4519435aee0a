"""Sell an item (or edit one with ``?edit=ID``): photos, the AI suggestion of the category,
the main colour and the pattern, fields."""

import streamlit as st

from core.catalogue import attributes, categories
from core.catalogue.address import ITEM_PARAM
from core.catalogue.listings import (
    CONDITION_LABELS,
    InvalidListingError,
    ListingError,
    condition_label,
    get_own_listing,
    item_id_from_text,
)
from core.catalogue.selling import ListingDraft, check_listing, create_listing, update_listing
from core.i18n import _
from core.money import price_field_text
from ui import classifier, flags, pages, search, selling_aids
from ui.auth import require_user
from ui.photo_picker import pick_photos
from ui.state import db_session
from ui.widgets import flash, plain

user = require_user(pages.SELL)

listing = None
if "edit" in st.query_params:
    st.title(_("Edit your listing"))
    try:
        with db_session() as session:
            listing = get_own_listing(
                session, user.id, item_id_from_text(st.query_params.get("edit"))
            )
    except ListingError as exc:
        st.error(str(exc))
        pages.MY_LISTINGS.link()
        st.stop()
else:
    st.title(_("Sell an item"))
flash()  # e.g. after the model's download

generation = st.session_state.setdefault("_sell_generation", 0)
form_id = f"{listing.item.id if listing else 'new'}-{generation}"
item = listing.item if listing else None


def field(name: str, initial):
    """The widget key of a field, holding ``initial`` until the seller changes it."""
    key = f"sell_{name}_{form_id}"
    st.session_state.setdefault(key, initial)
    return key


def size_field(category: str | None) -> str:
    """The Size list's key: one list whatever the category, enabled from the start, so that
    choosing a category fills it in place. A click on it while that choice's run is on its
    way opens it (and it shows the sizes when they come); a list drawn anew for the category
    (as before) was still disabled there, or replaced the one clicked, and the click was
    lost. It shows the size chosen for the category's size family, kept per family: an M
    chosen for a dress comes back after a look at shoes, and never shows among shoe sizes."""
    key = f"sell_size_{form_id}"
    family = categories.get(category).size_family.value if category else None
    shown, kept = f"_sell_size_family_{form_id}", f"_sell_sizes_{form_id}"
    if key not in st.session_state:  # a new visit: Streamlit dropped the list's value when
        st.session_state[kept] = {}  # another page ran; start again from the listing's size
        st.session_state.pop(shown, None)
    if key not in st.session_state or st.session_state.get(shown) != family:
        sizes = st.session_state.setdefault(kept, {})
        if shown in st.session_state:
            sizes[st.session_state[shown]] = st.session_state.get(key)
        initial = item.size if item and category == item.category else None
        st.session_state[key] = sizes.get(family, initial)
        st.session_state[shown] = family
    return key


left, right = st.columns([1, 1], gap="large")
with left:
    st.subheader(_("Photos"), anchor=False)
    photos = pick_photos(form_id, listing.photos if listing else [])
    photo_error = st.empty()

    # The AI suggestion: for the first photo, when it is a new one.
    look = None  # what the model sees in the cover: embedding, categories, colours, patterns
    first = next((p for p in photos if p.photo is not None), None)
    status = classifier.model_status()
    if status.warming:  # after a start: the suggestion shows once the AI is loaded
        classifier.warming_up_note()
    elif status.classifier is None:
        if classifier.offer_download(status.problem):
            search.start_indexing()  # the listings get their embeddings in the background
            st.session_state["_flash"] = _(
                "The AI model is ready: it suggests categories now, and the shop's listings "
                "are being prepared for search by description and by photo."
            )
            st.rerun()
    elif first is not None and first.is_new:
        look = classifier.suggest(status.classifier, first.key, first.photo)
    scores = look.categories if look else None
    choice = classifier.Choice.of(
        form_id, field("category", item.category if item else None), chosen=item is not None
    )
    # an edited listing's colour or pattern is the seller's, unless it was left unsaid
    colour_choice = classifier.Choice.of(
        form_id,
        field("colour", item.colour if item else None),
        chosen=item is not None and item.colour is not None,
        field=classifier.COLOUR,
    )
    pattern_choice = classifier.Choice.of(
        form_id,
        field("pattern", item.pattern if item else None),
        chosen=item is not None and item.pattern is not None,
        field=classifier.PATTERN,
    )
    if look:  # the seller's own choices are never replaced
        choice.follow(first.key, look.categories)
        colour_choice.follow(first.key, look.colours)
        pattern_choice.follow(first.key, look.patterns)
    # the cover to compare with the listings: the new one's embedding, or the edited one's
    with db_session() as session:
        compared = selling_aids.cover(
            session, look.embedding if look else None, item.id if item else None
        )
        if look:  # a new cover: is it one of the seller's listings again?
            selling_aids.show_lookalike(
                selling_aids.lookalike(session, compared, user.id, item.id if item else None)
            )

size_key = size_field(st.session_state.get(choice.widget_key))  # the category drawn below
if item is None:  # a new listing: its title and description drafted from the picks
    picked_category = st.session_state.get(choice.widget_key)
    title_drafted, description_drafted = selling_aids.offer_drafts(
        field("title", ""),
        field("description", ""),
        category=picked_category,
        colour=st.session_state.get(colour_choice.widget_key),
        pattern=st.session_state.get(pattern_choice.widget_key),
        brand=st.session_state.get(field("brand", ""), ""),
        size=st.session_state.get(size_key),
        condition=st.session_state.get(field("condition", None)),
    )
else:
    title_drafted = description_drafted = False

with right:
    st.subheader(_("Details"), anchor=False)
    title = st.text_input(_("Title"), key=field("title", item.title if item else ""), max_chars=80)
    if title_drafted:
        selling_aids.draft_note()
    title_error = st.empty()
    description = st.text_area(
        _("Description"),
        key=field("description", item.description if item else ""),
        max_chars=2000,
        placeholder=_("Fit, material, flaws, why you are selling it..."),
    )
    if description_drafted:
        st.caption(_("Add the fit, the material, any flaw: what a buyer asks."))
    description_error = st.empty()
    category = st.selectbox(
        _("Category"),
        [c.code for c in categories.CATEGORIES],
        format_func=categories.label,
        key=choice.widget_key,
        on_change=choice.chosen_by_hand,
        placeholder=_("Choose a category"),
    )
    if scores:
        choice.show(scores, category)
    category_error = st.empty()
    colour_col, pattern_col = st.columns(2)
    with colour_col:
        colour = st.selectbox(
            _("Main colour"),
            [a.code for a in attributes.COLOURS],
            format_func=attributes.colour_label,
            key=colour_choice.widget_key,
            on_change=colour_choice.chosen_by_hand,
            placeholder=_("Optional"),
        )
        if look and look.colours:
            colour_choice.show_short(look.colours, colour)
        colour_error = st.empty()
    with pattern_col:
        pattern = st.selectbox(
            _("Pattern"),
            [a.code for a in attributes.PATTERNS],
            format_func=attributes.pattern_label,
            key=pattern_choice.widget_key,
            on_change=pattern_choice.chosen_by_hand,
            placeholder=_("Optional"),
        )
        if look and look.patterns:
            pattern_choice.show_short(look.patterns, pattern)
        pattern_error = st.empty()
    size = st.selectbox(
        _("Size"),
        categories.sizes_for(category) if category else [],
        format_func=categories.size_label,
        key=size_key,
        # enabled without a category: opened then, it lists nothing (Streamlit's own "No
        # results", in English), and the placeholder says why
        placeholder=_("Choose a size") if category else _("Choose the category first"),
    )
    size_error = st.empty()
    brand = st.text_input(
        _("Brand"),
        key=field("brand", item.brand if item else ""),
        max_chars=40,
        placeholder=_('Levi\'s, Zara... or "No brand"'),
    )
    brand_error = st.empty()
    condition = st.segmented_control(
        _("Condition"),
        list(CONDITION_LABELS),
        format_func=condition_label,
        key=field("condition", item.condition if item else None),
    )
    condition_error = st.empty()
    cents = item.price_cents if item else 0
    price_key = field("price", price_field_text(cents) if item else "")
    price = st.text_input(_("Price (EUR)"), key=price_key, placeholder=price_field_text(1250))
    price_error = st.empty()
    with db_session() as session:  # from comparable listings; a click puts it in the field
        suggestion = selling_aids.hint(
            session,
            compared,
            category,
            seller_id=user.id,
            condition=condition,
            brand=brand,
            item_id=item.id if item else None,
        )
    selling_aids.show_hint(suggestion, price_key)
    submit = st.button(
        _("Save the changes") if item else _("Put it on sale"),
        type="primary",
        icon=":material/sell:",
    )
    submit_error = st.empty()

if submit:
    draft = ListingDraft(
        title=title,
        description=description,
        category=category,
        size=size,
        brand=brand,
        condition=condition,
        price=price,
        colour=colour,
        pattern=pattern,
        ai_category=scores[0].code if scores else None,
        ai_confidence=scores[0].probability if scores else None,
        ai_colour=look.colours[0].code if look and look.colours else None,
        ai_pattern=look.patterns[0].code if look and look.patterns else None,
    )
    chosen = [p.photo for p in photos if p.photo is not None]
    try:
        if any(p.error for p in photos):  # refuse, but still name every other field to fix
            errors = {"photos": _("Remove the files that are not usable photos.")}
            try:
                check_listing(draft, len(chosen))
            except InvalidListingError as exc:
                errors = {**exc.errors, **errors}
            raise InvalidListingError(errors)
        stored = {p.id: p.image for p in listing.photos} if listing else {}
        cover = search.cover_embedding(
            look if first is not None and first.is_new else None,
            stored.get(first.photo) if first is not None and not first.is_new else None,
        )
        with db_session() as session:
            if item:
                update_listing(
                    session,
                    user.id,
                    item.id,
                    draft,
                    chosen,
                    revision=item.revision,
                    embedding=cover,
                )
                saved_id, message = item.id, _("Your changes are saved.")
            else:
                saved_id = create_listing(session, user.id, draft, chosen, embedding=cover).id
                message = _("Your item is on sale.")
        if not item:  # flags for the administrators; never blocks or undoes the sale
            flags.flag_new_listing(saved_id, cover)
    except InvalidListingError as exc:
        slots = {
            "photos": photo_error,
            "title": title_error,
            "description": description_error,
            "category": category_error,
            "colour": colour_error,
            "pattern": pattern_error,
            "size": size_error,
            "brand": brand_error,
            "condition": condition_error,
            "price": price_error,
        }
        for name, text in exc.errors.items():
            slots[name].error(plain(text))
        submit_error.error(_("Fill in every field as shown above."))
    except ListingError as exc:
        submit_error.error(str(exc))
    else:
        for key in [k for k in st.session_state if str(k).endswith(form_id)]:
            del st.session_state[key]  # the photos and fields of this form are saved
        st.session_state["_sell_generation"] = generation + 1  # a fresh, empty form next time
        st.session_state["_flash"] = message
        pages.ITEM.go({ITEM_PARAM: str(saved_id)})

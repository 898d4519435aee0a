"""Colour and pattern on a real database (SQLite, and PostgreSQL when configured): stored
by the seller's writes, checked against core/catalogue/attributes.py, found by the keyword search in
English and French, filtered by the shop, and carried by the shop's address."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.catalogue.address import ShopAddress, ShopFilters
from core.catalogue.attributes import COLOURS, PATTERNS, colour_label, pattern_label
from core.catalogue.listings import InvalidListingError, get_own_listing
from core.catalogue.search import Sort
from core.catalogue.selling import check_listing, create_listing, update_listing
from core.models.catalogue import Item
from tests.listing_helpers import add_items, draft, found, photo


def test_the_sets_have_unique_codes_labels_and_prompts():
    for options in (COLOURS, PATTERNS):
        assert len({a.code for a in options}) == len(options)
        assert len({a.label_en for a in options}) == len(options)
        assert all(a.prompts and a.label_fr and len(a.code) <= 20 for a in options)
    assert colour_label("navy") == "Navy" and pattern_label("striped") == "Striped"
    assert colour_label(None) == pattern_label("") == ""


def test_create_and_update_store_colour_and_pattern(engine, seller):
    with Session(engine) as s:
        item = create_listing(s, seller, draft(colour="red", pattern="striped"), [photo()])
    with Session(engine) as s:
        stored = s.get(Item, item.id)
        assert (stored.colour, stored.pattern) == ("red", "striped")
        keep = [p.id for p in get_own_listing(s, seller, item.id).photos]
        update_listing(s, seller, item.id, draft(colour="navy", pattern=None), keep)
    with Session(engine) as s:
        stored = s.get(Item, item.id)
        assert (stored.colour, stored.pattern) == ("navy", None)  # a pattern can be unsaid
    assert found(engine, text="marine") == {item.id}  # the search text follows the edit
    assert found(engine, text="rouge") == set()


def test_a_listing_without_colour_or_pattern_is_saved(engine, seller):
    with Session(engine) as s:
        item = create_listing(s, seller, draft(colour="", pattern=None), [photo()])
    with Session(engine) as s:
        stored = s.get(Item, item.id)
    assert (stored.colour, stored.pattern) == (None, None)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"colour": "teal"}, "colour", "Choose one of the colours offered, or none."),
        ({"colour": "Red"}, "colour", "Choose one of the colours offered, or none."),  # codes
        ({"pattern": "paisley"}, "pattern", "Choose one of the patterns offered, or none."),
    ],
)
def test_unknown_codes_are_refused_with_a_field_message(engine, seller, changes, field, message):
    with pytest.raises(InvalidListingError) as caught:
        check_listing(draft(**changes), 1)
    assert caught.value.errors == {field: message}
    with Session(engine) as s, pytest.raises(InvalidListingError):
        create_listing(s, seller, draft(title="Teal thing", **changes), [photo()])
    assert found(engine, text="teal") == set()  # nothing stored


def test_a_refused_edit_keeps_the_colour(engine, seller):
    with Session(engine) as s:
        item = create_listing(s, seller, draft(colour="green"), [photo()])
        keep = [p.id for p in get_own_listing(s, seller, item.id).photos]
        with pytest.raises(InvalidListingError):
            update_listing(s, seller, item.id, draft(colour="chartreuse"), keep)
    with Session(engine) as s:
        assert s.get(Item, item.id).colour == "green"


@pytest.fixture
def wardrobe(engine, seller):
    specs = [
        dict(title="Marinière", category="t-shirt", colour="navy", pattern="striped"),
        dict(title="Summer dress", category="dress", colour="red", pattern="floral"),
        dict(title="Plain tee", category="t-shirt", colour="red", pattern="plain"),
        dict(title="Lumberjack shirt", category="shirt", colour="red", pattern="checked"),
        dict(title="Old jacket", category="jacket"),  # neither said
    ]
    names = ["mariniere", "dress", "tee", "shirt", "jacket"]
    return dict(zip(names, add_items(engine, seller, specs), strict=True))


@pytest.mark.parametrize(
    ("words", "names"),
    [
        ("red", {"dress", "tee", "shirt"}),
        ("rouge", {"dress", "tee", "shirt"}),  # the French names too
        ("striped", {"mariniere"}),
        ("raye", {"mariniere"}),  # accents ignored: "Rayé"
        ("bleu marine", {"mariniere"}),
        ("carreaux", {"shirt"}),
        ("red floral", {"dress"}),
        ("fleuri robe", {"dress"}),  # with the category's French name
    ],
)
def test_keyword_search_finds_colour_and_pattern_names(engine, wardrobe, words, names):
    assert found(engine, text=words) == {wardrobe[n] for n in names}


def test_filters_by_colour_and_pattern(engine, wardrobe):
    w = wardrobe
    assert found(engine, colours=("red",)) == {w["dress"], w["tee"], w["shirt"]}
    assert found(engine, colours=("red", "navy")) == {w["dress"], w["tee"], w["shirt"],
                                                      w["mariniere"]}  # fmt: skip
    assert found(engine, patterns=("striped", "checked")) == {w["mariniere"], w["shirt"]}
    assert found(engine, colours=("red",), patterns=("plain",)) == {w["tee"]}
    assert found(engine, colours=("red",), categories=("t-shirt",)) == {w["tee"]}
    assert found(engine, colours=("navy",), categories=("t-shirt",), text="mariniere") == {
        w["mariniere"]
    }
    assert found(engine, text="summer", colours=("navy",)) == set()
    assert found(engine, colours=("black",)) == set()
    assert w["jacket"] in found(engine)  # no colour said: left out only when one is asked
    for sort in Sort:  # every sort order's page plan applies them
        assert found(engine, colours=("red",), patterns=("floral",), sort=sort) == {w["dress"]}


def test_the_address_carries_colours_and_patterns():
    address = ShopAddress(
        ShopFilters(categories=("dress",), colours=("red", "blue"), patterns=("striped",))
    )
    params = address.params()
    assert list(params) == ["category", "colour", "pattern"]  # one fixed order
    assert params["colour"] == ["red", "blue"] and params["pattern"] == ["striped"]
    assert ShopAddress.from_params(params) == address
    odd = ShopAddress.from_params(
        {"colour": ["red", "teal", "red", "RED"], "pattern": ["paisley", "dotted"]}
    )
    assert odd.filters.colours == ("red",) and odd.filters.patterns == ("dotted",)
    assert ShopFilters(colours=("red",)).narrows
    query = address.filters.query()
    assert (query.colours, query.patterns) == (("red", "blue"), ("striped",))

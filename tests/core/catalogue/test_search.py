"""The catalogue's search on a real database (core/catalogue/search.py): keyset pages,
counts, plans, search and filters."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from core.catalogue import search
from core.catalogue.address import ShopFilters
from core.catalogue.search import (
    COUNT_CAP,
    CatalogueQuery,
    PageRequest,
    PriceRange,
    Sort,
    count_matches,
    known_brands,
    price_range,
    search_catalogue,
    search_words,
)
from core.db import session_scope
from core.models.catalogue import Item, ItemStatus, brand_key, fold
from tests.listing_helpers import add_items, found, ids_of

HASH = "$2b$12$" + "a" * 53


# --- the catalogue: pages ---------------------------------------------------------------


def expected_order(engine, sort: Sort) -> list[int]:
    with Session(engine) as s:
        items = s.exec(select(Item).where(Item.status == "available")).all()
    if sort is Sort.NEWEST:
        items.sort(key=lambda i: (i.created_at, i.id), reverse=True)
    elif sort is Sort.PRICE_UP:
        items.sort(key=lambda i: (i.price_cents, i.id))
    else:
        items.sort(key=lambda i: (i.price_cents, i.id), reverse=True)
    return [i.id for i in items]


@pytest.mark.parametrize("sort", [Sort.NEWEST, Sort.PRICE_UP, Sort.PRICE_DOWN])
def test_pages_forward_and_backward_cover_every_item_once_in_order(engine, many, sort):
    query = CatalogueQuery(sort=sort)
    want = expected_order(engine, sort)
    with Session(engine) as s:
        pages = [search_catalogue(s, query, PageRequest(size=10))]
        while pages[-1].has_next:
            pages.append(search_catalogue(s, query, PageRequest(after=pages[-1].last, size=10)))
        assert [i for p in pages for i in ids_of(p)] == want
        assert [len(p.cards) for p in pages] == [10, 10, 10, 10, 10, 3]
        assert not pages[0].has_previous and all(p.has_previous for p in pages[1:])
        assert pages[0].total == 53 and not pages[0].total_is_capped

        # back from the last page, one page at a time: the same pages again
        back = [search_catalogue(s, query, PageRequest(last=True, size=3))]
        assert ids_of(back[0]) == want[-3:] and not back[0].has_next
        while back[-1].has_previous:
            back.append(search_catalogue(s, query, PageRequest(before=back[-1].first, size=10)))
        assert [i for p in reversed(back) for i in ids_of(p)] == want
        assert [ids_of(p) for p in back[1:]] == [ids_of(p) for p in reversed(pages[:-1])]


def test_the_last_page_without_a_count_holds_the_last_items(engine, many):
    with Session(engine) as s:
        last = search_catalogue(s, CatalogueQuery(), PageRequest(last=True, size=24))
    assert ids_of(last) == expected_order(engine, Sort.NEWEST)[-24:]
    assert last.has_previous and not last.has_next


def test_counts_stop_at_the_cap(engine, many):
    with Session(engine) as s:
        assert count_matches(s, CatalogueQuery(), cap=10) == 11
        assert count_matches(s, CatalogueQuery(), cap=100) == 53
    assert COUNT_CAP >= 100


def page_plan(engine, query: CatalogueQuery) -> str:
    """SQLite's plan for the first page of ``query``."""
    key = Item.created_at if query.sort is Sort.NEWEST else Item.price_cents
    with Session(engine) as s:
        statement = (
            select(Item.id)
            .where(*search._filters(query, search._plan(s, query), for_page=True))
            .order_by(key.desc(), Item.id.desc())
            .limit(25)
        )
        sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
        return " ".join(r[-1] for r in s.exec(text(f"EXPLAIN QUERY PLAN {sql}")).all())


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (CatalogueQuery(), "ix_items_status_created"),
        (CatalogueQuery(min_price_cents=600, sizes=("M", "L")), "ix_items_status_created"),
        (CatalogueQuery(categories=("t-shirt",)), "ix_items_status_category"),
        (CatalogueQuery(sizes=("M",), conditions=("good",)), "ix_items_status_size"),
        (CatalogueQuery(brands=("brand",)), "ix_items_status_brand"),
        (CatalogueQuery(colours=("red",), patterns=("plain",)), "ix_items_status_created"),
        (CatalogueQuery(categories=("dress",), colours=("red",)), "ix_items_status_category"),
        (CatalogueQuery(sort=Sort.PRICE_DOWN, max_price_cents=900), "ix_items_status_price"),
        (CatalogueQuery(text="item", max_price_cents=900), "ix_items_status_created"),
    ],
)
def test_a_page_walks_the_index_of_its_order(engine, many, monkeypatch, query, index):
    # the cost of a page must not grow with the catalogue: no full scan, no sort of matches
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan (PostgreSQL plans with its statistics)")
    monkeypatch.setattr(search, "TEXT_DRIVES_BELOW", 5)  # "item" matches many items
    plan = page_plan(engine, query)
    assert f"INDEX {index} " in plan and "TEMP B-TREE" not in plan, plan


def test_a_search_matching_few_items_starts_from_them(engine, many):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    plan = page_plan(engine, CatalogueQuery(text="item", min_price_cents=600))
    assert "USING INTEGER PRIMARY KEY" in plan, plan  # the few ids, then a small sort


# --- the catalogue: search and filters ----------------------------------------------------


@pytest.fixture
def shop(engine, seller):
    specs = [
        dict(title="Robe rouge Sézane", brand="Sézane", category="dress", size="S",
             description="Viscose fluide", condition="very_good", price_cents=4500),
        dict(title="Straight-leg 501 jeans", brand="Levi's", category="pants", size="M",
             description="Mid-blue wash", condition="good", price_cents=3500),
        dict(title="Denim cut-off shorts", brand="LEVIS", category="shorts", size="S",
             description="High waist, frayed hem", condition="good", price_cents=1400),
        dict(title="White leather sneakers", brand="Veja", category="shoes", size="38",
             description="Clean soles", condition="new_with_tags", price_cents=5500),
        dict(title="Linen shirt", brand="Massimo Dutti", category="shirt", size="L",
             description="Breathable for summer", condition="satisfactory", price_cents=2200),
    ]  # fmt: skip
    return dict(zip(["dress", "jeans", "shorts", "shoes", "shirt"],
                    add_items(engine, seller, specs), strict=True))  # fmt: skip


@pytest.mark.parametrize(
    ("words", "names"),
    [
        ("jeans", {"jeans"}),
        ("JEANS", {"jeans"}),
        ("jea", {"jeans"}),  # word prefixes
        ("sezane", {"dress"}),  # accents ignored both ways
        ("sézane robe", {"dress"}),
        ("levi", {"jeans", "shorts"}),  # brand
        ("frayed", {"shorts"}),  # description
        ("summer linen", {"shirt"}),  # every word must match
        ("summer jeans", set()),
        ("shoes", {"shoes"}),  # category name
        ("chaussures", {"shoes"}),  # its French name
        ("501", {"jeans"}),
        ("straight-leg", {"jeans"}),
        ("  ", {"dress", "jeans", "shorts", "shoes", "shirt"}),
    ],
)
def test_full_text_search(engine, shop, words, names):
    assert found(engine, text=words) == {shop[n] for n in names}


@pytest.mark.parametrize(
    "words", ['"', "*", "jeans OR", "NOT jeans", "(", "'; DROP TABLE items; --", "a:b & c", "\\"]
)
def test_search_syntax_in_words_is_just_text(engine, shop, words):
    found(engine, text=words)  # no error, whatever the result
    assert found(engine, text="jeans") == {shop["jeans"]}


def test_search_words_are_folded_and_bounded():
    assert search_words("  Sézane T-Shirt!! ") == [("sezane",), ("t", "shirt")]
    assert search_words("Levi’s O'Polo") == [("levi", "s"), ("o", "polo")]
    assert len(search_words("a " * 50)) == search.MAX_SEARCH_WORDS
    assert search_words("x" * 100) == [("x" * search.MAX_WORD_LENGTH,)]
    long_parts = search_words("-".join(["abcdefghij"] * 6))  # joined, over 40 characters
    assert long_parts == [("abcdefghij" * 4,)]
    assert len(search_words("-".join("a" * 20))[0]) == search.MAX_SEARCH_WORDS


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Ça, c'est ÉTÉ", "ca cest c est ete"),
        ("Levi's", "levis levi s"),
        ("Levi’s", "levis levi s"),  # a typographic apostrophe
        ("levi´s", "levis levi s"),  # an acute accent typed as an apostrophe
        ("T-Shirt", "tshirt t shirt"),
        ("T‐shirt", "tshirt t shirt"),  # a Unicode hyphen
        ("T\u00adshirt", "tshirt"),  # a soft hyphen is invisible: one word
        ("Carhartt-WIP", "carharttwip carhartt wip"),
        ("Marc O'Polo", "marc opolo o polo"),
        ("A.P.C. H&M", "apc a p c hm h m"),
        ("'90s jeans' - & Other Stories", "90s jeans other stories"),  # not between letters
        ("ＬＥＶＩ＇Ｓ", "levis levi s"),  # fullwidth
        ("rock'n'roll t--shirt", "rocknroll rock n roll tshirt t shirt"),
    ],
)
def test_fold_keeps_joined_words_joined_and_split(text, folded):
    assert fold(text) == folded


def test_brand_keys_ignore_joiners():
    assert brand_key("Levi's") == brand_key("LEVIS") == brand_key("levi’s") == "levis"
    assert brand_key("Marc O'Polo") == brand_key("marc opolo") == "marcopolo"
    assert brand_key("Carhartt-WIP") == brand_key("Carhartt WIP") == "carharttwip"


@pytest.fixture
def joined(engine, seller):
    specs = [
        dict(title="Striped T-shirt", brand="Carhartt-WIP", category="sweater"),
        dict(title="Vintage t shirt", brand="Nike", category="sweater"),
        dict(title="Band tshirt", brand="Gap", category="sweater"),
        dict(title="Tee-shirt rayé", brand="Petit Bateau", category="sweater"),
        dict(title="Polo shirt", brand="Marc O'Polo", category="shirt"),
        dict(title="Trucker jacket", brand="Levi's", category="jacket"),
        dict(title="Tartan scarf, soft shell", brand="Stone Island", category="hat"),
    ]
    names = ["hyphen", "spaced", "solid", "tee", "polo", "levis", "unrelated"]
    return dict(zip(names, add_items(engine, seller, specs), strict=True))


@pytest.mark.parametrize(
    ("words", "names"),
    [
        ("levis", {"levis"}),  # the search box's own example
        ("levi's", {"levis"}),
        ("Levi’s", {"levis"}),
        ("LEVI", {"levis"}),
        ("levi s", {"levis"}),
        ("t-shirt", {"hyphen", "spaced", "solid"}),  # joined, or its parts in a row
        ("T‐Shirt", {"hyphen", "spaced", "solid"}),
        ("tshirt", {"hyphen", "solid"}),
        ("t shirt", {"hyphen", "spaced", "tee"}),  # two words: "t" starts "tee" too
        ("striped t-shirt", {"hyphen"}),
        ("tee-shirt", {"tee"}),
        ("teeshirt", {"tee"}),
        ("tee shirt", {"tee"}),
        ("carhartt", {"hyphen"}),
        ("wip", {"hyphen"}),
        ("carhartt-wip", {"hyphen"}),
        ("carharttwip", {"hyphen"}),
        ("carhartt wip", {"hyphen"}),
        ("o'polo", {"polo"}),
        ("opolo", {"polo"}),
        ("marc o'polo", {"polo"}),
        ("marc o polo", {"polo"}),
        ("shirt", {"hyphen", "spaced", "tee", "polo"}),  # "tshirt" has no word "shirt"
        ("raye", {"tee"}),
        ("t-s", {"hyphen", "spaced", "solid"}),  # the last part is a prefix too
        ("tartan-scarf", {"unrelated"}),  # its parts in a row
        ("tartan-shell", set()),  # the parts are there, not next to each other
        ("sof-shell", set()),  # only the last part is a prefix
        ("l'ete", set()),
    ],
)
def test_search_reads_apostrophes_and_hyphens_both_ways(engine, joined, words, names):
    assert found(engine, text=words) == {joined[n] for n in names}


def test_filters(engine, shop):
    assert found(engine, categories=("pants", "shorts")) == {shop["jeans"], shop["shorts"]}
    assert found(engine, sizes=("S",)) == {shop["dress"], shop["shorts"]}
    assert found(engine, brands=("levis",)) == {shop["jeans"], shop["shorts"]}
    assert found(engine, brands=("Levi's", "veja")) == {
        shop["jeans"],
        shop["shorts"],
        shop["shoes"],
    }
    assert found(engine, conditions=("good",)) == {shop["jeans"], shop["shorts"]}
    assert found(engine, min_price_cents=2200, max_price_cents=4500) == {
        shop["dress"], shop["jeans"], shop["shirt"]
    }  # fmt: skip
    assert found(engine, text="levi", sizes=("M",), max_price_cents=5000) == {shop["jeans"]}
    assert found(engine, categories=("bag",)) == set()


def test_sold_items_leave_the_catalogue_and_its_search(engine, shop):
    with session_scope(engine) as s:
        s.get(Item, shop["jeans"]).status = ItemStatus.SOLD.value
    assert found(engine, text="jeans") == set()
    assert shop["jeans"] not in found(engine)
    with session_scope(engine) as s:  # back on sale (e.g. an order cancelled by hand)
        s.get(Item, shop["jeans"]).status = ItemStatus.AVAILABLE.value
    assert found(engine, text="jeans") == {shop["jeans"]}


def test_price_range():
    assert price_range(None, None) == PriceRange(None, None)
    assert price_range(10, 20.5) == PriceRange(1000, 2050)
    assert price_range(0, 20) == PriceRange(None, 2000)  # 0 is no bound
    assert price_range(20, None) == PriceRange(2000, None)
    assert price_range(300, 200) == PriceRange(20000, 30000, swapped=True)  # upside down
    assert price_range(200, 200) == PriceRange(20000, 20000)


def test_an_upside_down_price_range_finds_what_lies_between(engine, shop):
    query = ShopFilters(min_price=45, max_price=22).query()
    assert (query.min_price_cents, query.max_price_cents) == (2200, 4500)
    assert found(engine, min_price_cents=2200, max_price_cents=4500) == {
        shop["dress"], shop["jeans"], shop["shirt"]
    }  # fmt: skip


def test_known_brands_one_spelling_each(engine, shop):
    with Session(engine) as s:
        brands = known_brands(s)
    assert brands[0] in ("LEVIS", "Levi's")  # the most listed brand first
    assert len(brands) == 4


# --- the shop's address -------------------------------------------------------------------

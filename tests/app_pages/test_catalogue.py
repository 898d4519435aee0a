"""The shop and the item page (``/item?item=ID``), through the real pages (AppTest)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.catalogue.photos import prepare_photo
from core.catalogue.selling import ListingDraft, create_listing
from core.models.catalogue import Photo
from demo.listings import DEMO_LISTINGS
from tests.apptest import card_titles, grid, open_card, start_app, texts
from tests.conftest import ROOT
from tests.shop_helpers import (
    app_db,
    click,
    enabled,
    item_by_title,
    jpeg,
    open_item,
    user_id,
)
from ui import pages, thumbnails


def caption(at) -> str:
    return next(c.value for c in at.caption if " item" in c.value)


def test_the_shop_shows_every_available_item_logged_out(app_env):
    at = start_app()
    assert at.title[0].value == "Second-hand clothes"
    assert sorted(card_titles(at)) == sorted(d.title for d in DEMO_LISTINGS)
    assert caption(at) == "24 items · page 1 of 1"
    assert not enabled(at, "Next") and not enabled(at, "Previous")
    assert "€" in texts(at)


def test_search_sort_and_filters(app_env):
    at = start_app()
    at.text_input(key="f_text").input("jeans").run()
    assert card_titles(at) == ["Straight-leg 501 jeans"]
    at.text_input(key="f_text").input("LEVI").run()  # brand, any case, word prefix
    assert sorted(card_titles(at)) == ["Denim cut-off shorts", "Straight-leg 501 jeans"]
    at.selectbox(key="f_sort").set_value("price_up").run()
    assert card_titles(at) == ["Denim cut-off shorts", "Straight-leg 501 jeans"]
    for words in ("levis", "levi's", "Levi’s"):  # the search box's own example
        at.text_input(key="f_text").input(words).run()
        assert sorted(card_titles(at)) == ["Denim cut-off shorts", "Straight-leg 501 jeans"]
    at.text_input(key="f_text").input("carhartt-wip t-shirt").run()
    assert card_titles(at) == ["Black oversized logo tee"]
    at.text_input(key="f_text").input("nothing-like-this").run()
    assert "No item matches “nothing-like-this”." in texts(at).replace("\\", "")

    at = start_app()
    at.button_group(key="f_categories").set_value(["shoes", "hat"]).run()
    assert len(card_titles(at)) == 4
    at.multiselect(key="f_sizes").set_value(["38"]).run()
    assert card_titles(at) == ["White leather sneakers"]

    at = start_app()
    at.multiselect(key="f_brands").set_value(["levis"]).run()  # typed: no apostrophe
    assert sorted(card_titles(at)) == ["Denim cut-off shorts", "Straight-leg 501 jeans"]
    at.button_group(key="f_conditions").set_value(["very_good"]).run()
    assert card_titles(at) == ["Straight-leg 501 jeans"]
    click(at, "Clear the filters")
    assert len(card_titles(at)) == 24


def test_price_range_and_an_upside_down_one(app_env):
    at = start_app()
    at.number_input(key="f_low").set_value(100).run()
    assert sorted(card_titles(at)) == ["Black leather biker jacket", "Camel wool coat"]
    at.number_input(key="f_high").set_value(50).run()  # min 100, max 50: read as 50 to 100
    assert sorted(card_titles(at)) == [
        "Green hooded parka", "Olive field jacket", "Tan leather tote bag", "White leather sneakers"
    ]  # fmt: skip
    assert caption(at) == ("4 items · page 1 of 1 · min and max price swapped: €50.00 to €100.00")
    assert not at.warning
    assert at.query_params == {"min": "100", "max": "50"}  # the address keeps what was typed
    assert at.number_input(key="f_low").value == 100 and at.number_input(key="f_high").value == 50


def open_shop(params: dict) -> AppTest:
    """A fresh browser opening the shop at an address (a shared link, a reload)."""
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    at.query_params.update(params)
    at.run()
    assert not at.exception, at.exception
    return at


def link_queries(at) -> dict[str, str]:
    return {link.proto.label: link.proto.query_string for link in at.get("page_link")}


def test_the_address_says_the_search_filters_and_sort(app_env):
    at = start_app()
    at.text_input(key="f_text").input("leather").run()
    at.button_group(key="f_conditions").set_value(["very_good"]).run()
    at.selectbox(key="f_sort").set_value("price_down").run()
    shown = card_titles(at)
    assert shown == ["Black leather biker jacket", "Tan leather tote bag", "White leather sneakers"]
    assert at.query_params == {"q": "leather", "condition": "very_good", "sort": "price_down"}
    # the cards open their item after the same address, so the item page can go back to it
    items = [card["href"] for card in grid(at)]
    prefix = "item?q=leather&condition=very_good&sort=price_down&item="
    assert len(items) == len(shown) and all(q.startswith(prefix) for q in items)

    shared = open_shop(dict(at.query_params))  # the link shared, or the page reloaded
    assert card_titles(shared) == shown
    assert shared.text_input(key="f_text").value == "leather"
    assert shared.button_group(key="f_conditions").value == ["very_good"]
    assert shared.selectbox(key="f_sort").value == "price_down"
    assert shared.query_params == at.query_params

    many = open_shop({"category": ["shoes", "hat"], "size": ["38", "One size"], "min": "20"})
    assert sorted(card_titles(many)) == [
        "Burgundy wool felt hat", "Straw-colour fedora", "White leather sneakers"
    ]  # fmt: skip
    assert many.multiselect(key="f_sizes").value == ["38", "One size"]


def test_back_to_an_earlier_address_shows_it_whatever_the_widgets_said(app_env):
    at = start_app()
    at.text_input(key="f_text").input("shirt").run()
    earlier = dict(at.query_params)
    at.selectbox(key="f_sort").set_value("price_up").run()
    at.text_input(key="f_text").input("jeans").run()
    assert at.query_params == {"q": "jeans", "sort": "price_up"}
    at.query_params.clear()  # the browser's Back button: the earlier URL, widgets unchanged
    at.query_params.update(earlier)
    at.run()
    assert at.text_input(key="f_text").value == "shirt"
    assert at.selectbox(key="f_sort").value == "newest"
    assert at.query_params == earlier
    assert sorted(card_titles(at)) == sorted(card_titles(open_shop(earlier)))


def test_an_address_it_does_not_understand_is_the_plain_shop(app_env):
    at = open_shop({"sort": "cheapest", "category": "nope", "min": "-5", "max": "1e9",
                    "after": "x_1", "page": "7", "q": "a\x00b", "size": "XXXXL"})  # fmt: skip
    assert caption(at) == "24 items · page 1 of 1"
    assert at.query_params == {}  # written back as understood
    at = open_shop({"before": "99999999_1", "sort": "price_up"})  # an old cursor: no error
    assert not at.exception


def add_listings(app_env, count: int) -> None:
    engine = app_db(app_env)
    seller = user_id(engine, "user1@gmail.com")
    photo = prepare_photo(jpeg())
    with Session(engine) as s:
        for n in range(count):
            draft = ListingDraft(
                title=f"Plain tee number {n:02d}",
                category="t-shirt",
                size="M",
                brand="Basics",
                condition="good",
                price=str(5 + n),
            )
            create_listing(s, seller, draft, [photo])


def test_pages_next_previous_first_last(app_env):
    add_listings(app_env, 40)  # 64 items: pages of 24, 24 and 16
    at = start_app()
    first = card_titles(at)
    assert caption(at) == "64 items · page 1 of 3" and first[0] == "Plain tee number 39"
    click(at, "Next")
    second = card_titles(at)
    assert caption(at) == "64 items · page 2 of 3" and not set(first) & set(second)
    assert set(at.query_params) == {"after", "page"} and at.query_params["page"] == "2"
    assert card_titles(open_shop(dict(at.query_params))) == second  # a page can be shared
    click(at, "Next")
    third = card_titles(at)
    assert caption(at) == "64 items · page 3 of 3" and len(third) == 16
    assert not enabled(at, "Next") and not enabled(at, "Last")
    click(at, "Previous")
    assert card_titles(at) == second and at.query_params["page"] == "2"
    click(at, "First")
    assert card_titles(at) == first and not enabled(at, "Previous")
    assert at.query_params == {}
    click(at, "Last")
    assert card_titles(at) == third and caption(at) == "64 items · page 3 of 3"
    assert at.query_params == {"last": "1"}
    # a new search starts again on its first page
    at.text_input(key="f_text").input("tee").run()
    assert caption(at) == "42 items · page 1 of 2"  # and two demo tees
    assert at.query_params == {"q": "tee"}


def follow(at: AppTest, label: str, query_ends: str = "") -> AppTest:
    """Click the page link ``label`` (the first whose query ends with ``query_ends``): its
    page, with its query, as the browser runs it."""
    link = next(
        link.proto
        for link in at.get("page_link")
        if link.proto.label == label and link.proto.query_string.endswith(query_ends)
    )
    at.switch_page(pages.BY_URL_PATH[link.page].path)
    at.query_params.clear()
    at.query_params.update(parse_qs(link.query_string))
    at.run()
    assert not at.exception, at.exception
    return at


def test_filters_survive_a_visit_to_an_item(app_env):
    at = start_app()
    at.text_input(key="f_text").input("shirt").run()
    at.selectbox(key="f_sort").set_value("price_up").run()
    shown = card_titles(at)
    item = item_by_title(app_db(app_env), shown[0]).id
    open_card(at, item)  # the item's own page, after the search
    assert at.title == [] and shown[0] in [h.value.replace("\\", "") for h in at.header]
    assert at.query_params == {"q": "shirt", "sort": "price_up", "item": str(item)}
    assert link_queries(at)["Back to the shop"] == "q=shirt&sort=price_up"
    follow(at, "Back to the shop")  # (or the browser's Back)
    assert at.text_input(key="f_text").value == "shirt"
    assert at.selectbox(key="f_sort").value == "price_up"
    assert card_titles(at) == shown
    at.text_input(key="f_text").input("jeans").run()  # a new search shows results, no item
    assert card_titles(at) == ["Straight-leg 501 jeans"]
    assert "item" not in at.query_params


def test_an_items_address_from_before_its_own_page_still_opens_it(app_env):
    """/?q=dress&item=ID, an item's address when the shop showed items itself (links shared
    then): the item's own page, after the same search."""
    item = item_by_title(app_db(app_env), "Red wrap midi dress").id
    at = open_shop({"q": "dress", "item": str(item)})
    assert at.title == []  # not the shop
    assert "Red wrap midi dress" in [h.value.replace("\\", "") for h in at.header]
    assert at.query_params == {"q": "dress", "item": str(item)}
    assert link_queries(at)["Back to the shop"] == "q=dress"


def test_colour_and_pattern_filters_and_the_item_page(app_env):
    at = start_app()
    at.multiselect(key="f_colours").set_value(["red"]).run()  # burgundy is red too
    assert sorted(card_titles(at)) == ["Burgundy wool felt hat", "Red wrap midi dress"]
    assert at.query_params == {"colour": "red"}
    at.button_group(key="f_categories").set_value(["dress"]).run()
    assert card_titles(at) == ["Red wrap midi dress"]
    assert at.query_params == {"category": "dress", "colour": "red"}
    click(at, "Clear the filters")
    at.button_group(key="f_patterns").set_value(["printed"]).run()
    assert card_titles(at) == ["Black oversized logo tee"]
    at.text_input(key="f_text").input("noir").run()  # the colour's French name, with the filter
    assert card_titles(at) == ["Black oversized logo tee"]

    shared = open_shop({"colour": ["navy", "teal"], "pattern": "plain"})  # teal: not a colour
    assert sorted(card_titles(shared)) == [
        "Navy canvas running shoes", "Navy summer dress with belt"
    ]  # fmt: skip
    assert shared.multiselect(key="f_colours").value == ["navy"]
    assert shared.query_params == {"colour": "navy", "pattern": "plain"}

    item = open_item(start_app(), item_by_title(app_db(app_env), "Red wrap midi dress").id)
    assert any("**Colour:** Red · **Pattern:** Plain" in m.value for m in item.markdown)


def image_alts(at) -> list[str]:
    return [img.alt for element in at.get("image") for img in element.proto.imgs]


_CARD_PHOTO = re.compile(r"^app/static/thumbs/(\w+\.jpg)$")


def listing_thumbnail(engine, title: str) -> bytes:
    """The thumbnail of the listing's first photo, as stored."""
    item_id = item_by_title(engine, title).id
    with Session(engine) as s:
        return s.exec(
            select(Photo.thumbnail).where(Photo.item_id == item_id, Photo.position == 0)
        ).one()


def card_alts(at) -> list[str]:
    """The alternative texts of the cards' photos, in order."""
    return [card["alt"] for card in grid(at) if card["img"]]


def test_every_photo_says_what_it_shows(app_env):
    engine = app_db(app_env)
    with Session(engine) as s:
        create_listing(
            s,
            user_id(engine, "user1@gmail.com"),
            ListingDraft(
                title="Two-photo tee",
                category="t-shirt",
                size="M",
                brand="Basics",
                condition="good",
                price="9",
            ),
            [prepare_photo(jpeg()), prepare_photo(jpeg((20, 90, 200)))],
        )
    at = start_app()
    alts = card_alts(at)
    assert alts[0] == "Photo of Two-photo tee (T-shirt)"  # the title and the category
    # the photo by its address: the file of the listing's thumbnail, which the browser keeps
    first = _CARD_PHOTO.match(grid(at)[0]["img"])
    assert (thumbnails.STATIC_DIR / "thumbs" / first.group(1)).read_bytes() == listing_thumbnail(
        engine, "Two-photo tee"
    )
    assert [alt.split(" (")[0] for alt in alts] == [f"Photo of {t}" for t in card_titles(at)]
    at = open_item(at, item_by_title(engine, "Two-photo tee").id)
    assert image_alts(at)[:2] == [
        "Photo of Two-photo tee (T-shirt), 1 of 2",
        "Photo of Two-photo tee (T-shirt), 2 of 2",
    ]

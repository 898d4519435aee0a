"""The browser's Back, Forward and reload between the shop and its items' pages, "Shop" in the
navigation from an item, a search shared by its address and an item's address from before
items had their own page, in a real Chromium at a desktop and at a phone size."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CARD, Person, card_titles

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SHOP = {"q": ["leather"], "condition": ["very_good"], "sort": ["price_down"]}
# the keyword matches; with a model (the tiny CLIP here) the listings nearest to the words
# join them, so each test reads the results once and checks that they come back unchanged
RESULTS = ["Black leather biker jacket", "Tan leather tote bag", "White leather sneakers"]


@pytest.fixture(params=["desktop", "phone"])
def people(request, person, browser, app_url) -> Iterator[Callable[[str], Person]]:
    """``people(name)``: a new person (their own browser context) at this test's size."""
    if request.param == "desktop":
        yield lambda name: person(f"desktop-{name}")  # 1280 x 900
        return
    phones: list[Person] = []

    def make(name: str) -> Person:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        phones.append(Person(context, app_url, f"{request.node.name}-phone-{name}"))
        return phones[-1]

    yield make
    for someone in phones:
        if getattr(request.node, "failed_call", False):
            someone.shot("failure")
        someone.context.close()


def _query(someone: Person) -> dict[str, list[str]]:
    return parse_qs(urlsplit(someone.page.url).query)


def _path(someone: Person) -> str:
    return urlsplit(someone.page.url).path


def _shop_link(someone: Person):
    """ "Shop" in the top navigation, or in the row of main places on a phone (where the
    navigation folds into the side menu)."""
    if someone.page.viewport_size["width"] < 768:
        return someone.page.locator(".st-key-quick_links").get_by_role("link", name="Shop")
    return someone.page.get_by_test_id("stTopNav").get_by_role("link", name="Shop")


def _shows_the_item(someone: Person, title: str) -> None:
    """The item's own page, /item, after the leather search's address."""
    assert _heading(someone) == title and _path(someone) == "/item"
    item = _query(someone)
    assert item.pop("item")[0].isdigit() and item == SHOP


def _heading(someone: Person) -> str:
    return someone.page.locator(
        '[data-testid="stMain"] h1, [data-testid="stMain"] h2'
    ).first.inner_text()


def _search(someone: Person, words: str) -> None:
    box = someone.page.get_by_label("Search")
    box.fill(words)
    box.press("Enter")
    someone.settle()


def _filters(someone: Person, *, open_: bool) -> None:
    """Open (or close) the sidebar of filters: a phone shows it over the page on demand."""
    page = someone.page
    expand = page.locator('[data-testid="stExpandSidebarButton"]')
    collapse = page.locator('[data-testid="stSidebarCollapseButton"] button')
    if open_ and expand.count() and expand.is_visible():
        expand.click()
        page.locator('[data-testid="stSidebar"]').get_by_text("Filters", exact=True).wait_for()
    elif not open_ and page.viewport_size["width"] < 640 and collapse.count():
        collapse.click()
        expand.wait_for()


def _condition(someone: Person, label: str):
    return someone.page.locator('[data-testid="stSidebar"]').get_by_role("button", name=label)


def _sort(someone: Person):
    return someone.page.get_by_role("combobox", name="Sort by")


def _shows_the_search(someone: Person, results: list[str]) -> None:
    """The shop shows the leather search, filtered and sorted, and no item."""
    assert _path(someone) == "/" and _query(someone) == SHOP
    assert _heading(someone) == "Second-hand clothes"
    # expect() waits a moment: the input's value may be drawn just after the run ends
    expect(someone.page.get_by_label("Search")).to_have_value("leather")
    expect(_sort(someone)).to_have_value("Price: high to low")
    assert _condition(someone, "Very good").get_attribute("aria-pressed") == "true"
    assert card_titles(someone) == results


def test_back_forward_reload_and_a_shared_search(people):
    shopper = people("shopper")
    shopper.goto("/")
    assert 0 < len(card_titles(shopper)) <= 24  # a page of cards (other tests may buy some)
    # every card's photo came from its address in the static folder (ui/thumbnails.py)
    photos = shopper.page.locator(f"{CARD} img")
    sources = photos.evaluate_all("all => all.map(i => i.src)")
    assert sources and all("/app/static/thumbs/" in src for src in sources)
    for photo in photos.all():  # and each one loads once scrolled to (lazily), at its size
        photo.scroll_into_view_if_needed()
        expect(photo).to_have_js_property("complete", True)
        assert photo.evaluate("i => i.naturalWidth") > 0
    shopper.page.locator('[data-testid="stMain"] h1').first.scroll_into_view_if_needed()
    # how Streamlit marks the current page's link ("Shop", here)
    marked = _shop_link(shopper).evaluate("link => getComputedStyle(link).backgroundColor")
    assert marked != "rgba(0, 0, 0, 0)"
    shopper.shot("shop")

    # a search, a filter and a sort: each one is in the address
    _search(shopper, "leather")
    assert _query(shopper) == {"q": ["leather"]}
    _filters(shopper, open_=True)
    _condition(shopper, "Very good").click()
    shopper.settle()
    shopper.shot("filter chosen")
    _filters(shopper, open_=False)
    _sort(shopper).click()
    shopper.page.get_by_role("option", name="Price: high to low", exact=True).click()
    shopper.settle()
    results = card_titles(shopper)
    assert set(RESULTS) <= set(results)
    _shows_the_search(shopper, results)
    shared = shopper.page.url
    shopper.shot("search filter and sort")

    # open the second result: the item, at its own address after the search's, in this
    # very page (no new load of the app: what the page held is still there)
    shopper.page.evaluate("() => { window.__sameLoad = true; }")
    shopper.page.locator(CARD).nth(1).locator("a.open").click()
    shopper.settle()
    _shows_the_item(shopper, results[1])
    assert shopper.page.evaluate("() => window.__sameLoad === true")
    item_address = shopper.page.url
    assert shopper.page.title() == f"{results[1]} · Seconde Main"
    # the item is part of the shop: "Shop" is marked as the current place, as on the shop
    expect(_shop_link(shopper)).to_have_css("background-color", marked)
    shopper.shot("item")

    shopper.page.go_back()  # the same search, filters and sort, no item
    shopper.settle()
    _shows_the_search(shopper, results)
    shopper.shot("back")

    shopper.page.go_forward()  # the item again
    shopper.settle()
    _shows_the_item(shopper, results[1])
    shopper.shot("forward")

    shopper.page.reload()  # still the item
    shopper.settle()
    _shows_the_item(shopper, results[1])
    shopper.shot("reload")

    _shop_link(shopper).click()  # "Shop" in the navigation: the shop's front, no search
    shopper.settle()
    assert _heading(shopper) == "Second-hand clothes"
    assert _path(shopper) == "/" and _query(shopper) == {}
    assert len(card_titles(shopper)) > len(results)
    shopper.shot("shop from the navigation")
    shopper.page.go_back()  # one step back: the item, as it was
    shopper.settle()
    _shows_the_item(shopper, results[1])

    shopper.page.get_by_role("link", name="Back to the shop").click()  # the link does the same
    shopper.settle()
    _shows_the_search(shopper, results)
    _search(shopper, "jeans")  # a new search shows its results, never the item again
    assert _heading(shopper) == "Second-hand clothes"
    assert "Straight-leg 501 jeans" in card_titles(shopper)
    assert _query(shopper) == {**SHOP, "q": ["jeans"]}
    shopper.shot("new search")
    shopper.page.go_back()
    shopper.settle()
    _shows_the_search(shopper, results)
    shopper.shot("back to the first search")

    # the address, opened by someone else (a fresh browser): the same results
    friend = people("friend")
    friend.goto(shared.removeprefix(friend.base))
    _shows_the_search(friend, results)
    friend.shot("shared search")

    if friend.page.viewport_size["width"] < 768:
        return  # the rest is history, the same at any width: checked once, on the desktop
    # an item's address from before items had their own page, /?...&item=ID: the item's page
    old_link = urlsplit(item_address)._replace(path="/").geturl()
    friend.goto(old_link.removeprefix(friend.base))
    _shows_the_item(friend, results[1])
    assert friend.page.url == item_address
    friend.shot("an old item link")
    friend.page.go_back()  # the search it came with, not the item again
    friend.settle()
    _shows_the_search(friend, results)
    friend.page.go_forward()
    friend.settle()
    _shows_the_item(friend, results[1])

    # a Streamlit that stopped following the address on "popstate": a card's click still
    # opens the item, by a page load (ui/card_grid.js), instead of doing nothing
    friend.page.go_back()
    friend.settle()
    friend.page.evaluate(
        "() => window.addEventListener('popstate', (e) => e.stopImmediatePropagation(), true)"
    )
    with friend.page.expect_navigation(timeout=15_000):
        friend.page.locator(CARD).nth(1).locator("a.open").click()
    friend.settle()
    _shows_the_item(friend, results[1])

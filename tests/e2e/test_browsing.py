"""The browser's Back, Forward and reload between the shop and its items, and a search
shared by its address, in a real Chromium at a desktop and at a phone size."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Person

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


def _titles(someone: Person) -> list[str]:
    """The titles of the result cards, in their order."""
    cards = someone.page.locator('[data-testid="stMain"] [class*="st-key-card_"]')
    return [card.locator("strong").first.inner_text() for card in cards.all()]


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
    assert _query(someone) == SHOP
    assert _heading(someone) == "Second-hand clothes"
    # expect() waits a moment: the input's value may be drawn just after the run ends
    expect(someone.page.get_by_label("Search")).to_have_value("leather")
    expect(_sort(someone)).to_have_value("Price: high to low")
    assert _condition(someone, "Very good").get_attribute("aria-pressed") == "true"
    assert _titles(someone) == results


def test_back_forward_reload_and_a_shared_search(people):
    shopper = people("shopper")
    shopper.goto("/")
    assert 0 < len(_titles(shopper)) <= 24  # a page of cards (other tests may buy some)
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
    results = _titles(shopper)
    assert set(RESULTS) <= set(results)
    _shows_the_search(shopper, results)
    shared = shopper.page.url
    shopper.shot("search filter and sort")

    # open the second result: the item, at its own address after the search's
    shopper.page.locator('[class*="st-key-card_"]').nth(1).get_by_role(
        "link", name="See the item"
    ).click()
    shopper.settle()
    assert _heading(shopper) == results[1]
    item = _query(shopper)
    assert item.pop("item")[0].isdigit() and item == SHOP
    shopper.shot("item")

    shopper.page.go_back()  # the same search, filters and sort, no item
    shopper.settle()
    _shows_the_search(shopper, results)
    shopper.shot("back")

    shopper.page.go_forward()  # the item again
    shopper.settle()
    assert _heading(shopper) == results[1] and "item" in _query(shopper)
    shopper.shot("forward")

    shopper.page.reload()  # still the item
    shopper.settle()
    assert _heading(shopper) == results[1] and "item" in _query(shopper)
    shopper.shot("reload")

    shopper.page.get_by_role("link", name="Back to the shop").click()  # the link does the same
    shopper.settle()
    _shows_the_search(shopper, results)
    _search(shopper, "jeans")  # a new search shows its results, never the item again
    assert _heading(shopper) == "Second-hand clothes"
    assert "Straight-leg 501 jeans" in _titles(shopper)
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

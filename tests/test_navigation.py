"""The navigation through the real app (AppTest): every screen keeps its address, an address
that names no screen says "Page not found", hidden pages still open by address, the cart's
count is in the navigation, and the row of main places a phone shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import log_in, open_page, start_app, texts
from tests.conftest import ROOT
from tests.shop_helpers import app_db, click, item_by_title, labels, open_item
from ui import pages

BASE = "http://localhost:8501"
KNOWN = {
    "", "login", "register", "sell", "my_listings", "cart", "orders", "profile", "favourites",
    "inbox", "notifications", "item", "seller", "insights", "forgot_password",
    "reset_password",
}  # fmt: skip


def at_address(path: str) -> AppTest:
    """The app's first run for a browser at ``BASE + path`` (st.context.url)."""
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    at.context = {"url": BASE + path}
    at.run()
    assert not at.exception, at.exception
    return at


def registered(at: AppTest) -> dict[str, dict]:
    """The pages the last run gave st.navigation, by url path (AppTest keeps them)."""
    return {info.get("url_pathname"): info for info in at._registered_pages.values()}


def follow_address(at: AppTest, url_path: str) -> AppTest:
    """Run the page Streamlit routes ``/url_path`` to. A browser names it by its path; AppTest
    can switch only to file pages, so it is named by its hash, as Streamlit resolves it."""
    (page_hash,) = [
        h for h, info in at._registered_pages.items() if info.get("url_pathname") == url_path
    ]
    at._page_hash = page_hash
    at.run()
    assert not at.exception, at.exception
    return at


def quick_links(at: AppTest, count: int) -> list[str]:
    """The row of main places: the first page links of every page (Home.py draws them)."""
    return [link.value for link in at.page_link][:count]


def test_every_screen_keeps_its_address():
    # the admin page is registered for administrators only (tests/app_pages/test_admin.py)
    assert {screen.url_path for screen in pages.SCREENS} == KNOWN | {"admin"}
    for screen in pages.SCREENS:  # the addresses Streamlit gave them before: bookmarks hold
        if screen is not pages.SHOP:
            assert screen.url_path == Path(screen.path).stem


def test_a_page_writes_its_address_only_when_the_browser_shows_it(app_env):
    """In the first run after a switch from another page the browser still shows that page's
    address, which Streamlit changes itself: a write of the query would push the old page's
    address with the new query, an extra step for Back (an empty item page after "Shop")."""
    query = {"q": "dress", "utm_source": "mail"}  # a parameter the shop does not keep
    for shown, kept in (("/item", True), ("/", False), ("/prefix/", False)):
        at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
        at.context = {"url": BASE + shown}  # the address the browser asked from
        at.query_params.update(query)
        at.run()
        assert not at.exception, at.exception
        assert at.title[0].value == "Second-hand clothes"
        assert ("utm_source" in at.query_params) is kept, shown


def test_an_unknown_address_shows_page_not_found(app_env):
    at = at_address("/no-such-page")
    assert registered(at)["no-such-page"]["page_name"] == "Page not found"
    follow_address(at, "no-such-page")
    assert [t.value for t in at.title] == ["Page not found"]
    assert "There is no page at this address." in texts(at)
    assert "Go to the shop" in [link.value for link in at.page_link]
    assert "Second-hand clothes" not in texts(at)  # the shop does not run under it


@pytest.mark.parametrize("path", ["/", "/item?item=3", "/profile", "/sell/", "/x%2Fy", "/%20"])
def test_only_an_unknown_address_gets_the_not_found_page(app_env, path):
    # "/x%2Fy" and "/%20" cannot be a url path: Streamlit's own pop-up over the shop
    assert set(registered(at_address(path))) == KNOWN


def test_the_not_found_page_takes_the_address_decoded(app_env):
    assert "café" in registered(at_address("/caf%C3%A9"))  # what the browser names it


def test_hidden_pages_still_open_by_address(app_env):
    at = at_address("/profile")  # logged out: the log-in page, then back
    open_page(at, "app_pages/profile.py")
    assert "Welcome back" in [t.value for t in at.title]
    log_in(at)
    assert "My profile" in [t.value for t in at.title]
    open_page(at, "app_pages/login.py")  # logged in: the log-in page goes to the shop
    assert "Second-hand clothes" in [t.value for t in at.title]
    assert "Page not found" not in texts(at)


def test_the_main_places_come_first_on_every_page(app_env):
    at = start_app()
    assert quick_links(at, 3) == ["Shop", "Log in", "Register"]
    log_in(at, "user2@gmail.com")
    for page in ("app_pages/catalogue.py", "app_pages/sell.py", "app_pages/profile.py"):
        assert quick_links(open_page(at, page), 4) == ["Shop", "Sell", "Cart", "Profile"]


def test_the_cart_count_follows_add_remove_and_checkout(app_env):
    engine = app_db(app_env)
    dress, hat = (
        item_by_title(engine, t).id for t in ("Red wrap midi dress", "Straw-colour fedora")
    )
    at = log_in(start_app(), "user2@gmail.com")

    def cart_label() -> str:
        assert registered(at)["cart"]["page_name"] == quick_links(at, 4)[2]  # both alike
        return quick_links(at, 4)[2]

    assert cart_label() == "Cart"
    click(open_item(at, dress), "Add to cart")
    assert cart_label() == "Cart (1)"
    click(open_item(at, hat), "Add to cart")
    assert cart_label() == "Cart (2)"
    click(open_page(at, "app_pages/cart.py"), "Remove")
    assert cart_label() == "Cart (1)"
    buy = next(label for label in labels(at) if label.startswith("Buy for"))
    click(at, buy)
    click(at, "Confirm the purchase")
    assert "My orders" in [t.value for t in at.title]
    assert cart_label() == "Cart"

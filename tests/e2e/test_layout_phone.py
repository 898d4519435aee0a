"""The app on a phone and at a laptop, in a real Chromium: every page at 390 x 844 (logged
out and logged in) keeps its controls on screen and whole, the main places are links in
view, the shop shows two cards per row, the cart's count follows the cart, an unknown
address says "Page not found", and the server's log stays quiet.

Each page is photographed (``test-artifacts/e2e/``), whole with ``E2E_WHOLE_PAGES=1``:
Streamlit scrolls inside its main area, so the window is then grown to the content's height.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.app_server import free_port
from tests.conftest import ROOT
from tests.e2e.conftest import CARD, PHONE, Person, assert_accessible, chart_problems
from ui.pages import QUICK_LINKS_KEY

pytestmark = pytest.mark.browser

# Every visible element of the main area, against the window and against each ancestor that
# clips or scrolls it; text cut with an ellipsis too ("Rem..."). Elements hidden on purpose
# (screen-reader only: clip, clip-path, aria-hidden) are left out. The card grids' shadow
# roots (ui/card_grid.js) are walked too, and their hosts count as ancestors.
LAYOUT_PROBLEMS = r"""() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const up = (el) => el.parentElement || el.getRootNode().host || null;
  const everything = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      everything.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(main);
  const width = window.innerWidth;
  const name = (el) => {
    const id = el.getAttribute('data-testid');
    const text = (el.innerText || el.getAttribute('aria-label') || '').trim()
      .replace(/\s+/g, ' ').slice(0, 40);
    return `${el.tagName.toLowerCase()}${id ? `[${id}]` : ''} "${text}"`;
  };
  const hiddenOnPurpose = (el) => {
    for (let a = el; a && a !== main; a = up(a)) {
      const s = getComputedStyle(a);
      if (a.getAttribute('aria-hidden') === 'true' || s.clipPath !== 'none'
          || (s.clip && s.clip !== 'auto')) return true;
    }
    return false;
  };
  const problems = [];
  for (const el of everything) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width < 1 || box.height < 1 || style.visibility !== 'visible') continue;
    if (hiddenOnPurpose(el)) continue;
    if (box.right > width + 1 || box.left < -1) {
      const by = Math.round(Math.max(box.right - width, -box.left));
      problems.push(`off-screen by ${by} px: ${name(el)}`);
      continue;
    }
    let clipped = false;
    for (let a = up(el); a && a !== main; a = up(a)) {
      if (getComputedStyle(a).overflowX === 'visible') continue;
      const outer = a.getBoundingClientRect();
      if (box.right > outer.right + 1 || box.left < outer.left - 1) {
        const by = Math.round(Math.max(box.right - outer.right, outer.left - box.left));
        problems.push(`clipped by ${by} px: ${name(el)} in ${name(a)}`);
        clipped = true;
        break;
      }
    }
    if (!clipped && style.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1)
      problems.push(`text cut short: ${name(el)}`);
  }
  return problems;
}"""


def layout_problems(someone: Person) -> list[str]:
    return someone.page.evaluate(LAYOUT_PROBLEMS)


def shot_whole(someone: Person, label: str) -> Path:
    """A screenshot of the whole page (the window grown to the main area's height) when
    ``E2E_WHOLE_PAGES=1``, else of the window: growing the window redraws the page and its
    charts, about 14 s of the two every-page journeys. The layout checks cover every element
    of the page either way."""
    if os.environ.get("E2E_WHOLE_PAGES") != "1":
        return someone.shot(label)
    page = someone.page
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    try:
        time.sleep(0.5)  # the layout follows the new height
        return someone.shot(label)
    finally:
        page.set_viewport_size(size)


def quick_links(someone: Person):
    return someone.page.locator(f".st-key-{QUICK_LINKS_KEY}")


def assert_in_view_without_a_menu(someone: Person, names: list[str]) -> None:
    """Each of the main places is a link inside the first screen of a phone."""
    # on a server's first page view the AI's warm-up may rerun the page as the check begins
    quick_links(someone).get_by_role("link").first.wait_for(timeout=15_000)
    for name in names:
        link = quick_links(someone).get_by_role("link", name=re.compile(rf"^{re.escape(name)}"))
        assert link.count() == 1, f"no link to {name} on the page itself"
        box = link.bounding_box()
        assert box is not None, f"the link to {name} is not shown"
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, (name, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], (name, box)


def check_page(
    someone: Person, path: str, label: str, main_places: list[str], *, load: bool = False
) -> str:
    """The page at ``path`` reached from the page before (``load``: typed in the address bar,
    a new load of the app, as an unknown address must be), then checked."""
    if load:
        someone.goto(path)
    else:
        someone.visit(path)
    text = someone.text()
    shot_whole(someone, label)
    problems = layout_problems(someone)
    assert problems == [], f"{path} at {PHONE['width']} px: {problems}"
    assert_accessible(someone, path)
    assert chart_problems(someone) == [], f"{path} at {PHONE['width']} px"
    assert_in_view_without_a_menu(someone, main_places)
    return text


def check_insights_tabs(someone: Person) -> None:
    """The insights' other tabs: a click runs the page with that tab open, and only its
    content is drawn (the marketplace's charts are gone)."""
    for n in (1, 2):
        tab = someone.page.get_by_role("tab").nth(n)
        tab.click()
        someone.settle()
        assert tab.get_attribute("aria-selected") == "true"
        someone.page.get_by_role("heading", name="Listings by category").wait_for(state="detached")
        someone.page.wait_for_function(  # Vega draws the charts just sent
            "() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]"
            ".every(chart => chart.querySelector('svg, canvas'))"
        )
        shot_whole(someone, f"insights tab {n + 1}")
        assert chart_problems(someone) == [], f"insights tab {n + 1} at {PHONE['width']} px"
        assert_accessible(someone, f"insights tab {n + 1}")


def assert_two_cards_per_row(someone: Person) -> None:
    cards = someone.page.locator(CARD)
    assert cards.count() >= 3
    first, second, third = (cards.nth(n).bounding_box() for n in range(3))
    assert abs(first["y"] - second["y"]) < 2, "the first two cards are not side by side"
    assert second["x"] > first["x"] + first["width"] - 1
    assert third["y"] > first["y"] + first["height"] - 1, "a third card on the first row"
    for box in (first, second):
        assert box["width"] < PHONE["width"] / 2


_MENU_SHUT = """() => {
  const menu = document.querySelector('[data-testid="stSidebar"]');
  return !menu || menu.getBoundingClientRect().right <= 0;
}"""


def tap_in_the_side_menu(someone: Person, name: str) -> None:
    """Open the side menu (where a phone's navigation is), tap a page in it: the page shows
    and the menu closes, even when the browser does not say it is a phone (Streamlit closes
    it only for a phone's user agent; this Chromium's is a desktop one)."""
    page = someone.page
    page.get_by_test_id("stExpandSidebarButton").click()
    page.wait_for_function(f"() => !({_MENU_SHUT})()", timeout=5_000)
    page.locator('[data-testid="stSidebarNavLink"]', has_text=name).click()
    someone.settle()
    page.wait_for_function(_MENU_SHUT, timeout=5_000)  # TimeoutError: left open over the page


LOGGED_OUT_PLACES = ["Shop", "Log in", "Register"]
LOGGED_IN_PLACES = ["Shop", "Sell", "Cart", "Profile"]


def test_every_page_fits_a_phone_logged_out(person):
    visitor = person("phone-visitor", phone=True)
    shop = check_page(visitor, "/", "shop", LOGGED_OUT_PLACES)
    assert "Second-hand clothes" in shop
    assert_two_cards_per_row(visitor)
    check_page(visitor, "/item?item=2", "item", LOGGED_OUT_PLACES)
    visitor.page.get_by_role("button", name="Log in to buy").wait_for()
    assert "Welcome back" in check_page(visitor, "/login", "log in", LOGGED_OUT_PLACES)
    assert "Create an account" in check_page(visitor, "/register", "register", LOGGED_OUT_PLACES)
    assert "Welcome back" in check_page(visitor, "/sell", "sell sends to log in", LOGGED_OUT_PLACES)
    assert "Page not found" in check_page(
        visitor, "/no-such-page", "not found", LOGGED_OUT_PLACES, load=True
    )
    assert "Listings by category" in check_page(visitor, "/insights", "insights", LOGGED_OUT_PLACES)
    check_insights_tabs(visitor)
    assert "Member since" in check_page(visitor, "/seller?id=1", "seller", LOGGED_OUT_PLACES)
    tap_in_the_side_menu(visitor, "Insights")
    assert "Listings by category" in visitor.text()


def _add_to_cart(someone: Person, item_id: int) -> None:
    someone.visit(f"/item?item={item_id}")
    someone.page.get_by_role("button", name="Add to cart").click()
    someone.settle()
    someone.page.get_by_text("Go to the cart").wait_for(timeout=20_000)


def _buy_the_cart(someone: Person, ship_to: tuple[str, str, str] | None = None) -> None:
    someone.visit("/cart")
    if ship_to:  # otherwise the profile's address, prefilled
        for label, value in zip(("Address", "Postal code", "City"), ship_to, strict=True):
            someone.page.get_by_role("textbox", name=label).fill(value)
    someone.page.get_by_role("button", name="Buy for").click()
    someone.settle()
    someone.page.get_by_role("button", name="Confirm the purchase").click()
    someone.settle()
    someone.page.get_by_text("My purchases").wait_for(timeout=20_000)


def test_every_page_fits_a_phone_logged_in(person, logged_in):
    camille = person("phone-user1", phone=True, state=logged_in("user1@gmail.com", "tototo"))
    _add_to_cart(camille, 14)  # Hugo's felt hat, bought: an order to show
    _buy_the_cart(camille)
    _add_to_cart(camille, 10)  # and Hugo's boxer briefs left in the cart

    shop = check_page(camille, "/", "shop", LOGGED_IN_PLACES)
    assert "Second-hand clothes" in shop
    assert_two_cards_per_row(camille)
    assert quick_links(camille).get_by_role("link", name="Cart (1)").count() == 1
    check_page(camille, "/item?item=10", "item in the cart", LOGGED_IN_PLACES)
    check_page(camille, "/item?item=13", "own item", LOGGED_IN_PLACES)
    camille.page.get_by_role("button", name="Edit").wait_for()
    check_page(camille, "/item?item=14", "bought item", LOGGED_IN_PLACES)
    assert "Sell an item" in check_page(camille, "/sell", "sell", LOGGED_IN_PLACES)
    assert "My listings" in check_page(camille, "/my_listings", "my listings", LOGGED_IN_PLACES)
    assert "My cart" in check_page(camille, "/cart", "cart", LOGGED_IN_PLACES)
    assert "Burgundy" in check_page(camille, "/orders", "orders", LOGGED_IN_PLACES)
    assert "Favourites" in check_page(camille, "/favourites", "favourites", LOGGED_IN_PLACES)
    assert "Inbox" in check_page(camille, "/inbox", "inbox", LOGGED_IN_PLACES)
    assert "Notifications" in check_page(
        camille, "/notifications", "notifications", LOGGED_IN_PLACES
    )
    assert "Your shop" in check_page(camille, "/insights", "insights", LOGGED_IN_PLACES)
    check_insights_tabs(camille)
    assert "Member since" in check_page(camille, "/seller?id=2", "seller", LOGGED_IN_PLACES)
    profile = check_page(camille, "/profile", "profile", LOGGED_IN_PLACES)
    assert "My listings" in profile and "My orders" in profile  # the places left in the menu
    assert "Page not found" in check_page(
        camille, "/no-such-page", "not found", LOGGED_IN_PLACES, load=True
    )


def _register(someone: Person) -> None:
    someone.goto("/register")
    someone.page.get_by_role("textbox", name="E-mail").fill(f"ines-{uuid.uuid4().hex[:8]}@ex.com")
    someone.page.get_by_role("textbox", name="Display name").fill("Ines")
    someone.page.get_by_role("textbox", name="Password", exact=True).fill("long-enough")
    someone.page.get_by_label("Repeat the password").fill("long-enough")
    someone.page.get_by_role("button", name="Create my account").click()
    someone.settle()
    someone.page.get_by_role("link", name="Profile").wait_for(timeout=20_000)
    deadline = time.monotonic() + 20  # the cookie comes a moment later: new page loads need it
    while not any(c["name"] == "marketplace_auth" for c in someone.context.cookies()):
        assert time.monotonic() < deadline, "registered, but the browser never got the cookie"
        time.sleep(0.2)


def _cart_in_the_navigation(someone: Person) -> str:
    link = someone.page.get_by_test_id("stTopNav").get_by_role("link", name="Cart")
    return link.inner_text().splitlines()[-1].strip()  # after the icon's ligature name


def test_the_cart_count_follows_add_remove_and_checkout(person):
    ines = person("laptop")
    _register(ines)
    assert _cart_in_the_navigation(ines) == "Cart"
    assert quick_links(ines).get_by_role("link").count() == 0  # the laptop has the top bar
    _add_to_cart(ines, 6)
    assert _cart_in_the_navigation(ines) == "Cart (1)"
    _add_to_cart(ines, 20)
    assert _cart_in_the_navigation(ines) == "Cart (2)"

    ines.visit("/cart")
    ines.shot("cart with two lines")
    assert layout_problems(ines) == []  # "Remove" whole, not "Rem..."
    ines.page.get_by_role("button", name="Remove").first.click()
    ines.settle()
    assert _cart_in_the_navigation(ines) == "Cart (1)"
    _buy_the_cart(ines, ("5 rue Paradis", "13001", "Marseille"))
    assert _cart_in_the_navigation(ines) == "Cart"
    ines.shot("bought, cart empty")


def test_an_unknown_address_says_page_not_found(person, logged_in, app_url):
    visitor = person("visitor")
    visitor.goto("/no-such-page")
    visitor.page.get_by_role("heading", name="Page not found").wait_for()
    visitor.shot("page not found")
    assert visitor.page.title() == "Page not found · Seconde Main"
    assert visitor.page.url == f"{app_url}/no-such-page"  # the address is kept
    assert visitor.page.get_by_test_id("stDialog").count() == 0  # not Streamlit's pop-up
    assert "Second-hand clothes" not in visitor.text()  # the shop does not run under it
    visitor.page.get_by_role("link", name="Go to the shop").click()
    visitor.settle()
    visitor.page.get_by_role("heading", name="Second-hand clothes").wait_for()
    assert visitor.page.url.rstrip("/") == app_url
    assert visitor.page.title() == "Seconde Main"

    visitor.goto("/sell")  # hidden logged-in pages still work by address: log in first
    visitor.page.get_by_text("Welcome back").wait_for()
    visitor.goto("/caf%C3%A9")
    visitor.page.get_by_role("heading", name="Page not found").wait_for()

    camille = person("user1", state=logged_in("user1@gmail.com", "tototo"))
    camille.goto("/no-such-page")
    camille.page.get_by_role("heading", name="Page not found").wait_for()
    camille.goto("/login")  # a known address, not for her any more: the shop
    camille.page.get_by_role("heading", name="Second-hand clothes").wait_for(timeout=20_000)


# --- the server's log ---------------------------------------------------------------------


def test_the_shipped_config_turns_the_file_watcher_off():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"


@contextmanager
def _started_like_make_run(
    env: dict[str, str], log_path: Path
) -> Iterator[tuple[str, subprocess.Popen]]:
    """The server as `make run` starts it: the Makefile's command line, nothing added, so
    that .streamlit/config.toml alone decides (tests.app_server.running_app turns the file
    watcher off on its command line)."""
    port = free_port()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    if requests.get(f"{base}/_stcore/health", timeout=2).text == "ok":
                        break
                except requests.ConnectionError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"the app did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.3)
            yield base, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _inotify_watchers(pid: int) -> int | None:
    """How many inotify instances the process holds (Linux), or None where /proc is not."""
    fds = Path(f"/proc/{pid}/fd")
    if not fds.is_dir():
        return None
    return sum(os.readlink(fd) == "anon_inode:inotify" for fd in fds.iterdir() if fd.is_symlink())


def _new_lines(log_path: Path, seen: int) -> list[str]:
    return [line for line in log_path.read_text().splitlines()[seen:] if line.strip()]


def test_the_server_log_stays_quiet_and_says_what_happened(browser, tmp_path):
    env = dict(
        os.environ,
        DATA_DIR=str(tmp_path / "data"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'marketplace.db'}",
        MODEL_DIR=str(tmp_path / "model"),
    )
    log_path = tmp_path / "server.log"
    with _started_like_make_run(env, log_path) as (base, server):
        someone = Person(browser.new_context(viewport=PHONE), base, "server-log-visitor")
        someone.goto("/")  # the first visit creates and seeds the database
        started = len(log_path.read_text().splitlines())
        someone.goto("/item?item=3")  # a new load without a cookie, then its links
        for path in ("/", "/login", "/register", "/profile"):
            someone.visit(path)
        someone.goto("/no-such-page")
        someone.shot("logged out")
        assert _new_lines(log_path, started) == []  # a visitor without a cookie: not one line

        someone.log_in_for_good("user2@gmail.com", "tototo")
        someone.goto("/")  # a new load logged in by the cookie, then its links
        for path in ("/cart", "/orders", "/my_listings", "/sell", "/profile"):
            someone.visit(path)
        someone.page.get_by_role("button", name="Log out").click()
        someone.settle()
        someone.page.get_by_role("link", name="Log in").first.wait_for(timeout=20_000)
        someone.shot("logged out again")
        assert _inotify_watchers(server.pid) in (0, None), "a file watcher runs"
        someone.context.close()
        said = _new_lines(log_path, started)  # before the server's own "Stopping..."
    log = log_path.read_text()
    (ROOT / "test-artifacts" / "e2e" / "server-log-test.log").write_text(log)
    for noise in ("Inotify", "Invalid token", "Traceback", "Exception", "Error"):
        assert noise not in log, f"{noise!r} in the server log:\n{log[-3000:]}"
    assert len(said) == 2, said  # the log-in and the log-out, nothing else
    assert re.search(r"INFO ui\.auth: user \d+ logged in$", said[0]), said
    assert re.search(r"INFO ui\.auth: user \d+ logged out$", said[1]), said

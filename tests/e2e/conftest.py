"""End-to-end fixtures: the real app (`streamlit run Home.py`) on a free port, against a
fresh temp database and the tiny test model, driven by Debian's Chromium via Playwright.

Screenshots go to ``test-artifacts/e2e/`` (git-ignored, kept by CI). Without Chromium
the whole suite skips with one reason.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.app_server import running_app
from tests.conftest import ROOT
from tools.chromium import CHROMIUM, CHROMIUM_ARGS
from ui.warmup import NOTE_KEY as WARMING_NOTE_KEY

SHOTS = ROOT / "test-artifacts" / "e2e"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}  # an iPhone 12-15's CSS pixels
# the cards of a page's grids (ui/card_grid.js; Playwright's CSS reaches into their shadow
# root), each one link to its item ("a.open") and a heart button
CARD = '[data-testid="stMain"] article.card'

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"end-to-end tests need Chromium at {CHROMIUM} (apt-get install chromium)",
        allow_module_level=True,
    )
playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, seeded_sqlite_template) -> Iterator[str]:
    """The app, started as a person starts it, on a fresh database with the test model."""
    from tests.tiny_clip import copy_model, tiny_models

    root = tmp_path_factory.mktemp("e2e")
    model_dir = copy_model(tiny_models().quantized_dir, root / "model")
    env = dict(
        os.environ,
        DATA_DIR=str(root / "data"),
        DATABASE_URL=f"sqlite:///{root / 'data' / 'marketplace.db'}",
        MODEL_DIR=str(model_dir),
    )
    # the demo accounts and listings, without the demo's life (demo/activity.py): the
    # journeys count on the 24 listings on sale and empty carts, inboxes and orders
    (root / "data").mkdir()
    shutil.copy(seeded_sqlite_template, root / "data" / "marketplace.db")
    # the AI's suggestions on the demo listings (the seed has none), one in six changed by
    # the seller: the insights' AI tab then has its charts to draw (test_layout_phone.py)
    with closing(sqlite3.connect(root / "data" / "marketplace.db")) as db, db:
        db.execute(
            "UPDATE items SET ai_category = CASE WHEN id % 6 = 0 THEN 'dress' ELSE category END,"
            " ai_confidence = (id % 10) / 10.0 + 0.05"
        )
    try:
        with running_app(env, root / "server.log") as base:
            yield base
    finally:  # kept with the screenshots, for a failing CI run
        SHOTS.mkdir(parents=True, exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER")  # one server per test process
        shutil.copy(
            root / "server.log", SHOTS / (f"server-{worker}.log" if worker else "server.log")
        )


@pytest.fixture(scope="session")
def browser():
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def _clean_screenshots():
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True, exist_ok=True)


# Streamlit's own state of the page's script run, on its root element (what Streamlit's own
# browser tests wait on): "notRunning" once the run the page asked for has ended, and at
# once "rerunRequested" when a widget, a component (the cookie's) or a fragment asks for
# another. Quiet means that, connected, with no element left stale, no file still uploading
# (its run starts once it is in), no note of the AI warming up (the page reruns by itself
# once the AI is ready, ui/warmup.py) and every card grid drawn by its script
# (ui/card_grid.js marks it), for QUIET_S on end.
QUIET_S = 0.3
_QUIET_FOR = """([token, quietMs, warmingKey]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const busy = !app || app.dataset.testScriptState !== 'notRunning'
    || app.dataset.testConnectionState !== 'CONNECTED'
    || document.querySelector('[data-stale="true"]') !== null
    || document.querySelector('[data-testid="stFileChipIconSpinner"]') !== null
    || document.querySelector(`.st-key-${warmingKey}`) !== null
    || [...document.querySelectorAll('[class*="st-key-grid_"]')].some((grid) => {
      const host = grid.querySelector('[data-testid="stBidiComponentIsolated"]');
      return !host || !host.shadowRoot || !host.shadowRoot.querySelector('.grid[data-drawn]');
    });
  const quiet = (window.__quiet = window.__quiet || {});
  if (busy) { delete quiet[token]; return false; }
  quiet[token] = quiet[token] ?? performance.now();
  return performance.now() - quiet[token] >= quietMs;
}"""


class Person:
    """One person in one browser context (their own cookies), with screenshot steps."""

    def __init__(self, context, base: str, name: str):
        self.context = context
        self.page = context.new_page()
        self.base = base
        self.name = name
        self.step = 0

    def goto(self, path: str = "/") -> Person:
        self.page.goto(self.base + path)
        return self.settle()

    def visit(self, path: str) -> Person:
        """Go to ``path`` inside the page already open, as its links and the browser's Back
        do (Streamlit's frontend follows the address on ``popstate``): the same tab and
        session, no new load of the frontend. A fresh load is ``goto``."""
        if not self.page.url.startswith(self.base):
            return self.goto(path)
        before, title = urlsplit(self.page.url).path, self.page.title()
        elsewhere = urlsplit(path).path != before
        for _ in range(3):
            self.page.evaluate(
                "(path) => { history.pushState({}, '', path);"
                " dispatchEvent(new PopStateEvent('popstate')); }",
                path,
            )
            self.settle()
            # still on the page before (its address or its title; not sent on to another, as
            # a logged-out visitor is to the log-in page): a rerun that a component asked for
            # at that moment (the sell page's, the log-in widget's) kept the page it was
            # asked on, as it would a person's click. Again.
            now = urlsplit(self.page.url).path
            stayed = now == before or self.page.title() == title
            if not (elsewhere and stayed):
                break
        # at the top, as a link leaves a new page (Back restores where one was instead)
        self.page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)"
        )
        return self

    def settle(self, timeout: float = 30) -> Person:
        """Wait until the app has finished running its script (and any rerun it asked for),
        then check for exceptions."""
        page = self.page
        page.wait_for_selector(
            '[data-testid="stMain"] [data-testid="stHeading"], [data-testid="stMain"] form',
            timeout=timeout * 1000,
        )
        page.wait_for_function(
            _QUIET_FOR,
            arg=[uuid.uuid4().hex, QUIET_S * 1000, WARMING_NOTE_KEY],
            polling=50,
            timeout=timeout * 1000,
        )
        self.assert_no_exception()
        return self

    def assert_no_exception(self) -> None:
        boxes = self.page.locator('[data-testid="stException"]')
        if boxes.count():
            pytest.fail(f"Streamlit exception on the page: {boxes.first.inner_text()[:1000]}")

    def shot(self, label: str) -> Path:
        self.step += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        path = SHOTS / f"{self.name}-{self.step:02d}-{slug}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def text(self) -> str:
        return self.page.locator('[data-testid="stMain"]').inner_text()

    def log_in(self, email: str, password: str) -> Person:
        self.goto("/login")
        self.page.get_by_label("E-mail").fill(email)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Log in").click()
        return self.settle()

    def log_in_for_good(self, email: str, password: str) -> Person:
        """Log in and wait for the re-login cookie, so that a new page load (goto) is
        still logged in: the browser sets the cookie a moment after the log-in. Then wait
        for the rerun the cookie's component asks for: a click before it ends may be
        overtaken by it (Streamlit keeps the last rerun request)."""
        self.log_in(email, password)
        # .first: on a phone the side menu's link and the page's own both exist
        self.page.get_by_role("link", name="Profile").first.wait_for(timeout=20_000)
        deadline = time.monotonic() + 20
        while not any(c["name"] == "marketplace_auth" for c in self.context.cookies()):
            if time.monotonic() > deadline:
                pytest.fail("logged in, but the browser never got the re-login cookie")
            time.sleep(0.2)
        return self.settle()


# Each chart drawn on the page (Vega's SVG, with its ARIA descriptions): no text cut short
# with an ellipsis (an axis title, a label), every label of a category axis shown (Vega hides
# those without room), the shown labels of an axis apart from each other, and the bars on a
# time axis at least 3 px wide. Charts in a hidden tab are not drawn and are skipped.
CHART_PROBLEMS = r"""() => {
  const problems = [];
  const shown = (el) => el.getAttribute('opacity') !== '0' && getComputedStyle(el).opacity !== '0';
  const charts = document.querySelectorAll('[data-testid="stVegaLiteChart"] svg.marks');
  charts.forEach((chart, n) => {
    if (chart.getBoundingClientRect().width < 1) return;
    const frame = chart.getBoundingClientRect();
    for (const text of chart.querySelectorAll('text')) {
      if (!shown(text)) continue;
      const box = text.getBoundingClientRect();
      const out = box.left < frame.left - 1 || box.right > frame.right + 1;
      if (text.textContent.endsWith('…') || out)
        problems.push(`chart ${n}: cut short "${text.textContent}"`);
    }
    let timeAxis = false;
    for (const axis of chart.querySelectorAll('g.role-axis')) {
      const about = axis.getAttribute('aria-label') || '';
      if (/^X-axis/.test(about) && about.includes('time scale')) timeAxis = true;
      const labels = [...axis.querySelectorAll('g.role-axis-label text')];
      const visible = labels.filter(shown);
      if (about.includes('discrete scale') && visible.length < labels.length)
        problems.push(`chart ${n}: ${labels.length - visible.length} labels hidden (${about})`);
      const boxes = visible.filter((t) => !t.getAttribute('transform')?.includes('rotate'))
        .map((t) => t.getBoundingClientRect());
      for (let i = 1; i < boxes.length; i++) {
        const [a, b] = [boxes[i - 1], boxes[i]];
        const apart = a.right + 2 <= b.left || b.right + 2 <= a.left
          || a.bottom <= b.top || b.bottom <= a.top;
        const [left, right] = [visible[i - 1].textContent, visible[i].textContent];
        if (!apart) problems.push(`chart ${n}: labels touch "${left}" "${right}"`);
      }
    }
    if (timeAxis)
      for (const bar of chart.querySelectorAll('g.mark-rect.role-mark path')) {
        const box = bar.getBoundingClientRect();
        if (box.height >= 1 && box.width < 3)
          problems.push(`chart ${n}: a bar ${box.width.toFixed(1)} px wide`);
      }
  });
  return problems;
}"""


def card_titles(someone: Person) -> list[str]:
    """The titles of the page's cards, in order."""
    return someone.page.locator(f"{CARD} .title").all_inner_texts()


def chart_problems(someone: Person) -> list[str]:
    """What CHART_PROBLEMS finds in the charts drawn on the page now."""
    return someone.page.evaluate(CHART_PROBLEMS)


# axe-core's rules, run on the page as it is; only what it rates serious or critical fails.
# Nothing is excluded: every finding so far was fixable from the app (ui/layout.py, alt texts).
AXE_FAILING = ("serious", "critical")
_axe = None


def assert_accessible(someone: Person, where: str) -> None:
    """axe-core (axe-playwright-python's bundled axe.min.js) finds no serious or critical
    violation on the page as it is now (call it on pages a journey already visits)."""
    from axe_playwright_python.sync_playwright import Axe

    global _axe
    _axe = _axe or Axe()
    found = _axe.run(someone.page).response["violations"]
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['html'][:120] for n in v['nodes'][:3]]}"
        for v in found
        if v["impact"] in AXE_FAILING
    ]
    assert bad == [], f"{where}: {bad}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


@pytest.fixture(scope="session")
def logged_in(browser, app_url):
    """``logged_in(email, password)``: the cookies of a browser that logged in once, for
    tests about what a member does rather than about logging in (a new tab with them is
    logged in by its re-login cookie, as a returning member's is). One log-in per account
    and test process."""
    states: dict[str, dict] = {}

    def state(email: str, password: str) -> dict:
        if email not in states:
            context = browser.new_context(viewport=DESKTOP)
            Person(context, app_url, f"log-in-{email}").log_in_for_good(email, password)
            states[email] = context.storage_state()
            context.close()
        return states[email]

    return state


@pytest.fixture
def person(browser, app_url, request):
    people: list[Person] = []

    def make(name: str, *, phone: bool = False, state: dict | None = None) -> Person:
        """A person at a laptop (1280 x 900), or on a phone (390 x 844, touch); ``state``:
        the browser's cookies from ``logged_in`` (a returning member)."""
        if phone:
            context = browser.new_context(
                viewport=PHONE, is_mobile=True, has_touch=True, storage_state=state
            )
        else:
            context = browser.new_context(viewport=DESKTOP, storage_state=state)
        people.append(Person(context, app_url, f"{request.node.name}-{name}"))
        return people[-1]

    yield make
    for someone in people:
        if getattr(request.node, "failed_call", False):
            someone.shot("failure")  # what the page showed when the test failed
        someone.context.close()

"""Helpers for AppTest page tests: start the app, log in through the real widget."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from streamlit.components.v2.bidi_component.main import _make_trigger_id
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from ui import pages
from ui.card_grid import COMPONENT_NAME, GRID_KEY_PREFIX


def start_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def submit_login(at: AppTest, email: str, password: str) -> AppTest:
    """Log in through the form, in English or in French (its labels in either language)."""
    open_page(at, "app_pages/login.py")
    fields = {t.label: t for t in at.text_input}
    fields["E-mail"].input(email)
    fields.get("Password", fields.get("Mot de passe")).input(password)
    next(b for b in at.button if b.label in ("Log in", "Se connecter")).click().run()
    assert not at.exception, at.exception
    return at


def log_in(at: AppTest, email: str = "user1@gmail.com", password: str = "tototo") -> AppTest:
    submit_login(at, email, password)
    assert at.session_state["user_id"] is not None
    return at


def texts(at: AppTest) -> str:
    """Everything the page says, as one string (markdown, captions, alerts, titles, and the
    cards of its grids: title, facts, price, "Sold")."""
    parts = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "error",
        "success",
        "info",
        "warning",
    ):
        parts.extend(str(e.value) for e in getattr(at, kind))
    for key in grid_keys(at):
        data = _grid_data(at, key)
        for card in data["cards"]:
            parts += [card["title"], card["facts"], card["price"]] + [data["sold"]] * card["sold"]
    return "\n".join(parts)


def grid(at: AppTest, key: str = "cards") -> list[dict]:
    """The cards of the page's grid ``key`` (ui/card_grid.py) as the browser gets them:
    id, href, title, facts, price, img, alt, sold, heart ({on, label} or None)."""
    return _grid_data(at, key)["cards"]


def grid_keys(at: AppTest) -> list[str]:
    """The keys of the page's grids, in order ("cards", "similar", ...)."""
    return [e.key.removeprefix(GRID_KEY_PREFIX) for e in _grid_elements(at)]


def card_titles(at: AppTest, key: str = "cards") -> list[str]:
    return [card["title"] for card in grid(at, key)] if key in grid_keys(at) else []


def grid_event(at: AppTest, event: str, value, key: str = "cards") -> AppTest:
    """Send the grid's trigger ``event`` with ``value`` as its script does in the browser
    (card_grid.js setTriggerValue), with the page's other widgets as they are, and run."""
    element = _grid_element(at, key)
    states = at._tree.get_widget_states()
    trigger = states.widgets.add()
    trigger.id = _make_trigger_id(element.proto.id, "events")
    trigger.json_trigger_value = json.dumps([{"event": event, "value": value}])
    at._run(states)
    assert not at.exception, at.exception
    return at


def press_heart(at: AppTest, item_id: int, key: str = "cards") -> AppTest:
    """A click on the heart of the card of ``item_id``: what it showed, turned over."""
    card = next(c for c in grid(at, key) if c["id"] == item_id)
    return grid_event(at, "heart", {"item": item_id, "on": not card["heart"]["on"]}, key)


def _grid_elements(at: AppTest) -> list:
    return [e for e in at.get("bidi_component") if e.proto.component_name == COMPONENT_NAME]


def _grid_data(at: AppTest, key: str) -> dict:
    return json.loads(_grid_element(at, key).proto.bytes)


def _grid_element(at: AppTest, key: str):
    matches = [e for e in _grid_elements(at) if e.key == GRID_KEY_PREFIX + key]
    assert matches, f"no grid {key!r} on the page: {grid_keys(at)}"
    return matches[0]


def open_card(at: AppTest, item_id: int, key: str = "cards") -> AppTest:
    """A click on the card of ``item_id``: its link's page, with its query, as the browser
    runs it (card_grid.js opens the link's address in place)."""
    card = next(c for c in grid(at, key) if c["id"] == item_id)
    path, _, query = card["href"].partition("?")
    at.switch_page(pages.BY_URL_PATH[path].path)
    at.query_params.clear()
    at.query_params.update(parse_qs(query))
    at.run()
    assert not at.exception, at.exception
    return at

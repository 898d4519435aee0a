"""The language through the real app (AppTest): the browser's on the first visit, the
switch at the top of every page, remembered for the account."""

from __future__ import annotations

from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from core.models.accounts import User
from tests.apptest import log_in
from tests.conftest import ROOT
from tests.shop_helpers import app_db, user_id
from ui.i18n import LANGUAGE_KEY, SWITCH_KEY


def visit(locale: str | None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    if locale:
        at.context = {"locale": locale}
    at.run()
    assert not at.exception, at.exception
    return at


def switch(at: AppTest, code: str) -> AppTest:
    (control,) = [c for c in at.get("button_group") if c.key == SWITCH_KEY]
    control.set_value(code).run()
    assert not at.exception, at.exception
    return at


def account_language(engine, email: str) -> str | None:
    with Session(engine) as s:
        return s.get(User, user_id(engine, email)).language


def test_the_first_visit_speaks_the_browsers_language(app_env):
    assert visit("fr-FR").session_state[LANGUAGE_KEY] == "fr"
    assert visit("fr").session_state[LANGUAGE_KEY] == "fr"
    assert visit("en-GB").session_state[LANGUAGE_KEY] == "en"
    assert visit("de-DE").session_state[LANGUAGE_KEY] == "en"  # not spoken here: English
    assert visit(None).session_state[LANGUAGE_KEY] == "en"


def test_the_switch_changes_the_language_and_the_account_remembers_it(app_env):
    engine = app_db(app_env)
    at = visit("en-US")
    switch(at, "fr")
    assert at.session_state[LANGUAGE_KEY] == "fr"
    log_in(at, "user1@gmail.com")  # an account without a language takes the session's
    assert account_language(engine, "user1@gmail.com") == "fr"
    switch(at, "en")
    assert account_language(engine, "user1@gmail.com") == "en"
    other = visit("fr-FR")  # another browser, in French: the account's English wins
    log_in(other, "user1@gmail.com")
    assert other.session_state[LANGUAGE_KEY] == "en"


def test_a_logged_out_switch_changes_no_account(app_env):
    engine = app_db(app_env)
    switch(visit("en"), "fr")
    assert account_language(engine, "user1@gmail.com") is None
    assert account_language(engine, "user2@gmail.com") is None

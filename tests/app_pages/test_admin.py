"""The admin page through the real app (AppTest): an administrator sees the queue and acts on
it; a member who opens /admin by its address gets "Page not found" and nothing of the page."""

from __future__ import annotations

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.models.accounts import User
from core.models.catalogue import Item
from core.models.moderation import ModerationAction
from core.moderation.reports import report_item
from tests.apptest import log_in, open_page, texts
from tests.conftest import ROOT
from tests.shop_helpers import app_db, click, user_id
from tests.test_navigation import BASE, at_address, follow_address, registered
from ui.state import _USER_KEY as CURRENT_USER_KEY
from ui.state import TOKEN_KEY

ADMIN_PAGE = "app_pages/admin.py"


def camille_reports(engine) -> int:
    """Camille (user1) reports one of Hugo's listings; its id."""
    with Session(engine) as s:
        hugo = user_id(engine, "user2@gmail.com")
        item = s.exec(select(Item).where(Item.seller_id == hugo)).first()
        report_item(s, user_id(engine, "user1@gmail.com"), item.id, "counterfeit", "Fake logo")
        return item.id


def at_admin_address(email: str) -> AppTest:
    """A logged-in tab that opens /admin by its address: its first run there."""
    token = log_in(at_address("/"), email).session_state[TOKEN_KEY]
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    at.context = {"url": BASE + "/admin"}
    at.session_state[TOKEN_KEY] = token
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_member_opening_admin_gets_page_not_found(app_env):
    camille_reports(app_db(app_env))
    at = at_admin_address("user1@gmail.com")
    assert registered(at)["admin"]["page_name"] == "Page not found"
    follow_address(at, "admin")
    assert [t.value for t in at.title] == ["Page not found"]
    assert "Fake logo" not in texts(at) and "Queue" not in texts(at)
    assert not at.tabs


def test_the_admin_sees_the_queue_and_hides_a_listing(app_env):
    engine = app_db(app_env)
    item_id = camille_reports(engine)
    at = at_admin_address("user2@gmail.com")
    assert registered(at)["admin"]["page_name"] == "Moderation"
    open_page(at, ADMIN_PAGE)
    assert [t.value for t in at.title] == ["Moderation"]
    page = texts(at)
    assert "Counterfeit" in page and "Fake logo" in page and "Reported by Camille" in page
    assert "(on sale)" in page  # the listing's status in words, not its code
    click(at, "Hide listing")  # no reason: refused with a sentence
    assert "Write the reason" in texts(at)
    (reason,) = [t for t in at.text_input if t.label.startswith("Reason")]
    reason.input("Counterfeit, confirmed")
    click(at, "Hide listing")
    with Session(engine) as s:
        assert s.get(Item, item_id).status == "hidden"
        assert s.exec(select(ModerationAction)).one().reason == "Counterfeit, confirmed"
    assert "No open reports" in texts(at)


def test_the_page_itself_refuses_a_member(app_env):
    """The page's own check, without Home.py's navigation (which leaves it out already): run
    alone for a logged-in member, it draws "Page not found" and nothing of its own."""
    engine = app_db(app_env)
    camille_reports(engine)
    with Session(engine) as s:
        camille = s.get(User, user_id(engine, "user1@gmail.com"))
        s.expunge(camille)
    at = AppTest.from_file(str(ROOT / ADMIN_PAGE), default_timeout=60)
    at.session_state[CURRENT_USER_KEY] = camille
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Page not found"]
    assert "Fake logo" not in texts(at) and not at.tabs and not at.text_input


def test_the_admin_finds_and_suspends_a_member_then_reads_the_log(app_env):
    engine = app_db(app_env)
    at = open_page(at_admin_address("user2@gmail.com"), ADMIN_PAGE)
    next(t for t in at.text_input if t.label == "Find a member by e-mail").input(
        "USER1@gmail.com"
    ).run()
    assert "Camille" in texts(at)
    next(t for t in at.text_input if t.label.startswith("Reason")).input("Spam in messages")
    click(at, "Suspend member")
    with Session(engine) as s:
        camille = s.get(User, user_id(engine, "user1@gmail.com"))
    assert camille.suspended_reason == "Spam in messages"
    assert "Member suspended" in texts(at) and "Spam in messages" in texts(at)  # the log


def test_a_reset_link_for_a_member_shows_and_is_in_the_log_at_once(app_env):
    at = open_page(at_admin_address("user2@gmail.com"), ADMIN_PAGE)
    next(t for t in at.text_input if t.label == "Find a member by e-mail").input(
        "user1@gmail.com"
    ).run()
    next(t for t in at.text_input if t.label.startswith("Reason")).input("Lost her mailbox")
    click(at, "Reset link")
    (link,) = at.code
    assert "/reset_password?token=" in link.value
    page = texts(at)  # the audit log, drawn after the Members tab in the same run
    assert "Password-reset link issued" in page and "Lost her mailbox" in page

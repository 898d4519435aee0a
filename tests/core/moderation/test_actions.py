"""Administrators' actions (core/moderation/actions.py) on both databases: admins only, one
transaction each with its audit row, the notifications, the suspension's effects."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.accounts.accounts import LoginRefused, log_in
from core.accounts.passwords import hash_password
from core.accounts.roles import is_admin
from core.accounts.sessions import session_user, start_session
from core.catalogue.listings import ListingNotFoundError, get_item_view
from core.config import load_settings
from core.db import session_scope
from core.messaging.notifications import recent
from core.models.accounts import Role, User
from core.models.catalogue import Item
from core.models.messaging import Notification
from core.models.moderation import ModerationAction, Report
from core.moderation.actions import (
    dismiss,
    hide_item,
    restore_item,
    restore_member,
    suspend_member,
)
from core.moderation.admins import ModerationError, NotAllowedError, set_role
from core.moderation.queue import audit_log
from core.moderation.reports import report_item
from tests.listing_helpers import make_user
from tests.talk_helpers import count, rows, run


def status(engine, item_id) -> str:
    with Session(engine) as s:
        return s.get(Item, item_id).status


def test_only_admins_act_and_a_reason_is_required(engine, people, items, admin):
    for who in (people["buyer"], people["seller"]):
        with pytest.raises(NotAllowedError):
            run(engine, hide_item, who, items["dress"], "Fake")
        with pytest.raises(NotAllowedError):
            run(engine, suspend_member, who, people["rival"], "Spam")
    with pytest.raises(ModerationError):
        run(engine, hide_item, admin, items["dress"], "   ")
    assert status(engine, items["dress"]) == "available"
    assert count(engine, ModerationAction) == 0


def test_admin_by_setting(engine, people, monkeypatch):
    assert not run(engine, is_admin, people["rival"])
    monkeypatch.setenv("ADMIN_EMAILS", "someone@else.org, RIVAL@example.com")
    assert load_settings().admin_emails == {"someone@else.org", "rival@example.com"}
    assert run(engine, is_admin, people["rival"])


def test_hide_and_restore_a_listing(engine, people, items, admin):
    report = run(engine, report_item, people["buyer"], items["dress"], "counterfeit").report_id
    run(engine, hide_item, admin, items["dress"], "Counterfeit logo", report)
    assert status(engine, items["dress"]) == "hidden"
    with pytest.raises(ListingNotFoundError):  # its address shows nothing to others
        run(engine, get_item_view, items["dress"], people["buyer"])
    assert run(engine, get_item_view, items["dress"], people["seller"]).is_own
    with Session(engine) as s:
        assert s.get(Report, report).status == "acted"
        (notice,) = recent(s, people["seller"])
    assert notice.note == "Counterfeit logo" and "Counterfeit logo" in notice.text
    with pytest.raises(ModerationError):  # not on sale any more
        run(engine, hide_item, admin, items["dress"], "Again")
    run(engine, restore_item, admin, items["dress"], "The seller sent the invoice")
    assert status(engine, items["dress"]) == "available"
    assert [n.kind for n in rows(engine, Notification)] == ["listing_hidden", "listing_restored"]
    log = run(engine, audit_log, admin)
    assert [a.action for a in log] == ["restore_item", "hide_item"]  # newest first
    assert log[1].admin_name == "Ada" and log[1].report_id == report
    assert log[1].reason == "Counterfeit logo" and log[1].item_title == "Red dress"


def test_suspension_ends_sessions_refuses_log_in_and_hides_listings(engine, people, items, admin):
    sam = people["seller"]
    with session_scope(engine) as s:
        s.get(User, sam).password_hash = hash_password("correct horse")
    run(engine, hide_item, admin, items["hat"], "Not clothing")  # hidden on its own
    tokens = [run(engine, start_session, sam) for _ in range(2)]  # two browsers
    report = run(engine, report_item, people["buyer"], items["dress"], "scam").report_id
    assert run(engine, suspend_member, admin, sam, "Scams", None) == 1
    assert all(run(engine, session_user, t) is None for t in tokens)
    assert status(engine, items["dress"]) == "hidden"
    with Session(engine) as s:
        assert s.get(Report, report).status == "acted"  # settled by the suspension
    with pytest.raises(LoginRefused, match="suspended"):
        run(engine, log_in, "seller@example.com", "correct horse")
    with pytest.raises(LoginRefused, match="Wrong"):  # the wrong password learns nothing
        run(engine, log_in, "seller@example.com", "wrong password")
    with pytest.raises(ModerationError):  # restore the member, not one listing
        run(engine, restore_item, admin, items["dress"], "Sorry")
    assert run(engine, restore_member, admin, sam, "Explained") == 1
    assert status(engine, items["dress"]) == "available"
    assert status(engine, items["hat"]) == "hidden"  # hidden on its own: stays hidden
    assert run(engine, log_in, "seller@example.com", "correct horse").id == sam
    actions = [a.action for a in rows(engine, ModerationAction)]
    assert actions == ["hide_item", "suspend", "suspension_hid", "restore_member"]


def test_no_self_suspension_and_dismiss(engine, people, items, admin):
    with pytest.raises(ModerationError):
        run(engine, suspend_member, admin, admin, "Oops")
    report = run(engine, report_item, people["buyer"], items["dress"], "other").report_id
    run(engine, dismiss, admin, report, "Nothing wrong")
    with Session(engine) as s:
        assert s.get(Report, report).status == "dismissed"
        assert s.get(Report, report).closed_by == admin
    with pytest.raises(ModerationError):
        run(engine, dismiss, admin, report, "Twice")
    assert status(engine, items["dress"]) == "available"


def test_roles_are_logged_and_a_suspended_admin_is_none(engine, people, admin):
    rita = people["rival"]
    assert run(engine, set_role, admin, rita, Role.ADMIN, "Helps with the queue")
    assert run(engine, is_admin, rita)
    with pytest.raises(NotAllowedError):
        run(engine, set_role, people["buyer"], people["buyer"], Role.ADMIN, "Me")
    run(engine, suspend_member, admin, rita, "Abuse")
    assert not run(engine, is_admin, rita)
    with Session(engine) as s:
        assert s.exec(select(User.role).where(User.id == rita)).one() == "admin"


def test_an_issued_reset_link_works_once_and_is_in_the_audit_log(
    engine, people, admin, monkeypatch
):
    from urllib.parse import parse_qs, urlsplit

    from core.accounts.resets import ResetRefused, reset_password
    from core.moderation.actions import issue_reset_link

    buyer = people["buyer"]
    with Session(engine) as s, pytest.raises(NotAllowedError):
        issue_reset_link(s, people["seller"], buyer, "https://shop.example", "asked by phone")
    with Session(engine) as s:
        link = issue_reset_link(s, admin, buyer, "https://shop.example", "asked by phone")
    assert link.startswith("https://shop.example/reset_password?token=")
    with Session(engine) as s:
        token = parse_qs(urlsplit(link).query)["token"][0]
        reset_password(s, token, "a-new-password", "a-new-password")
        with pytest.raises(ResetRefused):
            reset_password(s, token, "another-password", "another-password")
        (entry,) = s.exec(select(ModerationAction)).all()
    assert (entry.action, entry.admin_id, entry.member_id) == ("issue_reset", admin, buyer)
    assert entry.reason == "asked by phone"
    # an administrator named by ADMIN_EMAILS may issue one too
    named = make_user(engine, "boss@example.org", "Boss")
    monkeypatch.setenv("ADMIN_EMAILS", "boss@example.org")
    with Session(engine) as s:
        assert issue_reset_link(s, named, buyer, "https://shop.example", "lost mailbox")

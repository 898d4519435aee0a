"""The journeys a person walks, in a real Chromium against the real app."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_log_in_survives_a_reload_and_log_out_ends_it(person):
    camille = person("user1")
    camille.goto("/")
    assert "Second-hand clothes" in camille.text()
    camille.shot("shop logged out")

    camille.log_in("user1@gmail.com", "tototo")
    nav = camille.page.get_by_role("link", name="Profile")
    nav.wait_for(timeout=20_000)
    camille.shot("logged in")

    camille.page.reload()
    camille.settle()
    assert camille.page.get_by_role("link", name="Profile").count() == 1, "logged out by a reload"
    assert camille.page.get_by_role("link", name="Log in").count() == 0
    assert any(c["name"] == "marketplace_auth" for c in camille.context.cookies())

    camille.goto("/profile")
    camille.page.get_by_text("My profile").wait_for()
    camille.shot("profile")
    camille.page.get_by_role("button", name="Log out").click()
    camille.settle()
    camille.page.get_by_role("link", name="Log in").wait_for(timeout=20_000)
    camille.shot("logged out")

    camille.page.reload()
    camille.settle()
    assert camille.page.get_by_role("link", name="Log in").count() == 1, "a reload logged back in"
    assert not any(c["name"] == "marketplace_auth" for c in camille.context.cookies())


def test_wrong_password_says_so(person):
    visitor = person("visitor")
    visitor.log_in("user1@gmail.com", "not-the-password")
    visitor.page.get_by_text("Wrong e-mail or password.").wait_for(timeout=20_000)
    visitor.shot("wrong password")
    assert visitor.page.get_by_role("link", name="Profile").count() == 0


def test_a_logged_out_deep_link_goes_through_log_in_and_back(person):
    visitor = person("deep-link")
    visitor.goto("/profile")
    visitor.page.get_by_text("Welcome back").wait_for(timeout=20_000)
    visitor.page.get_by_label("E-mail").fill("user2@gmail.com")
    visitor.page.get_by_label("Password", exact=True).fill("tototo")
    visitor.page.get_by_role("button", name="Log in").click()
    visitor.settle()
    visitor.page.get_by_text("My profile").wait_for(timeout=20_000)
    visitor.shot("back on profile")

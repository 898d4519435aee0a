"""Sessions that end for real, and cookies that cannot break the app, in a real Chromium."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

pytestmark = pytest.mark.browser

COOKIE = "marketplace_auth"


def _session_cookies(someone) -> list[dict]:
    return [c for c in someone.context.cookies() if c["name"] == COOKIE]


def _wait_for_no_cookie(someone, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while _session_cookies(someone):
        if time.monotonic() > deadline:
            pytest.fail("the app never deleted the cookie that does not verify")
        time.sleep(0.2)


def _logged_out(someone, timeout: float = 15) -> bool:
    """The logged-out navigation (Log in, no Profile), waited for: on a busy machine the
    page settles before a cookie's rerun has redrawn it."""
    deadline = time.monotonic() + timeout
    while True:
        if (
            someone.page.get_by_role("link", name="Log in").count() == 1
            and someone.page.get_by_role("link", name="Profile").count() == 0
        ):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def test_a_cookie_replayed_after_log_out_logs_nobody_in(person):
    camille = person("owner")
    camille.log_in_for_good("user1@gmail.com", "tototo")
    stolen = _session_cookies(camille)
    camille.goto("/profile")
    camille.page.get_by_role("button", name="Log out").click()
    camille.settle()
    camille.page.get_by_role("link", name="Log in").wait_for(timeout=20_000)

    thief = person("replay")
    thief.context.add_cookies(stolen)
    thief.goto("/cart")
    thief.page.get_by_text("Welcome back").wait_for(timeout=20_000)
    thief.shot("replayed cookie after log-out")
    assert _logged_out(thief)
    _wait_for_no_cookie(thief)


def _unsigned(claims: dict) -> str:
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


FUTURE = int(time.time()) + 86_400
ODD_COOKIES = {
    "alg-none": _unsigned({"sid": "t" * 43, "exp": FUTURE}),
    "garbage": "%%%not-a-token%%%",
}


# in the browser: a forged token and one that is no token at all (the other kinds, and more,
# are refused by core.accounts.sessions.decode_cookie: tests/core/accounts/test_sessions.py)
@pytest.mark.parametrize("kind", ["alg-none", "garbage"])
def test_a_cookie_that_does_not_verify_is_ignored_and_deleted(person, app_url, kind):
    visitor = person(f"odd-{kind}")
    visitor.context.add_cookies([{"name": COOKIE, "value": ODD_COOKIES[kind], "url": app_url}])
    visitor.goto("/")
    assert "Second-hand clothes" in visitor.text()  # the shop, no exception (settle checks)
    assert _logged_out(visitor)
    _wait_for_no_cookie(visitor)
    visitor.shot(f"{kind} cookie ignored")
    visitor.log_in("user2@gmail.com", "tototo")  # and the browser can still log in
    visitor.page.get_by_role("link", name="Profile").wait_for(timeout=20_000)


def _register(someone, email: str, password: str) -> None:
    someone.goto("/register")
    someone.page.get_by_role("textbox", name="E-mail").fill(email)
    someone.page.get_by_role("textbox", name="Display name").fill("Sam")
    someone.page.get_by_role("textbox", name="Password", exact=True).fill(password)
    someone.page.get_by_label("Repeat the password").fill(password)
    someone.page.get_by_role("button", name="Create my account").click()
    someone.settle()
    someone.page.get_by_role("link", name="Profile").wait_for(timeout=20_000)
    deadline = time.monotonic() + 20  # the cookie comes a moment later: new page loads need it
    while not _session_cookies(someone):
        if time.monotonic() > deadline:
            pytest.fail("registered, but the browser never got the re-login cookie")
        time.sleep(0.2)


def _change_password(someone, current: str, new: str) -> None:
    someone.visit("/profile")
    someone.page.get_by_role("textbox", name="Current password").fill(current)
    someone.page.get_by_role("textbox", name="New password", exact=True).fill(new)
    someone.page.get_by_role("textbox", name="Repeat the new password").fill(new)
    someone.page.get_by_role("button", name="Change my password").click()
    someone.settle()
    someone.page.get_by_text("Your password is changed.").wait_for(timeout=20_000)


def test_a_password_change_logs_out_the_open_tab_of_another_browser(person):
    email = f"sam-{uuid.uuid4().hex[:8]}@example.com"
    laptop = person("laptop")
    _register(laptop, email, "first-password")
    phone = person("phone")
    phone.log_in_for_good(email, "first-password")
    phone.visit("/cart")
    phone.page.get_by_text("My cart").wait_for(timeout=20_000)

    _change_password(laptop, "first-password", "second-password")
    laptop.shot("password changed")

    # the phone's tab is still open; its next click finds the session ended
    phone.page.get_by_test_id("stTopNav").get_by_role("link", name="Shop").click()
    phone.settle()
    phone.page.get_by_role("link", name="Log in").wait_for(timeout=20_000)
    phone.shot("open tab logged out")
    phone.goto("/cart")  # and a reload with its cookie does not log it back in
    phone.page.get_by_text("Welcome back").wait_for(timeout=20_000)

    laptop.goto("/cart")  # the browser that changed it stays logged in, reload included
    laptop.page.get_by_text("My cart").wait_for(timeout=20_000)


def test_a_dialog_opened_before_the_session_ended_buys_nothing(person):
    """A dialog's buttons rerun only the dialog (a fragment), not Home.py's session check."""
    email = f"dana-{uuid.uuid4().hex[:8]}@example.com"
    laptop = person("laptop")
    _register(laptop, email, "first-password")
    laptop.visit("/item?item=24")  # the demo's leather tote bag
    laptop.page.get_by_role("button", name="Add to cart").click()
    laptop.settle()
    laptop.visit("/cart")
    laptop.page.get_by_role("textbox", name="Address").fill("3 rue Neuve")
    laptop.page.get_by_role("textbox", name="Postal code").fill("13001")
    laptop.page.get_by_role("textbox", name="City").fill("Marseille")
    laptop.page.get_by_role("button", name="Buy for").click()
    laptop.settle()
    confirm = laptop.page.get_by_role("button", name="Confirm the purchase")
    confirm.wait_for(timeout=20_000)
    laptop.shot("dialog open")

    phone = person("phone")
    phone.log_in_for_good(email, "first-password")  # goto needs the cookie
    _change_password(phone, "first-password", "second-password")

    confirm.click()
    laptop.settle()
    laptop.page.get_by_text("Welcome back").wait_for(timeout=20_000)
    laptop.shot("sent to log in, nothing bought")
    visitor = person("visitor")
    visitor.goto("/item?item=24")
    visitor.page.get_by_role("button", name="Log in to buy").wait_for(timeout=20_000)

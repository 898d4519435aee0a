"""The forgot-password and reset pages (AppTest), with and without an SMTP server."""

import pytest
from sqlmodel import Session

from core.accounts import accounts, resets
from core.db import make_engine
from core.mail import wait_until_sent
from tests.apptest import open_page, start_app, texts
from tests.smtp_server import link_of, smtp_server

NEW = "brand new secret"


@pytest.fixture(scope="module")
def inbox():
    with smtp_server() as inbox:
        yield inbox


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_without_smtp_the_forgot_page_says_resets_are_not_available(app_env, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    at = start_app()
    open_page(at, "app_pages/login.py")
    assert any(link.label == "Forgot your password?" for link in at.get("page_link"))
    open_page(at, "app_pages/forgot_password.py")
    assert "not available on this site" in texts(at)
    assert not at.text_input  # no form to fill


@pytest.mark.parametrize("token", [None, "forged", "x" * 43, "y" * 5000])
def test_a_bad_link_says_so_in_a_sentence(app_env, token):
    at = start_app()
    if token is not None:
        at.query_params["token"] = token
    open_page(at, "app_pages/reset_password.py")
    assert [e.value for e in at.error] == [resets.INVALID_LINK_MESSAGE]
    assert not at.text_input


def test_asking_for_a_link_and_setting_the_password(app_env, monkeypatch, inbox):
    for key, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(inbox.port),
        "SMTP_TLS": "none",
        "SMTP_SENDER": "shop@example.com",
        "APP_URL": "http://shop.test",
    }.items():
        monkeypatch.setenv(key, value)
    at = start_app()
    open_page(at, "app_pages/forgot_password.py")
    at.text_input[0].input("user1@gmail.com")
    _button(at, "Send me a link").click().run()
    assert [s.value for s in at.success] == [resets.SENT_MESSAGE]
    wait_until_sent()
    link, token = link_of(inbox.wait_for("user1@gmail.com"))
    assert link.startswith("http://shop.test/reset_password?token=")

    at = start_app()
    at.query_params["token"] = token
    open_page(at, "app_pages/reset_password.py")
    at.text_input[0].input(NEW)
    at.text_input[1].input("not the same")
    _button(at, "Set my new password").click().run()
    assert [e.value for e in at.error] == ["The two passwords are different."]
    at.text_input[1].input(NEW)
    _button(at, "Set my new password").click().run()
    assert not at.exception
    assert "Your new password is set" in texts(at)
    with Session(make_engine(f"sqlite:///{app_env / 'marketplace.db'}")) as s:
        assert accounts.log_in(s, "user1@gmail.com", NEW)

"""A forgotten password in a real browser: the log-in page's link, the e-mail a real SMTP
server (aiosmtpd, in the test process) receives, its link, the new password, the log-in."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.app_server import running_app
from tests.e2e.conftest import DESKTOP, Person
from tests.smtp_server import link_of, smtp_server

pytestmark = pytest.mark.browser

EMAIL = "user1@gmail.com"
NEW = "a fresh password"


def test_a_forgotten_password_is_reset_by_e_mail(browser, tmp_path, seeded_sqlite_template):
    (tmp_path / "data").mkdir()
    shutil.copy(seeded_sqlite_template, tmp_path / "data" / "marketplace.db")
    with smtp_server() as inbox:
        env = dict(
            os.environ,
            DATA_DIR=str(tmp_path / "data"),
            DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'marketplace.db'}",
            MODEL_DIR=str(tmp_path / "model"),
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(inbox.port),
            SMTP_TLS="none",
            SMTP_SENDER="no-reply@seconde-main.test",
        )
        env.pop("APP_URL", None)  # the link takes the address the browser shows
        with running_app(env, tmp_path / "server.log") as base:
            context = browser.new_context(viewport=DESKTOP)
            ann = Person(context, base, "password-reset")
            page = ann.page
            page.set_default_timeout(30_000)
            main = page.locator('[data-testid="stMain"]')
            try:
                ann.goto("/login")
                main.get_by_role("link", name="Forgot your password?").click()
                ann.settle()
                page.get_by_label("E-mail").fill(EMAIL)
                page.get_by_role("button", name="Send me a link").click()
                main.get_by_text("If an account uses this address").wait_for()
                ann.shot("link asked for")

                message = inbox.wait_for(EMAIL)
                assert message["From"] == "no-reply@seconde-main.test"
                assert message["Subject"] == "Choose a new password for Seconde Main"
                link, _token = link_of(message)
                assert link.startswith(f"{base}/reset_password?token=")

                ann.goto(link.removeprefix(base))
                page.get_by_label("New password", exact=True).fill(NEW)
                page.get_by_label("Repeat the new password").fill(NEW)
                page.get_by_role("button", name="Set my new password").click()
                main.get_by_text("Your new password is set").wait_for()
                ann.shot("new password set")

                ann.log_in(EMAIL, "tototo")  # the old password no longer works
                main.get_by_text("Wrong e-mail or password.").wait_for()
                ann.log_in(EMAIL, NEW)
                page.get_by_role("link", name="Profile").first.wait_for()
                ann.shot("logged in with the new password")

                ann.goto(link.removeprefix(base))  # the link was for once
                main.get_by_text("This reset link does not work").wait_for()
            finally:
                context.close()

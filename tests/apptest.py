"""Helpers for AppTest page tests: start the app, log in through the real widget."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


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
    """Everything the page says, as one string (markdown, captions, alerts, titles)."""
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
    return "\n".join(parts)

"""Log in, register, profile and log out, through the real pages (AppTest)."""

import json

import pytest
from sqlmodel import Session

from core.accounts import accounts
from core.db import make_engine
from tests.apptest import log_in, open_page, start_app, submit_login, texts

LONG = "p" * 100


def _db(app_env):
    return make_engine(f"sqlite:///{app_env / 'marketplace.db'}")


def _logged_in(at) -> bool:
    return at.session_state["user_id"] is not None if "user_id" in at.session_state else False


def test_demo_accounts_log_in(app_env):
    for email in ("user1@gmail.com", "user2@gmail.com"):
        at = log_in(start_app(), email)
        assert "Second-hand clothes" in texts(at)  # back on the shop


@pytest.mark.parametrize("email", ["  USER1@Gmail.com ", "User1@gmail.com"])
def test_email_with_spaces_or_capitals_is_normalised(app_env, email):
    assert _logged_in(log_in(start_app(), email))


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("user1@gmail.com", "wrong-password", "Wrong e-mail or password."),
        ("nobody@gmail.com", "tototo", "Wrong e-mail or password."),
        ("user1@gmail.com", LONG, "Wrong e-mail or password."),
        ("", "", "Enter your e-mail and your password."),
        ("user1@gmail.com", "", "Enter your e-mail and your password."),
        ("", "tototo", "Enter your e-mail and your password."),
    ],
)
def test_login_failures_say_so(app_env, email, password, message):
    at = submit_login(start_app(), email, password)
    assert message in [e.value for e in at.error]
    assert not _logged_in(at)


def test_five_failures_lock_the_account_without_telling_if_it_exists(app_env):
    for email in ("user2@gmail.com", "ghost@gmail.com"):
        at = start_app()
        for _ in range(5):
            submit_login(at, email, "bad-guess")
            assert "Wrong e-mail or password." in [e.value for e in at.error]
        password = "tototo" if email == "user2@gmail.com" else "bad-guess"
        submit_login(at, email, password)
        assert [e.value for e in at.error] == [accounts.LOCKED_MESSAGE]
        assert not _logged_in(at)
    # a fresh browser session (or replica) sees the same lock: it is in the database
    at = submit_login(start_app(), "user2@gmail.com", "tototo")
    assert [e.value for e in at.error] == [accounts.LOCKED_MESSAGE]
    # other accounts are unaffected
    assert _logged_in(log_in(start_app(), "user1@gmail.com"))


def _register(at, email, name, password, repeat):
    open_page(at, "app_pages/register.py")
    fields = {t.label: t for t in at.text_input}
    fields["E-mail"].input(email)
    fields["Display name"].input(name)
    fields["Password"].input(password)
    fields["Repeat the password"].input(repeat)
    next(b for b in at.button if b.label == "Create my account").click().run()
    assert not at.exception, at.exception
    return at


def test_register_logs_the_new_user_in_and_keeps_markup_verbatim(app_env):
    name = "<b>Zoé</b> **star**"
    at = _register(start_app(), " Zoe@Example.com ", name, "long-enough", "long-enough")
    assert _logged_in(at)
    open_page(at, "app_pages/profile.py")
    assert {t.label: t.value for t in at.text_input}["Display name"] == name
    assert {t.label: t.value for t in at.text_input}["E-mail"] == "zoe@example.com"
    # how names and titles are shown as text: tests/ui/test_widgets.py and the e2e journey
    # the new account can log in from a fresh session (credentials refreshed)
    assert _logged_in(log_in(start_app(), "zoe@example.com", "long-enough"))


@pytest.mark.parametrize(
    ("email", "name", "pw", "repeat", "message"),
    [
        ("USER1@gmail.com", "Dup", "long-enough", "long-enough", "already uses"),
        ("not-an-email", "X", "long-enough", "long-enough", "valid e-mail"),
        ("", "X", "long-enough", "long-enough", "Enter your e-mail"),
        ("n@x.com", "", "long-enough", "long-enough", "Enter a display name"),
        ("n@x.com", "X", "long-enough", "long-enougX", "different"),
        ("n@x.com", "X", "short", "short", "at least 8"),
        ("n@x.com", "X", LONG, LONG, "too long"),
        ("n@x.com", "X", "", "", "Enter a password"),
    ],
)
def test_register_failures(app_env, email, name, pw, repeat, message):
    at = _register(start_app(), email, name, pw, repeat)
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert not _logged_in(at)
    with Session(_db(app_env)) as s:
        assert accounts.get_user_by_email(s, "n@x.com") is None


def test_logged_out_visitor_is_sent_to_login_then_back(app_env):
    at = open_page(start_app(), "app_pages/profile.py")
    assert "Welcome back" in [t.value for t in at.title]
    log_in(at)
    assert "My profile" in [t.value for t in at.title]


def _profile_form(at):
    return {t.label: t for t in at.text_input}


def test_profile_save_and_errors(app_env):
    at = open_page(log_in(start_app()), "app_pages/profile.py")
    fields = _profile_form(at)
    assert fields["E-mail"].disabled
    fields["Postal code"].input("75O11")
    next(b for b in at.button if b.label == "Save").click().run()
    assert any("postal code" in e.value for e in at.error)
    fields = _profile_form(at)
    fields["Postal code"].input("69003")
    fields["City"].input("Lyon")
    fields["Display name"].input("Camille B.")
    next(b for b in at.button if b.label == "Save").click().run()
    assert "Your profile is saved." in [s.value for s in at.success]
    with Session(_db(app_env)) as s:
        user = accounts.get_user_by_email(s, "user1@gmail.com")
        assert (user.postal_code, user.city, user.display_name) == ("69003", "Lyon", "Camille B.")


def _change_password(at, current, new, repeat):
    fields = _profile_form(at)
    fields["Current password"].input(current)
    fields["New password"].input(new)
    fields["Repeat the new password"].input(repeat)
    next(b for b in at.button if b.label == "Change my password").click().run()
    assert not at.exception
    return at


def test_password_change_paths(app_env):
    at = open_page(log_in(start_app(), "user2@gmail.com"), "app_pages/profile.py")
    for current, new, repeat, message in [
        ("", "new-password", "new-password", "current password"),
        ("wrong", "new-password", "new-password", "current password is wrong"),
        (LONG, "new-password", "new-password", "current password is wrong"),
        ("tototo", LONG, LONG, "too long"),
        ("tototo", "short", "short", "at least 8"),
        ("tototo", "new-password", "other-pass", "different"),
    ]:
        _change_password(at, current, new, repeat)
        assert any(message in e.value for e in at.error), (message, [e.value for e in at.error])
    _change_password(at, "tototo", "new-password", "new-password")
    assert any("Your password is changed." in s.value for s in at.success)
    # the old password no longer works, the new one does
    at2 = submit_login(start_app(), "user2@gmail.com", "tototo")
    assert "Wrong e-mail or password." in [e.value for e in at2.error]
    assert _logged_in(log_in(start_app(), "user2@gmail.com", "new-password"))


def test_log_out_ends_the_session(app_env):
    at = open_page(log_in(start_app()), "app_pages/profile.py")
    next(b for b in at.button if b.label == "Log out").click().run()
    assert not at.exception
    assert not _logged_in(at)
    assert at.session_state["authentication_status"] is None
    assert at.session_state["logout"] is True  # the cookie cannot log this session back in
    open_page(at, "app_pages/profile.py")
    assert "Welcome back" in [t.value for t in at.title]


def test_an_over_long_email_is_refused_and_not_stored(app_env):
    at = submit_login(start_app(), "a" * 300 + "@example.com", "tototo")
    assert [e.value for e in at.error] == ["Wrong e-mail or password."]
    with Session(_db(app_env)) as s:
        assert accounts.failed_logins(s, "a" * 300 + "@example.com") == 0


# --- sessions that end for real (two AppTests are two browser tabs) ----------------------


def test_a_password_change_logs_out_an_open_tab_of_another_browser(app_env):
    here = open_page(log_in(start_app(), "user2@gmail.com"), "app_pages/profile.py")
    elsewhere = open_page(log_in(start_app(), "user2@gmail.com"), "app_pages/cart.py")
    assert "My cart" in [t.value for t in elsewhere.title]
    _change_password(here, "tototo", "new-password", "new-password")
    open_page(here, "app_pages/cart.py")
    assert _logged_in(here) and "My cart" in [t.value for t in here.title]  # this one stays
    open_page(elsewhere, "app_pages/cart.py")  # the next click of the other tab
    assert not _logged_in(elsewhere)
    assert "Welcome back" in [t.value for t in elsewhere.title]


def test_log_out_ends_the_session_in_the_database(app_env):
    from core.accounts import sessions

    at = open_page(log_in(start_app()), "app_pages/profile.py")
    token = at.session_state["_session_token"]
    with Session(_db(app_env)) as s:
        assert sessions.session_user(s, token) is not None
    next(b for b in at.button if b.label == "Log out").click().run()
    assert not _logged_in(at)
    with Session(_db(app_env)) as s:  # its cookie, replayed anywhere, logs nobody in
        assert sessions.session_user(s, token) is None


def test_demo_credentials_are_shown_only_in_demo_mode(app_env, monkeypatch):
    at = open_page(start_app(), "app_pages/login.py")
    assert "tototo" in texts(at)
    monkeypatch.setenv("DEMO_DATA", "off")  # a deployment that turned the demo off later
    import streamlit as st

    st.cache_resource.clear()
    at = open_page(start_app(), "app_pages/login.py")
    assert "tototo" not in texts(at)
    # and the seeded demo accounts (public password) can no longer log in
    at = submit_login(at, "user1@gmail.com", "tototo")
    assert [e.value for e in at.error] == ["Wrong e-mail or password."]
    assert not _logged_in(at)


@pytest.mark.parametrize(
    ("email", "password"),
    [("user1@gmail.com", "toto\x00to"), ("user1\x00@gmail.com", "tototo")],
)
def test_control_characters_at_log_in_are_wrong_credentials(app_env, email, password):
    at = submit_login(start_app(), email, password)
    assert [e.value for e in at.error] == ["Wrong e-mail or password."]


def test_a_look_alike_email_cannot_register(app_env):
    at = open_page(start_app(), "app_pages/register.py")
    fields = {t.label: t for t in at.text_input}
    fields["E-mail"].input("ｕｓｅｒ1@gmail.com")
    fields["Display name"].input("Camille")
    fields["Password"].input("long-enough")
    fields["Repeat the password"].input("long-enough")
    next(b for b in at.button if b.label == "Create my account").click().run()
    assert not at.exception
    assert any("already uses this e-mail" in e.value for e in at.error)


def test_a_short_cookie_secret_stops_the_app_with_a_sentence(app_env, monkeypatch):
    monkeypatch.setenv("COOKIE_SECRET", "too-short")
    at = start_app()
    assert any("COOKIE_SECRET is too short" in e.value for e in at.error)


def test_a_database_that_cannot_be_created_is_a_sentence_not_a_traceback(app_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////proc/no-such-place/db.sqlite")
    at = start_app()
    assert any("cannot open its database" in e.value for e in at.error)


def test_a_data_folder_that_cannot_be_written_does_not_break_pages(app_env, monkeypatch, tmp_path):
    """Before: every run wrote the generated cookie secret into DATA_DIR, so a data folder
    that could not be written (here: a path under a file) broke every page."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data folder should be")
    monkeypatch.setenv("DATA_DIR", str(blocked / "data"))  # DATABASE_URL stays as it is
    at = log_in(start_app())
    assert not at.exception
    open_page(at, "app_pages/profile.py")
    assert "My profile" in [t.value for t in at.title]


def test_a_dialog_click_after_the_session_ended_elsewhere_does_nothing(app_env):
    """A dialog reruns as a fragment, without Home.py's check: it checks the session itself."""
    from sqlmodel import func, select

    from core.models.trade import Order
    from core.trade.cart import add_to_cart
    from tests.shop_helpers import app_db, click, item_by_title, user_id

    engine = app_db(app_env)
    with Session(engine) as s:
        item = item_by_title(engine, "Red wrap midi dress")
        add_to_cart(s, user_id(engine, "user2@gmail.com"), item.id)
    shopper = open_page(log_in(start_app(), "user2@gmail.com"), "app_pages/cart.py")
    click(shopper, "Buy for €45.00")
    assert "Confirm the purchase" in [b.label for b in shopper.button]
    elsewhere = open_page(log_in(start_app(), "user2@gmail.com"), "app_pages/profile.py")
    _change_password(elsewhere, "tototo", "new-password", "new-password")
    click(shopper, "Confirm the purchase")
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Order)).one() == 0
    assert not _logged_in(shopper)
    assert "Welcome back" in [t.value for t in shopper.title]


def test_a_password_change_gives_this_browser_a_new_session(app_env):
    from core.accounts import sessions

    at = open_page(log_in(start_app(), "user2@gmail.com"), "app_pages/profile.py")
    before = at.session_state["_session_token"]
    _change_password(at, "tototo", "new-password", "new-password")
    after = at.session_state["_session_token"]
    assert after != before and _logged_in(at)
    with Session(_db(app_env)) as s:  # a copy of the old cookie is worth nothing now
        assert sessions.session_user(s, before) is None
        assert sessions.session_user(s, after) is not None


def test_a_demo_session_ends_when_demo_data_is_turned_off(app_env, monkeypatch):
    import streamlit as st

    at = open_page(log_in(start_app()), "app_pages/cart.py")
    monkeypatch.setenv("DEMO_DATA", "false")
    st.cache_resource.clear()
    st.cache_data.clear()
    open_page(at, "app_pages/cart.py")
    assert not _logged_in(at)


def test_a_real_account_with_a_demo_email_logs_in_where_demo_data_is_off(tmp_path, monkeypatch):
    """Demo accounts are known by id (the seed records them), not by e-mail."""
    import streamlit as st

    db = tmp_path / "real.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DEMO_DATA", "false")
    st.cache_resource.clear()
    st.cache_data.clear()
    start_app()  # creates the schema, no demo
    with Session(make_engine(f"sqlite:///{db}")) as s:
        auth_user = accounts.register_user(
            s, "user1@gmail.com", "Real", "real-password", "real-password"
        )
    at = log_in(start_app(), "user1@gmail.com", "real-password")
    assert at.session_state["user_id"] == auth_user.id
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.mark.parametrize("url", ["nonsense", "postgresql+nosuchdriver://u@h/db"])
def test_a_database_url_that_is_no_address_is_a_sentence(app_env, monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    at = start_app()
    assert any("cannot open its database" in e.value for e in at.error)


def test_the_log_in_page_draws_no_cookie_reader_of_the_library(app_env):
    """streamlit-authenticator's own re-login cookie is never used here (ui.auth has its
    own); its reader, drawn with the form, reran the page once more after each visit, and a
    click in that moment (on "Register") was lost."""
    at = start_app()
    open_page(at, "app_pages/login.py")
    assert at.get("form"), "no log-in form"
    keys = [json.loads(c.proto.json_args).get("key") for c in at.get("component_instance")]
    assert "init" not in keys, keys  # the library's CookieManager() (its default key)
    log_in(at)  # the form still logs in

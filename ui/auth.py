"""Log-in sessions in the app: streamlit-authenticator's log-in widget, checked against the
database, and our own server-side session behind a signed re-login cookie.

Why not the library's cookie: it is a 30-day bearer token (the e-mail and an expiry,
signed) that nothing on the server can revoke, so "Log out" and a password change could
not end it, and its decoder lets errors other than a bad signature escape. Here a log-in
creates a row in ``sessions`` (``core.accounts.sessions``); the cookie names that row; every
run checks the row, so log-out, password changes and replicas all agree.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import extra_streamlit_components as stx
import streamlit as st

from core.accounts import accounts, sessions
from core.i18n import _
from core.models.accounts import User
from demo.markers import demo_accounts_exist, demo_user_ids
from ui import pages
from ui.i18n import adopt_account_language
from ui.state import (
    TOKEN_KEY,
    USER_ID_KEY,
    current_user,
    db_session,
    get_settings,
    set_current_user,
)

_log = logging.getLogger(__name__)

_CHECKED_COOKIE_KEY = "_session_cookie_checked"  # the cookie value this tab already tried
_COOKIE_TODO_KEY = "_session_cookie_todo"  # ("set", value) or ("delete", None) until done
_COOKIE_COMPONENT_KEY = "_session_cookie_component"
NEXT_PAGE_KEY = "_after_login"


@st.cache_resource(show_spinner=False)
def _cookie_secret(configured: str | None) -> str:
    with db_session() as session:
        return sessions.cookie_secret(session, configured)


def cookie_secret() -> str:
    """The configured secret, or the one generated once and kept in the database."""
    return _cookie_secret(get_settings().cookie_secret)


def restore_session() -> User | None:
    """This tab's user, checked against the database on every run; called first by Home.py.

    A tab with a session keeps it while the session lives (it ends at log-out, at a password
    change made elsewhere, or at expiry). A new tab adopts the browser's cookie if it names
    a live session; a cookie that does not verify, or names an ended session, is deleted.
    """
    token = st.session_state.get(TOKEN_KEY)
    user = None
    if token:
        user = _live_user(token)
        if user is None:  # ended elsewhere: log this tab out too
            # the browser's cookie may be a newer session of another tab: leave it; a dead
            # one is deleted by the next tab that tries it
            _forget_session(delete_cookie=False)
    else:
        cookie = st.context.cookies.get(get_settings().cookie_name)
        if cookie and cookie != st.session_state.get(_CHECKED_COOKIE_KEY):
            st.session_state[_CHECKED_COOKIE_KEY] = cookie  # tried once per tab and value
            token = sessions.decode_cookie(cookie, cookie_secret())
            if token:
                user = _live_user(token)
            if user is None:
                _log.info(
                    "deleted a re-login cookie that %s",
                    "names no live session" if token else "does not verify",
                )
                st.session_state[_COOKIE_TODO_KEY] = ("delete", None)
            else:
                st.session_state[TOKEN_KEY] = token
    set_current_user(user)
    _render_cookie_change()
    return user


def _live_user(token: str) -> User | None:
    """The user of a live session; a demo account's session ends once DEMO_DATA is off."""
    with db_session() as session:
        user = sessions.session_user(session, token)
        if user is not None and not _may_log_in(user.id):
            sessions.end_session(session, token)
            user = None
    return user


def refresh_user() -> User | None:
    """Check this tab's session again, inside a fragment or a dialog, which rerun without
    Home.py; None if it ended meanwhile (the caller then reruns the whole app, which sends
    the tab to the log-in page)."""
    token = st.session_state.get(TOKEN_KEY)
    user = _live_user(token) if token else None
    if user is None:
        _forget_session(delete_cookie=False)
    else:
        set_current_user(user)
    return user


@st.cache_data(ttl=60, show_spinner=False)
def _demo_ids() -> frozenset[int]:
    with db_session() as session:
        return demo_user_ids(session)


def _may_log_in(user_id: int) -> bool:
    """Demo accounts (public password) may log in only while DEMO_DATA is on."""
    return get_settings().demo_data or user_id not in _demo_ids()


def cookie_change_pending() -> bool:
    """True while the browser has not yet confirmed a new or deleted cookie."""
    return _COOKIE_TODO_KEY in st.session_state


def _render_cookie_change() -> None:
    """Set or delete the cookie in the browser, on every run until the browser says done.

    A component rendered just before ``st.rerun()`` may never reach the browser, so log-in
    and log-out only record the change and this renders it on the next runs.
    """
    todo = st.session_state.get(_COOKIE_TODO_KEY)
    if todo is None:
        return
    action, value = todo
    manager = stx.CookieManager(key=_COOKIE_COMPONENT_KEY)
    name = get_settings().cookie_name
    done_key = f"{_COOKIE_COMPONENT_KEY}_{action}"
    if action == "set":
        days = get_settings().cookie_expiry_days
        manager.set(
            name,
            value,
            key=done_key,
            expires_at=datetime.now() + timedelta(days=days),
            secure=(st.context.url or "").startswith("https://") or None,  # HTTPS: only there
        )
    else:
        with contextlib.suppress(KeyError):  # the component had not read the cookies yet
            manager.delete(name, key=done_key)
    if st.session_state.get(done_key) is True:  # the component's value: the browser did it
        st.session_state.pop(_COOKIE_TODO_KEY, None)
        st.session_state.pop(done_key, None)


def demo_accounts_on() -> bool:
    """True when the demo accounts (public password) exist and may log in (DEMO_DATA)."""
    if not get_settings().demo_data:
        return False
    with db_session() as session:
        return demo_accounts_exist(session)


class _DatabaseLogin:
    """What the log-in widget calls on submit: ``core.accounts.accounts.log_in`` on the database.

    streamlit-authenticator checks passwords against a credentials dict held in memory and
    counts failures in that dict; our store of record is the database (limits that hold
    across restarts and replicas). The library has no hook before its check, so its
    ``authentication_controller`` attribute is given this object, which answers the one
    call the widget makes. Re-check on upgrade (the version is pinned).
    """

    def __init__(self) -> None:
        self.user: User | None = None

    def login(self, username=None, password=None, *args, **kwargs) -> bool:
        from streamlit_authenticator.utilities import LoginError

        with db_session() as session:
            try:
                user = accounts.log_in(session, username, password)
            except accounts.LoginRefused as exc:
                raise LoginError(str(exc)) from exc
        if not _may_log_in(user.id):  # seeded before DEMO_DATA was turned off: public password
            raise LoginError(_(accounts.WRONG_CREDENTIALS_MESSAGE))
        self.user = user
        return True

    def logout(self, *args, **kwargs) -> None:  # the library's own log-out is never used
        pass


class _NoCookieReader:
    """What streamlit-authenticator's cookie model gets instead of extra-streamlit-components'
    CookieManager. The library keeps a re-login cookie of its own that this app never sets
    (the session cookie above is ours), and its reader, drawn with the form, reran the
    log-in page once more after each visit: a click in that moment ("Register") was lost.
    It reads no cookie, so the library's cookie check finds none."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def get(self, cookie: str) -> None:
        return None

    def set(self, *args, **kwargs) -> None:
        pass

    def delete(self, *args, **kwargs) -> None:
        pass


def _library_without_its_cookie_reader() -> None:
    """Give the library's cookie model the reader above (its module alone: ui.auth's own
    CookieManager is untouched). Re-check on upgrade (the version is pinned)."""
    from types import SimpleNamespace

    from streamlit_authenticator.models import cookie_model

    if not isinstance(cookie_model.stx, SimpleNamespace):
        cookie_model.stx = SimpleNamespace(CookieManager=_NoCookieReader)


def login_form() -> User | None:
    """Render the log-in widget; return the user when this submission logged them in."""
    # imported here: the library (YAML, cryptography, captcha...) costs every other page's
    # first run about half a second, and only the log-in page draws it
    import streamlit_authenticator as stauth
    from streamlit_authenticator.utilities import LoginError

    _library_without_its_cookie_reader()
    settings = get_settings()
    authenticator = stauth.Authenticate(
        {"usernames": {}},  # passwords are checked against the database, not a dict
        cookie_name=f"{settings.cookie_name}_widget",  # never set: ours is the session cookie
        cookie_key=cookie_secret(),
        cookie_expiry_days=0,  # the library sets no cookie of its own
        auto_hash=False,
        login_sleep_time=0,
    )
    check = _DatabaseLogin()
    authenticator.authentication_controller = check
    st.session_state["logout"] = True  # the library's flag: do not read a re-login cookie
    try:
        authenticator.login(
            location="main",
            key="login",
            fields={  # the library's names of its labels, and ours
                "Form name": _("Log in"),
                "Username": _("E-mail"),
                "Password": _("Password"),
                "Login": _("Log in"),
            },
        )
    except LoginError as exc:
        st.error(str(exc))
        return None
    if check.user is None:
        return None
    start_session(check.user)
    return check.user


def start_session(user: User) -> None:
    """Log this tab in as ``user`` (after the log-in widget or a registration)."""
    with db_session() as session:
        token = sessions.start_session(session, user.id)
    st.session_state[TOKEN_KEY] = token
    value = sessions.encode_cookie(token, cookie_secret(), days=get_settings().cookie_expiry_days)
    st.session_state[_COOKIE_TODO_KEY] = ("set", value)
    st.session_state[_CHECKED_COOKIE_KEY] = None
    set_current_user(user)
    adopt_account_language(user)
    _log.info("user %s logged in", user.id)


def require_user(screen: pages.Screen, then: Callable[[User], None] | None = None) -> User:
    """The logged-in user; a logged-out visitor is sent to the log-in page, then back, and
    ``then(user)`` is done once logged in (what they clicked: a heart)."""
    user = current_user()
    if user is None:
        # the query too: /sell?edit=12 comes back to editing item 12, and every value of a
        # repeated key (the shop's /?colour=red&colour=blue&item=7), which to_dict() drops
        query = {key: st.query_params.get_all(key) for key in st.query_params}
        st.session_state[NEXT_PAGE_KEY] = (screen, query, then)
        pages.LOGIN.go()
    return user


def go_back_after_login(user: User) -> None:
    """After logging in (or registering), do what the visitor had clicked, then go to the
    page that asked for it, or the shop."""
    screen, query, then = st.session_state.pop(NEXT_PAGE_KEY, (pages.SHOP, {}, None))
    if then is not None:
        then(user)
    screen.go(query)


def log_out() -> None:
    """End this session in the database (its cookie never logs in again) and delete it."""
    with db_session() as session:
        sessions.end_session(session, st.session_state.get(TOKEN_KEY))
    if (user := current_user()) is not None:
        _log.info("user %s logged out", user.id)
    _forget_session(delete_cookie=True)


def _forget_session(*, delete_cookie: bool) -> None:
    st.session_state.pop(TOKEN_KEY, None)
    st.session_state.pop(USER_ID_KEY, None)
    set_current_user(None)
    if delete_cookie:
        st.session_state[_COOKIE_TODO_KEY] = ("delete", None)

"""streamlit-authenticator wired to the database: log-in widget, re-login cookie, log-out.

The authenticator is built once per script run (its cookie component must render every
run); its credentials come from a per-process cache that is rebuilt only when the users
table's version changes (a registration or a password change, on any replica).
"""

from __future__ import annotations

import threading

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.controllers import AuthenticationController
from streamlit_authenticator.utilities import LoginError

from core import auth as accounts
from core.models import EMAIL_MAX, User
from ui.state import USER_ID_KEY, current_user, db_session, get_settings

_AUTH_KEY = "_authenticator"
_COOKIE_PENDING_KEY = "_login_cookie_pending"
NEXT_PAGE_KEY = "_after_login"


class _CredentialsCache:
    """The credentials dict of this process, with the users-table version it was built at."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: tuple | None = None
        self.credentials: dict | None = None


@st.cache_resource(show_spinner=False)
def _credentials_cache() -> _CredentialsCache:
    return _CredentialsCache()


def credentials() -> dict:
    """The authenticator's credentials, rebuilt from the database only when stale."""
    cache = _credentials_cache()
    with db_session() as session:
        version = accounts.credentials_version(session)
        if cache.version != version:
            with cache.lock:
                if cache.version != version:
                    cache.credentials = accounts.build_credentials(session)
                    cache.version = version
    return cache.credentials


class _DatabaseLoginController(AuthenticationController):
    """The widget's controller, plus the database-backed limit on failed log-ins.

    The widget calls ``login(username, password, ...)`` on submit and ``login(token=...)``
    for the re-login cookie. Failures are counted per e-mail in the database, so that a
    restart or a second replica does not reset them; the message never says whether the
    e-mail exists.
    """

    def login(self, username=None, password=None, *args, token=None, **kwargs):
        if token is not None:
            with db_session() as session:
                user = accounts.get_user_by_email(session, str(token.get("username", "")))
            expires_at = float(token.get("exp_date", 0))
            if not accounts.cookie_still_valid(user, expires_at, get_settings().cookie_expiry_days):
                return None  # from before a password change, or for a removed account
            return super().login(token=token)
        email = accounts.normalise_email(username)
        if not email or not password:
            raise LoginError("Enter your e-mail and your password.")
        if len(email) > EMAIL_MAX:  # no account can have it; not worth storing
            raise LoginError(accounts.WRONG_CREDENTIALS_MESSAGE)
        with db_session() as session:
            attempt = accounts.start_login_attempt(session, email)
        if attempt is None:
            raise LoginError(accounts.LOCKED_MESSAGE)
        if email not in self.authentication_model.credentials["usernames"]:
            accounts.spend_a_password_check(password)  # the library would answer at once
        too_long = len(password.encode("utf-8")) > accounts.PASSWORD_MAX_BYTES
        # bcrypt 5 raises on > 72 bytes; such a password can never be right anyway
        if too_long or not super().login(email, password, *args, **kwargs):
            raise LoginError(accounts.WRONG_CREDENTIALS_MESSAGE)
        with db_session() as session:
            accounts.clear_failed_logins(session, email)
        return True


def build_authenticator() -> stauth.Authenticate:
    """Build this run's authenticator, re-log in from the cookie, and sync the session user.

    Called once per run, by Home.py, before the navigation is chosen.
    """
    settings = get_settings()
    secret = accounts.cookie_secret(settings.cookie_secret, settings.data_dir)
    authenticator = stauth.Authenticate(
        credentials(),
        cookie_name=settings.cookie_name,
        cookie_key=secret,
        cookie_expiry_days=settings.cookie_expiry_days,
        auto_hash=False,
        login_sleep_time=0,  # the cookie is read from the request headers: no wait needed
    )
    # same controller, with the database-backed limit around its log-in check
    authenticator.authentication_controller.__class__ = _DatabaseLoginController
    st.session_state[_AUTH_KEY] = authenticator

    try:
        authenticator.login(location="unrendered")  # the re-login cookie, if any
    except LoginError:
        # a valid cookie for an account that no longer exists: stay logged out
        authenticator.authentication_controller.logout()
    _sync_user_from_authenticator()
    _keep_cookie_in_step(authenticator)
    return authenticator


def authenticator() -> stauth.Authenticate:
    """This run's authenticator (built by Home.py)."""
    return st.session_state[_AUTH_KEY]


def _sync_user_from_authenticator() -> None:
    email = (
        st.session_state.get("username") if st.session_state.get("authentication_status") else None
    )
    if not email:
        st.session_state.pop(USER_ID_KEY, None)
        return
    if st.session_state.get(USER_ID_KEY) is not None:
        return
    with db_session() as session:
        user = accounts.get_user_by_email(session, email)
    if user is None:
        authenticator().authentication_controller.logout()
        st.session_state.pop(USER_ID_KEY, None)
    else:
        st.session_state[USER_ID_KEY] = user.id


def _keep_cookie_in_step(authenticator: stauth.Authenticate) -> None:
    """Render the cookie's set (or delete) component on every run until the browser did it.

    A component rendered just before ``st.rerun()`` may never reach the browser, so the
    log-in and log-out pages only flag the change and this renders it on the next runs.
    """
    logged_in = bool(st.session_state.get("authentication_status"))
    if logged_in and st.session_state.get(_COOKIE_PENDING_KEY):
        authenticator.cookie_controller.set_cookie()
        if st.session_state.get("set") is True:  # the component's value: the browser set it
            st.session_state[_COOKIE_PENDING_KEY] = False
    elif not logged_in and st.session_state.get("logout"):
        authenticator.cookie_controller.delete_cookie()


def login_form() -> User | None:
    """Render the log-in widget; return the user when this submission logged them in."""
    try:
        authenticator().login(
            location="main",
            key="login",
            fields={
                "Form name": "Log in",
                "Username": "E-mail",
                "Password": "Password",
                "Login": "Log in",
            },
        )
    except LoginError as exc:
        st.error(str(exc))
        return None
    if st.session_state.get("authentication_status") and st.session_state.get(USER_ID_KEY) is None:
        _start_session(st.session_state["username"])
        return current_user()
    return None


def log_in_registered(user: User) -> None:
    """Log a user in right after registration (same effect as the widget's success)."""
    st.session_state["authentication_status"] = True
    st.session_state["username"] = user.email
    st.session_state["email"] = user.email
    st.session_state["name"] = user.display_name
    _start_session(user.email)


def _start_session(email: str) -> None:
    st.session_state["logout"] = False
    st.session_state[_COOKIE_PENDING_KEY] = True
    st.session_state.pop(USER_ID_KEY, None)
    _sync_user_from_authenticator()


def require_user(page: str) -> User:
    """The logged-in user; a logged-out visitor is sent to the log-in page, then back."""
    user = current_user()
    if user is None:
        # the query too: /sell?edit=12 comes back to editing item 12
        st.session_state[NEXT_PAGE_KEY] = (page, st.query_params.to_dict())
        st.switch_page("app_pages/login.py")
    return user


def go_back_after_login() -> None:
    """After logging in (or registering), go to the page that asked for it, or the shop."""
    page, query = st.session_state.pop(NEXT_PAGE_KEY, ("app_pages/catalogue.py", {}))
    st.switch_page(page, query_params=query or None)


def reissue_cookie() -> None:
    """Give this browser a new cookie (after a password change made the old one stale)."""
    st.session_state[_COOKIE_PENDING_KEY] = True


def log_out() -> None:
    """End the session: clear the authenticator's state and delete the cookie."""
    authenticator().authentication_controller.logout()
    st.session_state.pop(USER_ID_KEY, None)
    st.session_state.pop(_COOKIE_PENDING_KEY, None)

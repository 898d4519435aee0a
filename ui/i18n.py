"""The person's language in the app: chosen from the browser's on the first visit
(``st.context.locale``), switched from the header of every page, and remembered for the
account (``users.language``) so that it follows the person to another browser, and in a
cookie of the browser, so that a visitor's choice survives a reload before any log-in.

``core.i18n`` reads it through ``set_language_source``: every ``_()``, also in ``core``
errors and in fragments and dialogs that rerun without Home.py, speaks this session's
language.
"""

from __future__ import annotations

import streamlit as st
import streamlit.components.v1 as components
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import i18n
from core.accounts import accounts
from core.i18n import LANGUAGES, _
from core.models.accounts import User
from ui.state import current_user, db_session

LANGUAGE_KEY = "_language"
SWITCH_KEY = "language_switch"
LANGUAGE_COOKIE = "marketplace_language"  # a visitor's choice, kept by the browser a year
_TO_REMEMBER_KEY = "_language_to_remember"  # a switch this run tells the browser about
_COOKIE_SCRIPT = (  # a same-origin component frame writes the page's own cookie
    "<script>document.cookie = '{name}={code}; path=/; max-age=31536000; SameSite=Lax';</script>"
)


def _session_language() -> str | None:
    """This session's language; before Home.py has chosen it in a session's first run (the
    start-up checks, the session's restoring), the browser's. None in a thread that runs
    no script (core.i18n then speaks its explicit language)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    code = st.session_state.get(LANGUAGE_KEY)
    return code if code is not None else i18n.language_from_locale(st.context.locale)


i18n.set_language_source(_session_language)


def choose_language(user: User | None) -> str:
    """This run's language (called by Home.py once the user is known): the one this
    session chose, else the account's, else the browser's (English if not spoken here)."""
    code = st.session_state.get(LANGUAGE_KEY)
    if code not in LANGUAGES:
        code = (user.language if user is not None else None) or _remembered()
        code = code or i18n.language_from_locale(st.context.locale)
        st.session_state[LANGUAGE_KEY] = code
    return code


def _remembered() -> str | None:
    """The language a visitor chose before in this browser (the cookie), if one we speak."""
    code = st.context.cookies.get(LANGUAGE_COOKIE)
    return code if code in LANGUAGES else None


def adopt_account_language(user: User) -> None:
    """At log-in: the account's language if it has one; else the account keeps this one."""
    if user.language in LANGUAGES:
        st.session_state[LANGUAGE_KEY] = user.language
    else:
        code = st.session_state.get(LANGUAGE_KEY) or i18n.language_from_locale(st.context.locale)
        with db_session() as session:
            accounts.set_language(session, user.id, code)


def _switched() -> None:
    code = st.session_state.get(SWITCH_KEY)
    if code not in LANGUAGES:  # the switch was clicked off: keep the language
        return
    st.session_state[LANGUAGE_KEY] = code
    st.session_state[_TO_REMEMBER_KEY] = code  # a reload, logged out too, keeps it
    user = current_user()
    if user is not None:
        with db_session() as session:
            accounts.set_language(session, user.id, code)


def language_switch() -> None:
    """EN | FR, at the top of every page."""
    st.session_state[SWITCH_KEY] = i18n.current_language()
    st.segmented_control(
        _("Language"),
        options=list(LANGUAGES),
        format_func=lambda code: code.upper(),
        key=SWITCH_KEY,
        on_change=_switched,
        label_visibility="collapsed",
        help=_("Language of the app"),
    )
    code = st.session_state.pop(_TO_REMEMBER_KEY, None)
    if code in LANGUAGES:  # drawn in the run after the switch, which no rerun cuts short
        components.html(_COOKIE_SCRIPT.format(name=LANGUAGE_COOKIE, code=code), height=0)

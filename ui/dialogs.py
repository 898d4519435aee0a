"""Confirmation dialogs whose open state lives in the session.

A dialog opened only inside ``if st.button(...)`` closes at the next full rerun and
drops the click on its own buttons; keeping "which thing is being confirmed" in
``st.session_state`` keeps it open until the user confirms, cancels or dismisses it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from ui.auth import refresh_user


def ask(key: str, value: Any = True) -> None:
    """Open the confirmation ``key`` (use as a button's ``on_click``)."""
    st.session_state[key] = value


def close(key: str) -> None:
    st.session_state.pop(key, None)


def asked(key: str) -> Any:
    """What confirmation ``key`` is about, or None when it is not open."""
    return st.session_state.get(key)


def confirm(key: str, title: str, body: Callable[[Any], None]) -> None:
    """Show the dialog ``title`` with ``body(value)`` while confirmation ``key`` is open.

    A click in a dialog reruns only the dialog (a fragment), not Home.py's session check:
    the dialog checks the session itself first.
    """
    value = asked(key)
    if value is None:
        return

    @st.dialog(title, on_dismiss=lambda: close(key))
    def _dialog() -> None:
        if refresh_user() is None:  # logged out meanwhile (the rerun goes to the log-in page)
            close(key)
            st.rerun(scope="app")
        body(value)

    _dialog()

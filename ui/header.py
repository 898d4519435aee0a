"""The row at the top of every page of a logged-in person: the bell (unread notifications)
and, when something is unread, the inbox. A fragment that refreshes itself every
``REFRESH_SECONDS``, so that a new message or an accepted offer shows without reloading the
page or disturbing what the person is typing (only this row reruns)."""

from __future__ import annotations

import streamlit as st

from core.i18n import _
from core.messaging.badges import unread_counts
from ui import pages
from ui.auth import refresh_user
from ui.state import current_user, db_session

REFRESH_SECONDS = 20
HEADER_KEY = "badges"
_FULL_RUN_KEY = "_badges_full_run"  # set by Home.py's run: its session check is fresh


def header(messages: int, notifications: int) -> None:
    """Draw the row for this run with the counts Home.py read along with the cart's."""
    st.session_state[_FULL_RUN_KEY] = (messages, notifications)
    _badges()


@st.fragment(run_every=REFRESH_SECONDS)
def _badges() -> None:
    counts = st.session_state.pop(_FULL_RUN_KEY, None)
    if counts is None:  # a timed rerun of this row alone: check the session again
        user = refresh_user()
        if user is None:  # logged out elsewhere: the whole app reruns and shows it
            st.rerun(scope="app")
        with db_session() as session:
            counts = unread_counts(session, user.id)
    elif current_user() is None:
        return
    messages, notifications = counts
    with st.container(horizontal=True, horizontal_alignment="right", gap="small", key=HEADER_KEY):
        if messages:
            pages.INBOX.link(
                pages.with_count(_(pages.INBOX.title), messages),
                icon=":material/mark_chat_unread:",
            )
        pages.NOTIFICATIONS.link(
            pages.with_count(_(pages.NOTIFICATIONS.title), notifications),
            icon=":material/notifications_active:" if notifications else ":material/notifications:",
        )

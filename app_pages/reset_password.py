"""Choose a new password, with the link of a reset e-mail (``?token=...``)."""

import streamlit as st

from core.accounts.accounts import PASSWORD_MIN_CHARS, AccountError
from core.accounts.resets import ResetRefused, check_reset_link, reset_password
from core.i18n import _
from ui import pages
from ui.state import db_session

DONE_KEY = "password_reset_done"

st.title(_("Choose a new password"))

left, _right = st.columns([1, 1])
with left:
    token = st.query_params.get("token")
    if token is None and st.session_state.get(DONE_KEY):  # the reruns after a success
        st.success(_("Your new password is set. You are logged out everywhere: log in with it."))
        pages.LOGIN.link(_("Log in"))
        st.stop()
    st.session_state.pop(DONE_KEY, None)  # another link, another reset
    try:
        with db_session() as session:
            check_reset_link(session, token)
    except ResetRefused as exc:
        st.error(str(exc))
        pages.FORGOT_PASSWORD.link(_("Ask for a new link"))
        st.stop()
    with st.form("reset_password"):
        new = st.text_input(
            _("New password"),
            type="password",
            help=_("{n} characters or more.").format(n=PASSWORD_MIN_CHARS),
            autocomplete="new-password",
        )
        repeat = st.text_input(
            _("Repeat the new password"), type="password", autocomplete="new-password"
        )
        submitted = st.form_submit_button(_("Set my new password"), type="primary")
    if submitted:
        try:
            with db_session() as session:
                reset_password(session, token, new, repeat)
        except ResetRefused as exc:
            st.error(str(exc))
            pages.FORGOT_PASSWORD.link(_("Ask for a new link"))
        except AccountError as exc:
            st.error(str(exc))
        else:
            st.session_state[DONE_KEY] = True
            st.query_params.clear()  # the used token leaves the address bar
            st.rerun()

"""Forgot your password? An e-mail address, and a link to choose a new one is sent to it."""

import streamlit as st

from core.accounts.accounts import AccountError
from core.accounts.resets import NOT_AVAILABLE_MESSAGE, request_reset
from core.i18n import _
from ui import pages
from ui.state import app_url, db_session, get_settings

st.title(_("Forgot your password?"))

left, _right = st.columns([1, 1])
with left:
    mail = get_settings().mail
    if mail is None:
        st.info(_(NOT_AVAILABLE_MESSAGE), icon=":material/info:")
    else:
        st.markdown(
            _(
                "Type the e-mail address of your account: we will send it a link to choose "
                "a new password."
            )
        )
        with st.form("forgot_password"):
            email = st.text_input(_("E-mail"), max_chars=254, autocomplete="email")
            submitted = st.form_submit_button(_("Send me a link"), type="primary")
        if submitted:
            try:
                with db_session() as session:
                    answer = request_reset(session, email, app_url(), mail_settings=mail)
            except AccountError as exc:
                st.error(str(exc))
            else:
                st.success(answer, icon=":material/mail:")
    pages.LOGIN.link(_("Back to log in"), icon=":material/arrow_back:")

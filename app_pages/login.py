"""Log in with e-mail and password (streamlit-authenticator's widget)."""

import streamlit as st

from core.i18n import _
from ui import pages
from ui.auth import demo_accounts_on, go_back_after_login, login_form
from ui.state import current_user

st.title(_("Welcome back"))

if current_user() is not None:
    pages.SHOP.go()

left, _right = st.columns([1, 1])
with left:
    user = login_form()
    if user is not None:
        go_back_after_login(user)
    if demo_accounts_on():
        st.caption(
            _("Demo accounts: {first} or {second}, password {password}.").format(
                first="`user1@gmail.com`", second="`user2@gmail.com`", password="`tototo`"
            )
        )
    pages.FORGOT_PASSWORD.link()
    pages.REGISTER.link(_("No account yet? Register"))

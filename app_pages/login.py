"""Log in with e-mail and password (streamlit-authenticator's widget)."""

import streamlit as st

from ui import pages
from ui.auth import demo_accounts_on, go_back_after_login, login_form
from ui.state import current_user

st.title("Welcome back")

if current_user() is not None:
    pages.SHOP.go()

left, _ = st.columns([1, 1])
with left:
    user = login_form()
    if user is not None:
        go_back_after_login()
    if demo_accounts_on():
        st.caption("Demo accounts: `user1@gmail.com` or `user2@gmail.com`, password `tototo`.")
    pages.REGISTER.link("No account yet? Register")

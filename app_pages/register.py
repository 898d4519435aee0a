"""Register: e-mail, display name, password twice."""

import streamlit as st

from core.accounts import AccountError, register_user
from ui import pages
from ui.auth import go_back_after_login, start_session
from ui.state import current_user, db_session

st.title("Create an account")

if current_user() is not None:
    pages.SHOP.go()

left, _ = st.columns([1, 1])
with left, st.form("register"):
    email = st.text_input("E-mail", max_chars=254, autocomplete="email")
    name = st.text_input("Display name", max_chars=50, help="Shown to buyers and sellers.")
    password = st.text_input(
        "Password", type="password", help="8 characters or more.", autocomplete="new-password"
    )
    repeat = st.text_input("Repeat the password", type="password", autocomplete="new-password")
    submitted = st.form_submit_button("Create my account", type="primary")

if submitted:
    try:
        with db_session() as session:
            user = register_user(session, email, name, password, repeat)
    except AccountError as exc:
        st.error(str(exc))
    else:
        start_session(user)
        go_back_after_login()

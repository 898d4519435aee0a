"""Register: e-mail, display name, password twice."""

import streamlit as st

from core.accounts.accounts import PASSWORD_MIN_CHARS, AccountError, register_user
from core.i18n import _
from ui import pages
from ui.auth import go_back_after_login, start_session
from ui.state import current_user, db_session

st.title(_("Create an account"))

if current_user() is not None:
    pages.SHOP.go()

left, _right = st.columns([1, 1])
with left, st.form("register"):
    email = st.text_input(_("E-mail"), max_chars=254, autocomplete="email")
    name = st.text_input(_("Display name"), max_chars=50, help=_("Shown to buyers and sellers."))
    password = st.text_input(
        _("Password"),
        type="password",
        help=_("{n} characters or more.").format(n=PASSWORD_MIN_CHARS),
        autocomplete="new-password",
    )
    repeat = st.text_input(_("Repeat the password"), type="password", autocomplete="new-password")
    submitted = st.form_submit_button(_("Create my account"), type="primary")

if submitted:
    try:
        with db_session() as session:
            user = register_user(session, email, name, password, repeat)
    except AccountError as exc:
        st.error(str(exc))
    else:
        start_session(user)
        go_back_after_login(user)

"""Profile: e-mail (read-only), display name, birthday, address, password change, log out."""

from datetime import date

import streamlit as st

from core.accounts.accounts import (
    PASSWORD_MIN_CHARS,
    AccountError,
    ProfileUpdate,
    change_password,
    update_profile,
)
from core.i18n import _
from ui import pages
from ui.auth import log_out, require_user, start_session
from ui.state import db_session
from ui.widgets import flash

user = require_user(pages.PROFILE)
st.title(_("My profile"))

flash("profile_saved")

left, right = st.columns([3, 2], gap="large")
with left, st.form("profile"):
    st.text_input(_("E-mail"), value=user.email, disabled=True)
    name = st.text_input(_("Display name"), value=user.display_name, max_chars=50)
    birthday = st.date_input(
        _("Birthday"),
        value=user.birthday,
        min_value=date(date.today().year - 120, 1, 1),
        max_value=date.today(),
        format="DD/MM/YYYY",
    )
    address = st.text_input(_("Address"), value=user.address or "", max_chars=200)
    col_postal, col_city = st.columns([1, 2])
    postal = col_postal.text_input(_("Postal code"), value=user.postal_code or "", max_chars=10)
    city = col_city.text_input(_("City"), value=user.city or "", max_chars=80)
    save = st.form_submit_button(_("Save"), type="primary")

if save:
    update = ProfileUpdate(name, birthday, address, postal, city)
    try:
        with db_session() as session:
            update_profile(session, user.id, update)
    except AccountError as exc:
        left.error(str(exc))
    else:
        st.session_state["profile_saved"] = _("Your profile is saved.")
        st.rerun()

with right:
    with st.form("password", clear_on_submit=True):
        st.subheader(_("Change my password"))
        current = st.text_input(_("Current password"), type="password")
        new = st.text_input(
            _("New password"),
            type="password",
            help=_("{n} characters or more.").format(n=PASSWORD_MIN_CHARS),
        )
        repeat = st.text_input(_("Repeat the new password"), type="password")
        change = st.form_submit_button(_("Change my password"))
    if change:
        try:
            with db_session() as session:
                change_password(session, user.id, current, new, repeat)  # ends every session
        except AccountError as exc:
            st.error(str(exc))
        else:
            start_session(user)  # this browser goes on, with a new session and cookie
            st.session_state["profile_saved"] = _(
                "Your password is changed. Every other browser where you were logged in is "
                "logged out."
            )
            st.rerun()

    st.divider()
    pages.SELL.link(_("Sell an item"))
    pages.MY_LISTINGS.link()  # on a phone the top navigation is in the side menu: in reach here
    pages.ORDERS.link(_("My orders"))
    if st.button(_("Log out"), icon=":material/logout:"):
        log_out()
        pages.SHOP.go()

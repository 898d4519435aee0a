"""Entry point: page config, the navigation, and the gate between logged-out and logged-in."""

import dataclasses
import logging

import streamlit as st

from core.accounts.roles import is_admin_row
from core.messaging.badges import Badges, badges
from ui import admission, header, layout, pages, script_events, warmup
from ui.auth import restore_session
from ui.i18n import choose_language, language_switch
from ui.state import db_session, start_up_problem

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _app_logging() -> None:
    """The app's own log lines (log-ins, log-outs, start-up problems) on the server's output,
    once per process: Streamlit configures only its own loggers, and Python would otherwise
    drop everything below WARNING."""
    for name in ("core", "ui", "demo"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False


_app_logging()
script_events.install()  # a run's messages handed to the event loop in batches (once)
# an emoji icon: the browser draws it itself (a :material/...: icon is fetched from Google)
st.set_page_config(page_title=pages.APP_NAME, page_icon="👕", layout="wide")
layout.apply()
if not admission.let_in():  # past MAX_SESSIONS open tabs: "busy", and a new try by itself
    admission.busy_page()
    st.stop()
with admission.run_slot():  # one run draws at a time (more while they are slow); the others wait
    if problem := start_up_problem():  # settings, database (created and seeded on first start)
        st.error(problem, icon=":material/error:")
        st.stop()
    user = restore_session()  # this tab's session, checked before the navigation is chosen
    choose_language(user)  # this session's, the account's, or the browser's

    counts = Badges()
    admin = False
    if user is not None:  # one statement of index reads per run: "Cart (2)", "Inbox (1)", the bell
        with db_session() as session:
            counts = badges(session, user.id)
        # the admin page exists for administrators only (the row was read with the session)
        admin = is_admin_row(user)
        if pages.requested_url_path() == pages.NOTIFICATIONS.url_path:  # marked read as shown
            counts = dataclasses.replace(counts, notifications=0)

    logged_in = user is not None
    page = st.navigation(
        pages.navigation(
            logged_in, counts=counts, requested=pages.requested_url_path(), admin=admin
        ),
        position="top",
    )
    pages.quick_links(logged_in, counts=counts)  # shown on narrow screens only
    with st.container(
        horizontal=True, horizontal_alignment="right", vertical_alignment="center", key="top_row"
    ):
        if logged_in:
            header.header(counts.messages, counts.notifications)  # the bell; refreshes by itself
        language_switch()
    screen = pages.BY_URL_PATH.get(page.url_path)  # None: the "Page not found" page
    # one keyed container per screen: a new screen replaces the old one's elements whole, so
    # that a switch (after a log-in) never shows both screens' elements for a moment
    try:
        with st.container(key=layout.screen_key(screen)):
            page.run()
    finally:  # the page drawn, the AI loads in the background (once per process): no run waits
        warmup.start()

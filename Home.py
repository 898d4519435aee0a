"""Entry point: page config, the navigation, and the gate between logged-out and logged-in."""

import logging

import streamlit as st

from ui import pages
from ui.auth import restore_session
from ui.state import current_user, start_up_problem

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
st.set_page_config(page_title="Seconde Main", page_icon=":material/checkroom:", layout="wide")
if problem := start_up_problem():  # settings, database (created and seeded on first start)
    st.error(problem, icon=":material/error:")
    st.stop()
restore_session()  # this tab's session, checked before the navigation is chosen
# the cookie manager's zero-height iframes would otherwise leave gaps above each page
st.html(
    """<style>
    div[data-testid="stElementContainer"]:has(iframe[title*="cookie_manager"]) {display: none;}
    </style>"""
)

st.navigation(pages.navigation(logged_in=current_user() is not None), position="top").run()

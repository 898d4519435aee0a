"""Cached singletons (settings, engine) and the session's user."""

from __future__ import annotations

import runpy

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.runtime.pages_manager import PagesManager

from core.config import ROOT, Settings, load_settings
from core.db import make_engine
from core.models import User
from core.seed import init_database

USER_ID_KEY = "user_id"


@st.cache_resource(show_spinner=False)
def get_settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner="Preparing the database...")
def get_engine() -> Engine:
    """The app's engine; the schema is created and the demo data seeded on first start."""
    engine = make_engine(get_settings().database_url)
    init_database(engine)
    return engine


def db_session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


def _run_entrypoint_first() -> None:
    """Make sure Home.py (the gate and the navigation) runs before any page.

    Streamlit treats an app with a ``pages/`` folder as an old-style multipage app until
    ``st.navigation`` has run once in the process (and AppTest resets that at every run),
    so a deep link (``/profile``) would run that page alone. Then run Home.py here, in this
    same run (a rerun would drop the click that started it): it picks this page again
    through ``st.navigation``, and this copy of the page stops.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        runpy.run_path(str(ROOT / "Home.py"), run_name="__main__")
        st.stop()


def entrypoint_runs() -> None:
    """Called first by Home.py: this run goes through the gate and st.navigation."""
    PagesManager.uses_pages_directory = False


def current_user() -> User | None:
    """The logged-in user of this browser session, or None. Every page calls this first."""
    _run_entrypoint_first()
    user_id = st.session_state.get(USER_ID_KEY)
    if user_id is None:
        return None
    with db_session() as session:
        user = session.get(User, user_id)
    if user is None:  # the account was removed (e.g. a reset): forget it
        st.session_state.pop(USER_ID_KEY, None)
    return user

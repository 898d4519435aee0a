"""Cached singletons (settings, engine) and the session's user."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.config import Settings, load_settings
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


def current_user() -> User | None:
    """The logged-in user of this browser session, or None."""
    user_id = st.session_state.get(USER_ID_KEY)
    if user_id is None:
        return None
    with db_session() as session:
        user = session.get(User, user_id)
    if user is None:  # the account was removed (e.g. a reset): forget it
        st.session_state.pop(USER_ID_KEY, None)
    return user

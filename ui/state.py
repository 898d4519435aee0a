"""Cached singletons (settings, engine) and the session's user."""

from __future__ import annotations

import logging

import streamlit as st
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from core.config import ConfigError, Settings, load_settings
from core.db import OutdatedSchemaError, check_schema, create_schema, make_engine
from core.models import User
from demo.seed import seed_demo_data

USER_ID_KEY = "user_id"
TOKEN_KEY = "_session_token"
_USER_KEY = "_current_user"


@st.cache_resource(show_spinner=False)
def get_settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner="Preparing the database...")
def get_engine() -> Engine:
    """The app's engine; the schema is created (and the demo data seeded if on) on first start."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    create_schema(engine)
    check_schema(engine)
    if settings.demo_data:
        seed_demo_data(engine)
    return engine


def start_up_problem() -> str | None:
    """Why the app cannot start (a setting, an unreachable or unwritable database), in a
    sentence for the page, or None. Tried again on every run until it works."""
    try:
        settings = get_settings()
    except ConfigError as exc:
        return f"The app is not configured right: {exc}"
    try:
        get_engine()
    except OutdatedSchemaError as exc:
        return str(exc)
    except (SQLAlchemyError, OSError, ImportError) as exc:  # ImportError: no psycopg
        logging.getLogger(__name__).exception("cannot open the database")
        try:
            where = make_url(settings.database_url).render_as_string(hide_password=True)
        except SQLAlchemyError:
            where = "DATABASE_URL is not a database address"
        reason = (
            "its driver is not installed (pip install -r requirements-postgres.txt)"
            if isinstance(exc, ImportError)
            else type(exc).__name__
        )
        return (
            f"The app cannot open its database ({where}): {reason}. "
            "Check DATABASE_URL, or that DATA_DIR can be written."
        )
    return None


def db_session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


def set_current_user(user: User | None) -> None:
    """Record the user of this run (``ui.auth.restore_session`` checks it first each run)."""
    st.session_state[_USER_KEY] = user
    if user is None:
        st.session_state.pop(USER_ID_KEY, None)
    else:
        st.session_state[USER_ID_KEY] = user.id


def current_user() -> User | None:
    """The logged-in user of this browser tab, as checked at the start of this run, or None."""
    return st.session_state.get(_USER_KEY)

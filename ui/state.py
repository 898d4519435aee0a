"""Cached singletons (settings, engine) and the session's user."""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from core.config import ConfigError, Settings, load_settings
from core.db import make_engine
from core.i18n import _
from core.models.accounts import User
from core.schema import SchemaError, upgrade_schema
from demo.markers import demo_accounts_exist

USER_ID_KEY = "user_id"
TOKEN_KEY = "_session_token"
_USER_KEY = "_current_user"
_LOADED: set[Hashable] = set()  # the cached resources this process has loaded once


@contextmanager
def first_load(what: Hashable, message: str) -> Iterator[None]:
    """A spinner saying ``message`` while this process loads ``what`` (a cached resource)
    for the first time: st.cache_resource's own spinner text is fixed at import, in one
    language, and a spinner on every call would add an element to the page each time."""
    if what in _LOADED:
        yield
        return
    with st.spinner(message):
        yield
    _LOADED.add(what)


@st.cache_resource(show_spinner=False)
def get_settings() -> Settings:
    return load_settings()


def app_url() -> str:
    """The app's address for links sent out (reset e-mails): APP_URL when set, else the
    address this browser shows (which the browser reports: set APP_URL on a public site)."""
    configured = get_settings().app_url
    if configured:
        return configured
    from ui.pages import BY_URL_PATH

    url = (st.context.url or "http://localhost:8501").rstrip("/")
    root, _slash, last = url.rpartition("/")
    # the browser's address names this page (/forgot_password): the app's is before it
    return root if last in BY_URL_PATH and "//" in root else url


def get_engine() -> Engine:
    """The app's engine; on first start the schema is created or upgraded to this version's
    (core.schema), and the demo data seeded if on."""
    with first_load("engine", _("Preparing the database...")):
        return _engine()


@st.cache_resource(show_spinner=False)
def _engine() -> Engine:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    prepare_database(engine, settings)
    return engine


def prepare_database(engine: Engine, settings: Settings) -> None:
    """The schema brought to this version's (core.schema), and the demo data seeded if on
    and not yet there (the seeding's code, drawings and photos, is imported only then):
    the first run's start-up, or ui.serve's head start. Needs no script run."""
    change = upgrade_schema(engine)
    if change.before is not None and change.changed:
        logging.getLogger(__name__).warning(
            "database schema upgraded from %s to %s",
            change.before or "before migrations",
            change.after,
        )
    if settings.demo_data:
        with Session(engine) as session:
            seeded = demo_accounts_exist(session)
        if not seeded:
            from demo.seed import seed_demo_data

            seed_demo_data(engine)


def start_up_problem() -> str | None:
    """Why the app cannot start (a setting, an unreachable or unwritable database), in a
    sentence for the page, or None. Tried again on every run until it works."""
    try:
        settings = get_settings()
    except ConfigError as exc:
        return _("The app is not configured right: {problem}").format(problem=exc)
    try:
        get_engine()
    except SchemaError as exc:
        return str(exc)
    except (SQLAlchemyError, OSError, ImportError) as exc:  # ImportError: no psycopg
        logging.getLogger(__name__).exception("cannot open the database")
        try:
            where = make_url(settings.database_url).render_as_string(hide_password=True)
        except SQLAlchemyError:
            return _(
                "The app cannot open its database: DATABASE_URL is not a database address. "
                "Check DATABASE_URL."
            )
        if isinstance(exc, ImportError):
            return _(
                "The app cannot open its database ({where}): its driver is not installed "
                "(pip install -r requirements-postgres.txt). Check DATABASE_URL, or that "
                "DATA_DIR can be written."
            ).format(where=where)
        return _(
            "The app cannot open its database ({where}): {reason}. Check DATABASE_URL, or "
            "that DATA_DIR can be written."
        ).format(where=where, reason=type(exc).__name__)
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

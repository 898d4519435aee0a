"""How much one server process takes at once: a few script runs drawing at a time, and a
number of open tabs past which a new visitor sees a short "busy, retrying" page.

Runs: Streamlit runs each session's script in its own thread, and every element a run
draws is handed to the server's event loop with a system call that lets go of Python's
lock (the GIL). With 30 runs drawing together, each one waits for the lock again after
every element: under load that wait was the server's largest cost (``_write_to_self``,
30 % of its time, ``bench/capacity.py --profile``), and throughput fell as tabs were added.
``RUNS_AT_ONCE`` runs draw at a time (Home.py's whole run); the others wait their turn on a
lock, which costs nothing while waiting, in the order they came.

Sessions: past ``MAX_SESSIONS`` open tabs on this process, a new tab is not let in: it
draws a few words instead of the app and asks again every few seconds (a fragment), so a
crowd gets an answer at once, not a page that hangs, and those already in keep their speed.
A tab let in stays in for as long as it is open.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.config import DEFAULT_MAX_SESSIONS, DEFAULT_RUNS_AT_ONCE, ConfigError
from core.i18n import _
from ui.state import get_settings

_log = logging.getLogger(__name__)
RETRY_SECONDS = 5
_ADMITTED_KEY = "_admitted"
_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None
_admitted: set[str] = set()  # the sessions let in, while they are open


def _limits() -> tuple[int, int]:
    """RUNS_AT_ONCE and MAX_SESSIONS; the defaults while the settings are wrong (the page
    then says what is wrong: Home.py's start-up check)."""
    try:
        settings = get_settings()
    except ConfigError:
        return DEFAULT_RUNS_AT_ONCE, DEFAULT_MAX_SESSIONS
    return settings.runs_at_once, settings.max_sessions


def _run_slots() -> threading.BoundedSemaphore:
    global _slots
    with _lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(_limits()[0])
        return _slots


_runs = [0, 0]  # script runs of this process: drawing now, drawn (ui.serve's head start)


@contextmanager
def run_slot() -> Iterator[None]:
    """Hold one of the process's RUNS_AT_ONCE slots for a script run."""
    slots = _run_slots()
    slots.acquire()
    _runs[0] += 1
    try:
        yield
    finally:
        _runs[0] -= 1
        _runs[1] += 1
        slots.release()


def runs_so_far() -> tuple[int, int]:
    """(script runs drawing a page now, script runs drawn) in this process."""
    return _runs[0], _runs[1]


def _open_sessions() -> set[str] | None:
    """The ids of the sessions with an open tab on this process; None outside a server
    (AppTest), where nothing is limited."""
    try:
        from streamlit.runtime import Runtime

        manager = Runtime.instance()._session_mgr  # no public API lists the open sessions
        return {info.session.id for info in manager.list_active_sessions()}
    except Exception:  # no runtime (AppTest), or Streamlit changed: never lock anyone out
        return None


def let_in() -> bool:
    """Whether this tab may use the app now: it was let in before, or there is room."""
    if st.session_state.get(_ADMITTED_KEY):
        return True
    ctx = get_script_run_ctx()
    open_now = _open_sessions()
    if ctx is None or open_now is None:
        return True
    with _lock:
        _admitted.intersection_update(open_now)  # closed tabs make room
        if ctx.session_id not in _admitted and len(_admitted) >= _limits()[1]:
            return False
        _admitted.add(ctx.session_id)
    st.session_state[_ADMITTED_KEY] = True
    return True


def busy_page() -> None:
    """What a tab that is not let in sees: a few words, and a new try every few seconds."""
    st.title(_("Busy right now"), anchor=False)
    st.info(
        _(
            "Many people are here at once. This page tries again by itself every {n} seconds "
            "and opens the shop as soon as there is room: no need to reload."
        ).format(n=RETRY_SECONDS),
        icon=":material/hourglass_top:",
    )
    _log.info("a new tab waits: %s tabs are open on this server", _limits()[1])
    _retry()


@st.fragment(run_every=RETRY_SECONDS)
def _retry() -> None:
    if let_in():
        st.rerun(scope="app")

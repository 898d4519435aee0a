"""How much one server process takes at once: a few script runs drawing at a time, and a
number of open tabs past which a new visitor sees a short "busy, retrying" page.

Runs: Streamlit runs each session's script in its own thread, and every element a run
draws is handed to the server's event loop with a system call that lets go of Python's
lock (the GIL). With 30 runs drawing together, each one waits for the lock again after
every element: under load that wait was the server's largest cost (``_write_to_self``,
30 % of its time, ``bench/capacity.py --profile``), and throughput fell as tabs were added.
So one run draws at a time (Home.py's whole run); the others wait their turn, which costs
nothing while waiting. A run that takes longer than ``SLOW_RUN_S`` is waiting on something
other than Python (the AI on a photo, a database lock, a mail server): then the next run
starts beside it, and so on up to ``RUNS_AT_ONCE`` runs, so that one slow page never holds
up everyone else's.

Sessions: past ``MAX_SESSIONS`` open tabs on this process, a new tab is not let in: it
draws a few words instead of the app and asks again every few seconds (a fragment), so a
crowd gets an answer at once, not a page that hangs, and those already in keep their speed.
A tab let in stays in for as long as it is open.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.config import DEFAULT_MAX_SESSIONS, DEFAULT_RUNS_AT_ONCE, ConfigError
from core.i18n import _
from ui.state import get_settings

_log = logging.getLogger(__name__)
RETRY_SECONDS = 5
_ADMITTED_KEY = "_admitted"
# a run past this has stopped drawing to wait (the next may start beside it); a page's run
# takes 15-50 ms of CPU, about twice that under load
SLOW_RUN_S = 0.25
STOP_CHECK_S = 0.2  # how often a waiting run checks whether it was called off
_lock = threading.Lock()
_gate: RunGate | None = None
_admitted: set[str] = set()  # the sessions let in, while they are open


def _limits() -> tuple[int, int]:
    """RUNS_AT_ONCE and MAX_SESSIONS; the defaults while the settings are wrong (the page
    then says what is wrong: Home.py's start-up check)."""
    try:
        settings = get_settings()
    except ConfigError:
        return DEFAULT_RUNS_AT_ONCE, DEFAULT_MAX_SESSIONS
    return settings.runs_at_once, settings.max_sessions


class RunGate:
    """One run at a time; when every run drawing has taken longer than ``slow_s``, the next
    one starts beside them, up to ``most`` at once. Runs go in the order they asked: the
    first waiting is woken by a run's end, or times its own wait until the youngest run
    drawing becomes slow; the others sleep until they are first (no one overtakes)."""

    def __init__(self, most: int, slow_s: float = SLOW_RUN_S) -> None:
        self.most, self.slow_s = most, slow_s
        self._lock = threading.Lock()
        self._started: dict[int, float] = {}  # the runs drawing: token -> when they began
        self._waiting: collections.deque[threading.Event] = collections.deque()
        self._tokens = 0
        self._ended = 0

    def _wait_s(self, now: float) -> float | None:
        """0 if a run may start now, else how long until one may (None: until a run ends)."""
        if len(self._started) >= self.most:
            return None
        youngest = max(self._started.values(), default=None)
        return 0.0 if youngest is None else max(0.0, youngest + self.slow_s - now)

    def _start(self, now: float) -> int:
        self._tokens += 1
        self._started[self._tokens] = now
        if self._waiting:  # the next in line times its own wait from this start
            self._waiting[0].set()
        return self._tokens

    def enter(self, stopped: Callable[[], bool] | None = None) -> int | None:
        """Wait for this run's turn: its token; None if ``stopped()`` said, while it waited,
        that the run was called off (a click that asked for another one): it leaves the
        line at once instead of taking a turn."""
        me = threading.Event()
        timeout: float | None = None
        with self._lock:
            now = time.monotonic()
            if not self._waiting and self._wait_s(now) == 0.0:
                return self._start(now)
            self._waiting.append(me)
            if self._waiting[0] is me:  # first in line: wake when the run drawing is slow
                timeout = self._wait_s(now)
        while True:
            if stopped is not None:
                timeout = STOP_CHECK_S if timeout is None else min(timeout, STOP_CHECK_S)
            me.wait(timeout)
            with self._lock:
                now = time.monotonic()
                me.clear()
                if stopped is not None and stopped():
                    first = self._waiting[0] is me
                    self._waiting.remove(me)
                    if first and self._waiting:
                        self._waiting[0].set()
                    return None
                timeout = None  # not first: asleep until the one before goes in
                if self._waiting[0] is me:
                    timeout = self._wait_s(now)
                    if timeout == 0.0:
                        self._waiting.popleft()
                        return self._start(now)

    def leave(self, token: int) -> None:
        with self._lock:
            del self._started[token]
            self._ended += 1
            if self._waiting:
                self._waiting[0].set()

    def counts(self) -> tuple[int, int]:
        """(runs drawing now, runs that have drawn)."""
        with self._lock:
            return len(self._started), self._ended


def _run_gate() -> RunGate:
    global _gate
    with _lock:
        if _gate is None:
            _gate = RunGate(_limits()[0])
        return _gate


def _called_off() -> bool:
    """Whether this script run was asked to stop (another click asked for a new run):
    Streamlit's own request state, read without taking it (it acts on it at the run's
    next element); False if a version names it otherwise."""
    requests = getattr(get_script_run_ctx(), "script_requests", None)
    state = getattr(getattr(requests, "_state", None), "name", None)
    return state in ("STOP", "RERUN")


@contextmanager
def run_slot() -> Iterator[None]:
    """A script run's turn to draw (see the module's docstring): the whole of Home.py's run.
    A run called off while it waited takes no turn: it goes on without one, and Streamlit
    stops it at its first element."""
    gate = _run_gate()
    token = gate.enter(_called_off)
    if token is None:
        yield
        return
    try:
        yield
    finally:
        gate.leave(token)


def runs_so_far() -> tuple[int, int]:
    """(script runs drawing a page now, script runs drawn) in this process (ui.serve's head
    start waits for the first)."""
    gate = _gate
    return (0, 0) if gate is None else gate.counts()


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

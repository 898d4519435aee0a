"""A script run's messages handed to the event loop in batches, not one wake-up each.

Streamlit's script thread hands every message of a run (each element, each widget) to the
server's event loop with its own ``call_soon_threadsafe``: a write to the loop's wake-up
socket, then a loop iteration (``select``, one callback) that needs Python's lock, which the
script thread holds. Under load that hand-over, once per element, was the largest single
cost on the server after the elements themselves (``bench/capacity.py --profile``).

``install()`` replaces ``AppSession._on_scriptrunner_event`` (what the script thread
calls) with one that appends the event to the session's own queue and wakes the loop only
when no wake-up is pending; the loop then handles every queued event, in order, with
Streamlit's own ``_handle_scriptrunner_event_on_event_loop``, exactly as before. Nothing
else changes: the same events, the same order, the same thread for each step.

``install()`` also sets Python's switch interval to ``SWITCH_INTERVAL_S`` (20 ms instead of
5): the event loop's thread then takes the lock from a drawing run at most every 20 ms, so
a run draws in longer stretches and the loop handles bigger batches. Side by side at 30 and
60 tabs: 46-47 and 44 pages/s against 40-42 and 40 with 5 ms (bench/capacity.py --also).

It is a patch of a private method: it checks the method's parameters first, and leaves
Streamlit as it is (logged) when they are not the ones it was written for."""

from __future__ import annotations

import collections
import inspect
import logging
import sys
import threading

_log = logging.getLogger(__name__)

# AppSession._on_scriptrunner_event's parameters in Streamlit 1.50-1.67
PARAMETERS = (
    "self", "sender", "event", "forward_msg", "exception", "client_state",
    "page_script_hash", "fragment_ids_this_run", "pages", "run_descriptor",
)  # fmt: skip
SWITCH_INTERVAL_S = 0.02
_installed = False
_refused = False  # the check failed (said once): Streamlit left as it is
_originals: list = []  # Streamlit's own method, kept alive (see install())
_install_lock = threading.Lock()


class _Batch:
    """One session's events waiting for the event loop, and whether a wake-up is pending."""

    __slots__ = ("events", "lock", "scheduled")

    def __init__(self) -> None:
        self.events: collections.deque[tuple] = collections.deque()
        self.lock = threading.Lock()
        self.scheduled = False


def _batch(session) -> _Batch:
    batch = session.__dict__.get("_seconde_batch")
    if batch is None:
        with _install_lock:
            batch = session.__dict__.setdefault("_seconde_batch", _Batch())
    return batch


def _on_scriptrunner_event(self, sender, event, *args, **kwargs) -> None:
    """Called on the script thread: queue the event; wake the loop once per batch."""
    batch = _batch(self)
    with batch.lock:
        batch.events.append((sender, event, args, kwargs))
        if batch.scheduled:
            return
        batch.scheduled = True
    self._call_soon_on_event_loop(lambda: _handle_batch(self, batch))


def _handle_batch(session, batch: _Batch) -> None:
    """On the event loop: the events queued when it began, in order, as Streamlit handles
    each one; events queued meanwhile get a new turn of the loop, so that a run drawing on
    never holds the loop from the other tabs' messages."""
    handle = session._handle_scriptrunner_event_on_event_loop
    with batch.lock:
        count = len(batch.events)
    try:
        for _ in range(count):
            with batch.lock:
                sender, event, args, kwargs = batch.events.popleft()
            try:
                handle(sender, event, *args, **kwargs)
            except Exception:  # as an exception in one callback: the next events still go
                _log.exception("handling a script event failed")
    finally:
        with batch.lock:
            more = bool(batch.events)
            batch.scheduled = more
    if more:
        session._call_soon_on_event_loop(lambda: _handle_batch(session, batch))


def install() -> bool:
    """Batch the hand-over in this process (once); False if Streamlit's method is not the
    one this was written for (then nothing is changed)."""
    global _installed, _refused
    if _installed or _refused:  # Home.py calls this on every run: decided once
        return _installed
    with _install_lock:
        if _installed or _refused:
            return _installed
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        from streamlit.runtime.app_session import AppSession

        original = AppSession._on_scriptrunner_event
        names = tuple(inspect.signature(original).parameters)
        handler = getattr(AppSession, "_handle_scriptrunner_event_on_event_loop", None)
        caller = getattr(AppSession, "_call_soon_on_event_loop", None)
        if names != PARAMETERS or handler is None or caller is None:
            _log.warning("Streamlit's script events changed: handed over one by one")
            _refused = True
            return False
        # Streamlit's signal holds its receivers weakly (a WeakMethod: a weak reference to
        # the function too): a script runner connected before this (the first run under
        # `streamlit run Home.py`, which installs it) would lose its receiver, and that
        # run's page would never be sent, if the original function were let go
        _originals.append(original)
        AppSession._on_scriptrunner_event = _on_scriptrunner_event
        _installed = True
        return True

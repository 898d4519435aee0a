"""A run's events reach the event loop in order, in batches, none lost (ui/script_events.py).
The end-to-end check, a real server's runs arriving whole and in order, is in
tests/test_app_server.py."""

import asyncio
import sys
import threading

from streamlit.runtime.app_session import AppSession

from ui import script_events


class Session:
    """What the batching uses of an AppSession: its loop hand-over and its handler (the
    same two methods, with Streamlit's names), on a real event loop in another thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.handled: list[tuple] = []
        self.wakeups = 0

    def _call_soon_on_event_loop(self, callback) -> None:
        self.wakeups += 1
        self.loop.call_soon_threadsafe(callback)

    def _handle_scriptrunner_event_on_event_loop(self, sender, event, *args, **kwargs) -> None:
        assert threading.current_thread() is not threading.main_thread()  # on the loop
        if event == "boom":
            raise RuntimeError("a handler failed")
        self.handled.append((event, args, kwargs))


def test_streamlit_is_patched_once():
    assert script_events.install() and script_events.install()
    assert AppSession._on_scriptrunner_event is script_events._on_scriptrunner_event
    assert sys.getswitchinterval() == script_events.SWITCH_INTERVAL_S


def test_events_arrive_in_order_in_few_wakeups_and_none_lost():
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        session = Session(loop)
        busy = threading.Event()
        # the loop busy for a moment, as when it sends another tab's page: events queue up
        loop.call_soon_threadsafe(busy.wait, 1.0)
        for n in range(200):
            event = "boom" if n == 50 else n
            script_events._on_scriptrunner_event(session, None, event, forward_msg=n)
        busy.set()
        done = threading.Event()

        def check() -> None:
            if len(session.handled) < 199:
                loop.call_soon(check)
            else:
                done.set()

        loop.call_soon_threadsafe(check)
        assert done.wait(5)
        assert [event for event, _args, _kw in session.handled] == [
            n for n in range(200) if n != 50
        ]  # in order; the failed one logged, the ones after it still handled
        assert session.handled[0][2] == {"forward_msg": 0}
        assert session.wakeups == 1  # one wake-up for the whole batch, not 200
        script_events._on_scriptrunner_event(session, None, "later")
        done.clear()
        loop.call_soon_threadsafe(lambda: done.set())
        assert done.wait(5)
        assert session.wakeups == 2 and session.handled[-1][0] == "later"  # a new batch
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()

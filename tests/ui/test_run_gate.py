"""One script run draws at a time; a slow one lets the next start beside it, up to a cap
(ui.admission.RunGate, the turn every Home.py run takes)."""

import threading
import time

from tests.concurrency import at_once
from ui.admission import RunGate

SLOW = 0.05  # the tests' "slow run", in seconds


def _runs(gate: RunGate, lengths: list[float]) -> list[tuple[float, float]]:
    """Each run's (start, end) when ``len(lengths)`` runs ask for their turn at once."""

    def run(length: float) -> tuple[float, float]:
        token = gate.enter()
        start = time.monotonic()
        time.sleep(length)
        end = time.monotonic()
        gate.leave(token)
        return start, end

    return at_once(run, lengths)


def _most_at_once(spans: list[tuple[float, float]]) -> int:
    moments = sorted([(s, 1) for s, _e in spans] + [(e, -1) for _s, e in spans])
    most = now = 0
    for _t, step in moments:
        now += step
        most = max(most, now)
    return most


def test_quick_runs_draw_one_at_a_time():
    spans = _runs(RunGate(4, slow_s=30), [0.005] * 12)  # none slow, however busy the machine
    assert _most_at_once(spans) == 1


def test_a_run_called_off_while_waiting_leaves_the_line():
    gate = RunGate(4, slow_s=30)
    drawing = gate.enter()
    called_off = threading.Event()
    result: list = []
    waiter = threading.Thread(target=lambda: result.append(gate.enter(called_off.is_set)))
    waiter.start()
    time.sleep(0.05)
    after: list = []
    behind = threading.Thread(target=lambda: after.append(gate.enter()))
    behind.start()
    called_off.set()  # a new click asked for another run
    waiter.join(2)
    assert result == [None]  # no turn taken
    gate.leave(drawing)
    behind.join(2)
    assert after and after[0] is not None  # the one behind it went in
    gate.leave(after[0])
    assert gate.counts() == (0, 2)  # the called-off run never drew


def test_a_slow_run_lets_the_next_start_beside_it_up_to_the_cap():
    gate = RunGate(3, SLOW)
    spans = _runs(gate, [0.6, 0.6, 0.6, 0.6])
    assert _most_at_once(spans) == 3  # never more than the cap
    starts = sorted(s for s, _e in spans)
    # each of the first three started once the ones before it had been drawing SLOW
    assert SLOW * 0.9 <= starts[1] - starts[0] < 0.3
    assert SLOW * 0.9 <= starts[2] - starts[1] < 0.3
    assert starts[3] - starts[0] >= 0.55  # the fourth waited for a run to end
    assert gate.counts() == (0, 4)


def test_runs_go_in_the_order_they_asked():
    gate = RunGate(4, SLOW)
    order: list[int] = []
    first = gate.enter()
    waiting = []
    for n in range(5):  # five runs ask, one after the other, while one draws

        def run(n=n) -> None:
            token = gate.enter()
            order.append(n)
            gate.leave(token)

        waiting.append(threading.Thread(target=run))
        waiting[-1].start()
        time.sleep(0.005)  # asked in this order
    gate.leave(first)
    for thread in waiting:
        thread.join(5)
    assert order == [0, 1, 2, 3, 4]

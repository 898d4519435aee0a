"""Running the same work in several threads released at the same moment (replicas starting
together, parallel requests), and a coroutine in a thread of its own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def at_once(work: Callable[[T], R], inputs: Sequence[T]) -> list[R]:
    """``work(x)`` for every input, each in its own thread, all started together behind a
    barrier; the results in the inputs' order, or the first exception a thread raised."""
    barrier = threading.Barrier(len(inputs))

    def run(value: T) -> R:
        barrier.wait()
        return work(value)

    with ThreadPoolExecutor(len(inputs)) as pool:
        return list(pool.map(run, inputs))


def run_async(coroutine: Coroutine[object, object, R]) -> R:
    """The coroutine run to its end in a thread of its own, with its own event loop: an
    earlier test on this worker (Playwright's sync API) may have left one in this thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()

"""The crowd of bench/capacity.py: simulated browser tabs (tools/streamlit_tab.py) looping over
the shop's pages at a level of concurrency, and what one server's memory holds per idle tab."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tools.streamlit_tab import Run, Tab, TabError

SEARCH_WORDS = ("robe", "jean", "shirt", "veste", "dress", "pull", "blue", "coton")


@dataclass
class Shop:
    """What the tabs need to know of the database: items on sale, their sellers, cookies."""

    items: list[tuple[int, int]]  # (item id, seller id)
    cookies: list[dict[str, str]] = field(default_factory=list)  # logged-in tabs' cookies


def is_logged_in(shop: Shop | None, n: int) -> bool:
    """Whether tab ``n`` is logged in: every other one, on the app (not the bare page)."""
    return shop is not None and n % 2 == 1


def tab_cookies(shop: Shop | None, n: int) -> dict[str, str]:
    """Tab ``n``'s cookies: a demo account's re-login cookie if it is logged in."""
    return dict(shop.cookies[n]) if shop is not None and is_logged_in(shop, n) else {}


async def open_shop_and_item(tab: Tab, shop: Shop | None, n: int) -> None:
    """The shop, then (on the app) an item, as tab ``n`` opens them."""
    await tab.open("", "")
    if shop is not None:
        await tab.open("item", f"item={shop.items[n % len(shop.items)][0]}")


def rss_mb(pids: list[int]) -> float:
    """The resident memory of processes, from /proc (MB)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    measuring: bool = False


async def _step(tab: Tab, step: tuple, tally: Tally, search_id: list) -> Run:
    kind, arg = step
    if kind == "search":
        widgets = {search_id[0]: arg} if search_id[0] else None
        return await tab.rerun(path="", query="", widgets=widgets)
    if kind == "rerun":
        return await tab.rerun(widgets={search_id[0]: arg} if arg and search_id[0] else None)
    path, query = arg
    return await tab.open(path, query)


def app_steps(shop: Shop, n: int, logged_in: bool) -> Iterator[tuple]:
    """A tab's loop: shop, a search, an item, its seller (and the inbox and cart)."""
    words = itertools.cycle(SEARCH_WORDS[n % len(SEARCH_WORDS) :] + SEARCH_WORDS)
    items = itertools.cycle(shop.items[n % len(shop.items) :] + shop.items)
    while True:
        item, seller = next(items)
        yield ("open", ("", ""))
        yield ("search", next(words))
        yield ("open", ("item", f"item={item}"))
        yield ("open", ("seller", f"id={seller}"))
        if logged_in:
            yield ("open", ("inbox", ""))
            yield ("open", ("cart", ""))


def bare_steps(n: int) -> Iterator[tuple]:
    """The floor's loop: the page, a search typed, the page again, twice."""
    words = itertools.cycle(SEARCH_WORDS[n % len(SEARCH_WORDS) :] + SEARCH_WORDS)
    while True:
        yield ("rerun", None)
        yield ("rerun", next(words))
        yield ("rerun", None)
        yield ("rerun", "")


def _check(run: Run, tally: Tally, what: str) -> None:
    if tally.measuring and (run.exceptions or run.page_not_found):
        tally.errors.append(f"{what}: {run.exceptions or 'page not found'}")


async def tab_loop(base: str, n: int, shop: Shop | None, ready, go, stop, tally: Tally) -> None:
    cookies = tab_cookies(shop, n)
    steps = app_steps(shop, n, is_logged_in(shop, n)) if shop is not None else bare_steps(n)
    search_id: list = [None]
    try:
        async with Tab(base, cookies) as tab:
            first = await tab.open("", "")
            search_id[0] = first.widget_id("text_input", "Search")
            ready()
            await go.wait()
            while not stop.is_set():
                step = next(steps)
                run = await _step(tab, step, tally, search_id)
                if run.widget_id("text_input", "Search"):
                    search_id[0] = run.widget_id("text_input", "Search")
                _check(run, tally, str(step))
                if tally.measuring and not stop.is_set():
                    tally.latencies.append(run.seconds)
    except (TabError, OSError) as exc:
        tally.errors.append(f"tab {n}: {exc}")
        ready()


def cpu_seconds(pids: list[int]) -> float:
    """CPU time the processes used so far (user + system, from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def machine_busy_seconds() -> float:
    """CPU time all the machine's cores spent not idle so far (from /proc/stat)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


async def run_level(
    base: str, tabs: int, seconds: float, shop: Shop | None, pids: list[int] = ()
) -> dict:
    """``tabs`` tabs at once for ``seconds``: pages/s, p50, p95, errors, and the cores the
    servers (``pids``), the tabs and the whole machine kept busy meanwhile."""
    tally = Tally()
    opened = 0
    all_open = asyncio.Event()
    go, stop = asyncio.Event(), asyncio.Event()

    def ready() -> None:
        nonlocal opened
        opened += 1
        if opened == tabs:
            all_open.set()

    tasks = []
    for n in range(tabs):  # a crowd arrives over a moment, not in one instant
        tasks.append(asyncio.create_task(tab_loop(base, n, shop, ready, go, stop, tally)))
        await asyncio.sleep(0.02)
    await asyncio.wait_for(all_open.wait(), timeout=300)
    tally.measuring = True
    go.set()
    began, cpu = time.perf_counter(), time.process_time()
    servers, machine = cpu_seconds(pids), machine_busy_seconds()
    await asyncio.sleep(seconds)
    stop.set()
    elapsed = time.perf_counter() - began
    generator_cores = (time.process_time() - cpu) / elapsed
    server_cores = (cpu_seconds(pids) - servers) / elapsed
    machine_cores = (machine_busy_seconds() - machine) / elapsed
    tally.measuring = False
    await asyncio.wait(tasks, timeout=120)
    row = summary(tabs, tally.latencies, elapsed, tally.errors, generator_cores)
    row["server_cores"] = round(server_cores, 2)
    row["machine_busy_cores"] = round(machine_cores, 2)
    return row


def summary(tabs, latencies, elapsed, errors, generator_cores) -> dict:
    lat = sorted(latencies)
    return {
        "tabs": tabs,
        "pages_per_s": round(len(lat) / elapsed, 2),
        "p50_ms": round(statistics.median(lat) * 1000) if lat else None,
        "p95_ms": round(lat[int(0.95 * (len(lat) - 1))] * 1000) if lat else None,
        "pages": len(lat),
        "errors": len(errors),
        "first_errors": errors[:3],
        "load_generator_cores": round(generator_cores, 2),  # what the tabs took of the CPUs
        "seconds": round(elapsed, 1),
        "_latencies": lat,
    }


async def steady_rss(pids: list[int], still_s: float = 2.0, limit_s: float = 20.0) -> float:
    """The processes' RSS once it has not grown for ``still_s``: after a start, ``python -m
    ui.serve`` imports every page's modules in the background (its head start), which
    would otherwise count as the first tabs' memory."""
    start = last_change = time.monotonic()
    last = rss_mb(pids)
    while time.monotonic() - start < limit_s and time.monotonic() - last_change < still_s:
        await asyncio.sleep(0.25)
        now = rss_mb(pids)
        if now > last + 0.5:
            last, last_change = now, time.monotonic()
    return rss_mb(pids)


async def idle_tabs_memory(base: str, pids: list[int], count: int, shop: Shop | None) -> dict:
    """The server's RSS before and after ``count`` tabs each opened the shop and an item,
    then stayed open: each idle tab's share."""
    for n in range(2):  # the process's caches and modules, once: what the tabs below open
        async with Tab(base, tab_cookies(shop, n)) as warm:
            for _ in range(3):
                await open_shop_and_item(warm, shop, n)
    before = await steady_rss(pids)
    tabs = []
    for n in range(count):
        tab = Tab(base, tab_cookies(shop, n))
        await tab.connect()
        await open_shop_and_item(tab, shop, n)
        tabs.append(tab)
    await asyncio.sleep(2)
    after = rss_mb(pids)
    for tab in tabs:
        await tab.close()
    return {
        "rss_before_mb": round(before, 1),
        "rss_with_tabs_mb": round(after, 1),
        "idle_tabs": count,
        "mb_per_idle_tab": round((after - before) / count, 2),
    }


@contextlib.contextmanager
def profiling(pid: int, path: Path | None, seconds: float, gil: bool = False) -> Iterator[None]:
    """py-spy on ``pid`` for ``seconds``; ``gil``: only the thread holding Python's lock (the
    server's CPU, without the time its threads wait for that lock)."""
    if path is None:
        yield
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    proc = subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--format", "raw", "--output", str(path),
         "--duration", str(int(seconds)), "--rate", "200", "--nonblocking",
         *(["--gil"] if gil else [])],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield
    finally:
        proc.wait(timeout=seconds + 60)


def top_frames(path: Path, count: int = 40) -> list[tuple[str, float]]:
    """The frames in most samples (inclusive), as a share of all samples."""
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _sep, samples = line.rpartition(" ")
        n = int(samples)
        total += n
        for frame in set(stack.split(";")):
            inclusive[frame] = inclusive.get(frame, 0) + n
    ranked = sorted(inclusive.items(), key=lambda kv: -kv[1])[:count]
    return [(frame, round(n / max(total, 1), 3)) for frame, n in ranked]

"""Capacity: a crowd of browser tabs at once, against one server, Streamlit's own floor, and
several servers behind nginx.

    python bench/capacity.py [--levels 1,10,30,60] [--seconds 20] [--idle-tabs 30]
                             [--servers N --database-url postgresql://...] [--profile FILE]

Each simulated tab speaks Streamlit's websocket protocol as a browser tab does
(``tools/streamlit_tab.py``: ``/_stcore/stream``, ``BackMsg.rerun_script`` with the query
string, widget states and the page's script hash, the ``ForwardMsg`` protobufs read back
until the run finishes, each ``/media/`` file fetched once). Half the tabs are logged out and
loop over the shop, a search typed in the search box, an item and its seller's page; the
other half are logged in (a re-login cookie for a demo account, made through
``core.accounts.sessions``) and add the inbox and the cart. Each tab asks for its next page
as soon as the last one is drawn (no think time): at each level of concurrent tabs the
server is as busy as that many tabs can make it.

Measured per level, over ``--seconds`` after every tab has opened its first page: pages
drawn per second, the p50 and p95 of a page's time (from the request to the run's end,
media included), and errors (a traceback in a page, a page not found, a dropped tab). The
same levels run against ``bench/bare_page.py`` (a title, a search box, 24 text cards:
Streamlit's floor on this machine), and the ratios app / floor are printed side by side.
Then memory: the server's RSS with ``--idle-tabs`` tabs left open on the shop and an item
(each tab's share), measured on a fresh server before the load.

The app runs as ``make run`` starts it (``python -m ui.serve``), without the AI model
(``MODEL_DIR`` empty: keyword search), on a fresh SQLite copy of the demo data (with its
activity), or on ``--database-url`` (emptied and seeded). ``--servers N`` (PostgreSQL
required) also runs the app as N processes behind nginx (``tools/servers.py``) and gives the
scaling against one process. ``--profile FILE`` records the app server with py-spy during
the 30-tab level (collapsed stacks: ``--profile-top`` prints the heaviest frames).

The last line is one JSON object; ``goals_met``: saturated throughput at least 0.6x the
bare page's; p95 at 30 tabs at most 2x the bare page's; under 5 MB per idle open tab; no
errors; with ``--servers``, N processes at least 1.7x one process (for N = 2).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.streamlit_tab import Run, Tab, TabError  # noqa: E402

LEVELS = (1, 10, 30, 60)
SEARCH_WORDS = ("robe", "jean", "shirt", "veste", "dress", "pull", "blue", "coton")
GOAL_THROUGHPUT_RATIO = 0.6
GOAL_P95_RATIO = 2.0
GOAL_IDLE_TAB_MB = 5.0
GOAL_SCALING = 1.7
SERVER_ARGS = [
    "--server.headless", "true", "--browser.gatherUsageStats", "false",
    "--server.fileWatcherType", "none",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pids: list[int]) -> float:
    """The resident memory of processes, from /proc (MB)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


# --- the marketplace the tabs browse ------------------------------------------------------


@dataclass
class Shop:
    """What the tabs need to know of the database: items on sale, their sellers, cookies."""

    items: list[tuple[int, int]]  # (item id, seller id)
    cookies: list[dict[str, str]] = field(default_factory=list)  # logged-in tabs' cookies


def seed(database_url: str) -> None:
    """The demo data with its activity, on an empty database (the schema upgraded first)."""
    from sqlalchemy import MetaData

    from core.db import make_engine
    from demo.seed import create_demo_database

    engine = make_engine(database_url)
    if not database_url.startswith("sqlite"):
        meta = MetaData()
        meta.reflect(engine)
        with engine.begin() as conn:
            for table in reversed(meta.sorted_tables):
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table.name}" CASCADE')
    create_demo_database(engine, activity=True)
    if database_url.startswith("sqlite"):
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def shop_of(database_url: str, tabs: int) -> Shop:
    """The items on sale, and a re-login cookie (a live session) per logged-in tab."""
    from sqlmodel import Session, select

    from core.accounts import sessions
    from core.config import load_settings
    from core.db import make_engine
    from core.models.accounts import User
    from core.models.catalogue import Item, ItemStatus

    settings = load_settings({"DATABASE_URL": database_url})
    engine = make_engine(database_url)
    with Session(engine) as session:
        items = [
            (item.id, item.seller_id)
            for item in session.exec(
                select(Item).where(Item.status == ItemStatus.AVAILABLE.value).order_by(Item.id)
            )
        ]
        demo = ["user1@gmail.com", "user2@gmail.com"]
        users = [session.exec(select(User).where(User.email == e)).one().id for e in demo]
        secret = sessions.cookie_secret(session, settings.cookie_secret)
        cookies = []
        for n in range(tabs):
            token = sessions.start_session(session, users[n % 2])
            cookies.append({settings.cookie_name: sessions.encode_cookie(token, secret)})
    engine.dispose()
    return Shop(items, cookies)


# --- servers --------------------------------------------------------------------------------


@contextlib.contextmanager
def one_server(script: list[str], env: dict[str, str], log: Path) -> Iterator[tuple[str, list]]:
    """A Streamlit server on a free port: (its address, [its pid])."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, *script, "--server.port", str(port), *SERVER_ARGS],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_healthy(base, proc, log)
            yield base, [proc.pid]
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_healthy(base: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{base}/_stcore/health", timeout=2).text == "ok":
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)


@contextlib.contextmanager
def app_servers(n: int, env: dict[str, str], work: Path) -> Iterator[tuple[str, list]]:
    """N app processes behind nginx (tools/servers.py): (nginx's address, the app's pids)."""
    from tools.servers import running_servers

    with running_servers(n, env=env, work_dir=work / f"servers-{n}") as cluster:
        yield cluster.url, cluster.app_pids


# --- the tabs -------------------------------------------------------------------------------


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
        yield ("open", ("", f"item={item}"))
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
    logged_in = shop is not None and n % 2 == 1
    cookies = dict(shop.cookies[n]) if logged_in else {}
    steps = app_steps(shop, n, logged_in) if shop is not None else bare_steps(n)
    search_id: list = [None]
    try:
        async with Tab(base, cookies) as tab:
            with contextlib.suppress(Exception):
                cookies.update(await _route_cookie(tab))
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


async def _route_cookie(tab: Tab) -> dict[str, str]:
    """nginx's routing cookie, read from the first page's answer (as a browser keeps it)."""
    return {}


async def run_level(base: str, tabs: int, seconds: float, shop: Shop | None) -> dict:
    """``tabs`` tabs at once for ``seconds``: pages/s, p50, p95, errors."""
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
    began = time.perf_counter()
    await asyncio.sleep(seconds)
    stop.set()
    elapsed = time.perf_counter() - began
    tally.measuring = False
    await asyncio.wait(tasks, timeout=120)
    lat = sorted(tally.latencies)
    return {
        "tabs": tabs,
        "pages_per_s": round(len(lat) / elapsed, 2),
        "p50_ms": round(statistics.median(lat) * 1000) if lat else None,
        "p95_ms": round(lat[int(0.95 * (len(lat) - 1))] * 1000) if lat else None,
        "pages": len(lat),
        "errors": len(tally.errors),
        "first_errors": tally.errors[:3],
    }


async def idle_tabs_memory(base: str, pids: list[int], count: int, shop: Shop | None) -> dict:
    """The server's RSS before and after ``count`` tabs each opened the shop and an item,
    then stayed open: each idle tab's share."""
    async with Tab(base) as warm:  # the process's caches, once
        for _ in range(3):
            await warm.open("", "")
    await asyncio.sleep(1)
    before = rss_mb(pids)
    tabs = []
    for n in range(count):
        logged_in = shop is not None and n % 2 == 1
        tab = Tab(base, dict(shop.cookies[n]) if logged_in else {})
        await tab.connect()
        await tab.open("", "")
        if shop is not None:
            await tab.open("", f"item={shop.items[n % len(shop.items)][0]}")
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
def profiling(pid: int, path: Path | None, seconds: float) -> Iterator[None]:
    if path is None:
        yield
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    proc = subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--format", "raw", "--output", str(path),
         "--duration", str(int(seconds)), "--rate", "200", "--nonblocking"],
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


# --- the run ----------------------------------------------------------------------------------


def measure(base, pids, levels, seconds, shop, idle, profile=None) -> dict:
    figures: dict = {}
    if idle:
        figures["memory"] = asyncio.run(idle_tabs_memory(base, pids, idle, shop))
        print(f"  memory: {figures['memory']}", flush=True)
    figures["levels"] = []
    for tabs in levels:
        with profiling(pids[0], profile if tabs == 30 else None, seconds + 2):
            row = asyncio.run(run_level(base, tabs, seconds, shop))
        print(f"  {row}", flush=True)
        figures["levels"].append(row)
    return figures


def saturated(figures: dict) -> float:
    return max(row["pages_per_s"] for row in figures["levels"])


def at(figures: dict, tabs: int, key: str):
    return next((row[key] for row in figures["levels"] if row["tabs"] == tabs), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)))
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--idle-tabs", type=int, default=30)
    parser.add_argument("--database-url", help="PostgreSQL (emptied and seeded); SQLite if not")
    parser.add_argument("--servers", type=int, default=0, help="also N processes behind nginx")
    parser.add_argument("--profile", type=Path, help="py-spy's collapsed stacks at 30 tabs")
    parser.add_argument("--profile-top", type=int, default=0)
    parser.add_argument("--skip-bare", action="store_true")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]
    most = max([*levels, args.idle_tabs])
    if args.servers and not (args.database_url or "").startswith("postgresql"):
        parser.error("--servers needs --database-url postgresql://... (one database for all)")

    work = Path(tempfile.mkdtemp(prefix="capacity-"))
    try:
        url = args.database_url or f"sqlite:///{work / 'marketplace.db'}"
        seed(url)
        shop = shop_of(url, most)
        env = dict(
            os.environ, DATABASE_URL=url, DATA_DIR=str(work), MODEL_DIR=str(work / "no-model"),
            DEMO_DATA="true", AI_WARMUP="off",
        )  # fmt: skip
        result: dict = {"machine_cpus": os.cpu_count(), "database": url.split(":")[0]}
        print(f"app (python -m ui.serve, {result['database']}):", flush=True)
        with one_server(["-m", "ui.serve"], env, work / "app.log") as (base, pids):
            result["app"] = measure(base, pids, levels, args.seconds, shop, args.idle_tabs,
                                    args.profile)  # fmt: skip
        if not args.skip_bare:
            print("bare page (bench/bare_page.py):", flush=True)
            bare_cmd = ["-m", "streamlit", "run", "bench/bare_page.py"]
            with one_server(bare_cmd, env, work / "bare.log") as (base, pids):
                result["bare"] = measure(base, pids, levels, args.seconds, None, args.idle_tabs)
        if args.servers:
            print(f"app, {args.servers} processes behind nginx:", flush=True)
            with app_servers(args.servers, env, work) as (base, pids):
                result["servers"] = measure(base, pids, levels, args.seconds, shop, 0)
                result["servers"]["processes"] = args.servers
        if args.profile and args.profile_top:
            for frame, share in top_frames(args.profile, args.profile_top):
                print(f"  {share:6.1%}  {frame}")
        report(result, levels)
        print(json.dumps(result))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(result: dict, levels: list[int]) -> None:
    app, bare = result["app"], result.get("bare")
    print()
    print("| tabs | app pages/s | app p50 / p95 ms | bare pages/s | bare p50 / p95 ms |"
          + (" N servers pages/s | N p50 / p95 ms |" if "servers" in result else ""))  # fmt: skip
    for tabs in levels:
        line = (f"| {tabs} | {at(app, tabs, 'pages_per_s')} | {at(app, tabs, 'p50_ms')} / "
                f"{at(app, tabs, 'p95_ms')} |")  # fmt: skip
        if bare:
            line += (f" {at(bare, tabs, 'pages_per_s')} | {at(bare, tabs, 'p50_ms')} / "
                     f"{at(bare, tabs, 'p95_ms')} |")  # fmt: skip
        if "servers" in result:
            srv = result["servers"]
            line += (f" {at(srv, tabs, 'pages_per_s')} | {at(srv, tabs, 'p50_ms')} / "
                     f"{at(srv, tabs, 'p95_ms')} |")  # fmt: skip
        print(line)
    goals: dict = {}
    errors = sum(row["errors"] for row in app["levels"])
    if bare:
        result["throughput_ratio"] = round(saturated(app) / saturated(bare), 2)
        p95_app, p95_bare = at(app, 30, "p95_ms"), at(bare, 30, "p95_ms")
        if p95_app and p95_bare:
            result["p95_ratio_at_30"] = round(p95_app / p95_bare, 2)
            goals["p95_at_30_within_2x_bare"] = result["p95_ratio_at_30"] <= GOAL_P95_RATIO
        goals["throughput_at_least_0.6x_bare"] = result["throughput_ratio"] >= GOAL_THROUGHPUT_RATIO
    if "memory" in app:
        goals["idle_tab_under_5_mb"] = app["memory"]["mb_per_idle_tab"] < GOAL_IDLE_TAB_MB
    if "servers" in result:
        result["scaling"] = round(saturated(result["servers"]) / saturated(app), 2)
        errors += sum(row["errors"] for row in result["servers"]["levels"])
        goals[f"{result['servers']['processes']}_servers_at_least_1.7x_one"] = (
            result["scaling"] >= GOAL_SCALING
        )
    goals["no_errors"] = errors == 0
    result["goals_met"] = goals
    print(
        f"ratios: {json.dumps({k: v for k, v in result.items() if 'ratio' in k or k == 'scaling'})}"
    )


if __name__ == "__main__":
    raise SystemExit(main())

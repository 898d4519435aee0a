"""Capacity: a crowd of browser tabs at once, against one server, Streamlit's own floor, and
several servers behind nginx.

    python bench/capacity.py [--levels 1,10,30,60] [--seconds 15] [--rounds 2]
        [--idle-tabs 30] [--servers N --database-url postgresql://...] [--baseline DIR]
        [--also RUNS_AT_ONCE=8]
        [--profile FILE [--profile-at 30] [--profile-top 40] [--profile-gil]]

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
media included), errors (a traceback in a page, a page not found, a dropped tab), and the
CPUs used by the server, by the tabs and by the whole machine. The same levels run against
``bench/bare_page.py`` (a title, a search box, 24 text cards: Streamlit's floor on this
machine): every server is started first, then they take turns at each level, ``--rounds``
times each, so that the machine's other work falls on all alike; the ratios app / floor
are printed. Memory first: each server's RSS with ``--idle-tabs`` tabs left open on the
shop and an item (each tab's share), on the fresh servers.

The app runs as ``make run`` starts it (``python -m ui.serve``), without the AI model
(``MODEL_DIR`` empty: keyword search), on a fresh SQLite copy of the demo data (with its
activity), or on ``--database-url`` (emptied and seeded). ``--servers N`` (PostgreSQL
required) also runs the app as N processes behind nginx (``tools/servers.py``) and gives the
scaling against one process. ``--baseline DIR`` adds the app of another checkout (``git
archive main | tar -x -C DIR``: before and after in one run; with ``--servers``, its N
processes too, and their scaling), ``--also KEY=VALUE`` the app
with another setting. ``--profile FILE`` records the app server with py-spy (collapsed
stacks) during its first turn at ``--profile-at`` tabs; ``--profile-top`` prints the
frames in most samples.

The last line is one JSON object; ``goals_met``: saturated throughput at least 0.6x the
bare page's; p95 at 30 tabs at most 2x the bare page's; under 5 MB per idle open tab; no
errors; with ``--servers``, N processes at least 1.7x one process (for N = 2).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from crowd import Shop, idle_tabs_memory, profiling, run_level, summary, top_frames

from tools.servers import free_port, wait_healthy

ROOT = Path(__file__).resolve().parent.parent

LEVELS = (1, 10, 30, 60)
GOAL_THROUGHPUT_RATIO = 0.6
GOAL_P95_RATIO = 2.0
GOAL_IDLE_TAB_MB = 5.0
GOAL_SCALING = 1.7
SERVER_ARGS = [
    "--server.headless", "true", "--browser.gatherUsageStats", "false",
    "--server.fileWatcherType", "none",
]  # fmt: skip


# --- the marketplace the tabs browse ------------------------------------------------------


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
def one_server(
    script: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT
) -> Iterator[tuple[str, list]]:
    """A Streamlit server on a free port, run from ``cwd``: (its address, [its pid])."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, *script, "--server.port", str(port), *SERVER_ARGS],
            cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
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


@contextlib.contextmanager
def app_servers(
    n: int, env: dict[str, str], work: Path, app_dir: Path = ROOT
) -> Iterator[tuple[str, list]]:
    """N app processes behind nginx (tools/servers.py): (nginx's address, the app's pids)."""
    from tools.servers import running_servers

    with running_servers(n, env=env, work_dir=work, app_dir=app_dir) as cluster:
        yield cluster.url, cluster.app_pids


# --- the run ----------------------------------------------------------------------------------


def measure(
    targets: dict, levels, seconds, rounds, idle, profile=None, profile_at=30, profile_gil=False
) -> dict:
    """Every target at every level, the targets taking turns (``rounds`` times each) so that
    the machine's other work falls on all of them alike; memory first, on fresh servers."""
    figures: dict = {name: {"levels": []} for name in targets}
    for name, (base, pids, shop) in targets.items():
        if idle and "servers" not in name:
            figures[name]["memory"] = asyncio.run(idle_tabs_memory(base, pids, idle, shop))
            print(f"  {name} memory: {figures[name]['memory']}", flush=True)
    for tabs in levels:
        runs: dict = {name: [] for name in targets}
        for turn in range(rounds):
            for name, (base, pids, shop) in targets.items():
                spy = profile if (tabs == profile_at and turn == 0 and name == "app") else None
                with profiling(pids[0], spy, seconds + 2, gil=profile_gil):
                    runs[name].append(asyncio.run(run_level(base, tabs, seconds, shop, pids)))
        for name, rows in runs.items():
            row = summary(
                tabs,
                [x for r in rows for x in r["_latencies"]],
                sum(r["seconds"] for r in rows),
                [e for r in rows for e in r["first_errors"]],
                statistics.mean(r["load_generator_cores"] for r in rows),
            )
            row["errors"] = sum(r["errors"] for r in rows)
            for key in ("server_cores", "machine_busy_cores"):
                row[key] = round(statistics.mean(r[key] for r in rows), 2)
            row["pages_per_s_each_round"] = [r["pages_per_s"] for r in rows]
            row.pop("_latencies")
            print(f"  {name}: {row}", flush=True)
            figures[name]["levels"].append(row)
    return figures


def saturated(figures: dict) -> float:
    return max(row["pages_per_s"] for row in figures["levels"])


def at(figures: dict, tabs: int, key: str):
    return next((row[key] for row in figures["levels"] if row["tabs"] == tabs), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)))
    parser.add_argument("--seconds", type=float, default=15.0, help="per level and round")
    parser.add_argument("--rounds", type=int, default=2, help="turns each target takes a level")
    parser.add_argument("--idle-tabs", type=int, default=30)
    parser.add_argument("--database-url", help="PostgreSQL (emptied and seeded); SQLite if not")
    parser.add_argument("--servers", type=int, default=0, help="also N processes behind nginx")
    parser.add_argument("--profile", type=Path, help="py-spy's collapsed stacks at 30 tabs")
    parser.add_argument("--profile-at", type=int, default=30, help="tabs of the profiled level")
    parser.add_argument("--profile-top", type=int, default=0)
    parser.add_argument(
        "--profile-gil", action="store_true", help="sample only the thread holding the GIL"
    )
    parser.add_argument("--skip-bare", action="store_true")
    parser.add_argument(
        "--baseline", type=Path, metavar="DIR",
        help="also the app of another checkout (git archive main | tar -x -C DIR), side by side",
    )  # fmt: skip
    parser.add_argument(
        "--also", action="append", default=[], metavar="KEY=VALUE",
        help="also the app with this setting, side by side (RUNS_AT_ONCE=8); repeatable",
    )  # fmt: skip
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
        with contextlib.ExitStack() as stack:
            targets = {}
            base, pids = stack.enter_context(one_server(["-m", "ui.serve"], env, work / "app.log"))
            targets["app"] = (base, pids, shop)
            # the same database, the other checkout's code
            baseline = args.baseline.resolve() if args.baseline else None
            baseline_env = {**env, "PYTHONPATH": str(baseline)}
            if baseline:
                log = work / "baseline.log"
                base, pids = stack.enter_context(
                    one_server(["-m", "ui.serve"], baseline_env, log, cwd=baseline)
                )
                targets["baseline"] = (base, pids, shop)
            for n, setting in enumerate(args.also):
                key, _eq, value = setting.partition("=")
                log = work / f"app-{n}.log"
                other = {**env, key: value}
                base, pids = stack.enter_context(one_server(["-m", "ui.serve"], other, log))
                targets[f"app {setting}"] = (base, pids, shop)
            if not args.skip_bare:
                bare_cmd = ["-m", "streamlit", "run", "bench/bare_page.py"]
                base, pids = stack.enter_context(one_server(bare_cmd, env, work / "bare.log"))
                targets["bare"] = (base, pids, None)
            if args.servers:
                cluster = app_servers(args.servers, env, work / "servers")
                base, pids = stack.enter_context(cluster)
                targets["servers"] = (base, pids, shop)
                if baseline:
                    cluster = app_servers(
                        args.servers, baseline_env, work / "baseline-servers", baseline
                    )
                    base, pids = stack.enter_context(cluster)
                    targets["baseline servers"] = (base, pids, shop)
            result.update(
                measure(
                    targets,
                    levels,
                    args.seconds,
                    args.rounds,
                    args.idle_tabs,
                    args.profile,
                    args.profile_at,
                    args.profile_gil,
                )
            )
        for name in ("servers", "baseline servers"):
            if name in result:
                result[name]["processes"] = args.servers
        if args.profile and args.profile_top:
            for frame, share in top_frames(args.profile, args.profile_top):
                print(f"  {share:6.1%}  {frame}")
        report(result, levels)
        print(json.dumps(result))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(result: dict, levels: list[int]) -> None:
    """The table (pages/s and p50 / p95 ms per target and level), the ratios, the goals."""
    app, bare = result["app"], result.get("bare")
    names = [n for n in result if isinstance(result[n], dict) and "levels" in result[n]]
    print()
    print("| tabs | " + " | ".join(f"{n} pages/s | {n} p50 / p95 ms" for n in names) + " |")
    for tabs in levels:
        cells = [
            f"{at(result[n], tabs, 'pages_per_s')} | {at(result[n], tabs, 'p50_ms')} / "
            f"{at(result[n], tabs, 'p95_ms')}"
            for n in names
        ]
        print(f"| {tabs} | " + " | ".join(cells) + " |")
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
    if "baseline servers" in result and "baseline" in result:  # before and after, for a note
        result["baseline_scaling"] = round(
            saturated(result["baseline servers"]) / saturated(result["baseline"]), 2
        )
    if "servers" in result:
        result["scaling"] = round(saturated(result["servers"]) / saturated(app), 2)
        errors += sum(row["errors"] for row in result["servers"]["levels"])
        goals[f"{result['servers']['processes']}_servers_at_least_1.7x_one"] = (
            result["scaling"] >= GOAL_SCALING
        )
    goals["no_errors"] = errors == 0
    result["goals_met"] = goals
    print(
        f"ratios: {json.dumps({k: v for k, v in result.items() if 'ratio' in k or 'scaling' in k})}"
    )


if __name__ == "__main__":
    raise SystemExit(main())

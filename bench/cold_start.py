"""Cold start: the first visitor after a restart. Side by side in one run: the app started as
``make run`` starts it (``python -m ui.serve``: the core modules and the database's start-up
done while the server starts, the AI loaded in the background after the first page), as
``streamlit run Home.py`` starts it (Streamlit Community Cloud: no head start, the AI in the
background), with ``AI_WARMUP=off`` (the first page that needs the AI loads it in its own
run), without any model (what the first page costs that the AI does not), and a bare
Streamlit page of 24 text cards (``bench/bare_page.py``: what Streamlit itself costs).

    python bench/cold_start.py [--model-dir DIR] [--runs 2] [--timeout 180]

Each run starts the real app (on a free port) on a fresh copy of
an SQLite database seeded beforehand (the demo data, every listing embedded by the model:
neither seeding nor embedding is counted), with ``MODEL_DIR`` a real-size CLIP ViT-B/32
(random weights cost the same: ``python -m tools.model export --untrained``, made once
into DIR, by default under the temp folder, and kept for the next runs). Headless Chromium
(Playwright, Debian's /usr/bin/chromium, launched before the clock starts) opens the shop
as soon as the server answers ``/_stcore/health``. Measured from the process's start:
- ``server_up_s``: ``/_stcore/health`` answers;
- ``first_shop_page_s``: the shop's first page shows its cards;
- ``visitor_waits_s``: from the visitor's request to those cards (the request is made once the
  server answers, or 3 s later in the ``+3s`` columns);
- ``ai_ready_s``: the search box offers search by description (an AI-only element),
  without a reload: with the warm-up the page's fragment reruns it once the AI is ready;
- ``load_s``: how long the load itself took, from the server's log line
  ("the AI is ready (loaded in ...)"): checksums, towers, prompts, text encoder, index.
Also whether the first page said "The AI is warming up…". Figures are the median over
``--runs`` runs of each mode (interleaved). The last line is one JSON object with
``goals_met``: the first shop page under 3 s from the process's start with ``make run``; a
visitor coming 3 s after the start waiting under 3 s, and no longer than with plain
``streamlit run``; no slower than without any model (within 0.5 s: the warm-up takes nothing
from it); the warm-up shown, then the AI appearing by itself (no reload); the AI ready no
later than without the warm-up. ``stretch_goals_met``, apart: the first shop page within 1 s
of the bare page's (Streamlit's own floor).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tools.chromium import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "cold-start-bench"
# a card: in the grid's shadow root (ui/card_grid.js), or a keyed container before it
CARDS = '[data-testid="stMain"] article.card, [data-testid="stMain"] [class*="st-key-card_"]'
AI_SEARCH_BOX = 'input[placeholder^="Describe it"]'  # the search box once the AI is loaded
WARMING = "The AI is warming up"
GOAL_FIRST_PAGE_S = 3.0
GOAL_FLOOR_SLACK_S = 0.5
GOAL_BARE_SLACK_S = 1.0  # the app's first page against Streamlit's floor on the same machine
GOAL_AI_SLACK_S = 1.0
# column -> how the server starts (make run: ui.serve; or plain streamlit run, as Streamlit
# Community Cloud starts it), AI_WARMUP, and whether the model is there
MODES = {
    "make run": ("serve", "background", True),
    "streamlit run": ("streamlit", "background", True),
    "AI off": ("serve", "off", True),
    "no model": ("serve", "off", False),
    "bare page": ("bare", "off", False),  # Streamlit's own floor: bench/bare_page.py
    # the first visitor coming 3 s after the server answers (people rarely wait at the door)
    "make run +3s": ("serve", "background", True),
    "streamlit run +3s": ("streamlit", "background", True),
}
VISITOR_LATER_S = 3.0
COMMANDS = {
    "serve": ["-m", "ui.serve"],
    "streamlit": ["-m", "streamlit", "run", "Home.py"],
    "bare": ["-m", "streamlit", "run", "bench/bare_page.py"],
}


def ensure_model(model_dir: Path) -> None:
    """A real-size model in ``model_dir``: exported once, checked (sha256) every run."""
    from core.ai.errors import ModelError
    from core.ai.model_dir import check_model

    try:
        check_model(model_dir)
        return
    except ModelError as exc:
        print(f"{exc} Exporting an untrained ViT-B/32 into {model_dir} (a minute or so)...")
    shutil.rmtree(model_dir, ignore_errors=True)
    command = [sys.executable, "-m", "tools.model", "export", "--untrained"]
    subprocess.run([*command, "--model-dir", str(model_dir)], cwd=ROOT, check=True)


def seeded_database(path: Path, model_dir: Path) -> None:
    """The demo data, and every listing's embedding of the model (as after the app's
    background job): what a restarted shop has."""
    from core.catalogue.embeddings import index_with_model
    from core.db import make_engine
    from demo.seed import create_demo_database

    engine = make_engine(f"sqlite:///{path}")
    create_demo_database(engine)
    index_with_model(engine, model_dir)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def one_start(browser, mode: str, template: Path, model_dir: Path, timeout: float) -> dict:
    """Start the app in ``mode`` (a key of MODES) on a copy of ``template``; the figures of
    its first visit."""
    launcher, warmup, with_model = MODES[mode]
    work = Path(tempfile.mkdtemp(prefix="cold-start-"))
    data_dir = work / "data"
    data_dir.mkdir()
    shutil.copy(template, data_dir / "marketplace.db")
    env = dict(
        os.environ,
        DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir / 'marketplace.db'}",
        MODEL_DIR=str(model_dir if with_model else work / "no-model"),
        AI_WARMUP=warmup,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = work / "server.log"
    figures: dict = {"mode": mode}
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    with log_path.open("w") as log:
        began = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, *COMMANDS[launcher], "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            while True:
                try:
                    if requests.get(f"{base}/_stcore/health", timeout=1).text == "ok":
                        break
                except requests.ConnectionError:
                    pass
                if server.poll() is not None or time.perf_counter() - began > timeout:
                    raise RuntimeError(f"the app did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.02)
            figures["server_up_s"] = time.perf_counter() - began
            if mode.endswith("+3s"):
                time.sleep(VISITOR_LATER_S)
            requested = time.perf_counter()
            page.goto(base)
            page.locator(CARDS).first.wait_for(timeout=timeout * 1000)
            figures["first_shop_page_s"] = time.perf_counter() - began
            figures["visitor_waits_s"] = time.perf_counter() - requested
            figures["warming_up_shown"] = page.get_by_text(WARMING).count() > 0
            figures["cards"] = page.locator(CARDS).count()
            figures["ai_ready_s"] = None
            try:  # no reload: the page must show the AI by itself
                if with_model:
                    page.locator(AI_SEARCH_BOX).wait_for(state="attached", timeout=timeout * 1000)
                    figures["ai_ready_s"] = time.perf_counter() - began
            except Exception:  # playwright's TimeoutError: never appeared
                pass
            loaded = re.search(r"the AI is ready \(loaded in ([\d.]+) s\)", log_path.read_text())
            figures["load_s"] = float(loaded.group(1)) if loaded else None
        finally:
            context.close()
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            shutil.rmtree(work, ignore_errors=True)
    return figures


def median(values: list) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known), 2) if len(known) == len(values) and known else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_CACHE / "model")
    parser.add_argument("--runs", type=int, default=2, help="starts of each mode")
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    ensure_model(args.model_dir)
    template_dir = Path(tempfile.mkdtemp(prefix="cold-start-db-"))
    template = template_dir / "seeded.db"
    print("seeding the demo data and embedding its listings (not counted)...", flush=True)
    seeded_database(template, args.model_dir)
    runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for run in range(args.runs):
                for mode in MODES:
                    figures = one_start(browser, mode, template, args.model_dir, args.timeout)
                    runs[mode].append(figures)
                    print(f"run {run + 1} {json.dumps(figures, default=str)}", flush=True)
            browser.close()
    finally:
        shutil.rmtree(template_dir, ignore_errors=True)

    keys = ("server_up_s", "first_shop_page_s", "visitor_waits_s", "ai_ready_s", "load_s")
    summary = {mode: {k: median([r[k] for r in runs[mode]]) for k in keys} for mode in MODES}
    for mode in MODES:
        summary[mode]["warming_up_shown"] = all(r["warming_up_shown"] for r in runs[mode])
    print(f"\n{'seconds from the process start':34}" + "".join(f"{m:>18}" for m in MODES))
    labels = {
        "server_up_s": "server answers /_stcore/health",
        "first_shop_page_s": "first shop page shows its cards",
        "visitor_waits_s": "  of which the visitor waits",
        "ai_ready_s": "AI ready (search by description)",
        "load_s": "the load itself (server's log)",
    }
    for key, label in labels.items():
        print(f"{label:34}" + "".join(f"{summary[m][key] or '-'!s:>18}" for m in MODES))
    on, _plain, off, floor, bare, later, plain_later = (summary[mode] for mode in MODES)
    first, ai = on["first_shop_page_s"], on["ai_ready_s"]
    goals = {
        "first_shop_page_under_3s": first is not None and first < GOAL_FIRST_PAGE_S,
        "a_visitor_3s_later_waits_under_3s": later["visitor_waits_s"] is not None
        and later["visitor_waits_s"] < GOAL_FIRST_PAGE_S,
        "head_start_helps_a_later_visitor": later["visitor_waits_s"] is not None
        and plain_later["visitor_waits_s"] is not None
        and later["visitor_waits_s"] <= plain_later["visitor_waits_s"],
        "first_shop_page_as_fast_as_without_a_model": first is not None
        and floor["first_shop_page_s"] is not None
        and first <= floor["first_shop_page_s"] + GOAL_FLOOR_SLACK_S,
        "warming_up_shown_then_ai_without_reload": on["warming_up_shown"] and ai is not None,
        "ai_ready_no_later_than_without_warmup": ai is not None
        and off["ai_ready_s"] is not None
        and ai <= off["ai_ready_s"] + GOAL_AI_SLACK_S,
    }
    # not issue 19's goal, which is the 3 s: how near Streamlit's own floor the app comes
    stretch = {
        "first_shop_page_within_1s_of_a_bare_page": first is not None
        and bare["first_shop_page_s"] is not None
        and first <= bare["first_shop_page_s"] + GOAL_BARE_SLACK_S,
    }
    figures = {"runs": args.runs, "cpus": os.cpu_count(), **summary}
    print(json.dumps({**figures, "goals_met": goals, "stretch_goals_met": stretch}))


if __name__ == "__main__":
    main()

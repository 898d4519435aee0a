"""``python -m ui.serve [streamlit options]``: the app's server (``streamlit run Home.py``)
with the first page's work done while the server starts, not on the first visitor's request.

Streamlit runs nothing of an app before a browser opens it, so the first visitor after a
restart would wait for the app's imports (SQLAlchemy, SQLModel's tables, ONNX Runtime, the
core modules: about a second) and the database's start-up (schema check, demo data). Here a
thread does that work as soon as Streamlit's server runs: the core modules, then the schema
(``core.schema.upgrade_schema``) and the demo data. The first page then finds them done. The
AI still loads after that first page (``ui/warmup.py``). ``make run`` starts the app this
way; ``streamlit run Home.py`` (Streamlit Community Cloud) works as well, without the head
start.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import logging
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTRY = ROOT / "Home.py"
_log = logging.getLogger(__name__)


def page_modules() -> list[str]:
    """The modules of ``core`` that Home.py, the pages and ui/ import (read from their
    source), and the names they import from them (some are modules too).

    Only ``core``: it never draws (tests/test_layout.py), while a module of ``ui`` may declare
    a Streamlit component at import, which registers only inside a script run; imported
    here first, it would stay unregistered and never show."""
    names: dict[str, None] = {}
    sources = (
        ENTRY,
        *sorted((ROOT / "app_pages").glob("*.py")),
        *sorted((ROOT / "ui").rglob("*.py")),
    )
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # "from ui import pages": ui.pages may be a module too
                found = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            else:
                continue
            names.update(dict.fromkeys(n for n in found if n.split(".")[0] == "core"))
    return list(names)


# Libraries the pages import that declare no Streamlit component (those must be imported in a
# script run): the charts' Altair (a third of a second, for the item page's price history and
# the insights) and the emoji table that st.set_page_config's emoji icon looks up.
LIBRARIES = ("altair", "streamlit.emojis")


def _server_started(timeout: float = 60.0) -> None:
    """Wait until Streamlit's runtime runs: the work below holds Python's lock most of the
    time, and done during the server's own start it would only delay it."""
    from streamlit.runtime import Runtime, RuntimeState

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Runtime.exists() and Runtime.instance().state != RuntimeState.INITIAL:
            return
        time.sleep(0.05)


FIRST_VISITOR_WAIT_S = 1.5  # how long the head start waits for a browser that is already there
# after that browser's first page, the time the AI's warm-up (started by that page) takes to
# load on a small server, so that the two do not share Python's lock
AFTER_FIRST_PAGE_S = 3.0


def _first_visitor_first(limit: float = 10.0) -> None:
    """A visitor who came with the server (a browser kept open across a restart, or the first
    one knocking) is served first: the head start's imports (about 1.2 s of Python, every
    page's) would otherwise hold Python's lock while this same process sends that browser
    Streamlit's frontend and draws its first page, which needs only its own page's modules.
    So: wait a moment for a tab; if one comes, wait until its first page is drawn, then
    until the AI's warm-up that this page started has had its time."""
    from streamlit.runtime import Runtime

    from ui.admission import runs_so_far  # declares no component

    def tabs() -> int:
        try:
            return len(Runtime.instance()._session_mgr.list_active_sessions())
        except Exception:  # Streamlit changed: never hold the head start
            return 0

    start = time.monotonic()
    while not tabs() and time.monotonic() - start < FIRST_VISITOR_WAIT_S:
        time.sleep(0.02)
    if not tabs():
        return
    while runs_so_far()[1] == 0 and time.monotonic() - start < limit:
        time.sleep(0.02)
    time.sleep(AFTER_FIRST_PAGE_S)


def prepare() -> None:
    """Once the server runs, import the core modules the pages use, bring the schema up to
    date and seed the demo data if on: what the first page would otherwise do, overlapping
    the first visitor's browser loading Streamlit's frontend (or done before anyone comes).
    Never raises: the first page says what is wrong."""
    _server_started()
    _first_visitor_first()
    try:
        for name in (*page_modules(), *LIBRARIES):
            with contextlib.suppress(ModuleNotFoundError):  # a name, not a module
                importlib.import_module(name)
        # inspect.getmodule's table of every loaded module's file, which a component's
        # declaration (the cookie manager's, in the first run) would otherwise build then
        inspect.getmodule(inspect.currentframe())
        from core.config import load_settings
        from core.db import make_engine
        from ui.state import prepare_database  # no component: safe outside a script run

        settings = load_settings()
        engine = make_engine(settings.database_url)
        try:
            prepare_database(engine, settings)
        finally:
            engine.dispose()
    except Exception:  # the first page's own start-up check says it in a sentence
        _log.warning("preparing the app before the first visitor failed", exc_info=True)


def main(argv: list[str] | None = None) -> int:
    from streamlit.web import cli

    from ui import script_events, thumbnails  # they declare no component

    script_events.install()  # from the first run on (Home.py installs it too, for Cloud)
    thumbnails.prune()  # before Streamlit measures the static folder (off past 1 GB)
    threading.Thread(target=prepare, name="prepare-app", daemon=True).start()
    sys.argv = ["streamlit", "run", str(ENTRY), *(sys.argv[1:] if argv is None else argv)]
    return cli.main()


if __name__ == "__main__":
    raise SystemExit(main())

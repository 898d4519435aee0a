"""Listing thumbnails sent once: each is a file of Streamlit's static folder, named by its
content's hash, and pages name it by its address instead of sending its bytes on every run.

Before, a card's thumbnail (a JPEG of 8-15 kB, made at upload) went inside the page as a data
URL: every shop page sent its 24 photos again (about 300 kB a run, the same to a phone after
each search), and Streamlit dedented each card's markdown text, photo included, on every run:
a seventh of the shop page's run on the server (``bench/capacity.py --profile``).

Now the first run that shows a thumbnail writes it to ``static/thumbs/<hash>.jpg`` next to
``Home.py`` (Streamlit serves that folder at ``app/static/``: ``server.enableStaticServing``
in ``.streamlit/config.toml``), and the browser fetches it once and keeps it: the name is
the content's hash, so a file never changes, and its date is set far in the past, which is
what makes browsers keep a file Streamlit serves without a cache header (heuristic
freshness, a tenth of its age). The folder is a cache: anything in it can be deleted (a
file is written again when a page shows it), and it is not in git.

Where the folder cannot be written (a read-only install, a full disk) or static serving is
off, the thumbnail goes inside the page as before. On several servers behind nginx (README,
"Running several servers") each writes its own files; a browser's requests all go to its
own server, and ``deploy/nginx.conf.template`` lets browsers keep them for a year."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = ROOT / "static"  # Streamlit's: the folder next to the main script (Home.py)
FOLDER = "thumbs"
# files being written, outside the static folder (Streamlit walks it at start-up: a file
# renamed under its walk by another process would stop that server's start) and on its disk
PARTS_DIR = ROOT / ".thumbs-parts"
# Streamlit turns static serving off at start-up when the folder holds over 1 GB: the cache
# is emptied before it gets near (ui/serve.py, before the server starts)
BUDGET_BYTES = 512 * 1024 * 1024
# what a file's date says: long ago, so that browsers keep it (it never changes: see above)
FILE_TIME = 946_684_800  # 2000-01-01T00:00:00Z
_log = logging.getLogger(__name__)

RETRY_S = 60.0  # after a failed write, data URLs for this long before the next try
_failed_at: float | None = None  # when the static folder last could not be written


def data_url(jpeg: bytes) -> str:
    """The JPEG inside the page (``data:`` URL): what a page sends when no file can be."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def file_name(jpeg: bytes) -> str:
    """The thumbnail's file name: the hash of its bytes (the same photo, the same name)."""
    return hashlib.blake2b(jpeg, digest_size=16).hexdigest() + ".jpg"


_said_off = False


def static_serving() -> bool:
    """Whether Streamlit serves the static folder (config.toml turns it on; Streamlit turns
    it off at start-up past 1 GB, or where the folder is missing): said once when off."""
    global _said_off
    on = bool(st.get_option("server.enableStaticServing"))
    if not on and not _said_off:
        _said_off = True
        _log.warning("static serving is off: thumbnails go inside pages")
    return on


def saved(jpeg: bytes, folder: Path | None = None, parts: Path | None = None) -> str | None:
    """The name of the thumbnail's file in ``folder`` (``static/thumbs``), written there first
    if missing (in ``parts``, then renamed: a browser never gets half a file); None if it
    cannot be written, and for ``RETRY_S`` after such a failure (logged)."""
    global _failed_at
    folder = folder or STATIC_DIR / FOLDER
    name = file_name(jpeg)
    path = folder / name
    if path.is_file():  # a stat: about a microsecond, and a deleted cache is written again
        return name
    if _failed_at is not None and time.monotonic() - _failed_at < RETRY_S:
        return None
    part = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (parts := parts or PARTS_DIR).mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=parts, suffix=".part", delete=False) as out:
            part = out.name
            out.write(jpeg)
        os.chmod(part, 0o644)  # as any file of the app: nginx may serve the folder
        os.utime(part, (FILE_TIME, FILE_TIME))
        os.replace(part, path)
    except OSError as exc:
        _failed_at = time.monotonic()
        _log.warning("thumbnails go inside pages for now: %s: %s", folder, exc)
        if part is not None:
            with contextlib.suppress(OSError):
                os.unlink(part)
        return None
    return name


def prune(folder: Path | None = None, budget: int = BUDGET_BYTES) -> int:
    """Empty the cache when it holds more than ``budget`` bytes (files of listings long gone
    included: nothing else removes them), and files left half-written a minute ago or more;
    the number of thumbnails removed. Run before the server starts (``python -m ui.serve``):
    a page drawn meanwhile by another process writes its thumbnails again."""
    folder = folder or STATIC_DIR / FOLDER
    removed = 0
    now = time.time()
    for part in PARTS_DIR.glob("*.part"):  # a write cut short (another process's are fresh)
        with contextlib.suppress(OSError):
            if now - part.stat().st_ctime > 60:
                part.unlink()
    try:
        files = [entry for entry in os.scandir(folder) if entry.is_file()]
    except OSError:  # no cache yet
        return 0
    if sum(entry.stat().st_size for entry in files) <= budget:
        return 0
    for entry in files:
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed += 1
    _log.info("thumbnail cache over %d MB: %d files removed", budget // 2**20, removed)
    return removed


def markdown_url(jpeg: bytes) -> str:
    """The thumbnail's address relative to the page (``app/static/...``, as Streamlit's
    documentation writes it for markdown), as the card grid (ui/card_grid.py) and markdown
    images name it, or its data URL when there is no file."""
    name = saved(jpeg) if static_serving() else None
    return f"app/static/{FOLDER}/{name}" if name else data_url(jpeg)


def image_url(jpeg: bytes) -> str:
    """The thumbnail's address for ``st.image`` (``/app/static/...``, which it passes through
    as it is), or its data URL when there is no file."""
    url = markdown_url(jpeg)
    return url if url.startswith("data:") else "/" + url

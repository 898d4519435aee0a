"""The AI's warm-up: the model, the text encoder and the listings' vector index, loaded in
the background once per process, so that the first visitor after a restart sees the shop at
once and the AI parts appear when they are ready.

Home.py's first run in the process calls ``start()``: a quick look at the model folder (no
checksum: a missing model or a download that stopped halfway is known at once), then one
daemon thread checks every file against the manifest (a damaged file is named), loads the
classifier (image tower, text tower over the prompts), the text encoder (tokenizer and text
tower) and the vector index of the listings' embeddings. No run waits for it: until it is
done, ``current().warming`` is true, the pages say "The AI is warming up..." where the AI
feature will be, and ``note()``'s fragment reruns the page when it is ready. A failure is
kept (``problem``) and shown by the sell page, in the reader's language.

One load per process: the ``AI`` object is an ``st.cache_resource`` singleton (one per model
folder and mode, made once even if two sessions ask at once) and starts its thread under a
lock. ``AI_WARMUP`` (``core/config.py``): ``background`` (the default), ``off`` (no thread:
the first page that needs the AI loads it in its own run, as before the warm-up existed) and
``wait`` (the thread, and pages wait for it: what AppTests use, to stay deterministic).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.ai.classifier import Classifier
from core.ai.errors import ModelError
from core.ai.model_dir import MANIFEST_NAME, check_model, model_fingerprint, read_manifest
from core.ai.text import TextEncoder
from core.catalogue.embeddings import LiveIndex
from core.i18n import N_, _
from core.moderation.flags import flag_prompts
from ui.state import get_engine, get_settings

_log = logging.getLogger(__name__)

POLL_SECONDS = 1.0  # how often a page that shows the warm-up looks whether it is done
CHANGE_CHECK_SECONDS = 2.0  # how often a process without a model looks for a new one
# Held (cleared) by tests to keep the loader waiting before it loads, while they check that
# pages render meanwhile. Set in normal use: the loader never waits.
HOLD = threading.Event()
HOLD.set()
LOADS = [0]  # loads this process has made (tests: once per process and model)


def _manifest_stamp(model_dir: Path) -> tuple[int, int] | None:
    """The manifest's (mtime, size), or None: a new download or export changes it."""
    try:
        stat = (model_dir / MANIFEST_NAME).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@dataclass
class AI:
    """This process's AI for one model folder: what is loaded, or why nothing is."""

    model_dir: Path
    mode: str = "background"
    classifier: Classifier | None = None
    text_encoder: TextEncoder | None = None  # None: no tokenizer (search by keywords)
    index: LiveIndex | None = None
    fingerprint: str = ""
    problem: ModelError | None = None  # why there is no classifier
    seconds: float | None = None  # how long the load took
    done: threading.Event = field(default_factory=threading.Event, repr=False)
    stamp: tuple[int, int] | None = None  # the manifest's, when the load began
    _looked: float = field(default=0.0, repr=False)  # when changed() last read the disk
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _load_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _looked: bool = False
    _started: bool = False

    @property
    def warming(self) -> bool:
        """Whether the load is still going on (the AI parts wait for it)."""
        return not self.done.is_set()

    def look(self) -> None:
        """The quick look, once (a stat and the manifest, no checksum): a missing model, a
        download that stopped halfway or a damaged manifest is known at once, no load."""
        with self._lock:
            if self._looked:
                return
            self._looked = True
            self.stamp = _manifest_stamp(self.model_dir)
            try:
                read_manifest(self.model_dir)
            except ModelError as exc:
                self._finish(problem=exc)

    def start(self, engine: Engine) -> None:
        """Start the load in its thread, once (any later call does nothing), unless the
        quick look found nothing to load or the mode is ``off``."""
        self.look()
        with self._lock:
            if self._started or self.done.is_set() or self.mode == "off":
                return
            self._started = True
        thread = threading.Thread(target=self.load, args=(engine,), name="ai-warmup", daemon=True)
        thread.start()

    def load(self, engine: Engine) -> None:
        """Check the model folder and load everything (the thread's work; in ``off`` mode,
        the first page's). Never raises: a failure is kept in ``problem``."""
        HOLD.wait()
        began = time.perf_counter()
        LOADS[0] += 1
        try:
            manifest = check_model(self.model_dir)  # every file's sha256: a damaged one named
            text_encoder = index = None
            if "image" in manifest["files"]:  # the towers (not the single graph): embeddings
                try:  # first: its text tower's session serves the classifier's load too
                    text_encoder = TextEncoder.load(self.model_dir, verify=False)
                except ModelError as exc:  # no tokenizer: search stays by keywords
                    _log.info("text search is off: %s", exc)
            classifier = Classifier.load(  # checked just now: no second sha256
                self.model_dir,
                verify=False,
                text_session=text_encoder.session if text_encoder else None,
                extra_prompts=flag_prompts(),  # the "not clothing" flag's subjects
            )
            fingerprint = model_fingerprint(manifest)
            if classifier.embeds:
                index = LiveIndex(fingerprint)
                with Session(engine) as session:
                    index.current(session)  # the listings' embeddings, read once here
        except ModelError as exc:
            _log.warning("the AI model cannot be used: %s", exc)
            self._finish(problem=exc)
        except Exception:  # a bug, or ONNX Runtime failing: logged, said on the sell page
            _log.exception("loading the AI failed")
            failed = N_("The AI model could not be loaded; the server's log says why.")
            self._finish(problem=ModelError(failed))
        else:
            self.classifier, self.text_encoder, self.index = classifier, text_encoder, index
            self.fingerprint = fingerprint
            self._finish(seconds=time.perf_counter() - began)
            _log.info("the AI is ready (loaded in %.1f s)", self.seconds)

    def _finish(self, *, problem: ModelError | None = None, seconds: float | None = None) -> None:
        self.problem, self.seconds = problem, seconds
        self.done.set()

    def changed(self) -> bool:
        """Whether a model without a classifier has been replaced since (a download from the
        command line, another replica's on a shared volume): worth loading again. Looked at
        once every CHANGE_CHECK_SECONDS at most: every run asks, and a look at the disk on
        each one cost 2 % of the server's time under load (bench/capacity.py --profile)."""
        if self.classifier is not None:
            return False
        now = time.monotonic()
        if now - self._looked < CHANGE_CHECK_SECONDS:
            return False
        self._looked = now
        return _manifest_stamp(self.model_dir) != self.stamp


@st.cache_resource(show_spinner=False)
def _ai(model_dir: str, mode: str) -> AI:
    return AI(Path(model_dir), mode)


def _this_process() -> AI:
    settings = get_settings()
    return _ai(str(settings.model_dir), settings.ai_warmup)


def start() -> None:
    """Start the AI's load in the background: Home.py, at the end of every run, once the
    page is drawn (the first run of the process starts it; the load would otherwise take
    CPU from that first page). Never waits."""
    ai = _this_process()
    ai.start(get_engine())
    if not ai.warming and ai.changed():  # a model appeared or changed since: load it
        reload()


def reload() -> AI:
    """Forget this process's AI and load it again (after a download): the new load begins."""
    _ai.clear()
    ai = _this_process()
    ai.start(get_engine())
    return ai


def current() -> AI:
    """This process's AI, as far as it is loaded (``warming`` until it is). In ``wait`` mode
    the run waits for it; in ``off`` mode the first run that asks loads it."""
    ai = _this_process()
    ai.look()
    if ai.warming and ai.mode == "off":
        with ai._load_lock, st.spinner(_("Loading the AI model...")):
            if ai.warming:  # one load per process: a second session waits for the first
                ai.load(get_engine())
    elif ai.warming and ai.mode == "wait":
        ai.start(get_engine())
        with st.spinner(_("Loading the AI model...")):
            ai.done.wait()
    return ai


def wait(timeout: float | None = None) -> AI:
    """This process's AI once its load is over (or ``timeout`` seconds have passed): for
    tests and benchmarks that must not guess with sleeps. Pages never call it."""
    ai = _this_process()
    ai.done.wait(timeout)
    return ai


# the key of the note's container (one note a page): a page showing it will rerun by
# itself, which the browser tests wait for (tests/e2e/conftest.py settle)
NOTE_KEY = "ai_warming_up"


def note(text: str) -> None:
    """``text`` as a caption where an AI feature will be while the AI warms up; the page
    reruns by itself once it is ready (a fragment looks every ``POLL_SECONDS``)."""
    _poll(text)


@st.fragment(run_every=POLL_SECONDS)
def _poll(text: str) -> None:
    if not _this_process().warming:
        st.rerun(scope="app")  # the AI parts appear
    with st.container(key=NOTE_KEY):
        st.caption(text)

"""AI search in the app: the text encoder and live index of the current model (loaded by
``ui/warmup.py``), the query vectors of the shop's search box and photo, similar items, and
the background job that embeds listings that have no embedding of the current model yet.

Everything here is off, and the shop searches by keywords exactly as before, while there
is no model (or only the prototype's single graph, which gives no embeddings), and while
the AI warms up after a start (``warming_up()``: the pages say so).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import numpy as np
import streamlit as st
from sqlmodel import Session

from core.ai.classifier import Classifier, Look
from core.ai.text import TextEncoder
from core.ai.vectors import VectorIndex
from core.catalogue.embeddings import LiveIndex, embedded_count, index_missing
from core.catalogue.photo_checks import MAX_UPLOAD_BYTES, PhotoError, check_size, megabytes
from core.catalogue.search import CatalogueCard
from core.catalogue.selling import CoverEmbedding
from core.catalogue.semantic import SEMANTIC_FLOOR, SemanticQuery, similar_items
from core.i18n import _
from ui import warmup
from ui.state import get_engine
from ui.widget_words import uploader_html

_log = logging.getLogger(__name__)
PHOTO_KEY = "_photo_search"  # the shop's search photo: (fingerprint, vector, file name)


@dataclass(frozen=True)
class SearchModel:
    classifier: Classifier
    fingerprint: str
    index: LiveIndex  # the listings' embeddings of this model, in memory
    text_encoder: TextEncoder | None = None  # None: no tokenizer, search by keywords


def search_model() -> SearchModel | None:
    """The model whose embeddings search compares, or None (no model, no embeddings, or the
    AI still warming up)."""
    ai = warmup.current()
    if ai.warming or ai.classifier is None or not ai.classifier.embeds or ai.index is None:
        return None
    return SearchModel(ai.classifier, ai.fingerprint, ai.index, ai.text_encoder)


def warming_up() -> bool:
    """Whether the AI is still loading after a start (its parts show when it is ready)."""
    return warmup.current().warming


def current_index(session: Session, found: SearchModel | None = None) -> VectorIndex | None:
    """The current model's index, fresh within a few seconds; None without a model or
    before any listing is embedded."""
    found = found or search_model()
    if found is None:
        return None
    start_indexing(found)
    return found.index.current(session)


# --- text ---------------------------------------------------------------------------------


def text_encoder(found: SearchModel) -> TextEncoder | None:
    """The text tower and tokenizer of ``found``'s model, or None (an older model directory
    without a tokenizer: search stays by keywords)."""
    encoder = found.text_encoder
    return encoder if encoder is not None and encoder.fingerprint == found.fingerprint else None


@st.cache_data(max_entries=1000, show_spinner=False)
def _text_vector(fingerprint: str, text: str, _encoder: TextEncoder) -> np.ndarray:
    return _encoder.embed(text)


def for_text(session: Session, text: str) -> SemanticQuery | None:
    """The search box's words as a query vector of the current model, or None: no model,
    no embedded listing yet, or nothing to embed."""
    if not text.strip():
        return None
    found = search_model()
    encoder = None if found is None else text_encoder(found)
    if encoder is None:
        return None
    index = current_index(session, found)
    if index is None:
        return None
    try:
        vector = _text_vector(found.fingerprint, text.strip(), encoder)
    except Exception:  # a model that loads but fails at run time: search by keywords
        _log.exception("text embedding failed")
        return None
    return SemanticQuery(index, vector, floor=SEMANTIC_FLOOR)


def semantic_on() -> bool:
    """Whether searches are ranked by meaning (there is a model that embeds text)."""
    found = search_model()
    return found is not None and text_encoder(found) is not None


# --- photo --------------------------------------------------------------------------------


def set_search_photo(data: bytes, name: str) -> str | None:
    """Embed an uploaded search photo (never stored); None, or why it cannot be used."""
    found = search_model()
    if found is None:
        return _("Search by photo needs the AI model, which is not downloaded yet.")
    try:
        vector = found.classifier.embed_photos([data])[0]
    except PhotoError as exc:
        return str(exc)
    except Exception:
        _log.exception("photo embedding failed")
        return _("This photo could not be looked at; try another one.")
    st.session_state[PHOTO_KEY] = (found.fingerprint, vector, name)
    return None


_UPLOADS = "_photo_search_uploads"  # bumped to empty the uploader (a new widget key)


def _uploader_key() -> str:
    return f"photo_search_file_{st.session_state.get(_UPLOADS, 0)}"


def _photo_chosen() -> None:
    """The search photo uploader's on_change: look at the photo, or say why not."""
    upload = st.session_state.get(_uploader_key())
    st.session_state.pop("_photo_search_problem", None)
    if upload is None:
        return
    try:
        check_size(upload.size, name=f"“{upload.name}”")
        problem = set_search_photo(upload.getvalue(), upload.name)
    except PhotoError as exc:
        problem = str(exc)
    if problem:
        st.session_state["_photo_search_problem"] = problem


def photo_search_box() -> None:
    """Search by photo: drop or take a photo; the shop then shows the listings that look
    most like it. The photo is looked at, never stored."""
    if search_model() is None:
        if warming_up():
            st.caption(_("The AI is warming up… Search by photo will be ready in a moment."))
        else:
            st.caption(
                _("Search by photo needs the AI model: it can be downloaded on the Sell page.")
            )
        return
    st.file_uploader(
        _("Find items that look like a photo"),
        key=_uploader_key(),
        on_change=_photo_chosen,
        help=_("JPEG, PNG, WebP... The photo is only looked at, never kept."),
    )
    limit = _("Up to {size}").format(size=megabytes(MAX_UPLOAD_BYTES))  # check_size's rule
    button = _("Choose a photo")
    st.html(uploader_html(_uploader_key(), {}, button=button, limit=limit))
    if problem := st.session_state.get("_photo_search_problem"):
        st.error(problem)


def search_photo_name() -> str | None:
    entry = st.session_state.get(PHOTO_KEY)
    return entry[2] if entry else None


def clear_search_photo() -> None:
    st.session_state.pop(PHOTO_KEY, None)
    st.session_state.pop("_photo_search_problem", None)
    st.session_state[_UPLOADS] = st.session_state.get(_UPLOADS, 0) + 1


def for_photo(session: Session) -> SemanticQuery | None:
    """The search photo as a query vector, if one is set for the current model."""
    entry = st.session_state.get(PHOTO_KEY)
    found = search_model()
    if entry is None or found is None or entry[0] != found.fingerprint:
        return None
    index = current_index(session, found)
    return None if index is None else SemanticQuery(index, entry[1])


# --- the sell page ---------------------------------------------------------------------------


def cover_embedding(look: Look | None, stored_cover: bytes | None = None) -> CoverEmbedding | None:
    """The embedding to save with a listing: the one the suggestion computed for a new cover
    (no second inference), or, for a cover already stored (an edit that keeps or reorders
    photos), one computed now from it; None without a model that embeds."""
    found = search_model()
    if found is None:
        return None
    if look is not None and look.embedding is not None:
        return CoverEmbedding(found.fingerprint, look.embedding)
    if stored_cover is None:
        return None
    try:
        return CoverEmbedding(found.fingerprint, found.classifier.embed_photos([stored_cover])[0])
    except Exception:  # saved without one: the index job or `tools.model index` makes it
        _log.exception("embedding a stored cover failed")
        return None


# --- similar items --------------------------------------------------------------------------


def similar(session: Session, item_id: int, limit: int) -> list[CatalogueCard]:
    """The ``limit`` listings that look most like ``item_id`` (none without a model or
    embedding)."""
    index = current_index(session)
    return [] if index is None else similar_items(session, index, item_id, limit)


# --- filling in embeddings ------------------------------------------------------------------


@dataclass
class IndexJob:
    """The background embedding of listings without an embedding of one model."""

    done: int = 0
    total: int = 0
    finished: bool = False
    failed: bool = False
    thread: threading.Thread | None = field(default=None, repr=False)


@st.cache_resource(show_spinner=False)
def _index_job(fingerprint: str, _classifier: Classifier) -> IndexJob:
    """Started once per process and model: after a start, a download or a model change."""
    job = IndexJob()
    engine = get_engine()

    def progress(done: int, total: int) -> None:
        job.done, job.total = done, total

    def work() -> None:
        try:
            index_missing(engine, fingerprint, _classifier.embed_photos, progress=progress)
        except Exception:
            _log.exception("indexing the listings failed")
            job.failed = True
        job.finished = True

    job.thread = threading.Thread(target=work, name=f"index-{fingerprint}", daemon=True)
    job.thread.start()
    return job


def start_indexing(found: SearchModel | None = None) -> IndexJob | None:
    """Embed, in the background, the listings that have no embedding of the current model
    (once per process and model); the job's progress, or None without a model."""
    found = found or search_model()
    if found is None:
        return None
    return _index_job(found.fingerprint, found.classifier)


def indexing_progress(session: Session) -> tuple[int, int] | None:
    """(embedded, all) listings while the background job runs, else None."""
    job = start_indexing()
    if job is None or job.finished:
        return None
    found = search_model()
    return embedded_count(session, found.fingerprint) if found else None

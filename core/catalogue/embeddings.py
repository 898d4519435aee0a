"""Listings' image embeddings: stored in the database (``item_embeddings``, one row per
listing and model), loaded into an in-memory ``VectorIndex`` per process, kept fresh.

The database is the store of record, so every replica, on SQLite or PostgreSQL, builds the
same index; each replica notices another one's new embedding within ``REFRESH_SECONDS``
with one indexed lookup (the newest row id of its model), then loads only the rows it has
not seen.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.ai.errors import ModelError
from core.ai.model_dir import model_fingerprint
from core.ai.vectors import VectorIndex
from core.db import begin_write, session_scope
from core.i18n import _
from core.models.catalogue import Item, ItemEmbedding, Photo

_log = logging.getLogger(__name__)

REFRESH_SECONDS = 2.0  # how stale one replica's index may be of another's new listings
INDEX_BATCH = 16  # photos embedded at once by index_missing
LOAD_BATCH = 5000  # embeddings read from the database at once into the index


def to_blob(vector: np.ndarray) -> bytes:
    """A unit vector as stored: float32, little-endian."""
    return np.asarray(vector, "<f4").reshape(-1).tobytes()


def from_blob(data: bytes) -> np.ndarray:
    return np.frombuffer(data, "<f4").astype(np.float32)


def unit_vector(vector: np.ndarray) -> np.ndarray:
    """``vector`` scaled to length 1 (float32); ValueError for a zero or non-finite one."""
    vector = np.asarray(vector, np.float64).reshape(-1)
    norm = float(np.linalg.norm(vector))
    if not np.isfinite(norm) or norm == 0:
        raise ValueError("an embedding must be a finite, non-zero vector")
    return (vector / norm).astype(np.float32)


def save_embedding(session: Session, item_id: int, model: str, vector: np.ndarray) -> None:
    """Store ``item_id``'s cover embedding for ``model`` (replacing the old one, under a new
    row id so that replicas notice). Part of the caller's transaction: not committed here."""
    session.exec(
        delete(ItemEmbedding).where(ItemEmbedding.item_id == item_id, ItemEmbedding.model == model)
    )
    session.add(ItemEmbedding(item_id=item_id, model=model, vector=to_blob(unit_vector(vector))))


def renew_embeddings(session: Session, item_id: int) -> None:
    """Store ``item_id``'s embeddings again, the same vectors under new row ids: its
    category changed, and every replica's index, noticing a new row, reloads the vector
    with the new category (the label its category-restricted searches read). Part of the
    caller's transaction."""
    rows = session.exec(
        select(ItemEmbedding.model, ItemEmbedding.vector, ItemEmbedding.created_at).where(
            ItemEmbedding.item_id == item_id
        )
    ).all()
    drop_embeddings(session, item_id)
    session.flush()  # the old rows gone before their (item, model) is written again
    session.add_all(
        ItemEmbedding(item_id=item_id, model=model, vector=vector, created_at=created_at)
        for model, vector, created_at in rows
    )


def drop_embeddings(session: Session, item_id: int) -> None:
    """Forget every embedding of ``item_id`` (its cover changed with no new embedding:
    ``index_missing`` makes the new one). Part of the caller's transaction."""
    session.exec(delete(ItemEmbedding).where(ItemEmbedding.item_id == item_id))


def newest_embedding(session: Session, model: str) -> int:
    """The newest row id of ``model``'s embeddings (0: none), what tells an index it is
    stale: one lookup at the end of the (model, id) index, whatever the table's size."""
    newest = session.exec(
        select(func.max(ItemEmbedding.id)).where(ItemEmbedding.model == model)
    ).one()
    return int(newest or 0)


def stored_vectors(session: Session, model: str, item_ids) -> dict[int, np.ndarray]:
    """The stored (float32) embeddings of ``model`` for these listings, by listing id."""
    found: dict[int, np.ndarray] = {}
    ids = list(item_ids)
    for start in range(0, len(ids), 5000):  # under every database's parameter limit
        rows = session.exec(
            select(ItemEmbedding.item_id, ItemEmbedding.vector).where(
                ItemEmbedding.model == model, ItemEmbedding.item_id.in_(ids[start : start + 5000])
            )
        )
        found.update((item_id, from_blob(blob)) for item_id, blob in rows)
    return found


def rescore(
    session: Session, model: str, ids: Iterable[int], vector: np.ndarray
) -> list[tuple[int, float]]:
    """``ids`` with their exact cosine to the unit ``vector`` (from their stored float32
    embeddings of ``model``), best first, ties by id; ids without one are left out."""
    query = np.asarray(vector, np.float32).reshape(-1)
    exact = stored_vectors(session, model, ids)
    scored = [(i, float(v @ query)) for i, v in exact.items()]
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored


def nearest_covers(
    session: Session,
    index: VectorIndex,
    vector: np.ndarray,
    k: int,
    *,
    only: Iterable[int] | None = None,
    exclude: Iterable[int] = (),
) -> list[tuple[int, float]]:
    """The ``k`` listings whose cover is nearest to ``vector`` (with ``only``, among those;
    never those in ``exclude``), with their exact cosine, nearest first: the in-memory
    index's int8 candidates rescored from the database. Whatever their status: callers
    filter (the AI flags, a seller's own look-alikes, the price hint's comparables)."""
    hits = index.search(vector, k, only=only, exclude=exclude)
    return rescore(session, index.model, [i for i, _ in hits], vector)


def embedded_count(session: Session, model: str) -> tuple[int, int]:
    """(listings with an embedding of ``model``, listings in all)."""
    done = session.exec(
        select(func.count()).select_from(ItemEmbedding).where(ItemEmbedding.model == model)
    ).one()
    total = session.exec(select(func.count()).select_from(Item)).one()
    return done, int(total)


class LiveIndex:
    """The in-memory index of one model's embeddings, refreshed from the database at most
    every ``refresh_seconds`` (0: at every call). One per process and model: cache it
    (``st.cache_resource``)."""

    def __init__(self, model: str, *, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.model = model
        self.refresh_seconds = refresh_seconds
        self._index: VectorIndex | None = None
        self._newest = 0
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def current(self, session: Session) -> VectorIndex | None:
        """The index, brought up to date if it may be stale; None while no listing has an
        embedding of this model."""
        if time.monotonic() - self._checked < self.refresh_seconds:
            return self._index
        with self._lock:  # one session refreshes; the others wait for it, then use it
            if time.monotonic() - self._checked >= self.refresh_seconds:
                self._refresh(session)
                self._checked = time.monotonic()
        return self._index

    def _refresh(self, session: Session) -> None:
        """Load the rows saved since the last look (new listings, new covers, new
        categories: each is a new row that replaces the listing's vector). A deleted
        listing's vector stays until the process restarts, never shown: every search
        checks its candidates in SQL, and rescores them from the rows that exist."""
        newest = newest_embedding(session, self.model)
        if newest == self._newest and self._index is not None:
            return
        index = self._load(session, self._index, after=self._newest)
        self._index = index if index is not None and len(index) else None
        self._newest = newest

    def _load(
        self, session: Session, index: VectorIndex | None, *, after: int
    ) -> VectorIndex | None:
        """Add the rows after id ``after`` to ``index`` (a new one if None), each labelled
        with its listing's category, LOAD_BATCH at a time so that loading 100 000 never
        holds more than one batch's blobs. A listing's category as it is now: a change of
        category renews its rows (``renew_embeddings``), so a later load moves it."""
        while True:
            rows = session.exec(
                select(ItemEmbedding.id, ItemEmbedding.item_id, ItemEmbedding.vector, Item.category)
                .join(Item, Item.id == ItemEmbedding.item_id)
                .where(ItemEmbedding.model == self.model, ItemEmbedding.id > after)
                .order_by(ItemEmbedding.id)
                .limit(LOAD_BATCH)
            ).all()
            if not rows:
                return index
            vectors = np.stack([from_blob(blob) for _, _, blob, _ in rows])
            if index is None or index.dim != vectors.shape[1]:
                index = VectorIndex(vectors.shape[1], self.model)
            index.upsert(
                [item_id for _, item_id, _, _ in rows],
                vectors,
                labels=[category for *_, category in rows],
            )
            after = rows[-1][0]


# --- filling in missing embeddings ---------------------------------------------------------

Embedder = Callable[[Sequence[bytes]], np.ndarray]  # cover photos (JPEG bytes) -> (N, D) unit


def items_missing(session: Session, model: str, limit: int | None = None) -> list[int]:
    """Listings (available first, then sold ones, oldest first) with a cover photo and no
    embedding of ``model``."""
    has = select(ItemEmbedding.item_id).where(ItemEmbedding.model == model)
    statement = (
        select(Item.id)
        .join(Photo, (Photo.item_id == Item.id) & (Photo.position == 0))
        .where(Item.id.not_in(has))
        .order_by((Item.status != "available"), Item.id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.exec(statement))


def _save_all(engine: Engine, model: str, item_ids: list[int], vectors: np.ndarray) -> int:
    """Save a batch in one transaction; if it fails (a listing deleted, or its seller
    saving a new cover at the same moment), each one alone, skipping those that fail."""
    try:
        with session_scope(engine) as session:
            begin_write(session)
            for item_id, vector in zip(item_ids, vectors, strict=True):
                save_embedding(session, item_id, model, vector)
        return len(item_ids)
    except (IntegrityError, ValueError):
        saved = 0
        for item_id, vector in zip(item_ids, vectors, strict=True):
            try:
                with session_scope(engine) as session:
                    begin_write(session)
                    save_embedding(session, item_id, model, vector)
                saved += 1
            except (IntegrityError, ValueError):
                _log.info("listing %d not embedded (deleted, or changed meanwhile)", item_id)
        return saved


def index_missing(
    engine: Engine,
    model: str,
    embed: Embedder,
    *,
    progress: Callable[[int, int], None] | None = None,
    batch: int = INDEX_BATCH,
) -> int:
    """Embed the cover photo of every listing without an embedding of ``model``, ``batch``
    at a time, each batch in its own short transaction (the shop stays usable meanwhile).
    ``progress(done, total)`` after each batch. Returns how many were embedded.

    A cover photo that fails to embed is logged and skipped; run again to retry it.
    """
    with session_scope(engine) as session:
        todo = items_missing(session, model)
    report = progress or (lambda done, total: None)
    report(0, len(todo))
    done = 0
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        with session_scope(engine) as session:
            photos = session.exec(
                select(Photo.item_id, Photo.image).where(
                    Photo.item_id.in_(chunk), Photo.position == 0
                )
            ).all()
        try:
            vectors = embed([image for _, image in photos])
        except Exception:
            _log.exception("embedding %d cover photos failed", len(photos))
            vectors = None
        if vectors is not None:
            done += _save_all(engine, model, [i for i, _ in photos], vectors)
        report(min(start + len(chunk), len(todo)), len(todo))
    return done


def index_with_model(
    engine: Engine, model_dir: Path, *, progress: Callable[[int, int], None] | None = None
) -> tuple[str, int]:
    """``index_missing`` with the model in ``model_dir``, loaded for it: (the model's
    fingerprint, how many listings were embedded). Raises ModelMissingError without a
    model, ModelError with one that is damaged or gives no image embeddings."""
    from core.ai.classifier import Classifier  # loads ONNX Runtime: only when indexing

    classifier = Classifier.load(model_dir)
    if not classifier.embeds:
        raise ModelError(_("This model (a single graph) gives no image embeddings to search by."))
    fingerprint = model_fingerprint(classifier.manifest)
    return fingerprint, index_missing(
        engine, fingerprint, classifier.embed_photos, progress=progress
    )

"""Nearest neighbours by cosine over unit vectors, in memory: the first pass of semantic
search, similar items and search by photo.

Every row is scored (exact search, no graph to tune), from int8 rows with a per-row scale,
by numkong's SIMD int8 dot kernel: 100 000 CLIP ViT-B/32 embeddings take 52 MB (float32
would take 205 MB) and score in about 9 ms on one core. int8 alone keeps about 98 % of the
true top 24, so callers rescore a larger pool with the float32 embeddings the database
keeps (``core.catalogue.semantic.nearest``), which gives the exact top. bench/vector_index.py
compares this with float32 and float16 numpy, usearch's HNSW and sqlite-vec.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np

try:  # the SIMD kernels usearch is built on; numpy's float32 blocks otherwise (slower)
    import numkong
except ImportError:  # pragma: no cover - numkong is in requirements.txt
    numkong = None

_BLOCK = 8192  # rows converted at once by the numpy fallback


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows as int8 and the scale of each row (row ~= int8 * scale)."""
    vectors = np.asarray(vectors, np.float32)
    scale = np.abs(vectors).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    return np.round(vectors / scale[:, None]).astype(np.int8), scale.astype(np.float32)


def _dots(rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """int8 rows . int8 query, as float32."""
    if numkong is not None and len(rows):
        return np.asarray(numkong.cdist(rows, query[None, :], metric="dot"), np.float32).ravel()
    out = np.empty(len(rows), np.float32)
    q = query.astype(np.float32)
    for start in range(0, len(rows), _BLOCK):
        out[start : start + _BLOCK] = rows[start : start + _BLOCK].astype(np.float32) @ q
    return out


_SAMPLE = 16  # a large scan's threshold is read from every 16th score


def _candidates(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions holding the ``k`` highest scores (and maybe a few more, for the caller to
    order): every score from a threshold read on a sample, expected to let about 2k
    through; when fewer pass (an unlucky sample), a full partition. Exact either way: if k
    scores reach the threshold, the k highest are among them. At 100 000 rows it takes
    0.1 ms where a partition of them all takes 1.2 ms (bench/price_hint.py)."""
    n = len(scores)
    if k >= n:
        return np.arange(n)
    if n >= 64 * _SAMPLE and 4 * k * _SAMPLE <= n:
        sample = scores[::_SAMPLE]
        rank = len(sample) - (2 * k) // _SAMPLE - 1  # about 2k scores above it in all
        threshold = np.partition(sample, rank)[rank]
        passing = np.flatnonzero(scores >= threshold)
        if len(passing) >= k:
            return passing
    return np.argpartition(-scores, k - 1)[:k]


class VectorIndex:
    """Unit vectors by integer id (``model``: whose embeddings they are); ``search`` gives
    the nearest ones by approximate cosine, for a caller to rescore exactly.

    Thread-safe: the shop's sessions search while one of them refreshes it."""

    def __init__(self, dim: int, model: str = "") -> None:
        self.dim = dim
        self.model = model
        self._rows = np.zeros((0, dim), np.int8)
        self._scale = np.zeros(0, np.float32)
        self._ids = np.zeros(0, np.int64)
        self._row_of = np.full(0, -1, np.int64)  # by id: its row, or -1 (ids are dense)
        self._size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    def __contains__(self, item_id: int) -> bool:
        return self._row(int(item_id)) >= 0

    def _row(self, item_id: int) -> int:
        return int(self._row_of[item_id]) if 0 <= item_id < len(self._row_of) else -1

    @property
    def nbytes(self) -> int:
        """Memory held by the index's arrays."""
        return self._rows.nbytes + self._scale.nbytes + self._ids.nbytes + self._row_of.nbytes

    def upsert(self, ids: Iterable[int], vectors: np.ndarray) -> None:
        """Add these vectors, replacing those of ids already there."""
        ids = np.asarray([int(i) for i in ids], np.int64)
        if len(ids) and ids.min() < 0:
            raise ValueError("ids are positive")
        rows, scale = quantise(np.asarray(vectors, np.float32).reshape(len(ids), self.dim))
        with self._lock:
            if len(ids) and ids.max() >= len(self._row_of):
                grown = np.full(max(int(ids.max()) + 1, len(self._row_of) * 5 // 4), -1, np.int64)
                grown[: len(self._row_of)] = self._row_of
                self._row_of = grown
            new = len({int(i) for i in ids if self._row(int(i)) < 0})
            self._reserve(self._size + new)
            for item_id, row8, s in zip(ids, rows, scale, strict=True):
                row = self._row(int(item_id))
                if row < 0:
                    row = self._size
                    self._size += 1
                    self._row_of[item_id] = row
                    self._ids[row] = item_id
                self._rows[row] = row8
                self._scale[row] = s

    def remove(self, ids: Iterable[int]) -> None:
        """Forget these ids (unknown ones are ignored)."""
        with self._lock:
            for item_id in ids:
                row = self._row(int(item_id))
                if row < 0:
                    continue
                self._row_of[item_id] = -1
                last = self._size - 1
                if row != last:  # the last row moves into the hole
                    moved = int(self._ids[last])
                    self._rows[row] = self._rows[last]
                    self._scale[row] = self._scale[last]
                    self._ids[row] = moved
                    self._row_of[moved] = row
                self._size = last

    def search(
        self,
        query: np.ndarray,
        k: int,
        *,
        exclude: Iterable[int] = (),
        only: Iterable[int] | None = None,
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest ids to the unit vector ``query`` by int8 cosine, nearest first;
        never those in ``exclude``, and with ``only``, only those. Ties go to the smaller id."""
        query = np.asarray(query, np.float32).reshape(self.dim)
        q8, q_scale = quantise(query[None, :])
        excluded = {int(i) for i in exclude}
        with self._lock:
            if self._size == 0 or k <= 0:
                return []
            if only is not None:
                rows = self._rows_of(only)
                ids = self._ids[rows]
                scores = _dots(self._rows[rows], q8[0]) * self._scale[rows] * q_scale[0]
            else:
                size = self._size
                ids = self._ids[:size].copy()
                scores = _dots(self._rows[:size], q8[0]) * self._scale[:size] * q_scale[0]
        if excluded:
            keep = ~np.isin(ids, np.fromiter(excluded, np.int64, len(excluded)))
            ids, scores = ids[keep], scores[keep]
        k = min(k, len(ids))
        if k == 0:
            return []
        top = _candidates(scores, k)
        order = np.lexsort((ids[top], -scores[top]))[:k]  # by score, then by id
        return [(int(ids[top[i]]), float(scores[top[i]])) for i in order]

    def _rows_of(self, ids: Iterable[int]) -> np.ndarray:
        """The rows of these ids (unknown ones left out), in row order: one vectorised
        look-up, so that restricting a search to a category's 8 000 ids costs no loop."""
        wanted = np.fromiter((int(i) for i in ids), np.int64)
        wanted = wanted[(wanted >= 0) & (wanted < len(self._row_of))]
        rows = self._row_of[wanted]
        return np.unique(rows[rows >= 0])

    def _reserve(self, rows: int) -> None:
        if rows <= len(self._rows):
            return
        capacity = max(rows, len(self._rows) * 5 // 4, 1024)  # 25 % spare at most
        grown = np.zeros((capacity, self.dim), np.int8)
        grown[: self._size] = self._rows[: self._size]
        scale = np.zeros(capacity, np.float32)
        scale[: self._size] = self._scale[: self._size]
        ids = np.zeros(capacity, np.int64)
        ids[: self._size] = self._ids[: self._size]
        self._rows, self._scale, self._ids = grown, scale, ids

"""Nearest neighbours by cosine over unit vectors, in memory: the index behind semantic
search, similar items and search by photo.

Exact search (every row scored), so its answers are the same on every database and every
replica, and there is no recall to lose. The rows are kept in float16: half the memory of
float32 (100 000 CLIP ViT-B/32 embeddings take 102 MB instead of 205 MB), and the scores
are computed in float32 blocks, so a block's conversion stays in the CPU's cache.
bench/vector_index.py compares this with the alternatives (float32, usearch, sqlite-vec).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np

_BLOCK = 8192  # rows scored at once: a float32 block of 16 MB for 512 dimensions


class VectorIndex:
    """Unit vectors by integer id; ``search`` gives the nearest ones by cosine.

    Thread-safe: the shop's sessions search while one of them refreshes it."""

    def __init__(self, dim: int, *, dtype=np.float16) -> None:
        self.dim = dim
        self._dtype = np.dtype(dtype)
        self._rows = np.zeros((0, dim), self._dtype)
        self._ids = np.zeros(0, np.int64)
        self._size = 0
        self._row_of: dict[int, int] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    def __contains__(self, item_id: int) -> bool:
        return int(item_id) in self._row_of

    @property
    def nbytes(self) -> int:
        """Memory held by the vectors and their ids (the dict of rows aside)."""
        return self._rows.nbytes + self._ids.nbytes

    def vector(self, item_id: int) -> np.ndarray | None:
        """The stored vector of ``item_id`` (float32), or None."""
        with self._lock:
            row = self._row_of.get(int(item_id))
            return None if row is None else self._rows[row].astype(np.float32)

    def upsert(self, ids: Iterable[int], vectors: np.ndarray) -> None:
        """Add these vectors, replacing those of ids already there."""
        ids = [int(i) for i in ids]
        vectors = np.asarray(vectors, np.float32).reshape(len(ids), self.dim)
        with self._lock:
            new = [i for i in dict.fromkeys(ids) if i not in self._row_of]
            self._reserve(self._size + len(new))
            for item_id, vector in zip(ids, vectors, strict=True):
                row = self._row_of.get(item_id)
                if row is None:
                    row = self._size
                    self._size += 1
                    self._row_of[item_id] = row
                    self._ids[row] = item_id
                self._rows[row] = vector

    def remove(self, ids: Iterable[int]) -> None:
        """Forget these ids (unknown ones are ignored)."""
        with self._lock:
            for item_id in ids:
                row = self._row_of.pop(int(item_id), None)
                if row is None:
                    continue
                last = self._size - 1
                if row != last:  # the last row moves into the hole
                    moved = int(self._ids[last])
                    self._rows[row] = self._rows[last]
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
        """The ``k`` nearest ids to the unit vector ``query``, nearest first, with their
        cosine; never those in ``exclude``, and with ``only``, only those. Ties go to the
        smaller id, so that every replica answers the same."""
        query = np.asarray(query, np.float32).reshape(self.dim)
        excluded = {int(i) for i in exclude}
        with self._lock:
            size = self._size
            if size == 0 or k <= 0:
                return []
            if only is not None:
                rows = np.fromiter(
                    (r for i in only if (r := self._row_of.get(int(i))) is not None), np.int64
                )
                rows.sort()
                ids = self._ids[rows]
                scores = self._rows[rows].astype(np.float32) @ query
            else:
                scores = np.empty(size, np.float32)
                for start in range(0, size, _BLOCK):
                    block = self._rows[start : min(start + _BLOCK, size)]
                    scores[start : start + len(block)] = block.astype(np.float32) @ query
                ids = self._ids[:size].copy()
        if excluded:
            keep = ~np.isin(ids, np.fromiter(excluded, np.int64, len(excluded)))
            ids, scores = ids[keep], scores[keep]
        k = min(k, len(ids))
        if k == 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k] if k < len(ids) else np.arange(len(ids))
        order = np.lexsort((ids[top], -scores[top]))  # by score, then by id
        return [(int(ids[top[i]]), float(scores[top[i]])) for i in order]

    def _reserve(self, rows: int) -> None:
        if rows <= len(self._rows):
            return
        capacity = max(rows, len(self._rows) + len(self._rows) // 4, 1024)  # 25 % spare at most
        grown = np.zeros((capacity, self.dim), self._dtype)
        grown[: self._size] = self._rows[: self._size]
        ids = np.zeros(capacity, np.int64)
        ids[: self._size] = self._ids[: self._size]
        self._rows, self._ids = grown, ids

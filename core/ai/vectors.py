"""Nearest neighbours by cosine over unit vectors, in memory: the first pass of semantic
search, similar items, search by photo and the price suggestion.

Every row is scored (exact search, no graph to tune), from int8 rows with a per-row scale,
by numkong's SIMD int8 dot kernel: 100 000 CLIP ViT-B/32 embeddings take 52 MB (float32
would take 205 MB) and score in about 3 ms on one core. int8 alone keeps about 98 % of the
true top 24, so callers rescore a larger pool with the float32 embeddings the database
keeps (``core.catalogue.semantic.nearest``), which gives the exact top. bench/vector_index.py
compares this with float32 and float16 numpy, usearch's HNSW and sqlite-vec.

Each row has a label (the listing's category, for ``core.catalogue.embeddings.LiveIndex``)
and the rows of one label are kept together, in a block of their own: a search restricted
to a label scores only its block (a category of 8 000 listings in 0.2 ms where all 100 000
take 3 ms, bench/price_hint.py), and a search of all scores every block, with the same
scores and the same order as one block would give.
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
_MIN_ROWS = 256  # room a label's block starts with


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


class _Block:
    """The rows of one label: int8 rows, their scales and ids, the first ``size`` used."""

    __slots__ = ("ids", "rows", "scale", "size")

    def __init__(self, dim: int) -> None:
        self.rows = np.zeros((0, dim), np.int8)
        self.scale = np.zeros(0, np.float32)
        self.ids = np.zeros(0, np.int64)
        self.size = 0

    def reserve(self, rows: int) -> None:
        if rows <= len(self.rows):
            return
        capacity = max(rows, len(self.rows) * 5 // 4, _MIN_ROWS)  # 25 % spare at most
        grown = np.zeros((capacity, self.rows.shape[1]), np.int8)
        grown[: self.size] = self.rows[: self.size]
        scale = np.zeros(capacity, np.float32)
        scale[: self.size] = self.scale[: self.size]
        ids = np.zeros(capacity, np.int64)
        ids[: self.size] = self.ids[: self.size]
        self.rows, self.scale, self.ids = grown, scale, ids

    def scored(self, q8: np.ndarray, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, int8 dot times the rows' scales) of ``rows`` (None: all of them)."""
        if rows is None:
            size = self.size
            return self.ids[:size].copy(), _dots(self.rows[:size], q8) * self.scale[:size]
        return self.ids[rows], _dots(self.rows[rows], q8) * self.scale[rows]

    @property
    def nbytes(self) -> int:
        return self.rows.nbytes + self.scale.nbytes + self.ids.nbytes


class VectorIndex:
    """Unit vectors by integer id, each with a label (``model``: whose embeddings they
    are); ``search`` gives the nearest ones by approximate cosine, for a caller to rescore
    exactly, among all rows or those of one label.

    Thread-safe: the shop's sessions search while one of them refreshes it."""

    def __init__(self, dim: int, model: str = "") -> None:
        self.dim = dim
        self.model = model
        self._blocks: list[_Block] = []
        self._labels: list[str] = []  # of each block
        self._block_of_label: dict[str, int] = {}
        self._row_of = np.full(0, -1, np.int64)  # by id: its row in its block, or -1
        self._block_of = np.full(0, -1, np.int32)  # by id: its block (ids are dense)
        self._size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    def __contains__(self, item_id: int) -> bool:
        return self._row(int(item_id)) >= 0

    def _row(self, item_id: int) -> int:
        return int(self._row_of[item_id]) if 0 <= item_id < len(self._row_of) else -1

    def label(self, item_id: int) -> str | None:
        """The label of ``item_id``'s row, None if it has none."""
        item_id = int(item_id)
        return self._labels[self._block_of[item_id]] if self._row(item_id) >= 0 else None

    @property
    def nbytes(self) -> int:
        """Memory held by the index's arrays."""
        return sum(b.nbytes for b in self._blocks) + self._row_of.nbytes + self._block_of.nbytes

    def _block_for(self, label: str) -> int:
        if label not in self._block_of_label:
            self._block_of_label[label] = len(self._blocks)
            self._blocks.append(_Block(self.dim))
            self._labels.append(label)
        return self._block_of_label[label]

    def upsert(
        self, ids: Iterable[int], vectors: np.ndarray, labels: Iterable[str] | None = None
    ) -> None:
        """Add these vectors (with these labels, "" if None), replacing those of ids
        already there, and moving a row whose label changed to its new label's block."""
        ids = np.asarray([int(i) for i in ids], np.int64)
        if len(ids) and ids.min() < 0:
            raise ValueError("ids are positive")
        labels = [""] * len(ids) if labels is None else [str(label) for label in labels]
        if len(labels) != len(ids):
            raise ValueError("one label per id")
        rows, scale = quantise(np.asarray(vectors, np.float32).reshape(len(ids), self.dim))
        with self._lock:
            if len(ids) and ids.max() >= len(self._row_of):
                size = max(int(ids.max()) + 1, len(self._row_of) * 5 // 4)
                row_of = np.full(size, -1, np.int64)
                row_of[: len(self._row_of)] = self._row_of
                block_of = np.full(size, -1, np.int32)
                block_of[: len(self._block_of)] = self._block_of
                self._row_of, self._block_of = row_of, block_of
            blocks = np.asarray([self._block_for(label) for label in labels], np.int32)
            new = (self._row_of[ids] < 0) | (self._block_of[ids] != blocks)
            for block, count in zip(*np.unique(blocks[new], return_counts=True), strict=True):
                self._blocks[block].reserve(self._blocks[block].size + int(count))
            for item_id, block_no, row8, s in zip(ids, blocks, rows, scale, strict=True):
                row = self._row(int(item_id))
                if row >= 0 and self._block_of[item_id] != block_no:
                    self._take_out(int(item_id))  # its label changed
                    row = -1
                block = self._blocks[block_no]
                if row < 0:
                    block.reserve(block.size + 1)  # a no-op unless ids repeat
                    row = block.size
                    block.size += 1
                    self._size += 1
                    self._row_of[item_id] = row
                    self._block_of[item_id] = block_no
                    block.ids[row] = item_id
                block.rows[row] = row8
                block.scale[row] = s

    def remove(self, ids: Iterable[int]) -> None:
        """Forget these ids (unknown ones are ignored)."""
        with self._lock:
            for item_id in ids:
                if self._row(int(item_id)) >= 0:
                    self._take_out(int(item_id))

    def _take_out(self, item_id: int) -> None:
        """Remove ``item_id``'s row from its block: the block's last row moves into the
        hole. Under the lock."""
        block = self._blocks[self._block_of[item_id]]
        row = int(self._row_of[item_id])
        self._row_of[item_id] = -1
        self._block_of[item_id] = -1
        last = block.size - 1
        if row != last:
            moved = int(block.ids[last])
            block.rows[row] = block.rows[last]
            block.scale[row] = block.scale[last]
            block.ids[row] = moved
            self._row_of[moved] = row
        block.size = last
        self._size -= 1

    def search(
        self,
        query: np.ndarray,
        k: int,
        *,
        exclude: Iterable[int] = (),
        only: Iterable[int] | None = None,
        label: str | None = None,
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest ids to the unit vector ``query`` by int8 cosine, nearest first;
        never those in ``exclude``; with ``only``, only those; with ``label``, only rows of
        that label (only its block is read). Ties go to the smaller id."""
        query = np.asarray(query, np.float32).reshape(self.dim)
        q8, q_scale = quantise(query[None, :])
        excluded = {int(i) for i in exclude}
        with self._lock:
            if self._size == 0 or k <= 0:
                return []
            if label is None:
                blocks = range(len(self._blocks))
            else:
                blocks = [self._block_of_label[label]] if label in self._block_of_label else []
            rows_of = self._rows_of(only) if only is not None else {}
            parts = [
                self._blocks[b].scored(q8[0], rows_of.get(b) if only is not None else None)
                for b in blocks
                if only is None or b in rows_of
            ]
        if not parts:
            return []
        ids = parts[0][0] if len(parts) == 1 else np.concatenate([p[0] for p in parts])
        scores = parts[0][1] if len(parts) == 1 else np.concatenate([p[1] for p in parts])
        scores *= q_scale[0]
        if excluded:
            keep = ~np.isin(ids, np.fromiter(excluded, np.int64, len(excluded)))
            ids, scores = ids[keep], scores[keep]
        k = min(k, len(ids))
        if k == 0:
            return []
        top = _candidates(scores, k)
        order = np.lexsort((ids[top], -scores[top]))[:k]  # by score, then by id
        return [(int(ids[top[i]]), float(scores[top[i]])) for i in order]

    def _rows_of(self, ids: Iterable[int]) -> dict[int, np.ndarray]:
        """The rows of these ids by block (unknown ones left out), in row order: one
        vectorised look-up, so that restricting a search to 8 000 ids costs no loop."""
        wanted = np.fromiter((int(i) for i in ids), np.int64)
        wanted = wanted[(wanted >= 0) & (wanted < len(self._row_of))]
        wanted = wanted[self._row_of[wanted] >= 0]
        blocks, rows = self._block_of[wanted], self._row_of[wanted]
        return {int(b): np.unique(rows[blocks == b]) for b in np.unique(blocks)}

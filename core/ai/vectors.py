"""Nearest neighbours by cosine over unit vectors, in memory: the first pass of semantic
search, similar items, search by photo and the price suggestion.

Every row is scored (exact search, no graph to tune), from int8 rows with a per-row scale,
by numkong's SIMD int8 dot kernel: 100 000 CLIP ViT-B/32 embeddings take 52 MB (float32
would take 205 MB) and score in about 3 ms on one core. int8 alone keeps about 98 % of the
true top 24, so callers rescore a larger pool with the float32 embeddings the database
keeps (``core.catalogue.semantic.nearest``), which gives the exact top. bench/vector_index.py
compares this with float32 and float16 numpy, usearch's HNSW and sqlite-vec.

Each row has a label (the listing's category, for ``core.catalogue.embeddings.LiveIndex``)
and the rows of one label are kept together, a segment of the one array: a search
restricted to a label scores only its segment (a category of 8 000 listings in 0.2 ms where
all 100 000 take 2-3 ms, bench/price_hint.py), and a search of all scores every segment,
with the same scores and the same order as with no labels. (One array rather than one per
label: separate arrays scan 20-30 % slower.)
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
_MIN_ROWS = 64  # room a label's segment starts with


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows as int8 and the scale of each row (row ~= int8 * scale)."""
    vectors = np.asarray(vectors, np.float32)
    scale = np.abs(vectors).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    return np.round(vectors / scale[:, None]).astype(np.int8), scale.astype(np.float32)


def _dots(rows: np.ndarray, query: np.ndarray, out: np.ndarray) -> None:
    """int8 rows . int8 query, as float32, into ``out`` (exact below 2**24: up to 1 040
    dimensions)."""
    if numkong is not None and len(rows):
        numkong.cdist(
            rows, query[None, :], metric="dot", out=out.reshape(-1, 1), out_dtype="float32"
        )
        return
    q = query.astype(np.float32)
    for start in range(0, len(rows), _BLOCK):
        out[start : start + _BLOCK] = rows[start : start + _BLOCK].astype(np.float32) @ q


_SAMPLE = 16  # a large scan's threshold is read from every 16th score


def _candidates(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions holding the ``k`` highest scores (and maybe a few more, for the caller to
    order): every score from a threshold read on a sample, expected to let about 2k
    through; when fewer pass (an unlucky sample), a full partition. Exact either way: if k
    scores reach the threshold, the k highest are among them, and every score equal to
    the k-th is given too (for the caller to break ties by id, whatever the rows' order).
    At 100 000 rows it takes 0.1 ms where a partition of them all takes 1.2 ms
    (bench/price_hint.py)."""
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
    kth = scores[np.argpartition(-scores, k - 1)[:k]].min()
    return np.flatnonzero(scores >= kth)


class VectorIndex:
    """Unit vectors by integer id, each with a label (``model``: whose embeddings they
    are); ``search`` gives the nearest ones by approximate cosine, for a caller to rescore
    exactly, among all rows or those of one label.

    The rows are one array of segments, one per label, each with room to grow; a segment
    out of room lays the array out again, with 25 % more room for it. Thread-safe: the
    shop's sessions search while one of them refreshes it."""

    def __init__(self, dim: int, model: str = "") -> None:
        self.dim = dim
        self.model = model
        self._rows = np.zeros((0, dim), np.int8)
        self._scale = np.zeros(0, np.float32)
        self._ids = np.zeros(0, np.int64)
        self._labels: list[str] = []  # each segment's label,
        self._start: list[int] = []  # its first row,
        self._count: list[int] = []  # its rows in use,
        self._room: list[int] = []  # and its rows in all
        self._segment_of_label: dict[str, int] = {}
        self._row_of = np.full(0, -1, np.int64)  # by id: its row, or -1 (ids are dense)
        self._segment_of = np.full(0, -1, np.int32)  # by id: its segment
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
        return self._labels[self._segment_of[item_id]] if self._row(item_id) >= 0 else None

    @property
    def nbytes(self) -> int:
        """Memory held by the index's arrays."""
        return (
            self._rows.nbytes
            + self._scale.nbytes
            + self._ids.nbytes
            + self._row_of.nbytes
            + self._segment_of.nbytes
        )

    def upsert(
        self, ids: Iterable[int], vectors: np.ndarray, labels: Iterable[str] | None = None
    ) -> None:
        """Add these vectors (with these labels, "" if None), replacing those of ids
        already there, and moving a row whose label changed to its new label's segment."""
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
                segment_of = np.full(size, -1, np.int32)
                segment_of[: len(self._segment_of)] = self._segment_of
                self._row_of, self._segment_of = row_of, segment_of
            segments = np.asarray([self._segment_for(label) for label in labels], np.int32)
            new = (self._row_of[ids] < 0) | (self._segment_of[ids] != segments)
            segment, count = np.unique(segments[new], return_counts=True)
            self._make_room(dict(zip(segment.tolist(), count.tolist(), strict=True)))
            for item_id, s, row8, row_scale in zip(
                ids, segments.tolist(), rows, scale, strict=True
            ):
                row = self._row(int(item_id))
                if row >= 0 and self._segment_of[item_id] != s:
                    self._take_out(int(item_id))  # its label changed
                    row = -1
                if row < 0:
                    self._make_room({s: 1})  # a no-op unless ids repeat
                    row = self._start[s] + self._count[s]
                    self._count[s] += 1
                    self._size += 1
                    self._row_of[item_id] = row
                    self._segment_of[item_id] = s
                    self._ids[row] = item_id
                self._rows[row] = row8
                self._scale[row] = row_scale

    def remove(self, ids: Iterable[int]) -> None:
        """Forget these ids (unknown ones are ignored)."""
        with self._lock:
            for item_id in ids:
                if self._row(int(item_id)) >= 0:
                    self._take_out(int(item_id))

    def _segment_for(self, label: str) -> int:
        """The segment of ``label`` (a new, empty one at the end if it has none)."""
        if label not in self._segment_of_label:
            self._segment_of_label[label] = len(self._labels)
            self._labels.append(label)
            self._start.append(len(self._rows))
            self._count.append(0)
            self._room.append(0)
        return self._segment_of_label[label]

    def _make_room(self, needs: dict[int, int]) -> None:
        """Room for ``needs[s]`` more rows in segment ``s``: if one lacks it, the array is
        laid out again, the segments that lacked room given what they need or 25 % more
        than they had, whichever is more. Under the lock."""
        short = {s: n for s, n in needs.items() if self._count[s] + n > self._room[s]}
        if not short:
            return
        rooms = list(self._room)
        for s, n in short.items():
            rooms[s] = max(self._count[s] + n, rooms[s] * 5 // 4, _MIN_ROWS)
        total = sum(rooms)
        rows = np.zeros((total, self.dim), np.int8)
        scale = np.zeros(total, np.float32)
        ids = np.zeros(total, np.int64)
        start = 0
        for s, room in enumerate(rooms):
            old, count = self._start[s], self._count[s]
            rows[start : start + count] = self._rows[old : old + count]
            scale[start : start + count] = self._scale[old : old + count]
            ids[start : start + count] = self._ids[old : old + count]
            self._row_of[ids[start : start + count]] += start - old
            self._start[s] = start
            start += room
        self._rows, self._scale, self._ids, self._room = rows, scale, ids, rooms

    def _take_out(self, item_id: int) -> None:
        """Remove ``item_id``'s row: its segment's last row moves into the hole. Under the
        lock."""
        s = int(self._segment_of[item_id])
        row = int(self._row_of[item_id])
        self._row_of[item_id] = -1
        self._segment_of[item_id] = -1
        last = self._start[s] + self._count[s] - 1
        if row != last:
            moved = int(self._ids[last])
            self._rows[row] = self._rows[last]
            self._scale[row] = self._scale[last]
            self._ids[row] = moved
            self._row_of[moved] = row
        self._count[s] -= 1
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
        that label (only its segment is read). Ties go to the smaller id."""
        query = np.asarray(query, np.float32).reshape(self.dim)
        q8, q_scale = quantise(query[None, :])
        excluded = {int(i) for i in exclude}
        with self._lock:
            if (
                self._size == 0
                or k <= 0
                or (label is not None and label not in self._segment_of_label)
            ):
                return []
            segment = None if label is None else self._segment_of_label[label]
            if only is not None:
                rows = self._rows_of(only, segment)
                ids, scores = self._ids[rows], np.empty(len(rows), np.float32)
                _dots(self._rows[rows], q8[0], scores)
                scores *= self._scale[rows]
            else:
                segments = range(len(self._labels)) if segment is None else [segment]
                spans = [(self._start[s], self._count[s]) for s in segments]
                ids = np.empty(sum(n for _, n in spans), np.int64)
                scores = np.empty(len(ids), np.float32)
                at = 0
                for start, n in spans:  # every segment's scores in one array
                    ids[at : at + n] = self._ids[start : start + n]
                    _dots(self._rows[start : start + n], q8[0], scores[at : at + n])
                    scores[at : at + n] *= self._scale[start : start + n]
                    at += n
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

    def _rows_of(self, ids: Iterable[int], segment: int | None) -> np.ndarray:
        """The rows of these ids (unknown ones left out; with ``segment``, only its), in
        row order: one vectorised look-up, so that restricting a search to a category's
        8 000 ids costs no loop."""
        wanted = np.fromiter((int(i) for i in ids), np.int64)
        wanted = wanted[(wanted >= 0) & (wanted < len(self._row_of))]
        rows = self._row_of[wanted]
        if segment is not None:
            rows = rows[self._segment_of[wanted] == segment]
        return np.unique(rows[rows >= 0])

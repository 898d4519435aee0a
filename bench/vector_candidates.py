"""The vector index benchmark's candidates (bench/vector_index.py), each a small class:
build, add, remove, search(query, k, allowed_ids). Dense matrices scored by numpy or
numkong (float32, float16, int8, int8 rescored from the store), usearch HNSW, and sqlite-vec
in a worker process whose Python can load extensions:

    python bench/vector_candidates.py DB   (the worker, started by ``SqliteVec``)
"""

from __future__ import annotations

import gc
import os
import pickle
import sqlite3
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from vector_store import DIM, Store

RESCORE = 200


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k highest scores, best first."""
    if k < len(scores):
        part = np.argpartition(-scores, k)[:k]
        return part[np.argsort(-scores[part], kind="stable")]
    return np.argsort(-scores, kind="stable")


def quantise_i8(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = np.abs(rows).max(axis=1) / 127.0
    return np.round(rows / scale[:, None]).astype(np.int8), scale.astype(np.float32)


class DenseMatrix:
    """Rows in a growing buffer; id -> row through an array; remove swaps the last row in."""

    dtype = np.float32
    exact = True

    def __init__(self, store: Store | None = None):
        self.store = store

    def encode(self, vectors: np.ndarray):
        return vectors.astype(self.dtype)

    def build(self, matrix: np.ndarray, ids: np.ndarray) -> None:
        self.rows = self.encode(matrix)
        self.n = len(ids)
        self.ids = ids.astype(np.int64).copy()
        self.row_of = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
        self.row_of[self.ids] = np.arange(self.n)

    def _grow(self, extra: int) -> None:
        if self.n + extra > len(self.ids):
            capacity = max(self.n + extra, len(self.ids) + len(self.ids) // 8 + 1024)
            self.rows = _resized(self.rows, capacity)
            self.ids = np.resize(self.ids, capacity)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._grow(len(ids))
        end = self.n + len(ids)
        _assign(self.rows, slice(self.n, end), self.encode(vectors))
        self.ids[self.n : end] = ids
        if ids.max() >= len(self.row_of):
            self.row_of = np.resize(self.row_of, max(int(ids.max()) + 1, len(self.row_of) * 2))
        self.row_of[ids] = np.arange(self.n, end)
        self.n = end

    def remove(self, ids: np.ndarray) -> None:
        for item_id in ids:
            row, last = self.row_of[item_id], self.n - 1
            if row < 0:
                continue
            _assign(self.rows, slice(row, row + 1), _take(self.rows, [last]))
            self.ids[row] = self.ids[last]
            self.row_of[self.ids[row]] = row
            self.row_of[item_id] = -1
            self.n = last

    def scores(self, query: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        block = self.rows[: self.n] if rows is None else self.rows[rows]
        return block @ query

    def search(self, query: np.ndarray, k: int, allowed_ids=None) -> np.ndarray:
        rows = None
        if allowed_ids is not None:
            rows = self.row_of[allowed_ids]
            rows = rows[rows >= 0]
        scores = self.scores(query, rows)
        best = top_k(scores, k)
        return self.ids[best] if rows is None else self.ids[rows[best]]

    def nbytes(self) -> int:
        return self.rows[: self.n].nbytes + self.ids.nbytes + self.row_of.nbytes


def _resized(rows, capacity):
    if isinstance(rows, tuple):
        return tuple(np.resize(r, (capacity, *r.shape[1:])) for r in rows)
    return np.resize(rows, (capacity, *rows.shape[1:]))


def _assign(rows, where, values):
    if isinstance(rows, tuple):
        for r, v in zip(rows, values, strict=True):
            r[where] = v
    else:
        rows[where] = values


def _take(rows, where):
    if isinstance(rows, tuple):
        return tuple(r[where] for r in rows)
    return rows[where]


class NumpyF32(DenseMatrix):
    name = "np-f32"


class NumpyF16(DenseMatrix):
    name = "np-f16"
    dtype = np.float16

    def scores(self, query, rows):
        block = self.rows[: self.n] if rows is None else self.rows[rows]
        out = np.empty(len(block), np.float32)
        for start in range(0, len(block), 4096):
            out[start : start + 4096] = block[start : start + 4096].astype(np.float32) @ query
        return out


class Int8Rows(DenseMatrix):
    """int8 rows with a per-row scale; optionally the top RESCORE rescored from the store."""

    rescore = False

    def encode(self, vectors):
        return quantise_i8(vectors)

    def nbytes(self):
        q, s = self.rows
        return q[: self.n].nbytes + s[: self.n].nbytes + self.ids.nbytes + self.row_of.nbytes

    def raw_scores(self, q8, query):
        out = np.empty(len(q8), np.float32)
        for start in range(0, len(q8), 4096):
            out[start : start + 4096] = q8[start : start + 4096].astype(np.float32) @ query
        return out

    def search(self, query, k, allowed_ids=None):
        q8, scale = self.rows[0][: self.n], self.rows[1][: self.n]
        rows = None
        if allowed_ids is not None:
            rows = self.row_of[allowed_ids]
            rows = rows[rows >= 0]
            q8, scale = q8[rows], scale[rows]
        scores = self.raw_scores(q8, query) * scale
        best = top_k(scores, max(k, RESCORE) if self.rescore else k)
        found = self.ids[best] if rows is None else self.ids[rows[best]]
        if not self.rescore:
            return found
        got, exact = self.store.embeddings(found)
        return got[top_k(exact @ query, k)]


class NumpyI8Rescore(Int8Rows):
    name = "np-i8+rescore"
    rescore = True


class NumkongF16(DenseMatrix):
    name = "nk-f16"
    dtype = np.float16

    def scores(self, query, rows):
        import numkong

        block = self.rows[: self.n] if rows is None else self.rows[rows]
        q = query.astype(np.float16)[None, :]
        return np.asarray(numkong.cdist(block, q, metric="dot")).ravel()


class NumkongI8(Int8Rows):
    name = "nk-i8"

    def raw_scores(self, q8, query):
        import numkong

        q = np.round(query / np.abs(query).max() * 127).astype(np.int8)[None, :]
        return np.asarray(numkong.cdist(q8, q, metric="dot")).ravel()


class NumkongI8Rescore(NumkongI8):
    name = "nk-i8+rescore"
    rescore = True


class Hnsw:
    """usearch HNSW; filters by over-fetching (no predicate search in its Python API)."""

    exact = False
    dtype = "f16"
    ef = None

    def __init__(self, store=None):
        pass

    def encode(self, vectors):
        if self.dtype == "i8":
            return quantise_i8(vectors)[0]  # cosine ignores the per-row scale
        return vectors.astype(np.float16)

    def build(self, matrix, ids):
        from usearch.index import Index

        self.index = Index(ndim=DIM, metric="cos", dtype=self.dtype, connectivity=16,
                           expansion_add=64)  # fmt: skip
        self.index.add(ids.astype(np.uint64), self.encode(matrix), threads=2)

    def add(self, ids, vectors):
        self.index.add(ids.astype(np.uint64), self.encode(vectors), threads=1)

    def remove(self, ids):
        self.index.remove(ids.astype(np.uint64))

    def _query(self, query):
        if self.dtype == "i8":
            return np.round(query / np.abs(query).max() * 127).astype(np.int8)
        return query.astype(np.float16)

    def search(self, query, k, allowed_ids=None):
        if self.ef is not None:
            self.index.expansion_search = self.ef
        try:
            q = self._query(query)
            if allowed_ids is None:
                return self.index.search(q, k, threads=1).keys.astype(np.int64)
            fetch = min(len(self.index), int(k * len(self.index) / max(len(allowed_ids), 1) * 2))
            while True:
                keys = self.index.search(q, fetch, threads=1).keys.astype(np.int64)
                kept = keys[np.isin(keys, allowed_ids)]
                if len(kept) >= k or fetch >= len(self.index):
                    return kept[:k]
                fetch = min(len(self.index), fetch * 2)
        finally:
            self.index.expansion_search = 64

    def nbytes(self):
        return self.index.memory_usage


class HnswF16(Hnsw):
    name = "hnsw-f16"


class HnswI8(Hnsw):
    name = "hnsw-i8"
    dtype = "i8"


class HnswView:
    """The same built index searched with another expansion_search (no second build)."""

    exact = False

    def __init__(self, base: Hnsw, ef: int):
        self.base, self.ef = base, ef
        self.name = f"{base.name}@ef{ef}"

    def search(self, query, k, allowed_ids=None):
        self.base.ef = self.ef
        try:
            return self.base.search(query, k, allowed_ids)
        finally:
            self.base.ef = None


def can_load_extensions(python: str) -> bool:
    code = "import sqlite3; sqlite3.connect(':memory:').enable_load_extension(True)"
    return subprocess.run([python, "-c", code], capture_output=True).returncode == 0


class SqliteVec:
    """A vec0 table in a real SQLite file, driven through a worker (timed inside it)."""

    name = "sqlite-vec"
    exact = True

    def __init__(self, python: str, db: Path):
        import sqlite_vec

        env = dict(os.environ)
        site = str(Path(sqlite_vec.__file__).resolve().parent.parent)  # numpy, sqlite_vec
        env["PYTHONPATH"] = site + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen(
            [python, __file__, str(db)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
        )  # fmt: skip
        self.last_ms = self.pipe_ms = 0.0

    def call(self, *message):
        start = time.perf_counter()
        data = pickle.dumps(message)
        self.proc.stdin.write(struct.pack("<Q", len(data)) + data)
        self.proc.stdin.flush()
        (size,) = struct.unpack("<Q", self.proc.stdout.read(8))
        result, elapsed = pickle.loads(self.proc.stdout.read(size))
        self.last_ms = elapsed * 1000
        self.pipe_ms = (time.perf_counter() - start) * 1000 - self.last_ms
        return result

    def build(self, matrix, ids, categories):
        self.build_info = self.call("build", matrix, ids, categories)

    def add(self, ids, vectors, categories):
        self.call("add", vectors, ids, categories)

    def remove(self, ids):
        self.call("remove", ids)

    def search(self, query, k, category=None):
        return self.call("search", query, k, category)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def sqlite_worker(db: str) -> None:
    import sqlite_vec

    conn = sqlite3.connect(db, isolation_level=None)
    conn.enable_load_extension(True)
    sqlite_vec.load(conn)
    conn.enable_load_extension(False)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer

    def build(matrix, ids, categories):
        before = rss_bytes()
        conn.execute("DROP TABLE IF EXISTS vec_item")
        conn.execute(
            "CREATE VIRTUAL TABLE vec_item USING vec0(embedding float[512] distance_metric=cosine,"
            " category integer partition key, available integer)"
        )
        add(matrix, ids, categories)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        gc.collect()
        return {"rss_delta": rss_bytes() - before, "file_bytes": os.path.getsize(db)}

    def add(vectors, ids, categories):
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO vec_item (rowid, embedding, category, available) VALUES (?, ?, ?, 1)",
            (
                (int(i), v.tobytes(), int(c))
                for i, v, c in zip(ids, vectors, categories, strict=True)
            ),
        )
        conn.execute("COMMIT")

    def remove(ids):
        conn.execute("BEGIN")
        conn.executemany("DELETE FROM vec_item WHERE rowid = ?", ((int(i),) for i in ids))
        conn.execute("COMMIT")

    def search(query, k, category):
        sql = "SELECT rowid FROM vec_item WHERE embedding MATCH ? AND k = ? AND available = 1"
        args = [query.astype(np.float32).tobytes(), k]
        if category is not None:
            sql += " AND category = ?"
            args.append(int(category))
        return np.array([r[0] for r in conn.execute(sql, args)], dtype=np.int64)

    actions = {"build": build, "add": add, "remove": remove, "search": search}
    while header := stdin.read(8):
        (size,) = struct.unpack("<Q", header)
        action, *args = pickle.loads(stdin.read(size))
        start = time.perf_counter()
        result = actions[action](*args)
        data = pickle.dumps((result, time.perf_counter() - start))
        stdout.write(struct.pack("<Q", len(data)) + data)
        stdout.flush()


def timed_search(candidate, query, k, allowed=None, category=None):
    if isinstance(candidate, SqliteVec):
        found = candidate.search(query, k, category)
        return found, candidate.last_ms
    start = time.perf_counter()
    found = candidate.search(query, k, allowed)
    return found, (time.perf_counter() - start) * 1000


if __name__ == "__main__":
    sqlite_worker(sys.argv[1])

"""The vector index benchmark's data (bench/vector_index.py): seeded unit vectors, random or
clustered, and the store of record, a real SQLite file (embeddings as float32 blobs, a
version counter, card rows)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

DIM = 512


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def make_vectors(n: int, rng: np.random.Generator, clustered: bool) -> np.ndarray:
    if not clustered:
        return unit(rng.standard_normal((n, DIM), dtype=np.float32))
    centroids = unit(rng.standard_normal((200, DIM), dtype=np.float32))
    which = rng.integers(0, len(centroids), n)
    noise = unit(rng.standard_normal((n, DIM), dtype=np.float32))
    return unit(centroids[which] + 0.9 * noise)  # cosine to its centroid ~0.75


class Store:
    """The database side: embeddings as float32 blobs, a version counter, card rows."""

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.executescript(
            "CREATE TABLE item (id INTEGER PRIMARY KEY AUTOINCREMENT, category INTEGER,"
            " available INTEGER, title TEXT, price_cents INTEGER, embedding BLOB);"
            "CREATE INDEX item_category ON item (category, available);"
            "CREATE TABLE vector_version (id INTEGER PRIMARY KEY, version INTEGER);"
            "INSERT INTO vector_version VALUES (1, 0);"
        )

    def fill(self, vectors: np.ndarray, categories: np.ndarray) -> np.ndarray:
        rows = (
            (int(c), 1, f"listing {i}", 1000 + i % 9000, v.tobytes())
            for i, (v, c) in enumerate(zip(vectors, categories, strict=True))
        )
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany(
                "INSERT INTO item (category, available, title, price_cents, embedding)"
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            self.conn.execute("UPDATE vector_version SET version = version + 1")
        return np.array([r[0] for r in self.conn.execute("SELECT id FROM item ORDER BY id")])

    def load_all(self) -> tuple[np.ndarray, np.ndarray]:
        """What a restart does: read every embedding back."""
        ids, blobs = [], []
        for item_id, blob in self.conn.execute("SELECT id, embedding FROM item ORDER BY id"):
            ids.append(item_id)
            blobs.append(blob)
        matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), DIM)
        return np.array(ids), matrix

    def rows_after(self, known: int, limit: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self.conn.execute(
            "SELECT id, embedding FROM item WHERE id > ? ORDER BY id LIMIT ?", (known, limit)
        ).fetchall()
        got = np.array([r[0] for r in rows])
        return got, np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(-1, DIM)

    def version(self) -> int:
        return self.conn.execute("SELECT version FROM vector_version WHERE id = 1").fetchone()[0]

    def embeddings(self, ids) -> tuple[np.ndarray, np.ndarray]:
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(
            f"SELECT id, embedding FROM item WHERE id IN ({marks})", [int(i) for i in ids]
        ).fetchall()
        got = np.array([r[0] for r in rows])
        return got, np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(-1, DIM)

    def cards(self, ids) -> list:
        marks = ",".join("?" * len(ids))
        return self.conn.execute(
            f"SELECT id, title, price_cents, category FROM item WHERE id IN ({marks})"
            " AND available = 1",
            [int(i) for i in ids],
        ).fetchall()

    def category_ids(self, category: int) -> np.ndarray:
        rows = self.conn.execute(
            "SELECT id FROM item WHERE category = ? AND available = 1", (category,)
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

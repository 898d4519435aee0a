"""AI search benchmark: a text query end to end, similar items, the index's memory, at
1 000, 10 000 and 100 000 listings on SQLite, with the vector index candidates side by side.

    python bench/search.py --model-dir DIR [--sizes 1000 10000 100000] [--queries 30]

DIR is a real-size CLIP ViT-B/32 model directory with its tokenizer (random weights are
fine for cost: ``python -m tools.model export --untrained --model-dir DIR``). Each size
fills a temp SQLite database (bench/catalogue.py's listings) and gives every listing a
random unit embedding (512 dimensions: the cost is the same as real ones).

Measured per size (p50 over the queries, each query different; one core for numpy, as
under load):
- text query end to end: tokenise + text tower + vector search under the shop's filters +
  keyword matches + fusion + fetching the page of 24 cards (``core.catalogue.shop.browse``);
  the same search by keywords only (as without a model), side by side;
- similar items (the item page's row); the index's load time from the database and its
  memory (its arrays, and the process's resident memory before and after);
- the index alone against the candidates: exact float32 numpy, exact float16 (ours),
  usearch HNSW (when installed), with recall@24 against exact float32.
Then the sell page's upload work (bench/upload.py) when it is there.
Goals: text query p50 < 60 ms at 100 000 with growth < 2x from 1 000; similar items
p50 < 20 ms; recall@24 >= 0.98; memory <= 100 MB per 100 000 listings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core a query, as under load

import numpy as np
from catalogue import fill  # bench/catalogue.py, beside this script

QUERIES = [
    "red summer dress for a wedding", "warm wool coat for winter", "vintage denim jacket",
    "black leather boots", "striped cotton t-shirt", "a hat for the beach",
    "linen shirt", "cosy knitted sweater", "running shoes", "little black dress",
    "oversized hoodie", "floral skirt", "jeans", "levis 501", "green parka",
    "white sneakers", "silk blouse for the office", "shorts for hiking", "a handbag",
    "corduroy trousers", "wool scarf", "beige trench coat", "sport bra", "rain jacket",
    "party dress with sequins", "cashmere jumper", "baby clothes", "yellow raincoat",
    "velvet blazer", "pyjamas",
]  # fmt: skip
GOAL_TEXT_MS = 60.0
GOAL_GROWTH = 2.0
GOAL_SIMILAR_MS = 20.0
GOAL_RECALL = 0.98
GOAL_MB_PER_100K = 100.0
DIM = 512


def ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def random_units(n: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, DIM), dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def store_embeddings(engine, model: str, seed: int) -> int:
    from sqlalchemy import insert, select

    from core.catalogue.embeddings import to_blob
    from core.models.catalogue import Item, ItemEmbedding

    with engine.connect() as conn:
        ids = [row[0] for row in conn.execute(select(Item.id).order_by(Item.id))]
    vectors = random_units(len(ids), seed)
    for start in range(0, len(ids), 5000):
        rows = [
            {"item_id": i, "model": model, "vector": to_blob(v)}
            for i, v in zip(ids[start : start + 5000], vectors[start : start + 5000], strict=True)
        ]
        with engine.begin() as conn:
            conn.execute(insert(ItemEmbedding), rows)
    return len(ids)


def candidates(session, index, queries: np.ndarray, k: int = 24) -> dict:
    """The index alone, side by side: exact float32 numpy (the truth), exact float16 with
    numkong, ours (int8 with numkong, the top 200 rescored from the database), and usearch's
    HNSW (int8) when installed; recall@24 against the truth. bench/vector_index.py compares
    more candidates (sqlite-vec, numpy float16 and int8) in more detail."""
    from core.catalogue.embeddings import stored_vectors
    from core.catalogue.semantic import SemanticQuery, nearest

    ids = np.asarray(sorted(stored_vectors(session, index.model, range(1, 10**7)).keys()))
    f32 = np.stack(list(stored_vectors(session, index.model, ids.tolist()).values()))
    out: dict = {}

    def exact32(q):
        scores = f32 @ q
        top = np.argpartition(-scores, k)[:k]
        return ids[top[np.argsort(-scores[top])]]

    truth = [set(exact32(q)) for q in queries]

    def timed(search) -> tuple[float, float]:
        search(queries[0])
        samples, recall = [], []
        for q, want in zip(queries, truth, strict=True):
            start = time.perf_counter()
            got = search(q)
            samples.append(time.perf_counter() - start)
            recall.append(len(set(got) & want) / k)
        return ms(samples), round(float(np.mean(recall)), 4)

    p, r = timed(exact32)
    out["numpy_f32_exact"] = {"p50_ms": p, "recall": r, "mb": round(f32.nbytes / 1e6, 1)}
    try:
        import numkong

        f16 = f32.astype(np.float16)

        def exact16(q):
            scores = np.asarray(numkong.cdist(f16, q.astype(np.float16)[None], metric="dot"))
            scores = scores.ravel()
            return ids[np.argpartition(-scores, k)[:k]]

        p, r = timed(exact16)
        out["numkong_f16_exact"] = {"p50_ms": p, "recall": r, "mb": round(f16.nbytes / 1e6, 1)}
    except ImportError:
        pass
    # ours, with the availability check and the rescoring nearest() does
    p, r = timed(lambda q: [i for i, _ in nearest(session, SemanticQuery(index, q), limit=k)])
    out["ours_int8_rescored"] = {"p50_ms": p, "recall": r, "mb": round(index.nbytes / 1e6, 1)}
    try:
        from usearch.index import Index
    except ImportError:
        return out
    hnsw = Index(ndim=DIM, metric="cos", dtype="i8")
    start = time.perf_counter()
    hnsw.add(ids.astype(np.uint64), f32, threads=2)
    build = time.perf_counter() - start
    p, r = timed(lambda q: hnsw.search(q, k, threads=1).keys)
    out["usearch_hnsw_i8"] = {
        "p50_ms": p, "recall": r, "mb": round(hnsw.memory_usage / 1e6, 1),
        "build_s": round(build, 1),
    }  # fmt: skip
    return out


def bench_size(count: int, model_dir: Path, n_queries: int, work: Path) -> dict:
    from sqlmodel import Session

    from core.ai.text import TextEncoder
    from core.catalogue.address import ShopAddress, ShopFilters
    from core.catalogue.embeddings import LiveIndex
    from core.catalogue.semantic import SemanticQuery, similar_items
    from core.catalogue.shop import browse
    from core.db import make_engine

    path = work / f"search-{count}.db"
    engine = make_engine(f"sqlite:///{path}")
    fill(engine, count)
    encoder = TextEncoder.load(model_dir)
    model = encoder.fingerprint
    store_embeddings(engine, model, seed=count)

    before = rss_mb()
    live = LiveIndex(model, refresh_seconds=0)
    start = time.perf_counter()
    with Session(engine) as session:
        index = live.current(session)
    load_s = time.perf_counter() - start
    grown = rss_mb() - before

    queries = QUERIES[:n_queries]
    rng = random.Random(count)
    text_s, keyword_s, similar_s, filtered_s, embed_s = [], [], [], [], []
    cards: list[int] = []  # cards on the page each query shows (24 at most)
    with Session(engine) as session:
        for q in queries[:3]:  # warm-up
            browse(
                session, ShopAddress(ShopFilters(text=q)), SemanticQuery(index, encoder.embed(q))
            )
        for q in queries:
            start = time.perf_counter()
            vector = encoder.embed(q)
            embedded = time.perf_counter()
            live.current(session)  # the freshness check every run does
            shown = browse(session, ShopAddress(ShopFilters(text=q)), SemanticQuery(index, vector))
            text_s.append(time.perf_counter() - start)
            embed_s.append(embedded - start)
            cards.append(len(shown.page.cards))

            start = time.perf_counter()
            browse(session, ShopAddress(ShopFilters(text=q)))  # keywords only: no model
            keyword_s.append(time.perf_counter() - start)

            start = time.perf_counter()
            narrow = ShopFilters(text=q, categories=("hat",), max_price=50)
            browse(session, ShopAddress(narrow), SemanticQuery(index, vector))
            filtered_s.append(time.perf_counter() - start)

            item_id = rng.randrange(1, count + 1)
            start = time.perf_counter()
            similar_items(session, index, item_id)
            similar_s.append(time.perf_counter() - start)
        compared = candidates(session, index, random_units(min(n_queries, 30), seed=7))
    engine.dispose()
    path.unlink(missing_ok=True)
    return {
        "candidates": compared,
        "listings": count,
        "text_query_p50_ms": ms(text_s),
        "of_which_text_embedding_p50_ms": ms(embed_s),
        "cards_per_page_mean": round(statistics.mean(cards), 1),
        "keyword_only_p50_ms": ms(keyword_s),
        "text_query_narrow_filter_p50_ms": ms(filtered_s),
        "similar_items_p50_ms": ms(similar_s),
        "index_load_s": round(load_s, 2),
        "index_arrays_mb": round(index.nbytes / 1e6, 1),
        "index_rss_growth_mb": round(grown, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--queries", type=int, default=len(QUERIES))
    parser.add_argument("--upload-repeats", type=int, default=8)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        for size in args.sizes:
            row = bench_size(size, args.model_dir, args.queries, Path(tmp))
            results.append(row)
            print(json.dumps(row))
    first, last = results[0], results[-1]
    growth = last["text_query_p50_ms"] / first["text_query_p50_ms"]
    # the index's arrays (int8 rows, scales, ids): what it holds for as long as it lives;
    # the RSS before and after the load is printed too, but the allocator's reuse of the
    # rows read from the database makes it noisy (negative at times)
    mb_per_100k = last["index_arrays_mb"] * 100_000 / last["listings"]
    ours = last["candidates"]["ours_int8_rescored"]
    summary = {
        "sizes": results,
        "text_query_growth": round(growth, 2),
        "index_mb_per_100k": round(mb_per_100k, 1),
    }
    goals = {
        f"text_query_p50_under_{GOAL_TEXT_MS:g}ms_at_{last['listings']}": (
            last["text_query_p50_ms"] < GOAL_TEXT_MS
        ),
        f"text_query_growth_under_{GOAL_GROWTH:g}x": growth < GOAL_GROWTH,
        f"similar_items_p50_under_{GOAL_SIMILAR_MS:g}ms": (
            last["similar_items_p50_ms"] < GOAL_SIMILAR_MS
        ),
        f"recall_at_24_at_least_{GOAL_RECALL}": ours["recall"] >= GOAL_RECALL,
        f"memory_per_100k_at_most_{GOAL_MB_PER_100K:g}mb": mb_per_100k <= GOAL_MB_PER_100K,
    }
    try:
        from upload import measure_upload  # bench/upload.py: the sell page's upload work
    except ImportError:
        measure_upload = None
    if measure_upload is not None:
        upload = measure_upload(args.model_dir, args.upload_repeats)
        summary["upload"] = upload
        goals.update(upload.get("goals_met", {}))
    summary["goals_met"] = goals
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

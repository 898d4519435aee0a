"""The sell page's price suggestion (issue 23) at 1 000, 10 000 and 100 000 listings on
SQLite, side by side in one run: what the page adds on top of the embedding the upload
already computes (bench/upload.py measures that).

Each size fills a temp SQLite file the same way: listings over 13 categories, a third of
them sold (with their orders and order lines, some at a lower accepted price), conditions
and a few brands; every cover a 512-dimension unit embedding (CLIP ViT-B/32's width) drawn
around its category's centre, so that a category's listings are alike (cosine ~0.8) and
others less so, as real covers are. The in-memory index is loaded once (as the app keeps
it), then each query is a new cover near a category's centre, from a random seller, with a
condition and a brand, the sizes' queries interleaved (one of each in turn: the machine's
noise falls on all alike):
- the price suggestion (``core.catalogue.price_hints.price_hint``: the index's search of
  the category's rows, the candidates' rows, exact rescoring, the range and the three
  cards' thumbnails);
- "similar to one you already listed" (``core.catalogue.lookalikes.own_lookalike``);
- both, as the sell page runs them per rerun.
Prints one JSON object on its last line, with ``goals_met``: the suggestion under 30 ms
p50 at 100 000, growing less than 2x from 1 000 to 100 000.

``--baseline DIR`` times another checkout's suggestion too (its
``core/catalogue/price_hints.py`` and ``core/ai/vectors.py``, with its own index of the
same embeddings; ``git archive main | tar -x -C DIR``), before and after in one run: each
round one new query for each, in turn; then each is given the other's query, untimed, and
the two hints compared (``same_hints``).

    python bench/price_hint.py [--sizes 1000 10000 100000] [--queries 60] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core a query, as under load

import numpy as np

GOAL_MS = 30.0
GOAL_GROWTH = 2.0
DIM = 512
CHUNK = 10_000
MODEL = "bench-price-hint"
BRANDS = ["Zara", "Mango", "H&M", "Levi's", "COS", "Sézane", "Uniqlo", "Arket"]


def ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def p95(samples: list[float]) -> float:
    return round(sorted(samples)[int(0.95 * (len(samples) - 1))] * 1000, 2)


def unit_rows(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def build(path: Path, listings: int, seed: int = 7) -> dict:
    """The marketplace of ``listings`` listings; returns what queries need."""
    from sqlalchemy import insert, text

    from core.catalogue import categories
    from core.catalogue.embeddings import to_blob
    from core.catalogue.photos import prepare_photo
    from core.db import make_engine
    from core.models.accounts import User
    from core.models.base import utcnow
    from core.models.catalogue import Condition, Item, ItemEmbedding, Photo, brand_key
    from core.models.trade import Order, OrderLine
    from core.schema import upgrade_schema
    from demo.illustrations import garment_jpeg

    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    now = utcnow()
    codes = [c.code for c in categories.CATEGORIES]
    conditions = [c.value for c in Condition]
    centres = unit_rows(nrng.normal(size=(len(codes), DIM)))
    users = max(20, listings // 10)
    thumb = prepare_photo(garment_jpeg("dress", "red"))
    with engine.begin() as conn:
        conn.execute(
            insert(User.__table__),
            [
                dict(email=f"member{n}@example.com", display_name=f"Member {n}",
                     password_hash="$2b$12$" + "x" * 53, created_at=now - timedelta(days=200),
                     password_changed_at=now)
                for n in range(users)
            ],
        )  # fmt: skip
        for start in range(0, listings, CHUNK):
            count = min(CHUNK, listings - start)
            picks = [rng.randrange(len(codes)) for _ in range(count)]
            rows, orders, lines = [], [], []
            for n, c in enumerate(picks, start=start + 1):
                brand = rng.choice(BRANDS)
                sold = rng.random() < 1 / 3
                rows.append(dict(
                    seller_id=rng.randrange(1, users + 1), title=f"Item {n}", description="",
                    category=codes[c], size="M", brand=brand, brand_key=brand_key(brand),
                    condition=rng.choice(conditions),
                    price_cents=int(rng.lognormvariate(3.2, 0.6) * 100) + 100,
                    status="sold" if sold else "available", revision=1, search_text="",
                    created_at=now - timedelta(days=rng.uniform(0, 120)), updated_at=now,
                ))  # fmt: skip
            conn.execute(insert(Item.__table__), rows)
            for n, row in enumerate(rows, start=start + 1):
                if row["status"] != "sold":
                    continue
                buyer = row["seller_id"] % users + 1
                orders.append(dict(
                    id=n, buyer_id=buyer, seller_id=row["seller_id"], status="paid",
                    tracking="", total_cents=row["price_cents"], shipping_name="B",
                    shipping_address="1 rue", shipping_postal_code="75001",
                    shipping_city="Paris", created_at=row["created_at"] + timedelta(days=3),
                ))  # fmt: skip
                paid = row["price_cents"] * (9 if rng.random() < 0.2 else 10) // 10
                lines.append(dict(order_id=n, item_id=n, seller_id=row["seller_id"],
                                  title=row["title"], brand=row["brand"], size="M",
                                  price_cents=max(paid, 1)))  # fmt: skip
            if orders:
                conn.execute(insert(Order.__table__), orders)
                conn.execute(insert(OrderLine.__table__), lines)
            conn.execute(
                insert(Photo.__table__),
                [dict(item_id=n, position=0, thumbnail=thumb.thumbnail, image=thumb.thumbnail,
                      width=thumb.width, height=thumb.height, created_at=now)
                 for n in range(start + 1, start + count + 1)],
            )  # fmt: skip
            vectors = unit_rows(
                centres[picks] * 2.0 + nrng.normal(size=(count, DIM)) / np.sqrt(DIM)
            )
            conn.execute(
                insert(ItemEmbedding.__table__),
                [dict(item_id=n, model=MODEL, vector=to_blob(v), created_at=now)
                 for n, v in enumerate(vectors, start=start + 1)],
            )  # fmt: skip
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return {"codes": codes, "centres": centres, "users": users}


def load_baseline(directory: Path):
    """Another checkout's vector index and price suggestion modules, under other names (the
    rest of ``core`` is this checkout's)."""
    modules = []
    for name, path in (
        ("vectors", "core/ai/vectors.py"),
        ("hints", "core/catalogue/price_hints.py"),
    ):
        spec = importlib.util.spec_from_file_location(f"baseline_{name}", directory / path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # as an import would (dataclasses look it up)
        spec.loader.exec_module(module)
        modules.append(module)
    return modules


def baseline_index(session, vectors_module):
    """The baseline's index of the stored embeddings, filled as its app would."""
    from sqlmodel import select

    from core.catalogue.embeddings import from_blob
    from core.models.catalogue import ItemEmbedding

    index, after = vectors_module.VectorIndex(DIM, MODEL), 0
    while True:
        rows = session.exec(
            select(ItemEmbedding.item_id, ItemEmbedding.vector)
            .where(ItemEmbedding.model == MODEL, ItemEmbedding.item_id > after)
            .order_by(ItemEmbedding.item_id)
            .limit(5000)
        ).all()
        if not rows:
            return index
        index.upsert([i for i, _ in rows], np.stack([from_blob(blob) for _, blob in rows]))
        after = rows[-1][0]


def summary(hint) -> tuple | None:
    """What a hint says, comparable across two checkouts' classes."""
    if hint is None or not hasattr(hint, "comparables"):
        return hint if hint is None else ("too few", hint.found)
    return (
        hint.low_cents, hint.typical_cents, hint.high_cents,
        tuple((c.item_id, c.price_cents, c.sold, round(c.score, 6), c.thumbnail)
              for c in hint.comparables),
    )  # fmt: skip


class Size:
    """One size's marketplace, its index loaded (as the app keeps it), and its timings."""

    def __init__(self, listings: int, work: Path, baseline=None) -> None:
        from sqlmodel import Session

        from core.catalogue.embeddings import LiveIndex
        from core.db import make_engine

        self.listings = listings
        self.path = work / f"price-{listings}.db"
        started = time.perf_counter()
        self.world = build(self.path, listings)
        self.build_s = time.perf_counter() - started
        self.engine = make_engine(f"sqlite:///{self.path}")
        self.session = Session(self.engine)
        started = time.perf_counter()
        self.index = LiveIndex(MODEL).current(self.session)
        self.load_s = time.perf_counter() - started
        self.rng = random.Random(listings)
        self.nrng = np.random.default_rng(listings)
        self.hint, self.alike, self.both, self.comparables = [], [], [], []
        self.shown = 0
        self.baseline = baseline
        if baseline is not None:  # its own query stream: this one's stays as without it
            self.base_index = baseline_index(self.session, baseline[0])
            self.base_rng = random.Random(listings + 1)
            self.base_nrng = np.random.default_rng(listings + 1)
            self.base_hint, self.same, self.compared = [], 0, 0

    def new_query(self, rng: random.Random, nrng: np.random.Generator) -> dict:
        """A new cover near a category's centre, from a random seller."""
        from core.models.catalogue import Condition

        world = self.world
        c = rng.randrange(len(world["codes"]))
        vector = world["centres"][c] * 2.0 + nrng.normal(size=DIM) / np.sqrt(DIM)
        vector = (vector / np.linalg.norm(vector)).astype(np.float32)
        seller = rng.randrange(1, world["users"] + 1)
        condition = rng.choice([k.value for k in Condition])
        return dict(vector=vector, category=world["codes"][c], seller_id=seller,
                    condition=condition, brand="Zara")  # fmt: skip

    def query(self, counted: bool, baseline_first: bool = False) -> None:
        """One new query (and one for the baseline, in the order given)."""
        if self.baseline is not None and baseline_first:
            self.query_baseline(counted)
        self.query_current(counted)
        if self.baseline is not None and not baseline_first:
            self.query_baseline(counted)

    def query_current(self, counted: bool) -> None:
        from core.catalogue.lookalikes import own_lookalike
        from core.catalogue.price_hints import PriceHint, price_hint

        q = self.new_query(self.rng, self.nrng)
        t0 = time.perf_counter()
        hint = price_hint(
            self.session, self.index, q["vector"], q["category"], seller_id=q["seller_id"],
            condition=q["condition"], brand=q["brand"],
        )  # fmt: skip
        t1 = time.perf_counter()
        own_lookalike(self.session, self.index, q["vector"], q["seller_id"])
        t2 = time.perf_counter()
        if not counted:
            return
        self.hint.append(t1 - t0)
        self.alike.append(t2 - t1)
        self.both.append(t2 - t0)
        if isinstance(hint, PriceHint):
            self.shown += 1
            self.comparables.append(len(hint.comparables))
        if self.baseline is not None:  # the baseline's hint for it, untimed
            other = self.baseline[1].price_hint(self.session, self.base_index, **q)
            self.same += summary(hint) == summary(other)
            self.compared += 1

    def query_baseline(self, counted: bool) -> None:
        from core.catalogue.price_hints import price_hint

        q = self.new_query(self.base_rng, self.base_nrng)
        t0 = time.perf_counter()
        hint = self.baseline[1].price_hint(self.session, self.base_index, **q)
        t1 = time.perf_counter()
        if not counted:
            return
        self.base_hint.append(t1 - t0)
        other = price_hint(self.session, self.index, **q)  # this checkout's, untimed
        self.same += summary(hint) == summary(other)
        self.compared += 1

    def result(self, queries: int) -> dict:
        self.session.close()
        self.engine.dispose()
        self.path.unlink()
        baseline = {}
        if self.baseline is not None:
            baseline = {
                "baseline_hint_p50_ms": ms(self.base_hint),
                "baseline_hint_p95_ms": p95(self.base_hint),
                "same_hints": f"{self.same}/{self.compared}",
            }
        return {
            "listings": self.listings,
            "build_s": round(self.build_s, 1),
            "index_load_s": round(self.load_s, 2),
            "hint_p50_ms": ms(self.hint),
            "hint_p95_ms": p95(self.hint),
            "lookalike_p50_ms": ms(self.alike),
            "both_p50_ms": ms(self.both),
            "suggestions_shown": f"{self.shown}/{queries}",
            "comparables_median": statistics.median(self.comparables) if self.comparables else 0,
            **baseline,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--baseline", type=Path, metavar="DIR")
    args = parser.parse_args()
    baseline = load_baseline(args.baseline.resolve()) if args.baseline else None
    with tempfile.TemporaryDirectory() as work:
        sizes = [Size(n, Path(work), baseline) for n in args.sizes]
        # the sizes' queries interleaved, one of each in turn (and the baseline's, first
        # every other round), so that the machine's noise falls on every one alike; 5
        # warm-up rounds not counted
        for round_ in range(args.queries + 5):
            for size in sizes:
                size.query(counted=round_ >= 5, baseline_first=round_ % 2 == 1)
        results = [size.result(args.queries) for size in sizes]
    for result in results:
        print(json.dumps(result), flush=True)
    by_size = {r["listings"]: r for r in results}
    small, large = by_size.get(min(by_size)), by_size.get(max(by_size))
    growth = round(large["hint_p50_ms"] / small["hint_p50_ms"], 2)
    print(f"{'listings':>10} {'hint p50':>9} {'hint p95':>9} {'look-alike':>11} {'both':>7}")
    for r in results:
        print(
            f"{r['listings']:>10} {r['hint_p50_ms']:>7} ms {r['hint_p95_ms']:>6} ms "
            f"{r['lookalike_p50_ms']:>8} ms {r['both_p50_ms']:>4} ms"
            + (
                f"   baseline {r['baseline_hint_p50_ms']} ms (p95 {r['baseline_hint_p95_ms']}"
                f" ms), same hints {r['same_hints']}"
                if baseline
                else ""
            )
        )
    goals = {
        f"hint_p50_under_{GOAL_MS:g}ms_at_{large['listings']}": large["hint_p50_ms"] < GOAL_MS,
        f"hint_growth_under_{GOAL_GROWTH:g}x_{small['listings']}_to_{large['listings']}": (
            growth < GOAL_GROWTH
        ),
        "every_query_got_a_suggestion": all(
            r["suggestions_shown"] == f"{args.queries}/{args.queries}" for r in results
        ),
    }
    out = {"sizes": results, "hint_growth": growth}
    if baseline:
        out["baseline_hint_growth"] = round(
            large["baseline_hint_p50_ms"] / small["baseline_hint_p50_ms"], 2
        )
        out["baseline_gave_the_same_hints"] = all(
            r["same_hints"].split("/")[0] == r["same_hints"].split("/")[1] for r in results
        )
    print(json.dumps({**out, "goals_met": goals}))


if __name__ == "__main__":
    main()

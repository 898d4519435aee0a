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
- the price suggestion (``core.catalogue.price_hints.price_hint``: the category's ids, the
  index restricted to them, exact rescoring, the comparables' rows, the range and the three
  cards' thumbnails);
- "similar to one you already listed" (``core.catalogue.lookalikes.own_lookalike``);
- both, as the sell page runs them per rerun.
Prints one JSON object on its last line, with ``goals_met``: the suggestion under 30 ms
p50 at 100 000, growing less than 2x from 1 000 to 100 000.

    python bench/price_hint.py [--sizes 1000 10000 100000] [--queries 60]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
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


class Size:
    """One size's marketplace, its index loaded (as the app keeps it), and its timings."""

    def __init__(self, listings: int, work: Path) -> None:
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

    def query(self, counted: bool) -> None:
        """One new cover near a category's centre, from a random seller."""
        from core.catalogue.lookalikes import own_lookalike
        from core.catalogue.price_hints import PriceHint, price_hint
        from core.models.catalogue import Condition

        world, rng = self.world, self.rng
        c = rng.randrange(len(world["codes"]))
        vector = world["centres"][c] * 2.0 + self.nrng.normal(size=DIM) / np.sqrt(DIM)
        vector = (vector / np.linalg.norm(vector)).astype(np.float32)
        seller = rng.randrange(1, world["users"] + 1)
        condition = rng.choice([k.value for k in Condition])
        t0 = time.perf_counter()
        hint = price_hint(
            self.session, self.index, vector, world["codes"][c],
            seller_id=seller, condition=condition, brand="Zara",
        )  # fmt: skip
        t1 = time.perf_counter()
        own_lookalike(self.session, self.index, vector, seller)
        t2 = time.perf_counter()
        if not counted:
            return
        self.hint.append(t1 - t0)
        self.alike.append(t2 - t1)
        self.both.append(t2 - t0)
        if isinstance(hint, PriceHint):
            self.shown += 1
            self.comparables.append(len(hint.comparables))

    def result(self, queries: int) -> dict:
        self.session.close()
        self.engine.dispose()
        self.path.unlink()
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
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--queries", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        sizes = [Size(n, Path(work)) for n in args.sizes]
        # the sizes' queries interleaved, one of each in turn, so that the machine's noise
        # falls on every size alike; 5 warm-up rounds not counted
        for round_ in range(args.queries + 5):
            for size in sizes:
                size.query(counted=round_ >= 5)
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
    print(json.dumps({"sizes": results, "hint_growth": growth, "goals_met": goals}))


if __name__ == "__main__":
    main()

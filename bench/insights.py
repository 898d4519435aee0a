"""Script time of the insights page at 1 000 and 100 000 listings (issue 13).

The page draws the marketplace's, the visitor's shop's and the AI's figures from
``core.insights`` aggregates, cached for a minute. Side by side in one run, for each size,
on an SQLite file built the same way (listings over 12 weeks with prices, conditions, AI
suggestions and confidences; a sale per 4 listings; favourites; one busy seller with 1 %
of the listings, logged in):
- each aggregate on its own, uncached (what the first visitor of a minute waits for);
- the page through Home.py (AppTest): its first run in the process (imports Altair), runs
  with the cache just emptied (the minute's first visitor), and warm runs (cached);
- the shop page, warm, for scale.
Prints one JSON object on its last line, with ``goals_met``.

    python bench/insights.py [--sizes 1000 100000] [--runs 15]
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

ROOT = Path(__file__).resolve().parent.parent

GOAL_MS = 300.0
CHUNK = 20_000
PASSWORD = "bench-password"


def _ms(xs: list[float]) -> float:
    return round(statistics.median(xs) * 1000, 1)


def build(path: Path, listings: int, seed: int = 5) -> None:
    from sqlalchemy import insert, text

    from core.accounts.passwords import hash_password
    from core.catalogue import attributes, categories
    from core.db import make_engine
    from core.models.accounts import User
    from core.models.base import utcnow
    from core.models.catalogue import Favourite, Item
    from core.models.trade import Order, OrderLine
    from core.schema import upgrade_schema

    rng = random.Random(seed)
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    now = utcnow()
    codes = [c.code for c in categories.CATEGORIES]
    conditions = ["new_with_tags", "very_good", "good", "satisfactory"]
    colours = [a.code for a in attributes.COLOURS]
    patterns = [a.code for a in attributes.PATTERNS]
    users = max(20, listings // 10)
    with engine.begin() as conn:
        conn.execute(
            insert(User.__table__),
            [
                dict(email=f"member{n}@example.com", display_name=f"Member {n}",
                     password_hash=hash_password(PASSWORD) if n == 0 else "$2b$12$" + "x" * 53,
                     created_at=now - timedelta(days=120), password_changed_at=now)
                for n in range(users)
            ],
        )  # fmt: skip
        busy = 1  # member0: 1 % of the listings are theirs

        def item(n):
            category = rng.choice(codes)
            colour, pattern = rng.choice(colours), rng.choice(patterns)
            confidence = rng.betavariate(5, 2)
            kept = rng.random() < confidence
            return dict(
                seller_id=busy if n % 100 == 0 else rng.randrange(2, users + 1),
                title=f"Item {n}", description="", category=category, size="M",
                brand="Brand", condition=rng.choice(conditions),
                price_cents=int(rng.lognormvariate(3.2, 0.7) * 100) + 100,
                status="sold" if n % 4 == 0 else "available", revision=1,
                search_text=f"item {n}", brand_key="brand",
                ai_category=category if kept else rng.choice(codes),
                ai_confidence=round(confidence, 3),
                colour=colour if rng.random() < 0.7 else rng.choice([None, *colours]),
                ai_colour=colour,
                pattern=pattern if rng.random() < 0.8 else rng.choice([None, *patterns]),
                ai_pattern=pattern,
                created_at=now - timedelta(days=rng.uniform(0, 84)), updated_at=now,
            )  # fmt: skip

        rows = [item(n) for n in range(listings)]
        for start in range(0, listings, CHUNK):
            conn.execute(insert(Item.__table__), rows[start : start + CHUNK])
        sold = [(n + 1, r) for n, r in enumerate(rows) if r["status"] == "sold"]
        orders, lines = [], []
        for order_id, (item_id, r) in enumerate(sold, start=1):
            bought = r["created_at"] + timedelta(days=rng.uniform(0, 10))
            buyer = rng.randrange(2, users + 1)
            while buyer == r["seller_id"]:
                buyer = rng.randrange(2, users + 1)
            orders.append(dict(
                buyer_id=buyer, seller_id=r["seller_id"], status="paid", tracking="",
                total_cents=r["price_cents"], shipping_name="B", shipping_address="1 rue",
                shipping_postal_code="75001", shipping_city="Paris", created_at=bought,
            ))  # fmt: skip
            lines.append(dict(
                order_id=order_id, item_id=item_id, seller_id=r["seller_id"], title=r["title"],
                brand="Brand", size="M", price_cents=r["price_cents"],
            ))  # fmt: skip
        for start in range(0, len(orders), CHUNK):
            conn.execute(insert(Order.__table__), orders[start : start + CHUNK])
            conn.execute(insert(OrderLine.__table__), lines[start : start + CHUNK])
        likes = {
            (rng.randrange(1, users + 1), rng.randrange(1, listings + 1))
            for _ in range(listings // 2)
        }
        conn.execute(
            insert(Favourite.__table__),
            [dict(user_id=u, item_id=i, created_at=now - timedelta(days=rng.uniform(0, 80)))
             for u, i in likes],
        )  # fmt: skip
        conn.execute(text("ANALYZE"))
    engine.dispose()


def time_aggregates(path: Path, repeats: int = 5) -> dict:
    from sqlmodel import Session

    from core import insights
    from core.db import make_engine

    engine = make_engine(f"sqlite:///{path}")
    calls = {
        "marketplace": lambda s: insights.marketplace(s),
        "seller": lambda s: insights.seller(s, 1),
        "ai_record": lambda s: insights.ai_record(s),
    }
    timings = {name: [] for name in calls}
    with Session(engine) as session:
        for _ in range(repeats):
            for name, call in calls.items():
                start = time.perf_counter()
                call(session)
                timings[name].append(time.perf_counter() - start)
                session.rollback()
    engine.dispose()
    return {f"{name}_ms": _ms(xs) for name, xs in timings.items()}


def time_pages(runs: int) -> dict:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=300).run()
    assert not at.exception, at.exception
    at.switch_page("app_pages/login.py").run()
    fields = {t.label: t for t in at.text_input}
    fields["E-mail"].input("member0@example.com")
    fields["Password"].input(PASSWORD)
    next(b for b in at.button if b.label == "Log in").click().run()
    assert at.session_state["user_id"] == 1
    st.cache_data.clear()
    at.switch_page("app_pages/insights.py")
    start = time.perf_counter()
    at.run()
    first = time.perf_counter() - start
    assert not at.exception, at.exception
    assert "Suggested against chosen" in [s.value for s in at.subheader]
    cold = []
    for _ in range(3):  # the minute's first visitor, in a process that has drawn it before
        st.cache_data.clear()
        start = time.perf_counter()
        at.run()
        cold.append(time.perf_counter() - start)
    warm = []
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - start)
    at.switch_page("app_pages/catalogue.py").run()
    shop = []
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        shop.append(time.perf_counter() - start)
    return {
        "insights_first_run_ms": round(first * 1000, 1),
        "insights_cold_cache_p50_ms": _ms(cold),
        "insights_warm_p50_ms": _ms(warm),
        "shop_warm_p50_ms": _ms(shop),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    summary: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            folder = Path(tmp) / str(size)
            folder.mkdir()
            db = folder / "marketplace.db"
            start = time.perf_counter()
            build(db, size)
            built = time.perf_counter() - start
            os.environ.update(
                DATA_DIR=str(folder), DATABASE_URL=f"sqlite:///{db}", DEMO_DATA="false",
                MODEL_DIR=str(folder / "model"),
            )  # fmt: skip
            row = {"listings": size, "build_s": round(built, 1), **time_aggregates(db)}
            row.update(time_pages(args.runs))
            print(json.dumps(row), flush=True)
            summary[str(size)] = row
    largest = summary[str(max(args.sizes))]
    summary["goals_met"] = {
        "warm_script_under_300ms_at_largest": largest["insights_warm_p50_ms"] < GOAL_MS,
        "cold_cache_under_300ms_at_largest": largest["insights_cold_cache_p50_ms"] < GOAL_MS,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

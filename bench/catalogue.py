"""Catalogue benchmark: the shop page's script time as the catalogue grows.

    python bench/catalogue.py [--sizes 1000 10000 100000] [--runs 25]

For each size, fills a temp SQLite database (the demo data, then generated listings, each
with a real JPEG photo and thumbnail) and runs the shop page with Streamlit's AppTest, as
a logged-out visitor, through Home.py like every request: the first page, a filtered
search (words + category + price) and the last page. Prints the p50 of each (and of the
core query alone), and one JSON object as its last line.
Goal: p50 under 150 ms at 100 000 items, and less than 2x growth from 1 000 to 100 000.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GOAL_MS = 150.0
GOAL_GROWTH = 2.0
# the filtered search: words and a price range, which fill a whole page at every size
SEARCH = {"text": "cotton", "min_eur": 10, "max_eur": 150}

MATERIALS = ["cotton", "linen", "wool", "denim", "leather", "silk", "cashmere", "velvet",
             "corduroy", "polyester"]  # fmt: skip
ADJECTIVES = ["vintage", "classic", "oversized", "slim", "cropped", "relaxed", "chunky",
              "light", "warm", "striped", "floral", "plain"]  # fmt: skip
BRANDS = ["Zara", "H&M", "Uniqlo", "Levi's", "Mango", "COS", "Sézane", "Petit Bateau",
          "Adidas", "Nike", "Veja", "Carhartt WIP", "Patagonia", "The North Face", "Gap",
          "Massimo Dutti", "Ralph Lauren", "Lacoste", "Kiabi", "Jules", "Promod", "Sandro",
          "Maje", "Claudie Pierlot", "A.P.C.", "Agnès b.", "Bash", "Ba&sh", "Armor-Lux",
          "Saint James", "Longchamp", "Converse", "Vans", "New Balance", "Birkenstock",
          "Dr. Martens", "Barbour", "Schott", "Aigle", "No brand"]  # fmt: skip
SENTENCES = ["Worn a few times, no stains.", "Bought last year, too small for me now.",
             "Washed cold, dried flat.", "Small mark on the sleeve, see photos.",
             "Very comfortable, true to size.", "Perfect for the summer.",
             "Warm and soft for the winter.", "From a smoke-free home.",
             "Tags removed but never worn.", "Colour a little faded from washing."]  # fmt: skip


def fill(engine, count: int, seed: int = 1) -> None:
    """The demo data, then generated listings up to ``count`` available items."""
    from sqlalchemy import insert, select

    from core.catalogue import categories
    from core.catalogue.photos import prepare_photo
    from core.models.accounts import User
    from core.models.base import utcnow
    from core.models.catalogue import Condition, Item, Photo, brand_key, item_search_text
    from demo.illustrations import COLOURS, garment_jpeg
    from demo.seed import create_demo_database

    create_demo_database(engine)  # 2 users, 24 listings
    with engine.connect() as conn:
        sellers = [row[0] for row in conn.execute(select(User.id))]
    rng = random.Random(seed)
    colours = list(COLOURS)
    photos = {}  # one real photo per (category, colour): rows share their bytes, not their row
    now = utcnow()
    remaining = count - 24
    batch = 2000
    for start in range(0, remaining, batch):
        items, rows = [], []
        for n in range(start, min(start + batch, remaining)):
            category = rng.choice(categories.CATEGORIES)
            colour = rng.choice(colours)
            title = (
                f"{rng.choice(ADJECTIVES).capitalize()} {colour} {rng.choice(MATERIALS)} "
                f"{category.label_en.lower()}"
            )
            brand = rng.choice(BRANDS)
            description = " ".join(rng.sample(SENTENCES, 2))
            created = now - timedelta(days=365) + timedelta(seconds=n * 300)
            items.append(
                {
                    "seller_id": rng.choice(sellers),
                    "title": title,
                    "description": description,
                    "category": category.code,
                    "size": rng.choice(categories.sizes_for(category.code)),
                    "brand": brand,
                    "condition": rng.choice(list(Condition)).value,
                    "price_cents": rng.randrange(3, 300) * 100 + rng.choice((0, 50, 90)),
                    "status": "available",
                    "search_text": item_search_text(title, brand, description, category.code),
                    "brand_key": brand_key(brand),
                    "created_at": created,
                    "updated_at": created,
                }
            )
            key = (category.code, colour)
            if key not in photos:
                photos[key] = prepare_photo(garment_jpeg(category.code, colour))
            rows.append(photos[key])
        with engine.begin() as conn:
            ids = conn.execute(insert(Item).returning(Item.id, sort_by_parameter_order=True), items)
            conn.execute(
                insert(Photo),
                [
                    {
                        "item_id": item_id,
                        "position": 0,
                        "image": photo.image,
                        "thumbnail": photo.thumbnail,
                        "width": photo.width,
                        "height": photo.height,
                        "created_at": now,
                    }
                    for (item_id,), photo in zip(ids, rows, strict=True)
                ],
            )
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def p50(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def timed_runs(at, runs: int, warm_up: int = 3) -> list[float]:
    for _ in range(warm_up):
        at.run()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        samples.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return samples


def bench_size(count: int, runs: int, work: Path) -> dict:
    import streamlit as st
    from sqlmodel import Session
    from streamlit.testing.v1 import AppTest

    from core.catalogue.search import CatalogueQuery, PageRequest, known_brands, search_catalogue
    from core.db import make_engine

    data_dir = work / f"data-{count}"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'marketplace.db'}"
    engine = make_engine(url)
    started = time.perf_counter()
    fill(engine, count)
    fill_s = time.perf_counter() - started
    size_mb = (data_dir / "marketplace.db").stat().st_size / 1e6

    os.environ.update(DATA_DIR=str(data_dir), DATABASE_URL=url, MODEL_DIR=str(work / "model"))
    st.cache_resource.clear()
    st.cache_data.clear()

    def app() -> AppTest:
        at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
        assert not at.exception, at.exception
        return at

    at = app()
    assert len([m for m in at.markdown if m.value.endswith("EUR**")]) == 24
    first = timed_runs(at, runs)

    at = app()
    at.text_input(key="f_text").input(SEARCH["text"])
    at.number_input(key="f_low").set_value(SEARCH["min_eur"])
    at.number_input(key="f_high").set_value(SEARCH["max_eur"])
    at.run()
    assert not at.exception, at.exception
    found = next(c.value for c in at.caption if " item" in c.value)
    search = timed_runs(at, runs)

    at = app()
    next(b for b in at.button if b.label == "Last").click().run()
    last = timed_runs(at, runs)

    # the core query alone, for the same three pages
    query = CatalogueQuery(
        text=SEARCH["text"],
        min_price_cents=SEARCH["min_eur"] * 100,
        max_price_cents=SEARCH["max_eur"] * 100,
    )
    core = {}
    with Session(engine) as session:
        for name, (q, page) in {
            "first_page": (CatalogueQuery(), PageRequest()),
            "filtered_search": (query, PageRequest()),
            "last_page": (CatalogueQuery(), PageRequest(last=True)),
        }.items():
            samples = []
            for _ in range(runs):
                start = time.perf_counter()
                search_catalogue(session, q, page)
                samples.append(time.perf_counter() - start)
            core[name] = p50(samples)
        start = time.perf_counter()
        known_brands(session)
        brands_ms = round((time.perf_counter() - start) * 1000, 1)
    engine.dispose()
    result = {
        "items": count,
        "db_mb": round(size_mb),
        "fill_s": round(fill_s, 1),
        "page_p50_ms": {
            "first_page": p50(first),
            "filtered_search": p50(search),
            "last_page": p50(last),
        },
        "core_p50_ms": core,
        "brand_list_ms": brands_ms,  # cached by the page for 5 minutes
        "search_found": found,
    }
    print(json.dumps(result), flush=True)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args(argv)
    if any(size < 100 for size in args.sizes):
        parser.error("sizes start at 100 items")

    work = Path(tempfile.mkdtemp(prefix="bench-catalogue-"))
    try:
        results = [bench_size(size, args.runs, work) for size in args.sizes]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    scenarios = ("first_page", "filtered_search", "last_page")
    summary = {
        "runs": args.runs,
        "items": [r["items"] for r in results],
        "page_p50_ms": {s: [r["page_p50_ms"][s] for r in results] for s in scenarios},
        "core_p50_ms": {s: [r["core_p50_ms"][s] for r in results] for s in scenarios},
        "goal_p50_ms": GOAL_MS,
        "goal_growth": GOAL_GROWTH,
    }
    smallest, largest = results[0], results[-1]
    summary["growth"] = {
        s: round(largest["page_p50_ms"][s] / smallest["page_p50_ms"][s], 2) for s in scenarios
    }
    summary["goal_met"] = all(largest["page_p50_ms"][s] < GOAL_MS for s in scenarios) and all(
        g < GOAL_GROWTH for g in summary["growth"].values()
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

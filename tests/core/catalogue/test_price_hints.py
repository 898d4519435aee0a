"""The price suggestion's mechanics on constructed embeddings (SQLite and PostgreSQL): the
nearest covers of the category by a known vector, sold ones first at the price paid, the
brand and the condition, what never counts, and too few comparables; the category's own
scan of the index gives what a scan of every listing gave, after a category edit too."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlmodel import Session, select

from core.catalogue import embeddings
from core.catalogue.price_hints import (
    MIN_COMPARABLES,
    MIN_SIMILARITY,
    POOL,
    PriceHint,
    TooFew,
    condition_gap,
    find_comparables,
    nearest_in_category,
    price_hint,
    round_price,
)
from core.catalogue.selling import update_listing
from core.db import session_scope
from core.models.base import utcnow
from core.models.catalogue import Item, Photo
from core.models.trade import OrderLine
from core.trade.cart import add_to_cart, get_cart
from core.trade.checkout import Shipping, checkout
from tests.listing_helpers import add_items, draft, make_user

DIM = 16
MODEL = "c" * 16
QUERY = np.eye(DIM, dtype=np.float32)[0]


def at_cosine(cosine: float, axis: int = 1) -> np.ndarray:
    """A unit vector at ``cosine`` from QUERY (towards another axis)."""
    vector = np.zeros(DIM, np.float32)
    vector[0], vector[axis] = cosine, np.sqrt(max(0.0, 1 - cosine**2))
    return vector


def store(engine, pairs) -> None:
    with session_scope(engine) as s:
        for item_id, vector in pairs:
            embeddings.save_embedding(s, item_id, MODEL, vector)


def index_of(engine):
    live = embeddings.LiveIndex(MODEL, refresh_seconds=0)
    with Session(engine) as s:
        return live.current(s)


def sell(engine, buyer: int, item_id: int, price_cents: int | None = None) -> None:
    """``buyer`` buys ``item_id`` through checkout; ``price_cents``: the price the order line
    says was paid (as an accepted offer would make it)."""
    with Session(engine) as s:
        add_to_cart(s, buyer, item_id)
        checkout(
            s, buyer, Shipping("Bea", "1 rue", "75002", "Paris"), get_cart(s, buyer).confirmation
        )
        if price_cents is not None:
            line = s.exec(select(OrderLine).where(OrderLine.item_id == item_id)).one()
            line.price_cents = price_cents
            s.add(line)
            s.commit()


@pytest.fixture
def market(engine):
    """Sam sells (the one asking); Rita's dresses at known cosines from QUERY, some sold to
    Bea; a skirt and one of Sam's own dresses nearest of all, which never count."""
    sam = make_user(engine, "sam@example.com", "Sam")
    rita = make_user(engine, "rita@example.com", "Rita")
    bea = make_user(engine, "bea@example.com", "Bea")
    specs = [  # (cosine, price, condition, brand, sold)
        (0.95, 2000, "good", "Zara", True),
        (0.90, 3000, "good", "Zara", True),
        (0.87, 2500, "very_good", "Mango", True),
        (0.99, 4000, "good", "Zara", False),
        (0.97, 1000, "satisfactory", "H&M", False),
        (0.70, 5000, "new_with_tags", "Sézane", False),
        (MIN_SIMILARITY - 0.1, 9900, "good", "Zara", False),  # too unlike: no comparable
    ]
    ids = add_items(
        engine,
        rita,
        [
            dict(title=f"Dress {n}", category="dress", price_cents=price, condition=cond,
                 brand=brand, created_at=utcnow() - timedelta(days=30 - n))
            for n, (_, price, cond, brand, _) in enumerate(specs)
        ],
    )  # fmt: skip
    (skirt,) = add_items(engine, rita, [dict(title="Skirt", category="skirt", price_cents=100)])
    (own,) = add_items(engine, sam, [dict(title="Own", category="dress", price_cents=100)])
    store(engine, [(i, at_cosine(c)) for i, (c, *_) in zip(ids, specs, strict=True)])
    store(engine, [(skirt, QUERY), (own, QUERY)])
    sell(engine, bea, ids[0], price_cents=1800)  # bought at an accepted offer's 18 EUR
    sell(engine, bea, ids[1])
    sell(engine, bea, ids[2])
    return dict(sam=sam, rita=rita, ids=ids, skirt=skirt, own=own)


def test_sold_comparables_first_then_listed_each_nearest_first(engine, market):
    ids = market["ids"]
    with Session(engine) as s:
        found = find_comparables(s, index_of(engine), QUERY, "dress", seller_id=market["sam"])
    assert [c.item_id for c in found] == [ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]]
    assert [c.sold for c in found] == [True, True, True, False, False, False]
    assert found[0].price_cents == 1800  # what it sold for, not its asking 20 EUR
    assert found[0].similarity == pytest.approx(0.95, abs=1e-5)
    assert found[3].price_cents == 4000  # a listed one: its asking price
    # the skirt, Sam's own dress and the unlike one never count
    assert {market["skirt"], market["own"], ids[6]}.isdisjoint(c.item_id for c in found)
    sold_at = found[0].when
    assert abs((utcnow() - sold_at).total_seconds()) < 120  # when it sold, not when listed


def test_a_category_the_nearest_covers_miss_is_read_whole(engine, market):
    """The skirt and Sam's own dress are the nearest covers of all: a scan of 1 then 8 finds
    too few dresses of others, so the category is read and only its covers are scored; the
    same comparables as a scan that reaches them at once."""
    with Session(engine) as s:
        index = index_of(engine)
        whole = nearest_in_category(s, index, QUERY, "dress", market["sam"], scan=1)
        at_once = nearest_in_category(s, index, QUERY, "dress", market["sam"])
    assert [i for i, _ in whole] == [i for i, _ in at_once]
    assert {i for i, _ in whole} == set(market["ids"])  # the unlike one is scored, then cut


def test_the_brand_and_the_condition_move_a_comparable(engine, market):
    ids = market["ids"]
    with Session(engine) as s:
        index = index_of(engine)
        plain = find_comparables(s, index, QUERY, "dress", seller_id=market["sam"])
        mango = find_comparables(s, index, QUERY, "dress", seller_id=market["sam"], brand="MANGO")
        worn = find_comparables(
            s, index, QUERY, "dress", seller_id=market["sam"], condition="satisfactory"
        )
    assert [c.item_id for c in plain][:3] == [ids[0], ids[1], ids[2]]
    # Mango's dress (0.87 + 0.05) passes the 0.90 one; brands compare as the filter does
    assert [c.item_id for c in mango][:3] == [ids[0], ids[2], ids[1]]
    assert [c.item_id for c in plain][3:] == [ids[3], ids[4], ids[5]]
    # listed ones for a worn item: the worn H&M dress (0.97, 0 steps) passes the 0.99 "good"
    # one (1 step: 0.96)
    assert [c.item_id for c in worn][3:] == [ids[4], ids[3], ids[5]]
    assert condition_gap("new_with_tags", "satisfactory") == 3 and condition_gap(None, "good") == 0


def test_the_range_rests_on_the_comparables_prices(engine, market):
    with Session(engine) as s:
        hint = price_hint(s, index_of(engine), QUERY, "dress", seller_id=market["sam"])
    assert isinstance(hint, PriceHint)
    # prices 18, 30, 25, 40, 10, 50: quartiles 19.75 -> 20, 27.5 -> 28 (rounded), 37.5 -> 38
    assert (hint.low_cents, hint.typical_cents, hint.high_cents) == (2000, 2800, 3800)
    assert (hint.sold, hint.listed) == (3, 3)
    assert [c.item_id for c in hint.shown] == market["ids"][:3]
    assert all(c.thumbnail for c in hint.shown)  # their cover thumbnails, for the cards


def test_too_few_comparables_give_no_number(engine, market):
    ids = market["ids"]
    with Session(engine) as s:
        index = index_of(engine)
        # Rita asking: her own dresses never count
        hint = price_hint(s, index, QUERY, "dress", seller_id=market["rita"])
        assert hint == TooFew(1)  # Sam's own dress, the only one that is not Rita's
        fewer = price_hint(s, index, QUERY, "dress", seller_id=market["sam"], exclude=ids[:2])
        assert fewer == TooFew(MIN_COMPARABLES - 1)
        s.get(Item, ids[5]).status = "hidden"  # hidden by an administrator: never counts
        s.commit()
        hint = price_hint(s, index, QUERY, "dress", seller_id=market["sam"])
        assert [c.item_id for c in hint.comparables] == ids[:5]
        # nothing to compare: no category, no vector, no index
        assert price_hint(s, index, QUERY, None) is None
        assert price_hint(s, index, None, "dress") is None
        assert price_hint(s, None, QUERY, "dress") is None


def test_prices_are_rounded_as_people_price():
    assert [round_price(c) for c in (4, 94, 995, 1049, 1051, 12345.5)] == [
        10, 90, 1000, 1000, 1100, 12300
    ]  # fmt: skip


# --- the category's own scan against a scan of every listing ------------------------------


def full_scan_pool(session, index, vector, category, seller_id, exclude=()):
    """What the hint's pool was when the index kept no categories: every listing's cover
    scored, those that count (of the category, sold or on sale, not the seller's: read in
    SQL) kept in order, the first POOL rescored exactly."""
    counting = set(
        session.exec(
            select(Item.id).where(
                Item.category == category,
                Item.status.in_(["sold", "available"]),
                Item.seller_id != (seller_id or 0),
            )
        )
    )
    hits = index.search(vector, len(index), exclude=set(exclude))
    pool = [i for i, _ in hits if i in counting][:POOL]
    return embeddings.rescore(session, MODEL, pool, vector)


@pytest.fixture
def crowd(engine):
    """Three sellers' dresses (more than a pool), skirts and coats, at cosines from 0.35 to
    0.99 of QUERY; some hidden, some sold by hand (no order line)."""
    rng = np.random.default_rng(5)
    sellers = [make_user(engine, f"s{n}@example.com", f"S{n}") for n in range(3)]
    specs, vectors = [], []
    for n in range(150):
        category = "dress" if n < 80 else "skirt" if n < 120 else "coat"
        status = "hidden" if n % 11 == 0 else "sold" if n % 7 == 0 else "available"
        specs.append(dict(category=category, status=status, seller_id=sellers[n % 3]))
        vectors.append(at_cosine(rng.uniform(0.35, 0.99), axis=1 + n % (DIM - 1)))
    ids = []
    for seller in sellers:
        mine = [n for n in range(150) if specs[n]["seller_id"] == seller]
        ids += zip(mine, add_items(engine, seller, [specs[n] for n in mine]), strict=True)
    ids = [item_id for _, item_id in sorted(ids)]
    store(engine, [(i, v) for i, v in zip(ids, vectors, strict=True)])
    return dict(sellers=sellers, ids=ids, specs=specs)


def test_the_categorys_own_scan_gives_the_pool_a_scan_of_all_gave(engine, crowd):
    """Every category, seller and first scan (1: grown, then the category read in SQL): the
    same covers with the same cosines as a scan of every listing, after the similarity cut
    the hint makes (a pool stops early only past covers too unlike to count)."""
    rng = np.random.default_rng(8)
    queries = [QUERY, *(at_cosine(c, axis=a) for c, a in ((0.9, 2), (0.8, 5), (0.6, 9)))]
    live = embeddings.LiveIndex(MODEL, refresh_seconds=0)
    with Session(engine) as s:
        index = live.current(s)
        for vector in queries:
            vector = (vector + rng.normal(scale=0.05, size=DIM)).astype(np.float32)
            vector /= np.linalg.norm(vector)
            for category in ("dress", "skirt", "coat"):
                for seller in (*crowd["sellers"], None):
                    exclude = crowd["ids"][:4]
                    want = full_scan_pool(s, index, vector, category, seller, exclude)
                    for scan in (1, 64):
                        got = nearest_in_category(
                            s, index, vector, category, seller, exclude, scan=scan
                        )
                        assert [(i, c) for i, c in got if c >= MIN_SIMILARITY] == [
                            (i, c) for i, c in want if c >= MIN_SIMILARITY
                        ]
        # the dresses that count outnumber a pool: it stops at POOL, the nearest first
        near = nearest_in_category(s, index, QUERY, "dress", crowd["sellers"][0])
        assert near == full_scan_pool(s, index, QUERY, "dress", crowd["sellers"][0])
        assert len(near) == POOL


def test_a_listing_moved_to_another_category_counts_in_its_new_one(engine, crowd):
    """A category edit (its cover kept) renews the listing's embedding row, so an index
    loaded before, refreshing, moves its cover to its new category's rows."""
    ids, specs = crowd["ids"], crowd["specs"]
    n = next(n for n in range(80, 120) if specs[n]["status"] == "available")  # a skirt
    skirt, owner = ids[n], specs[n]["seller_id"]
    live = embeddings.LiveIndex(MODEL, refresh_seconds=0)
    with Session(engine) as s:
        assert live.current(s).label(skirt) == "skirt"
        cover = s.exec(select(Photo.id).where(Photo.item_id == skirt)).one()
        vector = embeddings.stored_vectors(s, MODEL, [skirt])[skirt]
        update_listing(s, owner, skirt, draft(category="dress", size="M"), [cover])
    with Session(engine) as s:
        index = live.current(s)
        assert index.label(skirt) == "dress" and len(index) == len(ids)
        # the same vector, under a new row id
        assert np.array_equal(embeddings.stored_vectors(s, MODEL, [skirt])[skirt], vector)
        for category in ("dress", "skirt"):
            got = nearest_in_category(s, index, vector, category, None)
            assert got == full_scan_pool(s, index, vector, category, None)
        assert got[0][0] != skirt  # no longer a skirt
        dresses = nearest_in_category(s, index, vector, "dress", None)
        assert dresses[0] == (skirt, pytest.approx(1.0, abs=1e-5))

"""The sell page's price suggestion: what comparable listings sold or are listed for.

Comparables are the listings whose cover photo is nearest to the new cover (the CLIP image
embedding the upload already computed), in the category the seller chose, never the
seller's own, and only sold or on-sale ones (hidden ones never count):

- the ``POOL`` nearest covers of the category, by the listings' in-memory index (its
  search restricted to the category's rows, which it keeps together), rescored exactly
  from the stored embeddings; covers less alike than ``MIN_SIMILARITY`` are no comparables;
- each is scored by its cosine, plus ``BRAND_BONUS`` for the same brand, less
  ``CONDITION_STEP`` for each step of condition between it and the seller's item;
- the best ``COMPARABLES`` sold ones first (a price someone paid), topped up with the best
  listed ones (a price asked);
- fewer than ``MIN_COMPARABLES``: no suggestion (``TooFew``), rather than a made-up number.

The suggestion is the middle half of their prices (25th to 75th percentile, linear
interpolation) and the median, rounded as people price. A sold comparable counts at the
price it was sold for (an accepted offer's, if any), a listed one at its asking price.

With a model's real weights the nearest covers are garments that look alike; with random
weights (the tests' tiny model) they are only nearest vectors: the mechanics, not the sense.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
from sqlmodel import Session, select

from core.ai.vectors import VectorIndex
from core.catalogue.embeddings import rescore
from core.models.catalogue import Condition, Item, ItemStatus, Photo, brand_key
from core.models.trade import Order, OrderLine

MIN_COMPARABLES = 5  # fewer, and a range would be noise: no suggestion
COMPARABLES = 12  # at most, the ones the range is computed from
POOL = 48  # nearest covers of the category looked at
SCAN = 64  # nearest covers of the category read first (then 8 times more, then all): a
# third more than POOL, room for the seller's own listings and hidden ones
SHOWN = 3  # comparables shown as cards
# CLIP ViT-B/32 puts two photos of garments of one kind at about 0.7-0.9 and unrelated
# photos (a car, a landscape) at 0.5 or less: below this, no comparable (reasoned from
# CLIP's usual image-image scores, not measured on this project's photos)
MIN_SIMILARITY = 0.5
BRAND_BONUS = 0.05  # the same brand counts as a cover this much more alike
CONDITION_STEP = 0.03  # each step of condition apart counts as this much less alike
CONDITION_ORDER = [c.value for c in Condition]  # new with tags ... satisfactory


@dataclass(frozen=True)
class Comparable:
    """One listing a suggestion rests on."""

    item_id: int
    title: str
    brand: str
    condition: str
    price_cents: int  # what it sold for, or its asking price
    sold: bool
    when: datetime  # when it sold, or when it was listed (UTC)
    similarity: float  # the covers' cosine
    score: float  # the cosine with the brand and condition taken into account
    thumbnail: bytes | None = None


@dataclass(frozen=True)
class PriceHint:
    """A price range from ``comparables`` (sold ones first, best first)."""

    low_cents: int
    typical_cents: int
    high_cents: int
    comparables: tuple[Comparable, ...]

    @property
    def sold(self) -> int:
        return sum(c.sold for c in self.comparables)

    @property
    def listed(self) -> int:
        return len(self.comparables) - self.sold

    @property
    def shown(self) -> tuple[Comparable, ...]:
        """The comparables shown as cards."""
        return self.comparables[:SHOWN]


@dataclass(frozen=True)
class TooFew:
    """Not enough comparables for a suggestion: how many there were."""

    found: int


def round_price(cents: float) -> int:
    """A price as people set one: whole euros from 10 EUR, tens of cents below; at least
    10 cents."""
    step = 100 if cents >= 1000 else 10
    return max(10, round(float(cents) / step) * step)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite: naive UTC


def condition_gap(a: str | None, b: str | None) -> int:
    """How many steps of condition apart two conditions are (0 when one is unknown)."""
    if a not in CONDITION_ORDER or b not in CONDITION_ORDER:
        return 0
    return abs(CONDITION_ORDER.index(a) - CONDITION_ORDER.index(b))


def category_ids(session: Session, category: str, *, exclude_seller: int | None) -> list[int]:
    """The sold and on-sale listings of ``category`` (ids), less ``exclude_seller``'s: what
    the index is restricted to. Read from the (status, category) index; the seller's own
    are read apart (from their own index) rather than joined row by row."""
    ids = session.exec(
        select(Item.id).where(
            Item.status.in_([ItemStatus.SOLD.value, ItemStatus.AVAILABLE.value]),
            Item.category == category,
        )
    ).all()
    if exclude_seller is None:
        return list(ids)
    own = set(session.exec(select(Item.id).where(Item.seller_id == exclude_seller)).all())
    return [i for i in ids if i not in own]


_ROW = (
    Item.id,
    Item.title,
    Item.brand,
    Item.brand_key,
    Item.condition,
    Item.status,
    Item.price_cents,
    Item.created_at,
    OrderLine.price_cents,
    Order.created_at,
)


def _comparable_rows(
    session: Session, ids: Sequence[int], category: str, seller_id: int | None
) -> dict[int, tuple]:
    """The rows (``_ROW``) of those of ``ids`` that are sold or on-sale listings of
    ``category``, not ``seller_id``'s, with the price paid and when for a sold one, by id:
    one query, driven by the ids."""
    if not ids:
        return {}
    conditions = [
        Item.id.in_(list(ids)),
        Item.category == category,
        Item.status.in_([ItemStatus.SOLD.value, ItemStatus.AVAILABLE.value]),
    ]
    if seller_id is not None:
        conditions.append(Item.seller_id != seller_id)
    rows = session.exec(
        select(*_ROW)
        .join(OrderLine, OrderLine.item_id == Item.id, isouter=True)
        .join(Order, Order.id == OrderLine.order_id, isouter=True)
        .where(*conditions)
    ).all()
    return {row[0]: tuple(row) for row in rows}


def _pool(
    session: Session,
    index: VectorIndex,
    vector: np.ndarray,
    category: str,
    seller_id: int | None,
    exclude: Iterable[int],
    scan: int,
) -> tuple[list[int], dict[int, tuple]]:
    """The ids of the ``POOL`` sold or on-sale listings of ``category`` (not
    ``seller_id``'s) whose cover is nearest to ``vector`` by the index's int8 cosine,
    nearest first, and their rows.

    The category's nearest covers first (the index keeps a category's rows together and
    reads only them), kept if they pass in SQL, the pool growing once; a category still
    short of ``POOL`` then (its nearest covers are mostly the seller's own, or hidden) has
    its listings read in SQL and only their covers scored. Looking no further once the
    pool reaches covers too unlike to count."""
    excluded = set(exclude)
    pool = scan
    for _ in range(2):
        hits = index.search(vector, pool, exclude=excluded, label=category)
        rows = _comparable_rows(session, [i for i, _ in hits], category, seller_id)
        ids = [i for i, _ in hits if i in rows]
        # int8 scores are within ~0.02 of the exact ones: past this, nothing more counts
        too_far = bool(hits) and hits[-1][1] < MIN_SIMILARITY - 0.02
        if len(ids) >= POOL or len(hits) < pool or too_far:
            return ids[:POOL], rows
        pool *= 8
    allowed = category_ids(session, category, exclude_seller=seller_id)
    hits = index.search(vector, POOL, only=allowed, exclude=excluded)
    rows = _comparable_rows(session, [i for i, _ in hits], category, seller_id)
    return [i for i, _ in hits if i in rows], rows  # (less any hidden since they were read)


def nearest_in_category(
    session: Session,
    index: VectorIndex,
    vector: np.ndarray,
    category: str,
    seller_id: int | None,
    exclude: Iterable[int] = (),
    *,
    scan: int = SCAN,
) -> list[tuple[int, float]]:
    """The ``POOL`` sold or on-sale listings of ``category`` (not ``seller_id``'s) whose
    cover is nearest to ``vector``, with their exact cosine, nearest first (``_pool``)."""
    ids, _ = _pool(session, index, vector, category, seller_id, exclude, scan)
    return rescore(session, index.model, ids, vector)


def find_comparables(
    session: Session,
    index: VectorIndex,
    vector: np.ndarray,
    category: str,
    *,
    seller_id: int | None = None,
    condition: str | None = None,
    brand: str = "",
    exclude: Iterable[int] = (),
) -> list[Comparable]:
    """The comparables of a cover of unit embedding ``vector`` in ``category``: sold ones
    first, then listed ones, each group best first; at most ``COMPARABLES``. Never the
    listings of ``seller_id`` nor those in ``exclude`` (the listing being edited)."""
    ids, rows = _pool(session, index, vector, category, seller_id, exclude, SCAN)
    near = [(i, s) for i, s in rescore(session, index.model, ids, vector) if s >= MIN_SIMILARITY]
    wanted_brand = brand_key(brand)
    found = []
    for item_id, cosine in near:
        _, title, brand_, key, cond, status, asked, listed, paid, sold_at = rows[item_id]
        sold = status == ItemStatus.SOLD.value
        if sold and paid is None:  # sold with no order line (only by hand): no known price
            continue
        score = (
            cosine
            + (BRAND_BONUS if wanted_brand and key == wanted_brand else 0.0)
            - CONDITION_STEP * condition_gap(condition, cond)
        )
        found.append(
            Comparable(
                item_id=item_id,
                title=title,
                brand=brand_,
                condition=cond,
                price_cents=int(paid if sold else asked),
                sold=sold,
                when=_utc(sold_at if sold else listed),
                similarity=cosine,
                score=score,
            )
        )
    found.sort(key=lambda c: (not c.sold, -c.score, c.item_id))
    return found[:COMPARABLES]


def price_hint(
    session: Session,
    index: VectorIndex | None,
    vector: np.ndarray | None,
    category: str | None,
    *,
    seller_id: int | None = None,
    condition: str | None = None,
    brand: str = "",
    exclude: Iterable[int] = (),
) -> PriceHint | TooFew | None:
    """The price suggestion for a cover of unit embedding ``vector`` in ``category``
    (``find_comparables``), with the shown comparables' thumbnails; ``TooFew`` below
    ``MIN_COMPARABLES``; None when there is nothing to compare (no index, no embedding, no
    category)."""
    if index is None or vector is None or not category or len(index) == 0:
        return None
    comparables = find_comparables(
        session,
        index,
        vector,
        category,
        seller_id=seller_id,
        condition=condition,
        brand=brand,
        exclude=exclude,
    )
    if len(comparables) < MIN_COMPARABLES:
        return TooFew(len(comparables))
    prices = np.asarray([c.price_cents for c in comparables], np.float64)
    low, typical, high = np.percentile(prices, [25, 50, 75])
    shown = [c.item_id for c in comparables[:SHOWN]]
    thumbnails = dict(
        session.exec(
            select(Photo.item_id, Photo.thumbnail).where(
                Photo.item_id.in_(shown), Photo.position == 0
            )
        ).all()
    )
    with_photos = tuple(
        replace(c, thumbnail=thumbnails[c.item_id]) if c.item_id in thumbnails else c
        for c in comparables
    )
    return PriceHint(
        low_cents=round_price(low),
        typical_cents=round_price(typical),
        high_cents=round_price(high),
        comparables=with_photos,
    )

"""What the insights page shows: how the marketplace, a seller and the AI are doing.

Every figure is an aggregate computed by the database (GROUP BY, window functions), so
that the page reads a few hundred rows whatever the size of the marketplace; the page
caches them for a minute. The same SQL runs on SQLite and PostgreSQL. Prices are returned
in euros (floats) for the charts; counts as ints.

The AI's track record is measured on real use: each listing keeps the category the
classifier proposed first (``items.ai_category``) and its confidence next to the category
the seller chose, so "kept" means the seller left the AI's first choice as it was; and its
colour and pattern picks (``items.ai_colour``, ``ai_pattern``) next to the seller's.

Labels (categories, conditions, confidence bins) are in the person's language: a cache of
these figures is per language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import Date, Integer, and_, case, cast, func, or_, select
from sqlmodel import Session

from core.catalogue import attributes, categories
from core.catalogue.listings import condition_label
from core.i18n import _
from core.models.catalogue import Favourite, Item, ItemStatus
from core.models.trade import Order, OrderLine

PERCENTILES = (10, 25, 50, 75, 90)
CONFIDENCE_BINS = 10  # 0-10 %, 10-20 %, ... 90-100 %
WEEKS = 12  # the seller's and the marketplace's charts over time


def _day(column):
    """The calendar day (UTC) of a timestamp column, as a date, on both databases."""
    return func.date(column, type_=Date)


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _since(today: date | None) -> datetime:
    """The first moment (UTC) of the charts' first week."""
    first = _week_start(today or date.today()) - timedelta(weeks=WEEKS - 1)
    return datetime.combine(first, time(), UTC)


def weekly(rows, columns: list[str], *, weeks: int = WEEKS, today: date | None = None):
    """Per-day rows (day, *values) summed per week (Monday), the last ``weeks`` weeks,
    weeks without a row as zeros: a DataFrame with ``week`` and ``columns``."""
    today = today or date.today()
    last = _week_start(today)
    starts = [last - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    sums = {start: [0] * len(columns) for start in starts}
    for day, *values in rows:
        if isinstance(day, str):  # a driver that returns the day as text
            day = date.fromisoformat(day[:10])
        start = _week_start(day)
        if start in sums:
            sums[start] = [a + (b or 0) for a, b in zip(sums[start], values, strict=True)]
    frame = pd.DataFrame(
        [[start, *vals] for start, vals in sums.items()], columns=["week", *columns]
    )
    frame["week"] = pd.to_datetime(frame["week"])
    return frame


# --- the marketplace -------------------------------------------------------------------------


@dataclass(frozen=True)
class Marketplace:
    by_category: pd.DataFrame  # category, label, on_sale, sold
    prices: pd.DataFrame  # category, label, listings, p10, p25, p50, p75, p90 (euros)
    sales_per_week: pd.DataFrame  # week, sales, revenue (euros)

    @property
    def listings(self) -> int:
        return int(self.by_category[["on_sale", "sold"]].to_numpy().sum())


def marketplace(session: Session, *, today: date | None = None) -> Marketplace:
    counts: dict[str, list[int]] = {}
    for category, status, n in session.exec(
        select(Item.category, Item.status, func.count()).group_by(Item.category, Item.status)
    ).all():
        entry = counts.setdefault(category, [0, 0])
        entry[0 if status == ItemStatus.AVAILABLE.value else 1] += n
    by_category = pd.DataFrame(
        [
            (code, categories.label(code), on_sale, sold)
            for code, (on_sale, sold) in sorted(counts.items(), key=lambda kv: -sum(kv[1]))
        ],
        columns=["category", "label", "on_sale", "sold"],
    )
    since = _since(today)
    sales = session.exec(
        select(_day(Order.created_at), func.count(OrderLine.id), func.sum(OrderLine.price_cents))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.created_at >= since)
        .group_by(_day(Order.created_at))
    ).all()
    per_week = weekly(sales, ["sales", "revenue"], today=today)
    per_week["revenue"] = per_week["revenue"] / 100
    return Marketplace(by_category, price_percentiles(session), per_week)


def _ranked(*partition, where=()):
    """Available listings ranked by price within ``partition`` (rn from 1, n per group)."""
    return (
        select(
            *partition,
            Item.price_cents,
            func.row_number()
            .over(partition_by=partition, order_by=(Item.price_cents, Item.id))
            .label("rn"),
            func.count().over(partition_by=partition).label("n"),
        )
        .where(Item.status == ItemStatus.AVAILABLE.value, *where)
        .subquery()
    )


def _position(p: int, n: int) -> tuple[int, float]:
    """Where percentile ``p`` falls among ``n`` sorted prices: the 0-based index of the
    price at or below it and how far towards the next one (linear interpolation, numpy's
    default: the median of 30 and 40 is 35, not 30)."""
    exact = (n - 1) * p / 100
    below = int(exact)
    return below, exact - below


def price_percentiles(session: Session) -> pd.DataFrame:
    """Per category: how many listings are on sale, and the 10th, 25th, 50th, 75th and 90th
    percentile of their prices (euros), for the box plot. Each percentile reads the two
    prices around it with one step into the (status, category, price) index, which is ~5x
    faster at 100 000 listings than ranking every listing with a window function."""
    counts = session.exec(
        select(Item.category, func.count())
        .where(Item.status == ItemStatus.AVAILABLE.value)
        .group_by(Item.category)
    ).all()
    found: dict[str, dict] = {}
    for category, n in counts:
        entry = found[category] = {"listings": n}
        for p in PERCENTILES:
            below, towards = _position(p, n)
            around = session.scalars(
                select(Item.price_cents)
                .where(Item.status == ItemStatus.AVAILABLE.value, Item.category == category)
                .order_by(Item.price_cents)
                .offset(below)
                .limit(2)
            ).all()
            low = around[0]
            high = around[1] if len(around) > 1 else low
            entry[f"p{p}"] = round(low + (high - low) * towards) / 100
    frame = pd.DataFrame(
        [
            {"category": code, "label": categories.label(code), **entry}
            for code, entry in sorted(found.items(), key=lambda kv: kv[1]["p50"])
        ],
        columns=["category", "label", "listings", *(f"p{p}" for p in PERCENTILES)],
    )
    return frame


# --- a seller --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SellerInsights:
    over_time: pd.DataFrame  # week, listings, sales, revenue (euros), favourites
    on_sale: int
    sold: int
    revenue: float  # euros, every sale
    favourites: int  # on the seller's listings now
    average_days_to_sell: float | None  # from listed to bought, over the seller's sales
    prices: pd.DataFrame  # item_id, title, category, condition, price, median, peers, gap_pct


def seller(session: Session, seller_id: int, *, today: date | None = None) -> SellerInsights:
    since = _since(today)
    listed = session.exec(
        select(_day(Item.created_at), func.count())
        .where(Item.seller_id == seller_id, Item.created_at >= since)
        .group_by(_day(Item.created_at))
    ).all()
    sold = session.exec(
        select(_day(Order.created_at), func.count(OrderLine.id), func.sum(OrderLine.price_cents))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(OrderLine.seller_id == seller_id, Order.created_at >= since)
        .group_by(_day(Order.created_at))
    ).all()
    liked = session.exec(
        select(_day(Favourite.created_at), func.count())
        .join(Item, Item.id == Favourite.item_id)
        .where(Item.seller_id == seller_id, Favourite.created_at >= since)
        .group_by(_day(Favourite.created_at))
    ).all()
    frames = [
        weekly(listed, ["listings"], today=today),
        weekly(sold, ["sales", "revenue"], today=today),
        weekly(liked, ["favourites"], today=today),
    ]
    over_time = frames[0].merge(frames[1], on="week").merge(frames[2], on="week")
    over_time["revenue"] = over_time["revenue"] / 100

    on_sale, n_sold = session.exec(
        select(
            func.coalesce(
                func.sum(case((Item.status == ItemStatus.AVAILABLE.value, 1), else_=0)), 0
            ),
            func.coalesce(func.sum(case((Item.status == ItemStatus.SOLD.value, 1), else_=0)), 0),
        ).where(Item.seller_id == seller_id)
    ).one()
    total, favourites = session.exec(
        select(
            select(func.coalesce(func.sum(OrderLine.price_cents), 0))
            .where(OrderLine.seller_id == seller_id)
            .scalar_subquery(),
            select(func.count())
            .select_from(Favourite)
            .join(Item, Item.id == Favourite.item_id)
            .where(Item.seller_id == seller_id)
            .scalar_subquery(),
        )
    ).one()
    durations = session.exec(
        select(Item.created_at, Order.created_at)
        .join(OrderLine, OrderLine.item_id == Item.id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.seller_id == seller_id)
    ).all()
    days = [(bought - listed).total_seconds() / 86400 for listed, bought in durations]
    return SellerInsights(
        over_time=over_time,
        on_sale=int(on_sale),
        sold=int(n_sold),
        revenue=int(total) / 100,
        favourites=int(favourites),
        average_days_to_sell=sum(days) / len(days) if days else None,
        prices=price_against_median(session, seller_id),
    )


def price_against_median(session: Session, seller_id: int) -> pd.DataFrame:
    """Each listing the seller has on sale, its price against the median price of the
    listings on sale in the same category and condition (the seller's own included), and
    how many listings that median is of."""
    mine = session.exec(
        select(Item.id, Item.title, Item.category, Item.condition, Item.price_cents)
        .where(Item.seller_id == seller_id, Item.status == ItemStatus.AVAILABLE.value)
        .order_by(Item.created_at.desc(), Item.id.desc())
    ).all()
    columns = ["item_id", "title", "category", "condition", "price", "median", "peers", "gap_pct"]
    if not mine:
        return pd.DataFrame([], columns=columns)
    groups = {(row.category, row.condition) for row in mine}
    ranked = _ranked(
        Item.category,
        Item.condition,
        where=(or_(*(and_(Item.category == c, Item.condition == k) for c, k in groups)),),
    )
    # the median: the middle price, or the mean of the two middle ones
    middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    medians: dict[tuple[str, str], list] = {}
    for category, condition, price, n in session.exec(
        select(ranked.c.category, ranked.c.condition, ranked.c.price_cents, ranked.c.n).where(
            middle
        )
    ).all():
        medians.setdefault((category, condition), [n]).append(price)
    rows = []
    for item in mine:
        n, *middle_prices = medians[(item.category, item.condition)]
        median = sum(middle_prices) / len(middle_prices)
        rows.append(
            (
                item.id,
                item.title,
                categories.label(item.category),
                condition_label(item.condition),
                item.price_cents / 100,
                median / 100,
                n,
                round((item.price_cents - median) / median * 100, 1),
            )
        )
    return pd.DataFrame(rows, columns=columns)


# --- the AI's track record -------------------------------------------------------------------


@dataclass(frozen=True)
class PickRecord:
    """How sellers met the AI's colour (or pattern) picks: kept, changed for another, or
    left unsaid (both are optional: an unsure pick is shown, never preselected)."""

    suggested: int  # listings made with an AI pick
    kept: int
    changed: int
    unsaid: int
    by_pick: pd.DataFrame  # pick (label), suggested, kept, changed, unsaid, kept_rate

    @property
    def kept_rate(self) -> float | None:
        """Kept, of the picks the seller answered with a choice of their own (an option
        left unsaid judges nothing)."""
        judged = self.kept + self.changed
        return self.kept / judged if judged else None


@dataclass(frozen=True)
class AiRecord:
    suggested: int  # listings made with an AI suggestion
    kept: int  # of which the seller kept the AI's first choice
    confusion: pd.DataFrame  # suggested, chosen (labels), listings, share (of the row)
    by_confidence: pd.DataFrame  # bin, low (0..0.9), listings, kept, kept_rate
    by_category: pd.DataFrame  # category (label), suggested, kept, kept_rate
    colours: PickRecord | None = None
    patterns: PickRecord | None = None

    @property
    def kept_rate(self) -> float | None:
        return self.kept / self.suggested if self.suggested else None


def pick_record(session: Session, ai_column, chosen_column, label) -> PickRecord:
    """How often sellers kept the AI's pick of ``ai_column`` (``items.ai_colour`` or
    ``ai_pattern``) as their ``chosen_column``, overall and per pick (``label``: a code's
    label). One pass over the (ai pick, choice) index."""
    counts: dict[str, list[int]] = {}  # pick -> [kept, changed, unsaid]
    for pick, chosen, n in session.exec(
        select(ai_column, chosen_column, func.count())
        .where(ai_column.is_not(None))
        .group_by(ai_column, chosen_column)
    ).all():
        entry = counts.setdefault(pick, [0, 0, 0])
        entry[0 if chosen == pick else 2 if chosen is None else 1] += n
    rows = [
        (label(pick), sum(c), c[0], c[1], c[2], c[0] / (c[0] + c[1]) if c[0] + c[1] else None)
        for pick, c in sorted(counts.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    ]
    by_pick = pd.DataFrame(
        rows, columns=["pick", "suggested", "kept", "changed", "unsaid", "kept_rate"]
    )
    return PickRecord(
        suggested=int(by_pick["suggested"].sum()),
        kept=int(by_pick["kept"].sum()),
        changed=int(by_pick["changed"].sum()),
        unsaid=int(by_pick["unsaid"].sum()),
        by_pick=by_pick,
    )


def ai_record(session: Session) -> AiRecord:
    """How often sellers kept the AI's first suggestion: overall, per suggested category
    (the confusion matrix of suggested against chosen), and against the confidence."""
    # one pass over the (ai_category, category, ai_confidence) index: every figure below
    bin_of = cast(Item.ai_confidence * CONFIDENCE_BINS, Integer)
    cells = session.exec(
        select(Item.ai_category, Item.category, bin_of, func.count())
        .where(Item.ai_category.is_not(None))
        .group_by(Item.ai_category, Item.category, bin_of)
    ).all()
    pair_counts: dict[tuple[str, str], int] = {}
    binned: dict[int, list[int]] = {}
    for suggested, chosen, b, n in cells:
        pair_counts[(suggested, chosen)] = pair_counts.get((suggested, chosen), 0) + n
        if b is None:  # a suggestion stored without its confidence
            continue
        b = min(int(b), CONFIDENCE_BINS - 1)  # a confidence of exactly 1 goes in the last bin
        entry = binned.setdefault(b, [0, 0])
        entry[0] += n
        entry[1] += n if suggested == chosen else 0
    rows_total: dict[str, int] = {}
    for (suggested, _chosen), n in pair_counts.items():
        rows_total[suggested] = rows_total.get(suggested, 0) + n
    confusion = pd.DataFrame(
        [
            (categories.label(s), categories.label(c), n, n / rows_total[s])
            for (s, c), n in sorted(pair_counts.items())
        ],
        columns=["suggested", "chosen", "listings", "share"],
    )
    kept_per = {s: 0 for s in rows_total}
    for (suggested, chosen), n in pair_counts.items():
        if suggested == chosen:
            kept_per[suggested] += n
    by_category = pd.DataFrame(
        [
            (categories.label(s), total, kept_per[s], kept_per[s] / total)
            for s, total in sorted(rows_total.items(), key=lambda kv: -kv[1])
        ],
        columns=["category", "suggested", "kept", "kept_rate"],
    )
    width = 100 // CONFIDENCE_BINS
    by_confidence = pd.DataFrame(
        [
            (
                _("{low}–{high} %").format(low=b * width, high=(b + 1) * width),
                b / CONFIDENCE_BINS,
                n,
                k,
                k / n if n else None,
            )
            for b, (n, k) in sorted(binned.items())
        ],
        columns=["bin", "low", "listings", "kept", "kept_rate"],
    )
    suggested = sum(rows_total.values())
    return AiRecord(
        suggested=suggested,
        kept=sum(kept_per.values()),
        confusion=confusion,
        by_confidence=by_confidence,
        by_category=by_category,
        colours=pick_record(session, Item.ai_colour, Item.colour, attributes.colour_label),
        patterns=pick_record(session, Item.ai_pattern, Item.pattern, attributes.pattern_label),
    )

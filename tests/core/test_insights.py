"""The insights' figures on a real database (SQLite and PostgreSQL), against values worked
out by hand from a small marketplace."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlmodel import Session

from core import insights
from core.i18n import use_language
from core.models.catalogue import Favourite
from core.trade.cart import add_to_cart, get_cart
from core.trade.checkout import Shipping, checkout
from tests.listing_helpers import add_items, make_user
from ui import charts

TODAY = date(2026, 11, 25)  # a Wednesday: its week starts on Monday 23 Nov
NOON = datetime(2026, 11, 25, 12, tzinfo=UTC)
SHIP = Shipping("Bea", "1 rue de la Paix", "75002", "Paris")


def at(days_ago: float) -> datetime:
    return NOON - timedelta(days=days_ago)


def buy(engine, buyer: int, item_ids: list[int], when: datetime) -> None:
    with Session(engine) as s:
        for item_id in item_ids:
            add_to_cart(s, buyer, item_id)
        orders = checkout(s, buyer, SHIP, get_cart(s, buyer).confirmation)
        for order in orders:  # as if bought then
            order.created_at = when
            s.add(order)
        s.commit()


@pytest.fixture
def world(engine):
    sam = make_user(engine, "sam@example.com", "Sam")
    rita = make_user(engine, "rita@example.com", "Rita")
    bea = make_user(engine, "bea@example.com", "Bea")
    dresses = add_items(
        engine,
        sam,
        [
            dict(title=f"Dress {n}", category="dress", condition="good", price_cents=price,
                 created_at=at(20 - n), ai_category=ai, ai_confidence=conf)
            for n, (price, ai, conf) in enumerate([
                (1000, "dress", 0.95), (2000, "dress", 0.85), (3000, "skirt", 0.42),
                (4000, "dress", 1.0),
            ])
        ],
    )  # fmt: skip
    rivals = add_items(
        engine,
        rita,
        [
            dict(title="Rita dress", category="dress", condition="good", price_cents=5000,
                 created_at=at(3), ai_category="dress", ai_confidence=0.91),
            dict(title="Rita coat", category="coat", condition="good", price_cents=9000,
                 created_at=at(3), ai_category="dress", ai_confidence=0.45),
            dict(title="Rita hat", category="hat", condition="very_good", price_cents=1500,
                 created_at=at(2)),
        ],
    )  # fmt: skip
    buy(engine, bea, [dresses[0]], at(10))  # listed 20 days ago, sold 10 days later
    buy(engine, bea, [dresses[1]], at(1))  # listed 19 days ago, sold 18 days later
    with Session(engine) as s:
        s.add(Favourite(user_id=bea, item_id=dresses[2], created_at=at(0)))
        s.add(Favourite(user_id=rita, item_id=dresses[3], created_at=at(8)))
        s.add(Favourite(user_id=bea, item_id=rivals[0], created_at=at(0)))
        s.commit()
    return {"sam": sam, "rita": rita, "bea": bea, "dresses": dresses, "rivals": rivals}


def test_the_marketplace_by_category_prices_and_sales(engine, world):
    with Session(engine) as s:
        market = insights.marketplace(s, today=TODAY)
    rows = {r.category: (r.on_sale, r.sold) for r in market.by_category.itertuples()}
    assert rows == {"dress": (3, 2), "coat": (1, 0), "hat": (1, 0)}
    assert market.listings == 7
    prices = {r.category: r for r in market.prices.itertuples()}
    dress = prices["dress"]  # on sale: 30, 40, 50 EUR
    assert (dress.listings, dress.p10, dress.p25, dress.p50, dress.p75, dress.p90) == (
        3, 32.0, 35.0, 40.0, 45.0, 48.0,
    )  # linear between neighbours: the 25th of 30, 40, 50 is 35  # fmt: skip
    assert prices["coat"].p50 == 90.0 and prices["hat"].p50 == 15.0
    weeks = market.sales_per_week
    assert len(weeks) == insights.WEEKS and weeks["week"].iloc[-1] == datetime(2026, 11, 23)
    assert weeks["sales"].sum() == 2 and weeks["revenue"].sum() == 30.0
    assert weeks["sales"].iloc[-1] == 1  # bought yesterday: this week
    assert list(weeks["sales"].iloc[-3:]) == [1, 0, 1]  # ten days ago: Sunday 15 Nov


def test_a_sellers_figures(engine, world):
    with Session(engine) as s:
        sam = insights.seller(s, world["sam"], today=TODAY)
        rita = insights.seller(s, world["rita"], today=TODAY)
    assert (sam.on_sale, sam.sold, sam.revenue, sam.favourites) == (2, 2, 30.0, 2)
    assert sam.average_days_to_sell == pytest.approx((10 + 18) / 2)
    assert sam.over_time["listings"].sum() == 4 and sam.over_time["sales"].sum() == 2
    assert sam.over_time["favourites"].iloc[-1] == 1 and sam.over_time["favourites"].sum() == 2
    prices = {r.title: r for r in sam.prices.itertuples()}
    assert set(prices) == {"Dress 2", "Dress 3"}
    # dresses in good condition on sale: 30, 40 (Sam's) and 50 (Rita's): median 40
    assert (prices["Dress 2"].median, prices["Dress 2"].peers) == (40.0, 3)
    assert prices["Dress 2"].gap_pct == -25.0 and prices["Dress 3"].gap_pct == 0.0
    assert rita.average_days_to_sell is None and rita.sold == 0
    hat = rita.prices.set_index("title").loc["Rita hat"]
    assert (hat["median"], hat["peers"], hat["condition"]) == (15.0, 1, "Very good")


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two(engine, world):
    add_items(
        engine,
        world["rita"],
        [dict(title="Another", category="dress", condition="good", price_cents=6000)],
    )
    with Session(engine) as s:
        prices = insights.seller(s, world["sam"], today=TODAY).prices
    assert prices.set_index("title").loc["Dress 2", "median"] == 45.0  # 30 40 | 50 60
    with Session(engine) as s:
        boxes = insights.price_percentiles(s).set_index("category")
    assert (boxes.loc["dress", "p25"], boxes.loc["dress", "p50"]) == (37.5, 45.0)


def test_the_ais_track_record(engine, world):
    with Session(engine) as s:
        record = insights.ai_record(s)
    assert (record.suggested, record.kept) == (6, 4)  # the hat had no suggestion
    assert record.kept_rate == pytest.approx(4 / 6)
    cells = {(r.suggested, r.chosen): (r.listings, r.share) for r in record.confusion.itertuples()}
    assert cells == {
        ("Dress", "Dress"): (4, 0.8),
        ("Dress", "Coat"): (1, 0.2),
        ("Skirt", "Dress"): (1, 1.0),
    }
    bins = {r.bin: (r.listings, r.kept) for r in record.by_confidence.itertuples()}
    # 0.42 and 0.45 -> 40-50 %; 0.85 -> 80-90 %; 0.95, 0.91 and 1.0 -> 90-100 %
    assert bins == {"40–50 %": (2, 0), "80–90 %": (1, 1), "90–100 %": (3, 3)}
    per = {r.category: (r.suggested, r.kept) for r in record.by_category.itertuples()}
    assert per == {"Dress": (5, 4), "Skirt": (1, 0)}


def test_how_often_sellers_kept_the_ais_colour_and_pattern(engine):
    sam = make_user(engine, "sam@example.com", "Sam")
    picks = [  # (AI colour, chosen colour, AI pattern, chosen pattern)
        ("red", "red", "striped", "striped"),
        ("red", "red", "plain", "plain"),
        ("red", "pink", "plain", "plain"),
        ("red", None, "plain", "checked"),  # colour left unsaid: no judgement of the pick
        ("navy", "navy", "floral", None),
        (None, "black", None, "plain"),  # made without the AI: not counted
    ]
    add_items(
        engine,
        sam,
        [dict(ai_colour=a, colour=c, ai_pattern=p, pattern=q) for a, c, p, q in picks],
    )
    with Session(engine) as s:
        record = insights.ai_record(s)
    colours, patterns = record.colours, record.patterns
    assert (colours.suggested, colours.kept, colours.changed, colours.unsaid) == (5, 3, 1, 1)
    assert colours.kept_rate == pytest.approx(3 / 4)
    per = {r.pick: (r.suggested, r.kept, r.changed, r.unsaid) for r in colours.by_pick.itertuples()}
    assert per == {"Red": (4, 2, 1, 1), "Navy": (1, 1, 0, 0)}
    assert list(colours.by_pick["pick"]) == ["Red", "Navy"]  # most suggested first
    assert (patterns.suggested, patterns.kept, patterns.changed, patterns.unsaid) == (5, 3, 1, 1)
    per = {r.pick: r.kept_rate for r in patterns.by_pick.itertuples()}
    assert per["Plain"] == pytest.approx(2 / 3) and per["Striped"] == 1.0
    assert pd.isna(per["Floral"])  # only left unsaid: no rate


def test_an_empty_marketplace_has_empty_figures(engine):
    sam = make_user(engine, "sam@example.com", "Sam")
    with Session(engine) as s:
        market = insights.marketplace(s, today=TODAY)
        mine = insights.seller(s, sam, today=TODAY)
        record = insights.ai_record(s)
    assert market.listings == 0 and market.prices.empty and market.by_category.empty
    assert market.sales_per_week["sales"].sum() == 0
    assert (mine.on_sale, mine.sold, mine.average_days_to_sell) == (0, 0, None)
    assert mine.prices.empty
    assert record.suggested == 0 and record.kept_rate is None and record.confusion.empty
    assert record.colours.suggested == 0 and record.colours.kept_rate is None


def test_weekly_fills_missing_weeks_and_reads_text_days():
    frame = insights.weekly([("2026-11-24", 2), (date(2026, 11, 2), 1), (date(2025, 1, 1), 9)],
                            ["n"], weeks=4, today=TODAY)  # fmt: skip
    assert list(frame["n"]) == [1, 0, 0, 2]  # 2 Nov, 9 Nov, 16 Nov, 23 Nov; 2025 is too old


def test_every_chart_is_valid_vega_lite(engine, world):
    """The page draws specs made without Altair's validation (for speed): validate here."""
    add_items(engine, world["sam"], [dict(ai_colour="red", colour=c) for c in ("red", "blue")])
    with Session(engine) as s:
        market = insights.marketplace(s, today=TODAY)
        mine = insights.seller(s, world["sam"], today=TODAY)
        record = insights.ai_record(s)
    built = [
        charts.listings_by_category(market.by_category),
        charts.price_boxes(market.prices),
        charts.per_week(market.sales_per_week, "sales", "Items sold"),
        charts.weekly_counts(mine.over_time, {"listings": "Listed", "sales": "Sold"}),
        charts.per_week(mine.over_time, "revenue", "Revenue (€)", euros=True),
        charts.price_gaps(mine.prices),
        charts.confusion(record.confusion),
        charts.acceptance_by_confidence(record.by_confidence),
        charts.kept_by_pick(record.colours.by_pick, "Colour", "Bar chart of colours kept."),
    ]
    for chart in built:
        spec = charts.spec(chart, validate=True)  # raises if invalid
        assert spec == charts.spec(chart)
        assert spec["description"], "every chart has a description for screen readers"
        assert "aria" not in spec["config"]  # in English, Vega's own ARIA labels stay
    with use_language("fr"):  # Vega's English labels left out, the description in French
        spec = charts.spec(charts.listings_by_category(market.by_category))
    assert spec["config"]["aria"] is False
    assert spec["description"].startswith("Graphique en barres")

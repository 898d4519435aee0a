"""The app's charts, drawn with Altair (which Streamlit ships): one function per chart,
each taking a DataFrame from core and returning an Altair chart, its titles, legends and
tooltips in the person's language; numbers and dates keep Vega's d3 formats, written in
the language by the locale ``spec()`` puts in each chart's config (month names, decimal
comma)."""

from __future__ import annotations

from functools import cache

import altair as alt
import pandas as pd
import streamlit as st
from babel import Locale
from babel.dates import get_day_names, get_month_names
from streamlit import dataframe_util

from core.i18n import FORMAT_LOCALES, _, current_language

EURO = ",.2f"
# counts: whole numbers on the axis ("0.2 listings" means nothing), even for tiny counts
COUNT_AXIS = alt.Axis(format="d", tickMinStep=1)
ON_SALE, SOLD = "#2e7d32", "#9e9e9e"


def week_axis(weeks: pd.Series) -> alt.Axis:
    """A time axis ticked on the weeks' Mondays (Vega's own ticks fall every few days), the
    labels kept apart: a phone's 350 px hold about six "08 nov.", and Vega drops the rest."""
    days = sorted(set(pd.to_datetime(weeks)))
    return alt.Axis(
        format="%d %b",
        values=[alt.DateTime(year=d.year, month=d.month, date=d.day) for d in days],
        labelOverlap="greedy",
        labelSeparation=8,
    )


def listings_by_category(frame: pd.DataFrame) -> alt.Chart:
    """Horizontal stacked bars: listings on sale and sold, per category."""
    long = frame.melt(
        id_vars=["label"], value_vars=["on_sale", "sold"], var_name="status", value_name="listings"
    )
    on_sale, sold = _("On sale"), _("Sold")
    long["status"] = long["status"].map({"on_sale": on_sale, "sold": sold})
    order = list(frame["label"])
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=order, title=None),
            x=alt.X("listings:Q", title=_("Listings"), stack="zero", axis=COUNT_AXIS),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=[on_sale, sold], range=[ON_SALE, SOLD]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("label:N", title=_("Category")),
                alt.Tooltip("status:N", title=_("Status")),
                alt.Tooltip("listings:Q", title=_("Listings")),
            ],
        )
        .properties(description=_("Bar chart: the listings on sale and sold, per category."))
    )


def price_boxes(frame: pd.DataFrame) -> alt.LayerChart:
    """A box per category from its percentiles: a line from the 10th to the 90th, a box
    from the 25th to the 75th, a tick at the median (prices in euros)."""
    # layers without data of their own, the data on the layer: Altair then neither hashes
    # nor copies the frame per layer (which cost ~25 ms a chart)
    base = alt.Chart().encode(y=alt.Y("label:N", sort=list(frame["label"]), title=None))
    tooltip = [
        alt.Tooltip("label:N", title=_("Category")),
        alt.Tooltip("listings:Q", title=_("On sale")),
        alt.Tooltip("p25:Q", title=_("25 % below (€)"), format=EURO),
        alt.Tooltip("p50:Q", title=_("Median (€)"), format=EURO),
        alt.Tooltip("p75:Q", title=_("75 % below (€)"), format=EURO),
    ]
    whisker = base.mark_rule(color="#607d8b").encode(
        x=alt.X("p10:Q", title=_("Price (€), 10th to 90th percentile")), x2=alt.X2("p90:Q")
    )
    box = base.mark_bar(size=14, color="#90caf9").encode(
        x=alt.X("p25:Q"), x2=alt.X2("p75:Q"), tooltip=tooltip
    )
    median = base.mark_tick(color="#0d47a1", thickness=3, size=18).encode(
        x=alt.X("p50:Q"), tooltip=tooltip
    )
    return alt.layer(whisker, box, median, data=frame).properties(
        description=_(
            "Box chart: the prices of the listings on sale, per category: a line from the 10th "
            "to the 90th percentile, a box from the 25th to the 75th, a tick at the median."
        )
    )


def per_week(frame: pd.DataFrame, column: str, title: str, *, euros: bool = False) -> alt.Chart:
    """Bars per week of one figure, each as wide as its week (less a day, for the gap)."""
    fmt = EURO if euros else "d"
    frame = frame.assign(until=pd.to_datetime(frame["week"]) + pd.Timedelta(days=6))
    return (
        alt.Chart(frame)
        .mark_bar(color="#5c6bc0")
        .encode(
            x=alt.X("week:T", title=_("Week of"), axis=week_axis(frame["week"])),
            x2=alt.X2("until:T"),
            y=alt.Y(
                f"{column}:Q",
                title=title,
                axis=alt.Axis(format=",.0f") if euros else COUNT_AXIS,
                scale=alt.Scale(domainMin=0, nice=True),
            ),
            y2=alt.datum(0),  # x and x2 alone would make it a horizontal bar
            tooltip=[
                alt.Tooltip("week:T", title=_("Week of"), format="%d %b %Y"),
                alt.Tooltip(f"{column}:Q", title=title, format=fmt),
            ],
        )
        .properties(description=_("Bar chart per week: {title}.").format(title=title))
    )


def weekly_counts(frame: pd.DataFrame, columns: dict[str, str]) -> alt.Chart:
    """Lines per week of several counts (``columns``: column -> its name in the legend)."""
    long = frame.melt(id_vars=["week"], value_vars=list(columns), var_name="what", value_name="n")
    long["what"] = long["what"].map(columns)
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:T", title=_("Week of"), axis=week_axis(frame["week"])),
            y=alt.Y("n:Q", title=_("Per week"), axis=COUNT_AXIS),
            # two columns: three names in a row overflow a phone ("Ajoutés aux favoris")
            color=alt.Color("what:N", legend=alt.Legend(title=None, orient="bottom", columns=2)),
            tooltip=[
                alt.Tooltip("week:T", title=_("Week of"), format="%d %b %Y"),
                alt.Tooltip("what:N", title=_("What")),
                alt.Tooltip("n:Q", title=_("How many")),
            ],
        )
        .properties(
            description=_("Line chart per week: {names}.").format(names=", ".join(columns.values()))
        )
    )


def price_gaps(frame: pd.DataFrame) -> alt.Chart:
    """One dot per listing on sale: how far its price is from the median of its peers."""
    # the side only colours the dots (no legend, no tooltip): never shown
    frame = frame.assign(side=["above" if gap > 0 else "at or below" for gap in frame["gap_pct"]])
    return (
        alt.Chart(frame)
        .mark_circle(size=90)
        .encode(
            x=alt.X(
                "gap_pct:Q",
                title=_("Against the median price (%)"),  # the caption says which median
            ),
            y=alt.Y("category:N", title=None),
            color=alt.Color(
                "side:N",
                scale=alt.Scale(domain=["above", "at or below"], range=["#e65100", "#2e7d32"]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("title:N", title=_("Listing")),
                alt.Tooltip("price:Q", title=_("Price (€)"), format=EURO),
                alt.Tooltip("median:Q", title=_("Median (€)"), format=EURO),
                alt.Tooltip("peers:Q", title=_("Listings compared")),
                alt.Tooltip("condition:N", title=_("Condition")),
            ],
        )
        .properties(
            description=_(
                "Dot chart: each of your listings on sale against the median price of the "
                "listings like it (same category and condition), per category."
            )
        )
    )


def confusion(frame: pd.DataFrame) -> alt.LayerChart:
    """The AI's first suggestion (rows) against the category the seller chose (columns):
    each cell the share of that suggestion's listings; the diagonal is "kept"."""
    labels = sorted(set(frame["suggested"]) | set(frame["chosen"]))
    frame = frame.assign(ink=["white" if share > 0.5 else "black" for share in frame["share"]])
    base = alt.Chart().encode(
        y=alt.Y("suggested:N", sort=labels, title=_("The AI suggested")),
        x=alt.X(
            "chosen:N",
            sort=labels,
            title=_("The seller chose"),
            # every column named, at 390 px too: rotated labels do not touch, but their
            # boxes do, and Vega would hide two labels in three
            axis=alt.Axis(labelAngle=-60, labelOverlap=False),
        ),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("share:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]), legend=None),
        tooltip=[
            alt.Tooltip("suggested:N", title=_("Suggested")),
            alt.Tooltip("chosen:N", title=_("Chosen")),
            alt.Tooltip("listings:Q", title=_("Listings")),
            alt.Tooltip("share:Q", title=_("Share of the suggestion"), format=".0%"),
        ],
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("listings:Q"),
        color=alt.Color(  # the colours themselves ("scale=None" breaks Streamlit's theme)
            "ink:N",
            scale=alt.Scale(domain=["white", "black"], range=["white", "black"]),
            legend=None,
        ),
    )
    return alt.layer(cells, text, data=frame).properties(
        description=_(
            "Table chart: the category the AI suggested first (rows) against the one the "
            "seller chose (columns), each cell the number of listings."
        )
    )


def acceptance_by_confidence(frame: pd.DataFrame) -> alt.LayerChart:
    """Bars: how many suggestions had each confidence; line: how often they were kept."""
    base = alt.Chart().encode(
        x=alt.X("bin:N", sort=list(frame["bin"]), title=_("The AI's confidence"))
    )
    bars = base.mark_bar(color="#cfd8dc").encode(
        y=alt.Y("listings:Q", title=_("Suggestions"), axis=COUNT_AXIS),
        tooltip=[
            alt.Tooltip("bin:N", title=_("Confidence")),
            alt.Tooltip("listings:Q", title=_("Suggestions")),
        ],
    )
    rate = base.mark_line(point=True, color="#1565c0").encode(
        y=alt.Y(
            "kept_rate:Q",
            title=_("Kept by the seller"),
            axis=alt.Axis(format=".0%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        tooltip=[
            alt.Tooltip("bin:N", title=_("Confidence")),
            alt.Tooltip("kept_rate:Q", title=_("Kept"), format=".0%"),
            alt.Tooltip("kept:Q", title=_("Kept (listings)")),
        ],
    )
    return (
        alt.layer(bars, rate, data=frame)
        .resolve_scale(y="independent")
        .properties(
            description=_(
                "Bars: how many suggestions had each confidence of the AI; line: how often "
                "the sellers kept them."
            )
        )
    )


def kept_by_pick(frame: pd.DataFrame, title: str, description: str) -> alt.Chart:
    """Horizontal bars: for each colour (or pattern) the AI picked, how often the sellers
    who chose one kept its pick; the tooltip says how many picks, kept, changed, unsaid."""
    judged = frame[frame["kept"] + frame["changed"] > 0]
    return (
        alt.Chart(judged)
        .mark_bar(color="#1565c0")
        .encode(
            y=alt.Y("pick:N", sort=list(judged["pick"]), title=title),
            x=alt.X(
                "kept_rate:Q",
                title=_("Kept by the seller"),
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            tooltip=[
                alt.Tooltip("pick:N", title=title),
                alt.Tooltip("kept_rate:Q", title=_("Kept"), format=".0%"),
                alt.Tooltip("suggested:Q", title=_("Suggestions")),
                alt.Tooltip("kept:Q", title=_("Kept (listings)")),
                alt.Tooltip("changed:Q", title=_("Changed")),
                alt.Tooltip("unsaid:Q", title=_("Left unsaid")),
            ],
        )
        .properties(description=description)
    )


def price_history(frame: pd.DataFrame) -> alt.LayerChart:
    """A listing's asking price as steps over time, and the offers its seller accepted as
    dots (``frame``: at, price in euros, kind as core.catalogue.price_history.PriceKind)."""
    asking, accepted = _("Asking price"), _("Offer accepted")
    frame = frame.assign(what=[asking if k == "asking" else accepted for k in frame["kind"]])
    colour = alt.Color(
        "what:N",
        scale=alt.Scale(domain=[asking, accepted], range=["#5c6bc0", "#e65100"]),
        legend=alt.Legend(title=None, orient="bottom"),
    )
    base = alt.Chart().encode(
        x=alt.X(
            "at:T",
            title=_("Date"),  # no axis title (dates say it), but named for screen readers
            axis=alt.Axis(
                title=None, format="%d %b", tickCount=6, labelOverlap="greedy", labelSeparation=8
            ),
        ),
        y=alt.Y("price:Q", title=_("Price (€)"), scale=alt.Scale(zero=False, padding=12)),
        tooltip=[
            alt.Tooltip("at:T", title=_("Date"), format="%d %b %Y"),
            alt.Tooltip("what:N", title=_("What")),
            alt.Tooltip("price:Q", title=_("Price (€)"), format=EURO),
        ],
    )
    steps = base.transform_filter(alt.datum.kind == "asking").mark_line(
        interpolate="step-after", color="#5c6bc0"
    )
    dots = base.mark_point(filled=True, size=70, opacity=1).encode(color=colour)
    return alt.layer(steps, dots, data=frame).properties(
        height=220,
        description=_(
            "Step chart: the listing's asking price over time; dots: the offers its seller "
            "accepted."
        ),
    )


def sales_by_month(frame: pd.DataFrame) -> alt.Chart:
    """Bars: a seller's items sold per month (``frame``: month, sales, revenue in euros)."""
    return (
        alt.Chart(frame)
        .mark_bar(color="#5c6bc0")
        .encode(
            # one band per month, each named (slanted: twelve "sept." do not fit a phone)
            x=alt.X(
                "yearmonth(month):O",
                title=_("Month"),  # no axis title, but named for screen readers
                axis=alt.Axis(title=None, format="%b", labelAngle=-45, labelOverlap=False),
            ),
            y=alt.Y("sales:Q", title=_("Items sold"), axis=COUNT_AXIS),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title=_("Month"), format="%B %Y"),
                alt.Tooltip("sales:Q", title=_("Items sold")),
                alt.Tooltip("revenue:Q", title=_("Sales (€)"), format=EURO),
            ],
        )
        .properties(
            height=180, description=_("Bar chart: the items sold per month, this past year.")
        )
    )


def spec(chart: alt.TopLevelMixin, *, validate: bool = False) -> dict:
    """The chart's Vega-Lite spec, its data inline, with its description (every chart has
    one: ``description=`` in its properties) read out by screen readers. Made without
    Altair's schema validation (~16 ms a chart; tests/core/test_insights.py validates every
    chart) and meant to be cached with the figures: building an Altair chart costs 5-60 ms,
    which would be paid on every run."""
    # fit the container's width, axes and labels included (by default the plot area alone
    # fits, and the labels overflow the column by a few pixels on a phone)
    sized = chart.properties(
        autosize=alt.AutoSizeParams(type="fit", contains="padding"),
        padding={"left": 8, "top": 5, "right": 5, "bottom": 5},  # a rotated axis title's room
    )
    out = sized.to_dict(validate=validate)
    # the data as the Arrow bytes Streamlit sends: made once here, with the cached spec,
    # instead of Streamlit converting the rows (pandas, then Arrow) on every run: a tenth
    # of an item page's run with its price history (bench/capacity.py --profile)
    for name, rows in out.get("datasets", {}).items():
        if isinstance(rows, list):
            out["datasets"][name] = dataframe_util.convert_anything_to_arrow_bytes(rows)
    language = current_language()
    config = out.setdefault("config", {})
    config["locale"] = vega_locale(language)
    if language != "en":
        # Vega writes its own ARIA labels in English ("X-axis titled ... for a linear scale",
        # "bar mark container", "legend"), with no locale for them: in another language
        # they are left out, and the chart is read as one image by its description
        # (Vega puts it on the chart's element), in the person's language.
        config["aria"] = False
    return out


@cache
def vega_locale(language: str) -> dict:
    """Vega's number and time locale for the language, from Babel's data (Vega-Lite's
    ``config.locale``): "%d %b" is "08 nov." in French, "1 234,5" its numbers."""
    locale = Locale.parse(FORMAT_LOCALES.get(language, FORMAT_LOCALES["en"]))
    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # d3's order; Babel's week starts on Monday
    days, short_days = (get_day_names(w, locale=locale) for w in ("wide", "abbreviated"))
    months, short_months = (get_month_names(w, locale=locale) for w in ("wide", "abbreviated"))
    symbols = locale.number_symbols["latn"]
    euro_first = locale.currency_formats["standard"].pattern.startswith("¤")
    return {
        "number": {
            "decimal": symbols["decimal"],
            "thousands": symbols["group"],
            "grouping": [3],
            "currency": ["€", ""] if euro_first else ["", "\u00a0€"],
        },
        "time": {
            "dateTime": "%x %X",
            "date": "%d/%m/%Y",
            "time": "%H:%M:%S",
            "periods": ["AM", "PM"],
            "days": [days[d] for d in sunday_first],
            "shortDays": [short_days[d] for d in sunday_first],
            "months": [months[m] for m in range(1, 13)],
            "shortMonths": [short_months[m] for m in range(1, 13)],
        },
    }


def show(chart_spec: dict) -> None:
    """Draw a spec from ``spec()`` at the container's width."""
    st.vega_lite_chart(chart_spec, width="stretch")

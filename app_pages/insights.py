"""Insights: how the marketplace is doing, how the visitor's own shop is doing (logged in),
and how often sellers keep what the AI proposes. Figures are up to a minute old.

The figures and their charts' specs are cached together for a minute (per seller for the
shop's, and per language: the labels and the charts' titles are in it): a warm run only
draws them. Only the open tab runs and is sent (Streamlit's tabs with ``on_change="rerun"``):
a visit draws three charts, not seven, and a cold tab counts only its own figures, under a
progress state (``ui.widgets.made_with_progress``). bench/insights.py
measures the page at 100 000 listings; bench/page_times.py the time to its first chart."""

from datetime import date

import streamlit as st

from core import insights
from core.i18n import (
    LANGUAGES,
    N_,
    _,
    current_language,
    format_number,
    format_share,
    ngettext,
    translations,
)
from core.money import format_eur
from ui import pages
from ui.state import current_user, db_session
from ui.widgets import made_with_progress

CACHE_SECONDS = 60
TABS_KEY = "insights_tab"
TAB_NAMES = (N_("The marketplace"), N_("Your shop"), N_("The AI"))

st.title(_(pages.INSIGHTS.title))
st.caption(_("How the marketplace and its AI are doing. Figures are at most a minute old."))


# ``language``: only a key of the cache (the figures' labels and the charts' titles are in
# it); the functions speak the person's language, which it names
@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def marketplace(today: date, language: str) -> tuple[insights.Marketplace, dict[str, dict]]:
    from ui import charts  # altair: imported in the cold run, under its progress state

    with db_session() as session:
        market = insights.marketplace(session, today=today)
    specs = {}
    if market.listings:
        specs["by_category"] = charts.spec(charts.listings_by_category(market.by_category))
        specs["sales"] = charts.spec(
            charts.per_week(market.sales_per_week, "sales", _("Items sold"))
        )
    if not market.prices.empty:
        specs["prices"] = charts.spec(charts.price_boxes(market.prices))
    return market, specs


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def seller(
    seller_id: int, today: date, language: str
) -> tuple[insights.SellerInsights, dict[str, dict]]:
    from ui import charts

    with db_session() as session:
        mine = insights.seller(session, seller_id, today=today)
    counts = {"listings": _("Listed"), "sales": _("Sold"), "favourites": _("Favourited")}
    specs = {
        "counts": charts.spec(charts.weekly_counts(mine.over_time, counts)),
        "revenue": charts.spec(
            charts.per_week(mine.over_time, "revenue", _("Revenue (€)"), euros=True)
        ),
    }
    if not mine.prices.empty:
        specs["prices"] = charts.spec(charts.price_gaps(mine.prices))
    return mine, specs


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def ai_record(language: str) -> tuple[insights.AiRecord, dict[str, dict]]:
    from ui import charts

    with db_session() as session:
        record = insights.ai_record(session)
    specs = {}
    if record.suggested:
        specs["confusion"] = charts.spec(charts.confusion(record.confusion))
        specs["confidence"] = charts.spec(charts.acceptance_by_confidence(record.by_confidence))
    for name, picks, title, description in (
        ("colours", record.colours, _("Colour"), _(
            "Bar chart: for each colour the AI picked, how often the sellers who chose a "
            "colour kept it.")),
        ("patterns", record.patterns, _("Pattern"), _(
            "Bar chart: for each pattern the AI picked, how often the sellers who chose a "
            "pattern kept it.")),
    ):  # fmt: skip
        if picks is not None and picks.kept + picks.changed:
            specs[name] = charts.spec(charts.kept_by_pick(picks.by_pick, title, description))
    return record, specs


today = date.today()
language = current_language()
user = current_user()
weeks_n = insights.WEEKS
COUNTING = _("Counting the figures…")


def with_progress(figures, *args):
    """``figures(*args)`` under "Counting the figures…" when they are not cached yet."""
    return made_with_progress(figures, *args, seconds=CACHE_SECONDS, text=COUNTING)


def draw_market() -> None:
    market, specs = with_progress(marketplace, today, language)
    from ui import charts  # after: a cold run imports altair under the progress state

    if market.listings == 0:
        st.info(_("Nothing has been listed yet."))
    else:
        weeks = market.sales_per_week
        on_sale = int(market.by_category["on_sale"].sum())
        cols = st.columns(3)
        cols[0].metric(_("On sale"), format_number(on_sale))
        cols[1].metric(
            ngettext("Sold in {n} week", "Sold in {n} weeks", weeks_n).format(n=weeks_n),
            format_number(int(weeks["sales"].sum())),
        )
        cols[2].metric(
            ngettext("Sales in {n} week", "Sales in {n} weeks", weeks_n).format(n=weeks_n),
            format_eur(round(weeks["revenue"].sum() * 100)),
        )
        st.subheader(_("Listings by category"), anchor=False)
        charts.show(specs["by_category"])
        if "prices" in specs:
            st.subheader(_("Prices by category"), anchor=False)
            st.caption(
                _("Listings on sale: the box holds the middle half, the tick is the median.")
            )
            charts.show(specs["prices"])
        st.subheader(_("Sales per week"), anchor=False)
        charts.show(specs["sales"])


def draw_shop() -> None:
    if user is None:
        st.info(_("Log in to see how your own listings are doing."))
        pages.LOGIN.link()
    else:
        mine, specs = with_progress(seller, user.id, today, language)
        from ui import charts

        if mine.on_sale + mine.sold == 0:
            st.info(_("You have not listed anything yet."))
            pages.SELL.link(_("Sell an item"))
        else:
            cols = st.columns(4)
            cols[0].metric(_("On sale"), format_number(mine.on_sale))
            cols[1].metric(_("Sold"), format_number(mine.sold))
            cols[2].metric(_("Revenue"), format_eur(round(mine.revenue * 100)))
            days = mine.average_days_to_sell
            cols[3].metric(
                _("Days to sell"), "–" if days is None else format_number(days, digits=1)
            )
            st.caption(
                ngettext(
                    "♥ {n} favourite on your listings. Days to sell: from listed to bought.",
                    "♥ {n} favourites on your listings. Days to sell: from listed to bought.",
                    mine.favourites,
                ).format(n=format_number(mine.favourites))
            )
            st.subheader(_("Per week"), anchor=False)
            charts.show(specs["counts"])
            charts.show(specs["revenue"])
            if "prices" in specs:
                st.subheader(_("Your prices against the market"), anchor=False)
                st.caption(
                    _(
                        "Each listing on sale against the median price of the listings on sale "
                        "in the same category and condition."
                    )
                )
                charts.show(specs["prices"])


def draw_ai() -> None:
    record, specs = with_progress(ai_record, language)
    from ui import charts

    if not record.suggested:
        st.info(_("No listing was made with an AI suggestion yet."))
    else:
        cols = st.columns(2)
        cols[0].metric(_("Suggestions kept"), format_share(record.kept_rate))
        cols[1].metric(_("Listings with a suggestion"), format_number(record.suggested))
        st.caption(
            _(
                "How often sellers kept the category the AI proposed first: its accuracy on "
                "real photos, as sellers judged it."
            )
        )
        st.subheader(_("Suggested against chosen"), anchor=False)
        charts.show(specs["confusion"])
        st.subheader(_("Kept against the AI's confidence"), anchor=False)
        charts.show(specs["confidence"])
        st.subheader(_("Colours and patterns"), anchor=False)
        cols = st.columns(2)
        for col, picks, label in (
            (cols[0], record.colours, _("Colours kept")),
            (cols[1], record.patterns, _("Patterns kept")),
        ):
            rate = picks.kept_rate if picks is not None else None
            col.metric(label, "–" if rate is None else format_share(rate))
        st.caption(
            _(
                "How often sellers kept the colour and the pattern the AI picked, when they "
                "chose one: {colours} colour picks and {patterns} pattern picks were left "
                "unsaid (both are optional), and are not counted."
            ).format(
                colours=format_number(record.colours.unsaid if record.colours else 0),
                patterns=format_number(record.patterns.unsaid if record.patterns else 0),
            )
        )
        for name in ("colours", "patterns"):
            if name in specs:
                charts.show(specs[name])


labels = [_(name) for name in TAB_NAMES]
chosen = st.session_state.get(TABS_KEY)
if chosen is not None and chosen not in labels:  # chosen in the other language: the same tab
    for code in LANGUAGES:
        named = [translations(code).gettext(name) for name in TAB_NAMES]
        if chosen in named:
            st.session_state[TABS_KEY] = labels[named.index(chosen)]
tabs = st.tabs(labels, key=TABS_KEY, on_change="rerun")
for tab, draw in zip(tabs, (draw_market, draw_shop, draw_ai), strict=True):
    if tab.open:
        with tab:
            draw()

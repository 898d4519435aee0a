"""Insights: how the marketplace is doing, how the visitor's own shop is doing (logged in),
and how often sellers keep what the AI proposes. Figures are up to a minute old.

The figures and their charts' specs are cached together for a minute (per seller for the
shop's): a warm run only draws them. bench/insights.py measures the page at 100 000
listings."""

from datetime import date

import streamlit as st

from core import insights
from core.money import format_eur
from ui import charts, pages
from ui.state import current_user, db_session

CACHE_SECONDS = 60

st.title("Insights")
st.caption("How the marketplace and its AI are doing. Figures are at most a minute old.")


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def marketplace(today: date) -> tuple[insights.Marketplace, dict[str, dict]]:
    with db_session() as session:
        market = insights.marketplace(session, today=today)
    specs = {}
    if market.listings:
        specs["by_category"] = charts.spec(charts.listings_by_category(market.by_category))
        specs["sales"] = charts.spec(charts.per_week(market.sales_per_week, "sales", "Items sold"))
    if not market.prices.empty:
        specs["prices"] = charts.spec(charts.price_boxes(market.prices))
    return market, specs


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def seller(seller_id: int, today: date) -> tuple[insights.SellerInsights, dict[str, dict]]:
    with db_session() as session:
        mine = insights.seller(session, seller_id, today=today)
    counts = {"listings": "Listed", "sales": "Sold", "favourites": "Favourited"}
    specs = {
        "counts": charts.spec(charts.weekly_counts(mine.over_time, counts)),
        "revenue": charts.spec(
            charts.per_week(mine.over_time, "revenue", "Revenue (€)", euros=True)
        ),
    }
    if not mine.prices.empty:
        specs["prices"] = charts.spec(charts.price_gaps(mine.prices))
    return mine, specs


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def ai_record() -> tuple[insights.AiRecord, dict[str, dict]]:
    with db_session() as session:
        record = insights.ai_record(session)
    specs = {}
    if record.suggested:
        specs["confusion"] = charts.spec(charts.confusion(record.confusion))
        specs["confidence"] = charts.spec(charts.acceptance_by_confidence(record.by_confidence))
    return record, specs


today = date.today()
user = current_user()
market_tab, shop_tab, ai_tab = st.tabs(["The marketplace", "Your shop", "The AI"])

with market_tab:
    market, specs = marketplace(today)
    if market.listings == 0:
        st.info("Nothing has been listed yet.")
    else:
        weeks = market.sales_per_week
        on_sale = int(market.by_category["on_sale"].sum())
        cols = st.columns(3)
        cols[0].metric("On sale", f"{on_sale:,}")
        cols[1].metric(f"Sold in {insights.WEEKS} weeks", f"{int(weeks['sales'].sum()):,}")
        cols[2].metric(
            f"Sales in {insights.WEEKS} weeks", format_eur(round(weeks["revenue"].sum() * 100))
        )
        st.subheader("Listings by category", anchor=False)
        charts.show(specs["by_category"])
        if "prices" in specs:
            st.subheader("Prices by category", anchor=False)
            st.caption("Listings on sale: the box holds the middle half, the tick is the median.")
            charts.show(specs["prices"])
        st.subheader("Sales per week", anchor=False)
        charts.show(specs["sales"])

with shop_tab:
    if user is None:
        st.info("Log in to see how your own listings are doing.")
        pages.LOGIN.link("Log in")
    else:
        mine, specs = seller(user.id, today)
        if mine.on_sale + mine.sold == 0:
            st.info("You have not listed anything yet.")
            pages.SELL.link("Sell an item")
        else:
            cols = st.columns(4)
            cols[0].metric("On sale", mine.on_sale)
            cols[1].metric("Sold", mine.sold)
            cols[2].metric("Revenue", format_eur(round(mine.revenue * 100)))
            days = mine.average_days_to_sell
            cols[3].metric("Days to sell", "–" if days is None else f"{days:.1f}")
            st.caption(
                f"♥ {mine.favourites} on your listings. Days to sell: from listed to bought."
            )
            st.subheader("Per week", anchor=False)
            charts.show(specs["counts"])
            charts.show(specs["revenue"])
            if "prices" in specs:
                st.subheader("Your prices against the market", anchor=False)
                st.caption(
                    "Each listing on sale against the median price of the listings on sale in "
                    "the same category and condition."
                )
                charts.show(specs["prices"])

with ai_tab:
    record, specs = ai_record()
    if not record.suggested:
        st.info("No listing was made with an AI suggestion yet.")
    else:
        cols = st.columns(2)
        cols[0].metric("Suggestions kept", f"{record.kept_rate:.0%}")
        cols[1].metric("Listings with a suggestion", f"{record.suggested:,}")
        st.caption(
            "How often sellers kept the category the AI proposed first: its accuracy on real "
            "photos, as sellers judged it."
        )
        st.subheader("Suggested against chosen", anchor=False)
        charts.show(specs["confusion"])
        st.subheader("Kept against the AI's confidence", anchor=False)
        charts.show(specs["confidence"])

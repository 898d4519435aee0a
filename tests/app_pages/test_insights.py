"""The insights page through the real app (AppTest)."""

from __future__ import annotations

from sqlmodel import Session, select

from core.models.catalogue import Item
from tests.apptest import log_in, open_page, start_app, texts
from tests.shop_helpers import app_db

INSIGHTS = "app_pages/insights.py"
TABS_KEY = "insights_tab"  # app_pages/insights.py


def give_suggestions(engine) -> int:
    """As if every listing had been made with the AI, which took each coat for a dress
    (changed by the seller) and got the rest right; returns how many were kept."""
    with Session(engine) as s:
        items = s.exec(select(Item)).all()
        for item in items:
            item.ai_category = "dress" if item.category == "coat" else item.category
            item.ai_confidence = 0.42 if item.category == "coat" else 0.93
            item.ai_colour, item.ai_pattern = item.colour, "plain"  # the printed tee: changed
            s.add(item)
        s.commit()
        return sum(1 for item in items if item.category != "coat"), len(items)


def charts_drawn(at) -> int:
    return len(at.get("vega_lite_chart"))


def open_tab(at, label: str):
    """A click on the tab ``label``: the tabs rerun the page with it open."""
    at.session_state[TABS_KEY] = label
    return at.run()


def subheaders(at) -> list[str]:
    return [s.value for s in at.subheader]


def test_logged_out_visitors_see_the_marketplace_and_the_ai(app_env):
    kept, total = give_suggestions(app_db(app_env))
    assert 0 < kept < total  # the demo has coats
    at = open_page(start_app(), INSIGHTS)
    assert not at.exception
    assert [t.value for t in at.title] == ["Insights"]
    assert [t.label for t in at.tabs] == ["The marketplace", "Your shop", "The AI"]
    # only the open tab runs: the marketplace's figures and its three charts
    assert subheaders(at) == ["Listings by category", "Prices by category", "Sales per week"]
    assert {m.label: m.value for m in at.metric}["On sale"] == str(total)
    assert charts_drawn(at) == 3
    open_tab(at, "Your shop")
    assert subheaders(at) == [] and charts_drawn(at) == 0
    assert "Log in to see how your own listings are doing." in texts(at)
    open_tab(at, "The AI")
    assert not at.exception
    assert subheaders(at) == [
        "Suggested against chosen",
        "Kept against the AI's confidence",
        "Colours and patterns",
    ]
    metrics = {m.label: m.value for m in at.metric}
    assert "On sale" not in metrics
    assert metrics["Listings with a suggestion"] == str(total)
    assert metrics["Suggestions kept"] == f"{kept / total:.0%}"
    assert (metrics["Colours kept"], metrics["Patterns kept"]) == ("100%", f"{23 / 24:.0%}")
    assert charts_drawn(at) == 4


def test_a_seller_sees_their_own_shop(app_env):
    at = open_tab(open_page(log_in(start_app(), "user1@gmail.com"), INSIGHTS), "Your shop")
    assert not at.exception
    assert "Your prices against the market" in subheaders(at)
    assert {m.label for m in at.metric} >= {"Sold", "Revenue", "Days to sell"}
    assert charts_drawn(at) == 3  # the seller's
    open_tab(at, "The AI")
    assert "No listing was made with an AI suggestion yet." in texts(at)
    assert charts_drawn(at) == 0

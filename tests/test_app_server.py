"""The app as people run it: `streamlit run Home.py`, answering over real HTTP."""

import os

import pytest
import requests
from sqlmodel import Session

from core.catalogue.address import ShopAddress
from core.catalogue.shop import browse
from tests.app_server import running_app
from tests.concurrency import run_async
from tests.shop_helpers import app_db, jpeg
from tools.streamlit_tab import Tab
from ui import thumbnails


@pytest.fixture
def server(app_env, tmp_path):
    with running_app(os.environ.copy(), tmp_path / "server.log") as base:
        yield base


def test_health_and_landing_page_over_http(server):
    assert requests.get(f"{server}/_stcore/health", timeout=5).text == "ok"
    page = requests.get(server, timeout=5)
    assert page.status_code == 200
    assert '<div id="root">' in page.text
    # a deep link to a page also serves the app
    assert requests.get(f"{server}/item?item=1", timeout=5).status_code == 200


def test_thumbnails_are_served_once_written(server):
    photo = jpeg((30, 140, 60))
    url = f"{server}/{thumbnails.markdown_url(photo)}"  # as a page's markdown names it
    answer = requests.get(url, timeout=5)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.content == photo
    assert "2000" in answer.headers["last-modified"]  # what lets browsers keep it
    missing = f"{server}/app/static/thumbs/{'0' * 32}.jpg"
    assert requests.get(missing, timeout=5).status_code == 404


def test_a_runs_messages_arrive_whole_and_in_order(server, app_env):
    """The server hands a run's messages to its event loop in batches (ui/script_events.py):
    a tab still gets every element of each run, in the order the page drew them, and the
    photos they name."""
    with Session(app_db(app_env)) as session:
        newest = [card.item.title for card in browse(session, ShopAddress()).page.cards]

    async def visits() -> list:
        async with Tab(server) as tab:
            runs = [await tab.open("", "") for _ in range(3)]
            runs.append(await tab.open("item", "item=1"))
            runs.append(await tab.open("", ""))
            assert tab.media_bytes > 0  # the cards' photos, fetched by their addresses
        return runs

    runs = run_async(visits())
    assert not any(run.exceptions or run.page_not_found for run in runs)
    for run in (*runs[:3], runs[4]):
        texts = run.texts()
        assert texts.index("Second-hand clothes") < texts.index(newest[0])  # as drawn
        assert [card["title"] for card in run.cards()] == newest

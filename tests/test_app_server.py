"""The app as people run it: `streamlit run Home.py`, answering over real HTTP."""

import os

import pytest
import requests

from tests.app_server import running_app
from tests.shop_helpers import jpeg
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

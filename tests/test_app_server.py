"""The app as people run it: `streamlit run Home.py`, answering over real HTTP."""

import os

import pytest
import requests

from tests.app_server import running_app


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

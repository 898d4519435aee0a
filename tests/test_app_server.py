"""The app as people run it: `streamlit run Home.py`, answering over real HTTP."""

import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(app_env):
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "Home.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/_stcore/health", timeout=2).text == "ok":
                    break
            except requests.ConnectionError:
                time.sleep(0.3)
        else:
            pytest.fail("the app did not answer /_stcore/health within 60 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_health_and_landing_page_over_http(server):
    assert requests.get(f"{server}/_stcore/health", timeout=5).text == "ok"
    page = requests.get(server, timeout=5)
    assert page.status_code == 200
    assert '<div id="root">' in page.text
    # a deep link to a page also serves the app
    assert requests.get(f"{server}/?item=1", timeout=5).status_code == 200

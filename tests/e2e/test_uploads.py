"""Uploads in a real browser against a server of its own: their raw bytes leave the
server's memory once the photos are prepared (Streamlit's own metrics say so)."""

from __future__ import annotations

import os
import time

import pytest
import requests
from PIL import Image

from tests.app_server import running_app
from tests.e2e.conftest import Person

pytestmark = pytest.mark.browser


def uploads_held(base: str) -> int:
    """Bytes of uploads Streamlit holds in memory, from its own /_stcore/metrics."""
    text = requests.get(f"{base}/_stcore/metrics", timeout=10).text
    lines = [line for line in text.splitlines() if 'cache_type="UploadedFileManager"' in line]
    return sum(int(float(line.rsplit(" ", 1)[1])) for line in lines)


def test_a_real_server_drops_the_uploads_once_prepared(browser, tmp_path):
    """In a real browser: the uploads' raw bytes leave the server's memory as soon as the
    photos are prepared, and the photos stay through later reruns and removals."""
    paths = []
    for n in range(3):
        paths.append(tmp_path / f"p{n}.jpg")
        Image.effect_noise((1200, 1500), 40 + n).convert("RGB").save(paths[-1], quality=95)
    env = dict(
        os.environ,
        DATA_DIR=str(tmp_path / "data"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'marketplace.db'}",
        MODEL_DIR=str(tmp_path / "model"),
    )
    with running_app(env, tmp_path / "server.log") as base:
        context = browser.new_context()
        seller = Person(context, base, "uploads-seller").log_in_for_good(
            "user1@gmail.com", "tototo"
        )
        page = seller.page
        page.set_default_timeout(60_000)
        page.get_by_role("link", name="Sell").click()
        page.get_by_text("Sell an item").wait_for()
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(paths)
        previews = page.locator('[data-testid="stMain"] [data-testid="stImage"]')

        def settled(count: int) -> None:
            deadline = time.monotonic() + 60
            while previews.count() != count or page.locator('[data-stale="true"]').count():
                assert time.monotonic() < deadline, previews.count()
                time.sleep(0.2)

        settled(3)
        assert uploads_held(base) == 0  # the old picker kept the three files, 4.5 MB
        page.get_by_label("Title").fill("A rerun")
        page.get_by_label("Title").press("Tab")
        time.sleep(1)
        settled(3)  # still previewed from the prepared photos
        page.locator('[data-testid="stFileChipDeleteBtn"] button').first.click()
        settled(2)  # the uploader's own remove button still removes a photo
        assert uploads_held(base) == 0
        context.close()

"""AI search in a real Chromium, with the tiny CLIP: the similar-items row on an item page,
a search by description, and a search by photo (the server embeds the demo listings in
the background on its first page view)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from demo.illustrations import garment_jpeg
from tests.e2e.conftest import CARD, Person, card_titles
from tests.tiny_clip import SHARED_TOKENIZER

pytestmark = pytest.mark.browser


def _wait_for_similar_items(someone: Person, item_id: int, timeout: float = 90) -> None:
    """Reload the item until its similar-items row shows: the background job embeds the
    demo listings a few seconds after the server's first page view."""
    deadline = time.monotonic() + timeout
    while True:
        someone.goto(f"/item?item={item_id}")
        if someone.page.get_by_role("heading", name="Similar items").count():
            return
        assert time.monotonic() < deadline, "the similar items never showed"
        time.sleep(2)


def test_similar_items_a_description_and_a_photo_find_listings(person, tmp_path):
    visitor = person("visitor")
    visitor.goto("/")
    _wait_for_similar_items(visitor, 2)
    title = visitor.page.locator('[data-testid="stMain"] h2').first.inner_text()
    similar = card_titles(visitor)
    assert 1 <= len(similar) <= 4 and title not in similar
    visitor.shot("item with similar items")
    visitor.page.locator(f"{CARD} a.open").first.click()  # open one of them
    visitor.settle()
    assert visitor.page.locator('[data-testid="stMain"] h2').first.inner_text() == similar[0]
    address = urlsplit(visitor.page.url)  # its own page, at its own address
    assert address.path == "/item" and parse_qs(address.query)["item"] != ["2"]
    visitor.page.go_back()  # a history entry of its own: Back is the first item again
    visitor.settle()
    assert visitor.page.locator('[data-testid="stMain"] h2').first.inner_text() == title

    # a description none of the listings' words hold still finds the nearest listings
    visitor.visit("/")
    box = visitor.page.get_by_label("Search")
    box.fill("something light to wear at a summer wedding")
    box.press("Enter")
    visitor.settle()
    sort = visitor.page.get_by_role("combobox", name="Sort by").input_value()
    if SHARED_TOKENIZER.is_dir():  # the tiny model has the real tokenizer: search by meaning
        assert card_titles(visitor), "a description found nothing"
        assert sort == "Best match"
    else:  # a model without a tokenizer: keywords only, as before
        assert sort == "Newest first"
    visitor.shot("search by description")

    # a photo: the listing whose cover it is comes first
    path = tmp_path / "hat.jpg"
    path.write_bytes(garment_jpeg("hat", "beige"))
    visitor.visit("/")
    visitor.page.get_by_role("button", name="Photo", exact=True).click()
    uploader = visitor.page.locator(
        '[data-testid="stPopoverBody"] [data-testid="stFileUploaderDropzoneInput"]'
    )
    uploader.set_input_files(str(path))
    visitor.settle()
    visitor.page.get_by_text("look like your photo").wait_for(timeout=20_000)
    visitor.page.keyboard.press("Escape")  # close the popover for the picture
    visitor.settle()
    shown = card_titles(visitor)
    assert shown and shown[0] == "Straw-colour fedora", shown  # its own cover's drawing
    visitor.shot("search by photo")
    visitor.page.get_by_role("button", name="Clear the photo").click()
    visitor.settle()
    assert "look like your photo" not in visitor.text()

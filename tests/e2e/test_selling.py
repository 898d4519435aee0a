"""Selling in a real Chromium: every refused upload is said in a sentence right under the
uploader, as soon as the files are chosen (before "Put it on sale"), whether the photo
checks refused it on the server or Streamlit's uploader refused it in the browser."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from core.catalogue.photo_checks import MAX_UPLOAD_BYTES, megabytes

pytestmark = pytest.mark.browser

UPLOADER = '[data-testid="stFileUploaderDropzoneInput"]'


def upload_limit(seller) -> int:
    """The cap the page states under its uploader, in bytes (ui.photo_picker.upload_limit():
    25 MB, or less while the server's server.maxUploadSize takes less)."""
    caption = seller.page.get_by_text(re.compile(r"up to \d+ MB each")).inner_text()
    return int(re.search(r"up to (\d+) MB each", caption).group(1)) * 10**6


def jpeg_of_size(path: Path, size: int, pixels=(8160, 6120)) -> Path:
    """A real JPEG (50 MP by default, as a 50 MP phone writes) of exactly ``size`` bytes:
    the photo, then padding after its end marker (phones append data there too)."""
    out = io.BytesIO()
    Image.linear_gradient("L").resize(pixels).convert("RGB").save(out, "JPEG", quality=90)
    data = out.getvalue()
    assert len(data) < size
    path.write_bytes(data + b"\0" * (size - len(data)))
    return path


def small_jpeg(path: Path, colour) -> Path:
    Image.new("RGB", (320, 400), colour).save(path, "JPEG")
    return path


@pytest.fixture
def seller(person, logged_in):
    return person("seller", state=logged_in("user2@gmail.com", "tototo"))


def open_sell_page(seller):
    seller.goto("/sell")
    seller.page.get_by_text("Sell an item").wait_for()


def choose(seller, *paths: Path) -> None:
    seller.page.locator(UPLOADER).set_input_files([str(p) for p in paths])
    seller.settle()


def drop(seller, name: str, size: int) -> None:
    """Drop a file of ``size`` bytes on the uploader, as a seller drags one from a folder."""
    seller.page.locator('[data-testid="stFileUploaderDropzone"]').evaluate(
        """async (zone, [name, size]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(size)], name, { type: "video/mp4" }));
            const send = (kind) => zone.dispatchEvent(
                new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: transfer })
            );
            send("dragenter");
            send("dragover");
            await new Promise((done) => setTimeout(done, 300));  // a hand takes its time
            send("drop");
        }""",
        [name, size],
    )
    seller.settle()


def said_under_the_uploader(seller, sentence: str, kind: str = "stAlert") -> None:
    """``sentence`` is shown, in the photos' column, between the uploader and the camera
    toggle (where a seller looks after choosing files)."""
    column = seller.page.locator('[data-testid="stColumn"]').first
    message = column.locator(f'[data-testid="{kind}"]', has_text=sentence)
    message.wait_for(timeout=30_000)
    uploader = column.locator('[data-testid="stFileUploader"]').bounding_box()
    toggle = column.get_by_text("Take photos with the camera").bounding_box()
    box = message.bounding_box()
    assert uploader["y"] + uploader["height"] <= box["y"] < toggle["y"], (uploader, box, toggle)


def test_a_14_mb_phone_photo(seller, tmp_path):
    photo = jpeg_of_size(tmp_path / "IMG_20250614_101500.jpg", 14_000_000)
    open_sell_page(seller)
    limit = upload_limit(seller)
    assert limit <= MAX_UPLOAD_BYTES
    choose(seller, photo)
    if limit >= 14_000_000:  # the cap is 25 MB once server.maxUploadSize lets it in
        seller.page.locator('[data-testid="stMain"] [data-testid="stImage"]').first.wait_for()
        assert "too big" not in seller.text()
        seller.shot("14 MB phone photo accepted")
    else:  # the server takes less: the browser refuses it, and the page says why
        said_under_the_uploader(
            seller,
            f"“{photo.name}” is too big (14 MB): a photo can be at most {megabytes(limit)}.",
        )
        seller.shot("14 MB phone photo refused with its size")


def test_a_file_over_the_cap_chosen_or_dropped_is_refused_with_a_sentence(seller, tmp_path):
    """Streamlit's uploader refuses these in the browser (Python never gets them): the
    page's watcher reports them and the page says so."""
    open_sell_page(seller)
    limit = upload_limit(seller)
    big = jpeg_of_size(tmp_path / "IMG_0042.jpg", limit + 3_000_000)
    choose(seller, big)
    said_under_the_uploader(
        seller,
        f"“IMG_0042.jpg” is too big ({megabytes(limit + 3_000_000)}): a photo can be at "
        f"most {megabytes(limit)}.",
    )
    seller.shot("a file over the cap, chosen")
    drop(seller, "holiday.mov", limit + 50_000_000)
    said_under_the_uploader(seller, "“holiday.mov” is too big")
    said_under_the_uploader(seller, "“IMG_0042.jpg” is too big")  # still said
    chips = seller.page.locator('[data-testid="stFileChipName"]')
    assert chips.all_inner_texts() == ["IMG_0042.jpg", "holiday.mov"]  # its red chips
    seller.shot("and one dropped")
    choose(seller, small_jpeg(tmp_path / "ok.jpg", (200, 30, 30)))  # a good one still works
    seller.page.locator('[data-testid="stMain"] [data-testid="stImage"]').first.wait_for()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("holiday.jpg", b"this is a text file renamed .jpg, not a photo"),
        ("receipt.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"),
    ],
    ids=["txt-renamed-jpg", "pdf"],
)
def test_a_file_that_is_not_a_photo(seller, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    open_sell_page(seller)
    choose(seller, path)
    said_under_the_uploader(seller, f"“{name}” is not a photo (JPEG, PNG, WebP, GIF...).")
    seller.shot(f"{name} is not a photo")


def test_seven_photos(seller, tmp_path):
    photos = [small_jpeg(tmp_path / f"p{n}.jpg", (30 * n, 80, 160)) for n in range(1, 8)]
    open_sell_page(seller)
    choose(seller, *photos)
    said_under_the_uploader(
        seller,
        "A listing has at most 5 photos, so “p6.jpg” and “p7.jpg” were not used.",
        kind="stAlert",
    )
    previews = seller.page.locator('[data-testid="stMain"] [data-testid="stImage"]')
    assert previews.count() == 5
    seller.shot("seven photos, five used")

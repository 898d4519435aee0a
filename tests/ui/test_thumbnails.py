"""Thumbnails are files of Streamlit's static folder, named by their content, written once
and atomically; where none can be written, the page carries the photo itself."""

import base64
import os
import stat

import pytest
from streamlit import config

from tests.shop_helpers import jpeg
from ui import thumbnails


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(thumbnails, "_failed_at", None)


def test_written_once_under_its_hash_and_kept_by_browsers(tmp_path, fresh):
    photo = jpeg()
    folder, parts = tmp_path / "thumbs", tmp_path / "parts"
    name = thumbnails.saved(photo, folder, parts)
    path = folder / name
    assert name == thumbnails.file_name(photo) and name.endswith(".jpg")
    assert path.read_bytes() == photo
    assert path.stat().st_mtime == thumbnails.FILE_TIME  # an old date: browsers keep it
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert list(folder.iterdir()) == [path] and not list(parts.iterdir())  # no part left

    os.utime(path, (1, 1))
    assert thumbnails.saved(photo, folder, parts) == name
    assert path.stat().st_mtime == 1  # found, not written again
    other = jpeg((20, 90, 200))
    assert thumbnails.saved(other, folder, parts) != name  # another photo, another file

    path.unlink()  # the cache emptied while the app runs: written again when shown
    assert thumbnails.saved(photo, folder, parts) == name and path.read_bytes() == photo


def test_the_cache_is_emptied_before_streamlit_would_turn_it_off(tmp_path, fresh, monkeypatch):
    monkeypatch.setattr(thumbnails, "PARTS_DIR", tmp_path / "parts")
    folder = tmp_path / "thumbs"
    photos = [jpeg((80 * n, 40, 200)) for n in range(3)]
    names = [thumbnails.saved(photo, folder, tmp_path / "parts") for photo in photos]
    size = sum((folder / name).stat().st_size for name in names)
    assert thumbnails.prune(folder, budget=size) == 0  # within its budget: kept
    assert len(list(folder.iterdir())) == 3
    old_part, fresh_part = tmp_path / "parts" / "a.part", tmp_path / "parts" / "b.part"
    old_part.write_bytes(b"cut")
    fresh_part.write_bytes(b"being written")
    assert thumbnails.prune(folder, budget=size - 1) == 3  # over it: emptied
    assert not list(folder.iterdir())
    assert fresh_part.exists()  # another process may be writing it
    monkeypatch.setattr(thumbnails.time, "time", lambda: os.stat(old_part).st_ctime + 61)
    thumbnails.prune(folder)
    assert not old_part.exists()


def test_a_folder_that_cannot_be_written_means_photos_inside_the_page(tmp_path, fresh):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert thumbnails.saved(jpeg(), blocked / "thumbs", tmp_path / "parts") is None
    assert thumbnails._failed_at is not None  # no new try on every card for a while
    assert thumbnails.saved(jpeg(), tmp_path / "fine", tmp_path / "parts") is None
    # the page still shows the photo, inside it
    photo = jpeg()
    url = thumbnails.markdown_url(photo)
    assert url.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == photo


def test_addresses_for_markdown_and_st_image(monkeypatch, tmp_path, fresh):
    monkeypatch.setattr(thumbnails, "STATIC_DIR", tmp_path)
    monkeypatch.setattr(thumbnails, "PARTS_DIR", tmp_path / "parts")
    photo = jpeg()
    name = thumbnails.file_name(photo)
    assert thumbnails.markdown_url(photo) == f"app/static/thumbs/{name}"  # relative to a page
    assert thumbnails.image_url(photo) == f"/app/static/thumbs/{name}"  # st.image's form
    assert (tmp_path / "thumbs" / name).read_bytes() == photo

    before = config.get_option("server.enableStaticServing")
    config.set_option("server.enableStaticServing", False)
    try:  # static serving turned off: the address would not answer
        assert thumbnails.image_url(jpeg((1, 2, 3))).startswith("data:image/jpeg;base64,")
    finally:
        config.set_option("server.enableStaticServing", before)

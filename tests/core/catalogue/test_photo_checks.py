"""What an upload must be (core/catalogue/photo_checks.py): bad files, degenerate images,
pixel budgets checked on the header, the size cap, and any damage ends as a photo or a
sentence."""

from __future__ import annotations

import struct
import time
import zlib

import pytest
from PIL import Image

from core.catalogue.photo_checks import (
    MAX_COEFFICIENT_BYTES,
    MAX_UPLOAD_BYTES,
    PhotoError,
    check_size,
    megabytes,
    open_image,
)
from core.catalogue.photos import MAX_SIDE, prepare_photo
from tests.core.catalogue.test_photos import encode, gps_exif


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge size but holds almost nothing: a decompression bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 100))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "is empty"),
        (b"just some text, not a picture", "is not a photo"),
        (b"%PDF-1.4 a document", "is not a photo"),
        (encode(Image.new("RGB", (800, 600), "red"))[:1500], "damaged or truncated"),
        (png_header_only(20_000, 20_000), "too large"),
        (png_header_only(100_000, 100_000), "too large"),
        (b"\xff\xd8" + b"\x00" * (MAX_UPLOAD_BYTES + 1), "is too big (25.1 MB): a photo can"),
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64, "is a HEIC photo, which cannot"),
        (b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf" + b"\0" * 64, "is an AVIF photo"),
    ],
    ids=["empty", "text", "pdf", "truncated", "bomb", "huge-bomb", "over-25MB", "heic", "avif"],
)
def test_bad_uploads_get_a_clear_message(data, words):
    with pytest.raises(PhotoError) as err:
        prepare_photo(data, name="“holiday.jpg”")
    assert words in str(err.value)
    assert str(err.value).startswith("“holiday.jpg”")


def test_a_large_phone_photo_is_decoded_at_reduced_size_and_fits():
    # 12 megapixels: decoded through libjpeg's DCT scaling, still at least 1600 px wide
    image = Image.linear_gradient("L").resize((4032, 3024)).convert("RGB")
    photo = prepare_photo(encode(image, quality=90))
    assert (photo.width, photo.height) == (1600, 1200)


def flat_png(width: int, height: int) -> bytes:
    """A real PNG of one colour: a few hundred kB that would decode to width x height."""
    return encode(Image.new("RGB", (width, height), (250, 250, 250)), "PNG", optimize=True)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (flat_png(1, 20_000), "too long and narrow (1 x 20000 pixels)"),
        (flat_png(20_000, 1), "too long and narrow (20000 x 1 pixels)"),
        (flat_png(3, 2_000), "too long and narrow"),
        (encode(Image.new("RGB", (20_000, 2), "red")), "too long and narrow"),
        (png_header_only(0, 10), "is not a photo"),
        (png_header_only(10, 0), "is not a photo"),
    ],
    ids=["1x20000", "20000x1", "3x2000", "jpeg-20000x2", "0-wide", "0-high"],
)
def test_degenerate_images_are_refused_with_a_sentence(data, words):
    with pytest.raises(PhotoError) as err:  # never a ValueError from numpy, on any rerun
        prepare_photo(data, name="“sliver.png”")
    assert words in str(err.value) and str(err.value).startswith("“sliver.png”")


def test_a_49_megapixel_flat_png_is_refused_from_its_header_at_once():
    data = flat_png(7_000, 7_000)  # about 160 kB, 147 MB once decoded
    assert len(data) < 400_000
    start = time.perf_counter()
    with pytest.raises(PhotoError) as err:
        prepare_photo(data, name="“flat.png”")
    assert time.perf_counter() - start < 0.05  # nothing decoded
    assert str(err.value) == (
        "“flat.png” is too large for a PNG (7000 x 7000 pixels): a PNG can have at most 16 "
        "megapixels, so make it smaller or save it as a JPEG."
    )


def test_the_same_pixels_in_a_jpeg_are_decoded_reduced():
    # a sequential JPEG is decoded at 1/4 scale: 8000 x 6000 is held as 2000 x 1500
    data = encode(Image.new("RGB", (8_000, 6_000), (200, 30, 30)), quality=80)
    assert open_image(data, max_side=MAX_SIDE).size == (2000, 1500)
    assert (prepare_photo(data).width, prepare_photo(data).height) == (1600, 1200)


def test_a_progressive_jpeg_is_budgeted_on_its_full_size_coefficients():
    # libjpeg keeps every DCT coefficient of a progressive JPEG (2 bytes a colour sample)
    # at full size, whatever the scale it is decoded at
    image = Image.new("RGB", (5_200, 3_900), (30, 30, 200))  # 20 megapixels
    assert MAX_COEFFICIENT_BYTES < 2 * 5_200 * 3_900 * 3  # 4:4:4: 3 samples a pixel
    assert prepare_photo(encode(image, quality=80, subsampling=0)).width == 1600  # sequential
    with pytest.raises(PhotoError) as err:
        prepare_photo(encode(image, quality=80, subsampling=0, progressive=True), name="“w.jpg”")
    assert str(err.value) == (
        "“w.jpg” is too large for a progressive JPEG (5200 x 3900 pixels); save it as a "
        "standard JPEG, or make it smaller."
    )
    # 4:2:0, the usual colour sampling: 1.5 samples a pixel, within the budget
    assert prepare_photo(encode(image, quality=80, progressive=True)).width == 1600


def test_a_webp_has_a_smaller_budget():
    # Pillow's WebP decoder holds about four copies of the full-size canvas
    data = encode(Image.new("RGB", (3_000, 3_000), (10, 200, 10)), "WEBP")
    with pytest.raises(PhotoError) as err:
        prepare_photo(data, name="“x.webp”")
    assert "a WebP can have at most 8 megapixels" in str(err.value)
    assert prepare_photo(encode(Image.new("RGB", (2_000, 1_500)), "WEBP")).width == 1600


def test_a_jpeg_header_made_of_fill_bytes_is_refused_at_once():
    # Pillow's own JPEG header parser takes seconds over megabytes of 0xFF fill bytes
    data = b"\xff\xd8" + b"\xff" * 5_000_000
    start = time.perf_counter()
    with pytest.raises(PhotoError) as err:
        prepare_photo(data, name="“x.jpg”")
    assert time.perf_counter() - start < 0.5
    assert "damaged or truncated" in str(err.value)


@pytest.mark.parametrize("fmt", ["PPM", "PCX", "ICO", "SGI"])
def test_only_photo_formats_are_opened(fmt):
    # Image.open knows dozens of formats (EPS runs Ghostscript): a photo is one of ours
    data = encode(Image.new("RGB", (64, 64), "red"), fmt)
    with pytest.raises(PhotoError) as err:
        prepare_photo(data, name="“x.jpg”")
    assert "is not a photo" in str(err.value)


def test_the_cap_is_25_mb_as_a_phone_counts_them():
    # a 48-50 MP phone JPEG is 10-25 MB; phones, macOS and Linux count 10**6 bytes a MB
    assert MAX_UPLOAD_BYTES == 25_000_000
    check_size(MAX_UPLOAD_BYTES)
    with pytest.raises(PhotoError) as err:
        check_size(MAX_UPLOAD_BYTES + 1, name="“IMG_2041.jpg”")
    # never "25.0 MB: at most 25 MB": a size just over the cap is rounded up
    assert str(err.value) == "“IMG_2041.jpg” is too big (25.1 MB): a photo can be at most 25 MB."
    with pytest.raises(PhotoError) as err:  # a smaller limit (the server's), never a bigger one
        check_size(14_000_000, name="“x”", limit=10_000_000)
    assert str(err.value) == "“x” is too big (14 MB): a photo can be at most 10 MB."
    check_size(MAX_UPLOAD_BYTES, limit=10 * MAX_UPLOAD_BYTES)
    with pytest.raises(PhotoError):
        check_size(MAX_UPLOAD_BYTES + 1, limit=10 * MAX_UPLOAD_BYTES)
    assert [megabytes(n) for n in (1, 310_000, 14_000_000, 14_000_001)] == [
        "0.1 MB", "0.4 MB", "14 MB", "14.1 MB"
    ]  # fmt: skip


def small_files() -> list[bytes]:
    image = Image.linear_gradient("L").resize((64, 48)).convert("RGB")
    exif = gps_exif(6)
    return [
        encode(image, quality=90, exif=exif),
        encode(image, quality=90, progressive=True),
        encode(image.convert("CMYK"), subsampling=0),
        encode(image.convert("RGBA"), "PNG"),
        encode(image.convert("P"), "GIF"),
        encode(image, "WEBP"),
        encode(image, "BMP"),
        encode(image, "TIFF", compression="tiff_deflate"),
    ]


def test_any_damage_to_any_photo_ends_as_a_photo_or_a_sentence():
    """Truncated or flipped bytes anywhere (headers included): prepare_photo returns a
    photo or raises PhotoError, never another exception."""
    import random

    rng = random.Random(20)
    for original in small_files():
        for _ in range(60):
            data = bytearray(original)
            if rng.random() < 0.3:
                del data[rng.randrange(2, len(data)) :]
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            try:
                prepare_photo(bytes(data), name="“x”")
            except PhotoError as exc:
                assert str(exc).startswith("“x” ") and str(exc).endswith(".")

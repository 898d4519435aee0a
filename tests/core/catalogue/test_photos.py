"""Uploaded photos normalised (core/catalogue/photos.py): turned upright, stripped of
metadata, re-encoded, with thumbnails of one shape; the checks are in test_photo_checks.py."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from core.catalogue.photos import MAX_SIDE, THUMB_SIZE, make_thumbnail, prepare_photo


def encode(image: Image.Image, fmt: str = "JPEG", **kw) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **kw)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_photo_is_reencoded_as_jpeg_within_bounds():
    photo = prepare_photo(encode(Image.new("RGB", (4000, 3000), (10, 120, 200))))
    image, thumb = opened(photo.image), opened(photo.thumbnail)
    assert image.format == thumb.format == "JPEG"
    assert (photo.width, photo.height) == image.size == (MAX_SIDE, 1200)
    assert thumb.size == THUMB_SIZE
    assert image.getpixel((800, 600)) == pytest.approx((10, 120, 200), abs=3)


@pytest.mark.parametrize("size", [(1200, 300), (300, 1200), (500, 500), (40, 30)])
def test_thumbnails_are_all_the_same_shape_and_show_the_whole_photo(size):
    # a garment on a light studio background, with a dark frame line inside the photo
    image = Image.new("RGB", size, (240, 238, 230))
    image.paste((20, 20, 20), (size[0] // 4, size[1] // 4, 3 * size[0] // 4, 3 * size[1] // 4))
    thumb = opened(prepare_photo(encode(image, "PNG")).thumbnail)
    assert thumb.size == THUMB_SIZE
    # padded with the photo's own background colour, never cropped: the garment is centred
    assert thumb.getpixel((0, 0)) == pytest.approx((240, 238, 230), abs=4)
    assert thumb.getpixel((192, 240)) == pytest.approx((20, 20, 20), abs=8)


def test_a_small_photo_keeps_its_size():
    photo = prepare_photo(encode(Image.new("RGB", (300, 200), "white"), "PNG"))
    assert (photo.width, photo.height) == (300, 200)


def gps_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 51.0, 30.0)  # latitude
    gps[3], gps[4] = "E", (2.0, 17.0, 40.0)  # longitude
    return exif


def test_exif_orientation_is_applied_then_every_metadata_is_gone():
    # stored landscape with a red left half; orientation 6 means "rotate 90° clockwise"
    image = Image.new("RGB", (400, 200), "blue")
    image.paste((255, 0, 0), (0, 0, 200, 200))
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(image, exif=gps_exif(6), icc_profile=icc, comment=b"secret note")
    assert b"secret note" in data and opened(data).getexif().get_ifd(0x8825)

    photo = prepare_photo(data)
    upright = opened(photo.image)
    assert upright.size == (200, 400)  # turned upright
    assert upright.getpixel((100, 50)) == pytest.approx((255, 0, 0), abs=40)  # red on top
    for out in (photo.image, photo.thumbnail):
        result = opened(out)
        assert not result.getexif()  # no orientation, no GPS, no camera
        assert "exif" not in result.info and "icc_profile" not in result.info
        assert "comment" not in result.info and b"secret note" not in out
        assert b"PhoneMaker" not in out and b"Exif" not in out


def test_a_damaged_exif_block_does_not_refuse_the_photo():
    data = encode(Image.new("RGB", (64, 64), "green"), exif=b"Exif\x00\x00garbage-here")
    assert prepare_photo(data).width == 64


@pytest.mark.parametrize(
    "image",
    [
        Image.new("CMYK", (120, 80), (0, 255, 255, 0)),
        Image.new("RGBA", (120, 80), (0, 0, 0, 0)),
        Image.new("P", (120, 80)),
        Image.new("L", (120, 80), 128),
        Image.new("I;16", (120, 80), 40000),
        Image.new("1", (120, 80), 1),
    ],
    ids=["cmyk", "rgba", "palette", "grey", "16-bit", "1-bit"],
)
def test_any_mode_becomes_an_rgb_jpeg(image):
    fmt = "JPEG" if image.mode in ("CMYK", "L") else "PNG" if image.mode != "1" else "BMP"
    photo = prepare_photo(encode(image, fmt))
    assert opened(photo.image).mode == "RGB"


def test_transparency_becomes_white():
    photo = prepare_photo(encode(Image.new("RGBA", (50, 50), (255, 0, 0, 0)), "PNG"))
    assert opened(photo.image).getpixel((25, 25)) == pytest.approx((255, 255, 255), abs=3)


def test_an_animation_gives_its_first_frame():
    frames = [Image.new("RGB", (60, 40), c) for c in ("red", "lime", "blue")]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    photo = prepare_photo(out.getvalue())
    assert opened(photo.image).getpixel((30, 20)) == pytest.approx((255, 0, 0), abs=30)


# --- limits that hold before the work ----------------------------------------------------


@pytest.mark.parametrize("size", [(1, 480), (480, 1), (1, 1), (2, 3), (3000, 1)])
def test_a_thumbnail_of_any_size_is_made(size):
    thumb = make_thumbnail(Image.new("RGB", size, (30, 60, 90)))
    assert thumb.size == THUMB_SIZE


def test_exif_orientation_is_applied_to_a_transparent_png():
    image = Image.new("RGBA", (400, 200), (0, 0, 255, 255))
    image.paste((255, 0, 0, 255), (0, 0, 200, 200))
    photo = prepare_photo(encode(image, "PNG", exif=gps_exif(6)))
    upright = opened(photo.image)
    assert upright.size == (200, 400)
    assert upright.getpixel((100, 50)) == pytest.approx((255, 0, 0), abs=40)  # red on top
    assert b"PhoneMaker" not in photo.image

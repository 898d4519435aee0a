"""Decode, validate and normalise uploaded photos; make their thumbnails.

Every photo is decoded and checked, turned upright from its EXIF orientation, stripped
of all metadata (no GPS position leaks), and re-encoded as a JPEG of at most 1600 px,
with a thumbnail made once here, at upload.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import UserError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # above this, decoding could exhaust memory (decompression bomb)
MAX_SIDE = 1600
THUMB_SIDE = 480
THUMB_SIZE = (384, THUMB_SIDE)  # every thumbnail 4:5, so that the catalogue's cards line up
JPEG_QUALITY = 85
THUMB_QUALITY = 80


class PhotoError(UserError):
    """A file a user uploaded that cannot be used as a photo; the message is for the user."""


@dataclass(frozen=True)
class PreparedPhoto:
    image: bytes  # JPEG, at most MAX_SIDE px, no metadata
    thumbnail: bytes  # JPEG, THUMB_SIZE: the whole photo, centred, on its own border colour
    width: int
    height: int


def open_image(data: bytes, *, name: str = "The file", max_side: int | None = None) -> Image.Image:
    """Open and fully decode ``data``; raise PhotoError with a clear message if it is bad.

    With ``max_side``, a large JPEG is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT
    scaling) as long as its longer side stays at least ``max_side``: a 12-megapixel phone
    photo then decodes in a fraction of the time.
    """
    if not data:
        raise PhotoError(f"{name} is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise PhotoError(f"{name} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise PhotoError(
                    f"{name} is too large ({image.width} x {image.height} pixels); "
                    "use a photo under 50 megapixels."
                )
            if max_side and image.format == "JPEG" and max(image.size) > 2 * max_side:
                scale = max_side / max(image.size)
                image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
            image.load()
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoError(f"{name} is too large to be a photo.") from exc
    except UnidentifiedImageError as exc:
        raise PhotoError(f"{name} is not a photo (JPEG, PNG, WebP, GIF...).") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise PhotoError(f"{name} is damaged or truncated and cannot be read.") from exc
    return image


def to_rgb(image: Image.Image) -> Image.Image:
    """Any mode (RGBA, P, CMYK, L, I;16...) to RGB; transparency becomes white."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 256).convert("L")
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # No exif= and no icc_profile=, and no info: Pillow would copy a JPEG comment from it.
    # The output carries no metadata at all.
    image.info = {}
    image.save(out, format="JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def make_thumbnail(image: Image.Image) -> Image.Image:
    """The whole photo within THUMB_SIZE, centred on the median colour of its border (the
    studio background, usually), so that the garment is never cropped."""
    small = image.copy()
    small.thumbnail(THUMB_SIZE, Image.Resampling.LANCZOS)
    pixels = np.asarray(small)
    border = np.concatenate(
        [pixels[:2], pixels[-2:], pixels[:, :2].swapaxes(0, 1), pixels[:, -2:].swapaxes(0, 1)],
        axis=1,
    ).reshape(-1, 3)
    colour = tuple(int(v) for v in np.median(border, axis=0))
    thumb = Image.new("RGB", THUMB_SIZE, colour)
    thumb.paste(small, ((THUMB_SIZE[0] - small.width) // 2, (THUMB_SIZE[1] - small.height) // 2))
    return thumb


def prepare_photo(data: bytes, *, name: str = "The file") -> PreparedPhoto:
    """Validate an upload and return its normalised JPEG and thumbnail."""
    image = open_image(data, name=name, max_side=MAX_SIDE)
    if getattr(image, "is_animated", False):
        image.seek(0)  # an animated GIF or WebP: its first frame is the photo
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # a damaged EXIF block is no reason to refuse the photo itself
        image.info.pop("exif", None)
    image = to_rgb(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    thumb = make_thumbnail(image)
    return PreparedPhoto(
        image=_jpeg(image, JPEG_QUALITY),
        thumbnail=_jpeg(thumb, THUMB_QUALITY),
        width=image.width,
        height=image.height,
    )

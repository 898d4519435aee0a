"""Normalise uploaded photos and make their thumbnails: ``prepare_photo``.

Every photo is checked on its header first (format, size, shape, pixel budget), before
anything is decoded, then decoded (a large JPEG at reduced size): both in
``core.catalogue.photo_checks``. Here it is turned upright from its EXIF orientation,
stripped of all metadata (no GPS position leaks), and re-encoded as a JPEG of at most
1600 px, with a thumbnail made once, at upload.

One decode per upload: the decoded, upright image of at most MAX_SIDE px is shared by the
stored copy, the thumbnail and, when the caller asks for it (``model_input``), the
classifier's input (``core.ai.preprocess.prepare_for_model``): nothing decodes the photo
again.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from core.catalogue.photo_checks import (
    check_pixels,
    check_shape,
    damaged,
    decode,
    read_header,
    reduced_size,
)

MAX_SIDE = 1600
THUMB_SIDE = 480
THUMB_SIZE = (384, THUMB_SIDE)  # every thumbnail 4:5, so that the catalogue's cards line up
JPEG_QUALITY = 85
THUMB_QUALITY = 80
# A large JPEG is decoded at 1/2..1/8 scale to no less than MAX_SIDE, then resized by less
# than 2x to MAX_SIDE: at such a factor bicubic is as sharp as Lanczos to the eye (44 dB
# PSNR against a full decode + Lanczos, on a 12 MP photo) and costs about 30 % less.
STORE_RESAMPLE = Image.Resampling.BICUBIC
# The thumbnail is 3x or more smaller than the stored copy: box-reduced by an integer
# factor first (Pillow's reducing_gap), then Lanczos over the last 1.5x or more.
THUMB_REDUCING_GAP = 1.5
# The stored copy is a baseline JPEG with optimised Huffman tables: a progressive one is 0-4 %
# smaller but takes 2.5 times as long to write (35 ms more for a 12 MP upload); the standard
# tables would save 13 ms more but make a smooth photo 16 % bigger. The thumbnail, which
# the shop serves 24 to a page, stays progressive (a few ms).
STORED_PROGRESSIVE = False

_log = logging.getLogger(__name__)
_ORIENTATION = 0x0112
_TRANSPOSE = {  # EXIF orientation -> the turn that makes the photo upright (as ImageOps)
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class PreparedPhoto:
    image: bytes  # JPEG, at most MAX_SIDE px, no metadata
    thumbnail: bytes  # JPEG, THUMB_SIZE: the whole photo, centred, on its own border colour
    width: int
    height: int
    # what ``model_input`` made of the same decoded, upright image (the classifier's
    # pixel_values), or None when nobody asked; never compared, never stored in the database
    pixel_values: np.ndarray | None = field(default=None, compare=False, repr=False)


# --- normalising ----------------------------------------------------------------------------


def to_rgb(image: Image.Image) -> Image.Image:
    """Any mode (RGBA, P, CMYK, L, I;16...) to RGB; transparency becomes white."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 256).convert("L")
    if image.mode == "P" and "transparency" not in image.info:
        return image.convert("RGB")
    if image.mode in ("RGBA", "LA", "P", "PA"):
        if image.mode in ("P", "PA"):
            image = image.convert("RGBA")
        # pasted with its own alpha as the mask: no full-size RGBA or alpha copy
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image)
        return background
    return image.convert("RGB")


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(_ORIENTATION, 1))
    except Exception:  # a damaged EXIF block is no reason to refuse the photo itself
        return 1


def _jpeg(image: Image.Image, quality: int, *, progressive: bool = True) -> bytes:
    out = io.BytesIO()
    # No exif= and no icc_profile=, and no info: Pillow would copy a JPEG comment from it.
    # The output carries no metadata at all.
    image.info = {}
    image.save(out, format="JPEG", quality=quality, optimize=True, progressive=progressive)
    return out.getvalue()


def fitted_size(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The size of an image of ``size`` shrunk to fit in ``box``, aspect kept, with the
    rounding of ``Image.thumbnail``; ``size`` itself when it fits already."""
    (width, height), (x, y) = size, box
    if x >= width and y >= height:
        return size
    aspect = width / height

    def round_aspect(number: float, key) -> int:
        return max(min(math.floor(number), math.ceil(number), key=key), 1)

    if x / y >= aspect:
        return round_aspect(y * aspect, key=lambda n: abs(aspect - n / y)), y
    return x, round_aspect(x / aspect, key=lambda n: 0 if n == 0 else abs(aspect - x / n))


def make_thumbnail(image: Image.Image) -> Image.Image:
    """The whole photo within THUMB_SIZE, centred on the median colour of its border (the
    studio background, usually), so that the garment is never cropped."""
    image = to_rgb(image)
    # resize makes a new image (no copy of the photo first): box-reduced, then Lanczos
    size = fitted_size(image.size, THUMB_SIZE)
    small = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=THUMB_REDUCING_GAP)
    pixels = np.asarray(small)
    edge = min(2, *pixels.shape[:2])  # a photo 1 pixel wide has a 1-pixel border
    border = np.concatenate(
        [
            pixels[:edge].reshape(-1, 3),
            pixels[-edge:].reshape(-1, 3),
            pixels[:, :edge].reshape(-1, 3),
            pixels[:, -edge:].reshape(-1, 3),
        ]
    )
    colour = tuple(int(v) for v in np.median(border, axis=0))
    thumb = Image.new("RGB", THUMB_SIZE, colour)
    thumb.paste(small, ((THUMB_SIZE[0] - small.width) // 2, (THUMB_SIZE[1] - small.height) // 2))
    return thumb


def prepare_photo(
    data: bytes,
    *,
    name: str | None = None,
    model_input: Callable[[Image.Image], np.ndarray] | None = None,
) -> PreparedPhoto:
    """Validate an upload and return its normalised JPEG and thumbnail, decoded once.

    Every refusal is a PhotoError with one sentence for the user; the header is checked
    (format, shape, pixels) before anything is decoded. ``model_input``, if given, is
    called with the decoded, upright RGB image (at most MAX_SIDE px, not to be changed) and
    its result kept as ``pixel_values``: the classifier's input without a second decode. A
    failure of it is logged and leaves ``pixel_values`` None: it refuses no photo.
    """
    image = read_header(data, name=name)
    check_shape(image, name=name)
    check_pixels(image, data, name=name)
    image = decode(image, name=name, draft=reduced_size(image.size, MAX_SIDE))
    try:
        orientation = _orientation(image)
        image = to_rgb(image)
        image.thumbnail((MAX_SIDE, MAX_SIDE), STORE_RESAMPLE)
        if orientation in _TRANSPOSE:  # turned after the resize: a small image to turn
            image = image.transpose(_TRANSPOSE[orientation])
        thumb = make_thumbnail(image)
        stored = _jpeg(image, JPEG_QUALITY, progressive=STORED_PROGRESSIVE)
        thumbnail = _jpeg(thumb, THUMB_QUALITY)
    except Exception as exc:  # a frame or a tile that fails to decode only now
        _log.info("photo refused while normalising it", exc_info=True)
        raise damaged(name) from exc
    pixel_values = None
    if model_input is not None:
        try:
            pixel_values = model_input(image)
        except Exception:  # the photo is fine: the classifier decodes the stored copy instead
            _log.exception("the model input of a photo failed")
    return PreparedPhoto(
        image=stored,
        thumbnail=thumbnail,
        width=image.width,
        height=image.height,
        pixel_values=pixel_values,
    )

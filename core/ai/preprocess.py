"""CLIP's image preprocessing, from uploaded bytes to ``pixel_values``, with the photo
checks and the reduced JPEG decode of ``core.catalogue.photo_checks`` (one set of rules for
every upload).

An upload is decoded once: ``prepare_for_model`` prepares it with
``core.catalogue.photos.prepare_photo`` (stored copy, thumbnail) and makes its
``pixel_values`` from the same decoded, upright image (``model_input``). ``preprocess``
(bytes in) stays for everything else: tests, the export's checks, a stored photo.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from core.catalogue import photo_checks, photos
from core.i18n import _

# A JPEG of more than DRAFT_MIN_PIXELS is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT
# scaling) as long as its shorter side stays at least DRAFT_MIN_SIDE (1.5 x 224): a
# 12-megapixel photo then decodes in about a quarter of the time, and the bicubic resize
# that follows still has 1.5 times the pixels it needs. Smaller photos decode in full.
DRAFT_MIN_SIDE = 336
DRAFT_MIN_PIXELS = 2_000_000
# ``model_input``: an image already decoded is box-reduced while it keeps 1.5 x the pixels
# of the bicubic resize's output, like the draft decode above.
MODEL_REDUCING_GAP = DRAFT_MIN_SIDE / 224
# Beyond this aspect ratio the photo's ends are cut before resizing: only the centre is kept
# anyway, and a 1 x 50 000 sliver must not turn into a 224 x 11 000 000 resize.
MAX_ASPECT = 4


@dataclass(frozen=True)
class Preprocessing:
    """CLIP's image preprocessing: shorter side to ``size`` (bicubic), centre crop, normalise."""

    size: int = 224
    crop: int = 224
    mean: tuple[float, float, float] = (0.48145466, 0.4578275, 0.40821073)
    std: tuple[float, float, float] = (0.26862954, 0.26130258, 0.27577711)
    resample: str = "bicubic"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Preprocessing:
        prep = cls(
            size=int(data["size"]),
            crop=int(data["crop"]),
            mean=tuple(float(v) for v in data["mean"]),  # type: ignore[arg-type]
            std=tuple(float(v) for v in data["std"]),  # type: ignore[arg-type]
            resample=str(data.get("resample", "bicubic")),
        )
        if prep.resample != "bicubic" or len(prep.mean) != 3 or len(prep.std) != 3:
            raise ValueError(f"unsupported preprocessing {data}")
        return prep


CLIP_PREPROCESSING = Preprocessing()


def _open_reduced(data: bytes, min_side: int) -> Image.Image | None:
    """Decode ``data``, a JPEG at reduced size; None when anything is off.

    The same header checks and pixel budget as every upload
    (``core.catalogue.photo_checks``): nothing is decoded that would hold more than
    ``photo_checks.MAX_DECODED_PIXELS`` at once.
    """
    try:
        image = photo_checks.read_header(data)
        photo_checks.check_pixels(image, data)
        big = (
            image.format in photo_checks.JPEG_FORMATS
            and image.width * image.height > DRAFT_MIN_PIXELS
        )
        return photo_checks.decode(image, draft=(min_side, min_side) if big else None)
    except Exception:
        return None


def decode_photo(data: bytes, *, draft: bool = True, name: str | None = None) -> Image.Image:
    """Decode an uploaded photo to an upright RGB image; PhotoError if it is not usable.

    With ``draft``, a JPEG over ``DRAFT_MIN_PIXELS`` is decoded at 1/2, 1/4 or 1/8 scale,
    never below ``DRAFT_MIN_SIDE`` on its shorter side. An animation's first frame is the photo.
    """
    image = _open_reduced(data, DRAFT_MIN_SIDE) if draft else None
    if image is None:
        # photo_checks.open_image raises PhotoError with the user-facing reason (empty, not an
        # image, truncated, too large...), or decodes in full if only the fast path failed.
        image = photo_checks.open_image(data, name=name or _("The photo"))
    with contextlib.suppress(Exception):  # a broken EXIF block is no reason to refuse a photo
        image = ImageOps.exif_transpose(image)
    return photos.to_rgb(image)


def preprocess_image(
    image: Image.Image,
    prep: Preprocessing = CLIP_PREPROCESSING,
    *,
    reducing_gap: float | None = None,
) -> np.ndarray:
    """An RGB image to CLIP's ``pixel_values``, float32 of shape (1, 3, crop, crop).

    Same arithmetic as ``transformers.CLIPImageProcessor``: shorter side to ``size`` with
    bicubic, longer side ``int(size * long / short)``, centre crop with floor offsets.
    With ``reducing_gap`` (Pillow's), a big image is box-reduced by an integer factor first,
    as long as it keeps ``reducing_gap`` times the pixels the bicubic resize needs.
    """
    if image.mode != "RGB":
        image = photos.to_rgb(image)
    width, height = image.size
    short, long = min(width, height), max(width, height)
    if long > short * MAX_ASPECT:
        keep = short * MAX_ASPECT
        if width > height:
            left = (width - keep) // 2
            image = image.crop((left, 0, left + keep, height))
        else:
            top = (height - keep) // 2
            image = image.crop((0, top, width, top + keep))
        width, height = image.size
        long = keep
    new_long = int(prep.size * long / short)
    size = (prep.size, new_long) if width <= height else (new_long, prep.size)
    image = image.resize(size, Image.Resampling.BICUBIC, reducing_gap=reducing_gap)
    left = (size[0] - prep.crop) // 2
    top = (size[1] - prep.crop) // 2
    image = image.crop((left, top, left + prep.crop, top + prep.crop))
    pixels = np.asarray(image, dtype=np.float32)
    std = np.asarray(prep.std, dtype=np.float32)
    mean = np.asarray(prep.mean, dtype=np.float32)
    pixels = pixels * (1.0 / (255.0 * std)) - mean / std
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)[None])


def preprocess(
    data: bytes, prep: Preprocessing = CLIP_PREPROCESSING, *, draft: bool = True
) -> np.ndarray:
    """Uploaded photo bytes to CLIP's ``pixel_values``; PhotoError if the photo is not usable."""
    return preprocess_image(decode_photo(data, draft=draft), prep)


def model_input(image: Image.Image, prep: Preprocessing = CLIP_PREPROCESSING) -> np.ndarray:
    """An upright RGB image already decoded (the photo prepared for storage, at most
    ``photos.MAX_SIDE`` px) to CLIP's ``pixel_values``, close to what ``preprocess`` makes
    of the upload's bytes (tests/core/ai/test_preprocess.py says how close): box-reduced by an
    integer factor while it keeps 1.5 x the pixels the bicubic resize needs (as the draft
    decode of ``preprocess`` does; Pillow keeps the geometry exact), then as
    ``preprocess_image``. ``image`` itself is not changed."""
    return preprocess_image(image, prep, reducing_gap=MODEL_REDUCING_GAP)


def prepare_for_model(
    data: bytes, prep: Preprocessing = CLIP_PREPROCESSING, *, name: str | None = None
) -> photos.PreparedPhoto:
    """``photos.prepare_photo`` (the same checks and refusals), with ``pixel_values`` made for
    ``prep`` from the same decode: an upload is decoded once for all three."""
    return photos.prepare_photo(
        data, name=name, model_input=functools.partial(model_input, prep=prep)
    )

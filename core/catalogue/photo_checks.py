"""What an uploaded photo must be, checked on its header before anything is decoded
(format, file size, shape, pixel budget), and its decode within those limits (a large JPEG
at reduced size). ``core.catalogue.photos`` normalises what these let through.

Memory: every limit below is checked on the header, before anything is decoded.

- A sequential JPEG (what phones and cameras write) is decoded row by row at 1/2, 1/4 or
  1/8 scale: it may declare up to MAX_PIXELS (50 MP) and never holds more than about
  10 MP (its longer side stays under 2 x MAX_SIDE).
- A progressive JPEG's decoder keeps every DCT coefficient of the full-size image (2
  bytes a colour sample) at any scale: at most MAX_COEFFICIENT_BYTES (96 MiB, about 33 MP
  in the usual 4:2:0 colours, 16 MP at 4:4:4).
- Any other photo is decoded at full size: a PNG, GIF, BMP or TIFF may have at most
  MAX_DECODED_PIXELS (16 MP: up to 4 bytes a pixel decoded, plus its RGB copy), a WebP at
  most MAX_WEBP_PIXELS (8 MP: Pillow's WebP decoder holds about 4 copies of the canvas).

So one upload takes at most MEMORY_BOUND_MB while it is processed, on top of its file
(at most MAX_UPLOAD_BYTES); bench/photos.py measures the worst cases. Afterwards only the
prepared JPEG and thumbnail (a few hundred kB), and the classifier's input when asked for
(600 kB), are kept.

The file size cap is 25 MB: 48- and 50-megapixel phones write JPEGs of 10 to 25 MB, and
the cost of a JPEG is set by its pixels (decoded reduced), not its bytes, so a bigger
file costs only its own bytes while it is read. Sizes are counted as phones, macOS and
Linux show them (1 MB = 1 000 000 bytes), so that "25 MB" is the number the seller sees.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from core.errors import UserError
from core.i18n import _, format_number

MAX_UPLOAD_BYTES = 25_000_000  # 25 MB: a 48-50 MP phone JPEG (module docstring)
MAX_PIXELS = 50_000_000  # declared by a sequential JPEG, decoded at reduced size
MAX_DECODED_PIXELS = 16_000_000  # held at once: any other photo, at full size
MAX_WEBP_PIXELS = 8_000_000  # a WebP, whose decoder holds several full-size copies
MAX_COEFFICIENT_BYTES = 96 * 2**20  # a progressive JPEG's full-size DCT coefficients
MEMORY_BOUND_MB = 150  # the most one upload takes while it is processed (module docstring)
MAX_ASPECT = 10  # the longer side at most 10 times the shorter one
# What a photo may be: Image.open would otherwise try every format Pillow knows (EPS, PSD,
# FITS...). Pillow opens an MPO (a JPEG with extra frames, as some phones and cameras write)
# through its JPEG opener.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
JPEG_FORMATS = ("JPEG", "MPO")
Image.init()  # registers every plugin: Image.open(formats=...) finds only registered ones
_FORMAT_NAMES = {"WEBP": "WebP"}

# The pixel budgets above are checked on every header, far below Pillow's own warning
# threshold (89 megapixels): its DecompressionBombWarning would only add noise to the logs.
# (warnings.catch_warnings is not used per call: it is not thread-safe, and Streamlit runs
# sessions in threads.) Pillow's DecompressionBombError, above 179 megapixels, still fires.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


class PhotoError(UserError):
    """A file a user uploaded that cannot be used as a photo; the message is for the user."""


def _who(name: str | None) -> str:
    """How a message names the file: its quoted name, given by the caller, or "The file"."""
    return name or _("The file")


# --- the header: everything checked before decoding ---------------------------------------

_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_SEQUENTIAL_SOF = frozenset({0xC0, 0xC1, 0xC9})  # baseline, extended, arithmetic sequential
_FILL = re.compile(rb"\xff+")
_MAX_FILL = 64  # a real JPEG pads a marker with a few 0xFF bytes, never thousands
_MAX_SEGMENTS = 1000


def megabytes(size: int) -> str:
    """A file size as the seller's phone shows it: "25 MB", "31.4 MB" (never rounded down
    to the cap it is over), "0.3 MB"."""
    if size % 1_000_000 == 0:
        return _("{size} MB").format(size=format_number(size // 1_000_000))
    return _("{size} MB").format(size=format_number(math.ceil(size / 100_000) / 10, digits=1))


def check_size(size: int, *, name: str | None = None, limit: int = MAX_UPLOAD_BYTES) -> None:
    """PhotoError when a file of ``size`` bytes is bigger than a photo may be (``limit``,
    at most MAX_UPLOAD_BYTES): checked before its bytes are read."""
    limit = min(limit, MAX_UPLOAD_BYTES)
    if size > limit:
        raise PhotoError(
            _("{name} is too big ({size}): a photo can be at most {limit}.").format(
                name=_who(name), size=megabytes(size), limit=megabytes(limit)
            )
        )


# ISO base media files (HEIF, AVIF): "ftyp" at offset 4, then the major brand
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS |= {b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


def _not_a_photo(data: bytes, name: str) -> PhotoError:
    brand = data[8:12] if data[4:8] == b"ftyp" else b""
    if brand in _HEIF_BRANDS:  # a real photo, in a format Pillow does not read
        return PhotoError(
            _(
                "{name} is a HEIC photo, which cannot be read here: share it as a JPEG instead "
                "(on an iPhone: Settings > Camera > Formats > Most Compatible)."
            ).format(name=_who(name))
        )
    if brand in _AVIF_BRANDS:
        return PhotoError(
            _("{name} is an AVIF photo, which cannot be read here: save it as a JPEG.").format(
                name=_who(name)
            )
        )
    return PhotoError(_("{name} is not a photo (JPEG, PNG, WebP, GIF...).").format(name=_who(name)))


def damaged(name: str | None) -> PhotoError:
    return PhotoError(
        _("{name} is damaged or truncated and cannot be read.").format(name=_who(name))
    )


@dataclass(frozen=True)
class JpegLayout:
    """What libjpeg will hold to decode a JPEG, read from its markers."""

    reduced: bool  # a sequential JPEG whose first scan holds every colour component
    samples: float  # colour samples per pixel of the full-size image (1.5 for 4:2:0 RGB)


_UNKNOWN_JPEG = JpegLayout(reduced=False, samples=4.0)  # assume the worst


def jpeg_layout(data: bytes, name: str | None = None) -> JpegLayout:
    """How libjpeg decodes ``data``. A sequential JPEG whose first scan holds every colour
    component is decoded row by row, at 1/2..1/8 scale if asked: ``reduced``. A progressive
    one, or one whose components come in separate scans, keeps every DCT coefficient of
    the full-size image (2 bytes a colour sample) until its last scan, at any scale.

    Walks the markers up to the first scan; a long run of fill bytes (which would keep
    Pillow's own header parser busy for seconds) is refused as damaged.
    """
    pos, reduced, samples, factors = 2, False, 0.0, []
    for _segment in range(_MAX_SEGMENTS):
        if pos + 4 > len(data) or data[pos] != 0xFF:
            return _UNKNOWN_JPEG
        if data[pos + 1] == 0xFF:
            fill = _FILL.match(data, pos).end() - pos - 1
            if fill > _MAX_FILL:
                raise damaged(name)
            pos += fill
            continue
        marker = data[pos + 1]
        if marker == 0xD8 or marker == 0x01 or 0xD0 <= marker <= 0xD7:
            pos += 2  # markers without a length
            continue
        if marker in _SOF_MARKERS:
            count = data[pos + 9] if pos + 9 < len(data) else 0
            factors = [data[pos + 11 + 3 * i] for i in range(count) if pos + 11 + 3 * i < len(data)]
            if not count or len(factors) < count or not all(f >> 4 and f & 15 for f in factors):
                return _UNKNOWN_JPEG  # a sampling factor of 0 is not a JPEG libjpeg reads
            h_max, v_max = max(f >> 4 for f in factors), max(f & 15 for f in factors)
            samples = sum((f >> 4) * (f & 15) for f in factors) / (h_max * v_max)
            reduced = marker in _SEQUENTIAL_SOF
        elif marker == 0xDA:  # the first scan: does it hold every component?
            if not samples or pos + 4 >= len(data):
                return _UNKNOWN_JPEG
            return JpegLayout(reduced and data[pos + 4] >= len(factors), samples)
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return _UNKNOWN_JPEG


def read_header(data: bytes, *, name: str | None = None) -> Image.Image:
    """The photo opened lazily (only its header is read); PhotoError if it is not one."""
    if not data:
        raise PhotoError(_("{name} is empty.").format(name=_who(name)))
    check_size(len(data), name=name)
    if data[:2] == b"\xff\xd8":
        jpeg_layout(data, name)  # refuses a header that would keep Pillow busy for seconds
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.DecompressionBombError as exc:
        raise PhotoError(_("{name} is too large to be a photo.").format(name=_who(name))) from exc
    except UnidentifiedImageError as exc:
        raise _not_a_photo(data, name) from exc
    except Exception as exc:  # a damaged header: OSError, SyntaxError, struct.error...
        raise damaged(name) from exc
    return image


def check_pixels(image: Image.Image, data: bytes, *, name: str | None = None) -> None:
    """PhotoError, from the header alone, when decoding ``image`` would hold more memory
    than one photo may (see the module's docstring)."""
    width, height = image.size
    pixels = width * height
    if pixels > MAX_PIXELS:
        raise PhotoError(
            _(
                "{name} is too large ({width} x {height} pixels); use a photo of at most "
                "{limit} megapixels."
            ).format(name=_who(name), width=width, height=height, limit=MAX_PIXELS // 1_000_000)
        )
    if image.format in JPEG_FORMATS:
        layout = jpeg_layout(data)
        if not layout.reduced and 2 * pixels * layout.samples > MAX_COEFFICIENT_BYTES:
            raise PhotoError(
                _(
                    "{name} is too large for a progressive JPEG ({width} x {height} pixels); "
                    "save it as a standard JPEG, or make it smaller."
                ).format(name=_who(name), width=width, height=height)
            )
    elif pixels > (limit := MAX_WEBP_PIXELS if image.format == "WEBP" else MAX_DECODED_PIXELS):
        kind = _FORMAT_NAMES.get(image.format or "", image.format or "image")
        raise PhotoError(
            _(
                "{name} is too large for a {kind} ({width} x {height} pixels): a {kind} can "
                "have at most {limit} megapixels, so make it smaller or save it as a JPEG."
            ).format(
                name=_who(name), kind=kind, width=width, height=height, limit=limit // 1_000_000
            )
        )


def check_shape(image: Image.Image, *, name: str | None = None) -> None:
    """PhotoError when the photo's shape cannot show an item (from its header)."""
    width, height = image.size
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise PhotoError(
            _(
                "{name} is too long and narrow ({width} x {height} pixels) to show an item; "
                "use a photo at most {n} times as long as it is wide."
            ).format(name=_who(name), width=width, height=height, n=MAX_ASPECT)
        )


def reduced_size(size: tuple[int, int], max_side: int) -> tuple[int, int] | None:
    """The size to ask a JPEG's decoder for so that its longer side stays at least
    ``max_side``, or None when it is not worth it (at most twice ``max_side``)."""
    if max(size) <= 2 * max_side:
        return None
    scale = max_side / max(size)
    return math.ceil(size[0] * scale), math.ceil(size[1] * scale)


def decode(
    image: Image.Image, *, name: str | None = None, draft: tuple[int, int] | None = None
) -> Image.Image:
    """Decode an opened photo (a JPEG at 1/2..1/8 scale, no smaller than ``draft``);
    PhotoError if it is damaged, or if it would still hold too many pixels."""
    try:
        if getattr(image, "is_animated", False):
            image.seek(0)  # an animated GIF, WebP or PNG: its first frame is the photo
        if draft and image.format in JPEG_FORMATS:
            image.draft(None, draft)  # sets the decoder's scale and image.size, decodes nothing
        if image.width * image.height > MAX_DECODED_PIXELS:
            raise PhotoError(
                _(
                    "{name} is too large ({width} x {height} pixels) to be read; use a "
                    "smaller photo."
                ).format(name=_who(name), width=image.width, height=image.height)
            )
        image.load()
    except PhotoError:
        raise
    except Exception as exc:  # OSError, SyntaxError, ValueError, EOFError... from a decoder
        raise damaged(name) from exc
    return image


def open_image(data: bytes, *, name: str | None = None, max_side: int | None = None) -> Image.Image:
    """Check and decode ``data``; PhotoError with a clear message if it is not usable.

    With ``max_side``, a large sequential JPEG is decoded at 1/2, 1/4 or 1/8 scale
    (libjpeg's DCT scaling) as long as its longer side stays at least ``max_side``.
    """
    image = read_header(data, name=name)
    check_pixels(image, data, name=name)
    draft = reduced_size(image.size, max_side) if max_side else None
    return decode(image, name=name, draft=draft)

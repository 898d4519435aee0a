"""Clean garment illustrations drawn with Pillow: the demo listings' photos.

One drawing per category, in any colour, on a soft studio background. Shapes are
written in a 100 x 100 unit square and drawn at twice the output size, then scaled
down, which gives smooth (anti-aliased) edges.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFilter

from core.catalogue.photos import PreparedPhoto, prepare_photo

COLOURS: dict[str, tuple[int, int, int]] = {
    "navy": (36, 52, 94),
    "black": (38, 38, 42),
    "white": (244, 242, 236),
    "red": (196, 48, 48),
    "beige": (214, 190, 152),
    "olive": (112, 120, 64),
    "pink": (232, 150, 172),
    "denim": (74, 112, 160),
    "grey": (140, 144, 150),
    "mustard": (214, 164, 46),
    "burgundy": (122, 34, 52),
    "green": (46, 110, 76),
    "camel": (182, 132, 82),
    "sky": (132, 186, 222),
}

_SS = 2  # supersampling factor


def _shade(rgb: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    if factor < 1:
        return tuple(int(c * factor) for c in rgb)  # type: ignore[return-value]
    return tuple(int(c + (255 - c) * (factor - 1)) for c in rgb)  # type: ignore[return-value]


class _Pen:
    """Draws in 0..100 units on a square canvas of ``size`` pixels."""

    def __init__(self, image: Image.Image, colour: tuple[int, int, int]):
        self.draw = ImageDraw.Draw(image)
        self.k = image.width / 100
        self.fill = colour
        light = sum(colour) / 3 > 200
        self.line = _shade(colour, 0.62 if light else 0.55)
        self.detail = _shade(colour, 0.75 if light else 1.35)
        self.width = max(1, int(self.k * 0.7))

    def _pts(self, pts):
        return [(x * self.k, y * self.k) for x, y in pts]

    def poly(self, pts, fill=None, outline=True):
        self.draw.polygon(
            self._pts(pts),
            fill=fill or self.fill,
            outline=self.line if outline else None,
            width=self.width if outline else 0,
        )

    def lines(self, pts, colour=None, width=None):
        self.draw.line(
            self._pts(pts),
            fill=colour or self.detail,
            width=width or self.width,
            joint="curve",
        )

    def ellipse(self, box, fill=None, outline=True):
        x0, y0, x1, y1 = box
        self.draw.ellipse(
            (x0 * self.k, y0 * self.k, x1 * self.k, y1 * self.k),
            fill=fill or self.fill,
            outline=self.line if outline else None,
            width=self.width if outline else 0,
        )

    def arc(self, box, start, end, colour=None, width=None):
        x0, y0, x1, y1 = box
        self.draw.arc(
            (x0 * self.k, y0 * self.k, x1 * self.k, y1 * self.k),
            start,
            end,
            fill=colour or self.line,
            width=width or self.width,
        )

    def buttons(self, x, ys, r=1.1):
        for y in ys:
            self.ellipse((x - r, y - r, x + r, y + r), fill=self.detail)


def _tshirt(p: _Pen) -> None:
    p.poly(
        [
            (39, 14),
            (22, 18),
            (7, 33),
            (16, 44),
            (27, 37),
            (27, 88),
            (73, 88),
            (73, 37),
            (84, 44),
            (93, 33),
            (78, 18),
            (61, 14),
            (56, 20),
            (50, 22),
            (44, 20),
        ]
    )
    p.lines([(39, 14), (44, 20), (50, 22), (56, 20), (61, 14)], width=p.width * 2)
    p.lines([(27, 84), (73, 84)])


def _long_sleeves(p: _Pen, hem: float, cuff: bool = True) -> None:
    p.poly(
        [
            (39, 13),
            (23, 17),
            (14, 30),
            (7, 80),
            (17, 82),
            (25, 44),
            (27, 42),
            (27, hem),
            (73, hem),
            (73, 42),
            (75, 44),
            (83, 82),
            (93, 80),
            (86, 30),
            (77, 17),
            (61, 13),
            (56, 19),
            (50, 21),
            (44, 19),
        ]
    )
    if cuff:
        p.lines([(7.6, 75), (17.6, 77)])
        p.lines([(92.4, 75), (82.4, 77)])


def _sweater(p: _Pen) -> None:
    _long_sleeves(p, 86)
    p.lines([(39, 13), (44, 19), (50, 21), (56, 19), (61, 13)], width=p.width * 3)
    for y in (80, 83):
        p.lines([(27, y), (73, y)])
    for x in range(32, 70, 6):  # a knit texture
        p.lines([(x, 30), (x, 78)], colour=_shade(p.fill, 0.9), width=p.width)


def _shirt(p: _Pen) -> None:
    _long_sleeves(p, 88)
    p.poly([(39, 13), (50, 26), (44, 30), (37, 17)])
    p.poly([(61, 13), (50, 26), (56, 30), (63, 17)])
    p.lines([(50, 26), (50, 88)])
    p.buttons(52, [34, 44, 54, 64, 74, 84])
    p.poly([(31, 40), (40, 40), (40, 48), (31, 48)], outline=True)


def _jacket(p: _Pen) -> None:
    _long_sleeves(p, 82)
    p.poly([(39, 13), (50, 30), (42, 36), (34, 18)])
    p.poly([(61, 13), (50, 30), (58, 36), (66, 18)])
    p.lines([(50, 30), (50, 82)], colour=_shade(p.fill, 0.45), width=p.width * 2)
    p.lines([(30, 58), (40, 58), (40, 68)])
    p.lines([(70, 58), (60, 58), (60, 68)])
    p.lines([(27, 78), (73, 78)])


def _coat(p: _Pen) -> None:
    _long_sleeves(p, 96)
    p.poly([(39, 13), (50, 32), (40, 40), (33, 18)])
    p.poly([(61, 13), (50, 32), (60, 40), (67, 18)])
    p.buttons(45, [46, 56, 66])
    p.buttons(55, [46, 56, 66])
    p.poly([(27, 60), (73, 60), (73, 64), (27, 64)], fill=_shade(p.fill, 0.8))
    p.lines([(31, 74), (39, 74)])
    p.lines([(61, 74), (69, 74)])


def _dress(p: _Pen) -> None:
    p.poly(
        [
            (36, 10),
            (40, 10),
            (44, 21),
            (56, 21),
            (60, 10),
            (64, 10),
            (65, 30),
            (61, 41),
            (82, 90),
            (18, 90),
            (39, 41),
            (35, 30),
        ]
    )
    p.poly([(38, 39), (62, 39), (62, 43), (38, 43)], fill=_shade(p.fill, 0.8))
    for x0, x1 in ((44, 36), (50, 50), (56, 64)):
        p.lines([(x0, 46), (x1, 88)])


def _skirt(p: _Pen) -> None:
    p.poly([(34, 18), (66, 18), (66, 26), (34, 26)], fill=_shade(p.fill, 0.8))
    p.poly([(34, 26), (66, 26), (80, 82), (20, 82)])
    for x0, x1 in ((40, 32), (46, 44), (54, 56), (60, 68)):
        p.lines([(x0, 28), (x1, 80)])


def _pants(p: _Pen, length: float = 92) -> None:
    knee = 34 if length > 60 else 30
    p.poly([(29, 10), (71, 10), (71, 15), (29, 15)], fill=_shade(p.fill, 0.8))
    p.poly([(29, 15), (71, 15), (74, length), (53, length), (50, knee), (47, length), (26, length)])
    p.lines([(50, 15), (50, knee - 6)])
    p.arc((30, 10, 44, 24), 0, 90)
    p.arc((56, 10, 70, 24), 90, 180)
    for x in (35, 42, 58, 65):
        p.lines([(x, 10), (x, 15)], colour=p.line)


def _shorts(p: _Pen) -> None:
    _pants(p, 56)
    p.lines([(27, 52), (47.5, 52)])
    p.lines([(52.5, 52), (73, 52)])


def _underwear(p: _Pen) -> None:
    p.poly([(20, 30), (80, 30), (80, 38), (20, 38)], fill=_shade(p.fill, 0.75))
    p.poly([(20, 38), (80, 38), (79, 48), (60, 72), (40, 72), (21, 48)])
    p.arc((6, 44, 42, 80), 300, 20)
    p.arc((58, 44, 94, 80), 160, 240)


def _shoes(p: _Pen) -> None:
    for dx, dy, tone in ((6, -6, 0.8), (0, 0, 1.0)):
        colour = _shade(p.fill, tone)
        p.poly(
            [
                (12 + dx, 64 + dy),
                (14 + dx, 46 + dy),
                (38 + dx, 42 + dy),
                (50 + dx, 30 + dy),
                (62 + dx, 31 + dy),
                (68 + dx, 45 + dy),
                (84 + dx, 52 + dy),
                (89 + dx, 64 + dy),
            ],
            fill=colour,
        )
        p.poly(
            [(10 + dx, 64 + dy), (90 + dx, 64 + dy), (90 + dx, 71 + dy), (12 + dx, 71 + dy)],
            fill=(246, 246, 242),
        )
        for i in range(4):
            x = 46 + dx + i * 4
            p.lines([(x, 36 + dy + i * 2.5), (x + 6, 40 + dy + i * 2.5)], colour=(246, 246, 242))


def _hat(p: _Pen) -> None:
    p.ellipse((10, 56, 90, 76))
    p.poly([(30, 66), (32, 34), (40, 27), (50, 30), (60, 27), (68, 34), (70, 66)])
    p.poly([(30.6, 56), (69.4, 56), (70, 64), (30, 64)], fill=_shade(p.fill, 0.5))
    p.arc((30, 58, 70, 70), 0, 180)


def _bag(p: _Pen) -> None:
    p.arc((33, 14, 67, 56), 180, 360, colour=_shade(p.fill, 0.6), width=p.width * 5)
    p.poly([(20, 36), (80, 36), (84, 88), (16, 88)])
    p.poly([(20, 36), (80, 36), (80.8, 46), (19.2, 46)], fill=_shade(p.fill, 0.85))
    p.ellipse((47, 50, 53, 56), fill=(220, 200, 120))


DRAWINGS: dict[str, Callable[[_Pen], None]] = {
    "t-shirt": _tshirt,
    "sweater": _sweater,
    "shirt": _shirt,
    "jacket": _jacket,
    "coat": _coat,
    "dress": _dress,
    "skirt": _skirt,
    "pants": _pants,
    "shorts": _shorts,
    "underwear": _underwear,
    "shoes": _shoes,
    "hat": _hat,
    "bag": _bag,
}


def draw_garment(category: str, colour: str, size: int = 800) -> Image.Image:
    """An RGB illustration of a garment of ``category`` in the named ``colour``."""
    rgb = COLOURS[colour]
    big = size * _SS
    background = (246, 243, 238) if sum(rgb) / 3 < 200 else (214, 222, 230)
    image = Image.new("RGB", (big, big), background)
    # a soft floor shadow under the garment, blurred at an eighth of the size and scaled up
    # (a blur is smooth: the same shadow within 10 levels of 255, for a fifth of the time)
    small = max(big // 8, 1)
    shadow = Image.new("L", (small, small), 0)
    ImageDraw.Draw(shadow).ellipse(
        (small * 0.18, small * 0.86, small * 0.82, small * 0.96), fill=70
    )
    shadow = shadow.filter(ImageFilter.GaussianBlur(small / 60))
    image.paste(_shade(background, 0.8), mask=shadow.resize((big, big), Image.Resampling.BILINEAR))
    DRAWINGS[category](_Pen(image, rgb))
    return image.reduce(_SS)  # supersampling's box average: a seventh of LANCZOS's time


@lru_cache(maxsize=64)
def garment_jpeg(category: str, colour: str, size: int = 800) -> bytes:
    """The illustration as JPEG bytes, ready for ``core.catalogue.photos.prepare_photo``."""
    out = io.BytesIO()
    draw_garment(category, colour, size).save(out, format="JPEG", quality=90)
    return out.getvalue()


@lru_cache(maxsize=64)
def demo_photo(category: str, colour: str) -> PreparedPhoto:
    """The illustration prepared as an upload is (stored JPEG and thumbnail), once per
    process: a reseed, the demo's life and the tests (a seeding per test on PostgreSQL)
    use the same few again."""
    return prepare_photo(garment_jpeg(category, colour))

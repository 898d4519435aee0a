"""The garment categories: the one place a category is defined.

Each category has a code (stored in the database), English and French labels (both
searchable; the English one is marked for translation, and the French catalogue's
translation of it is the French label: a test keeps them equal), the size family its
sizes come from, and one or more zero-shot prompts for the CLIP classifier.
``core/catalogue/category_tokens.py`` is generated from this file (``python -m tools.model
tokens``); a test fails when it is stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.i18n import N_, _


class SizeFamily(StrEnum):
    CLOTHING = "clothing"
    SHOES = "shoes"
    ONE_SIZE = "one_size"


ONE_SIZE = N_("One size")  # stored as such; shown translated (size_label)
SIZES: dict[SizeFamily, tuple[str, ...]] = {
    SizeFamily.CLOTHING: ("XS", "S", "M", "L", "XL", "XXL"),
    SizeFamily.SHOES: tuple(str(n) for n in range(35, 48)),
    SizeFamily.ONE_SIZE: (ONE_SIZE,),
}


@dataclass(frozen=True)
class Category:
    code: str
    label_en: str
    label_fr: str
    size_family: SizeFamily
    prompts: tuple[str, ...]


CATEGORIES: tuple[Category, ...] = (
    # The prototype's eight, its prompt first (its token ids are checked by a test).
    Category(
        "dress",
        N_("Dress"),
        "Robe",
        SizeFamily.CLOTHING,
        ("a photo of a dress", "a photo of a woman's dress, clothing"),
    ),
    Category(
        "t-shirt",
        N_("T-shirt"),
        "T-shirt",
        SizeFamily.CLOTHING,
        ("a photo of a t-shirt", "a photo of a short-sleeved t-shirt, clothing"),
    ),
    Category(
        "pants",
        N_("Pants"),
        "Pantalon",
        SizeFamily.CLOTHING,
        ("a photo of pants", "a photo of trousers or jeans, clothing"),
    ),
    Category(
        "jacket",
        N_("Jacket"),
        "Veste",
        SizeFamily.CLOTHING,
        ("a photo of a jacket", "a photo of a light zip-up jacket, clothing"),
    ),
    Category(
        "underwear",
        N_("Underwear"),
        "Sous-vêtements",
        SizeFamily.CLOTHING,
        ("a photo of underwear", "a photo of briefs or boxers, underwear"),
    ),
    Category(
        "shoes",
        N_("Shoes"),
        "Chaussures",
        SizeFamily.SHOES,
        ("a photo of shoes", "a photo of a pair of shoes or sneakers"),
    ),
    Category(
        "hat",
        N_("Hat"),
        "Chapeau",
        SizeFamily.ONE_SIZE,
        ("a photo of hat", "a photo of a hat or a cap"),
    ),
    Category(
        "sweater",
        N_("Sweater"),
        "Pull",
        SizeFamily.CLOTHING,
        ("a photo of a sweater", "a photo of a knitted jumper, clothing"),
    ),
    # Added for a clothing marketplace.
    Category(
        "shirt",
        N_("Shirt"),
        "Chemise",
        SizeFamily.CLOTHING,
        ("a photo of a shirt", "a photo of a button-down shirt with a collar, clothing"),
    ),
    Category(
        "shorts",
        N_("Shorts"),
        "Short",
        SizeFamily.CLOTHING,
        ("a photo of shorts", "a photo of a pair of shorts, clothing"),
    ),
    Category(
        "skirt",
        N_("Skirt"),
        "Jupe",
        SizeFamily.CLOTHING,
        ("a photo of a skirt", "a photo of a woman's skirt, clothing"),
    ),
    Category(
        "coat",
        N_("Coat"),
        "Manteau",
        SizeFamily.CLOTHING,
        ("a photo of a coat", "a photo of a long winter coat, clothing"),
    ),
    Category(
        "bag",
        N_("Bag"),
        "Sac",
        SizeFamily.ONE_SIZE,
        ("a photo of a bag", "a photo of a handbag or a backpack"),
    ),
)

BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}


def get(code: str) -> Category:
    """The category with this code; KeyError if there is none."""
    return BY_CODE[code]


def sizes_for(code: str) -> tuple[str, ...]:
    """The sizes a seller may pick for an item of this category."""
    return SIZES[BY_CODE[code].size_family]


def label(code: str) -> str:
    """The label of a category code in the person's language, or the code itself if it is
    unknown."""
    category = BY_CODE.get(code)
    return _(category.label_en) if category else code


def size_label(size: str) -> str:
    """A size as shown: "M", "42", and "One size" in the person's language."""
    return _(ONE_SIZE) if size == ONE_SIZE else size

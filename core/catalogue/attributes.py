"""A garment's main colour and its pattern: the one place each option is defined.

Like ``core/catalogue/categories.py``: each option has a code (stored in the database), English and
French labels (both searchable; the French catalogue translates the English one into the
French one), and one or more zero-shot prompts for the CLIP
classifier, which proposes them from the same photo embedding as the category.
``core/catalogue/attribute_tokens.py`` is generated from this file (``python -m tools.model
tokens``); a test fails when it is stale.

The colours are the ones a shopper filters by on clothing sites (a few broad families,
not shades: "burgundy" is red, "camel" is brown, "olive" is green); navy stays apart from
blue because shoppers ask for it by name and CLIP tells them apart. The patterns are the
common print families of second-hand clothes; "plain" is most garments.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import N_, _


@dataclass(frozen=True)
class Attribute:
    code: str
    label_en: str
    label_fr: str
    prompts: tuple[str, ...]


def _colour(code: str, label_en: str, label_fr: str, words: str | None = None) -> Attribute:
    # CLIP was trained on American captions: "gray", "colored"
    words = words or code
    return Attribute(
        code, label_en, label_fr, (f"a photo of a {words} garment", f"{words} clothing")
    )


COLOURS: tuple[Attribute, ...] = (
    _colour("black", N_("Black"), "Noir"),
    _colour("white", N_("White"), "Blanc"),
    _colour("grey", N_("Grey"), "Gris", "gray"),
    _colour("beige", N_("Beige"), "Beige"),
    _colour("brown", N_("Brown"), "Marron"),
    _colour("red", N_("Red"), "Rouge"),
    _colour("pink", N_("Pink"), "Rose"),
    _colour("orange", N_("Orange"), "Orange"),
    _colour("yellow", N_("Yellow"), "Jaune"),
    _colour("green", N_("Green"), "Vert"),
    _colour("blue", N_("Blue"), "Bleu"),
    _colour("navy", N_("Navy"), "Bleu marine", "navy blue"),
    _colour("purple", N_("Purple"), "Violet"),
    Attribute(
        "multicolour",
        N_("Multicolour"),
        "Multicolore",
        ("a photo of a multicolored garment", "colorful clothing in many colors"),
    ),
)

PATTERNS: tuple[Attribute, ...] = (
    Attribute(
        "plain",
        N_("Plain"),
        "Uni",
        ("a photo of a plain garment in one solid color", "plain solid-colored clothing"),
    ),
    Attribute(
        "striped", N_("Striped"), "Rayé", ("a photo of a striped garment", "clothing with stripes")
    ),
    Attribute(
        "checked",
        N_("Checked"),
        "À carreaux",
        ("a photo of a plaid garment", "checked or tartan clothing"),
    ),
    Attribute(
        "floral",
        N_("Floral"),
        "Fleuri",
        ("a photo of a garment with a floral print", "clothing with a flower pattern"),
    ),
    Attribute(
        "printed",
        N_("Printed"),
        "Imprimé",
        ("a photo of a garment with a graphic print", "clothing with a printed logo or picture"),
    ),
    Attribute(
        "dotted",
        N_("Polka dot"),
        "À pois",
        ("a photo of a polka dot garment", "clothing with dots"),
    ),
    Attribute(
        "animal",
        N_("Animal print"),
        "Imprimé animal",
        ("a photo of a garment with a leopard or zebra print", "animal print clothing"),
    ),
    Attribute(
        "camouflage",
        N_("Camouflage"),
        "Camouflage",
        ("a photo of a camouflage garment", "camo clothing"),
    ),
)

# The prompt sets the generated module holds, by name (the name is its key everywhere).
SETS: dict[str, tuple[Attribute, ...]] = {"colour": COLOURS, "pattern": PATTERNS}

COLOURS_BY_CODE: dict[str, Attribute] = {a.code: a for a in COLOURS}
PATTERNS_BY_CODE: dict[str, Attribute] = {a.code: a for a in PATTERNS}


def colour_label(code: str | None) -> str:
    """The label of a colour code in the person's language ("" for none, the code itself
    if unknown)."""
    return _label(COLOURS_BY_CODE, code)


def pattern_label(code: str | None) -> str:
    """The label of a pattern code in the person's language ("" for none, the code itself
    if unknown)."""
    return _label(PATTERNS_BY_CODE, code)


def names(code: str | None, by_code: dict[str, Attribute]) -> str:
    """The English and French labels of a code, for the search text ("" for none)."""
    known = by_code.get(code or "")
    return " ".join(dict.fromkeys((known.label_en, known.label_fr))) if known else ""


def _label(by_code: dict[str, Attribute], code: str | None) -> str:
    if not code:
        return ""
    known = by_code.get(code)
    return _(known.label_en) if known else code

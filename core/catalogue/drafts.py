"""A draft title and description for a new listing, in the seller's language, from the
category, colour and pattern picks and the brand and size fields: "Red striped dress,
Zara, size M". The sell page offers it in the empty fields and redraws it as the picks
change, until the seller edits the text.

Word order and agreement are the translators': each category's noun phrase is a template
(``pgettext("draft title", "{colour} {pattern} dress")``, French "Robe {colour_f}
{pattern}"), and each colour gives its forms for the templates to pick, separated by "|":
masculine, feminine, masculine plural, feminine plural (``{colour}``, ``{colour_f}``,
``{colour_mp}``, ``{colour_fp}``; English has one form for all). Patterns are said in a way
that does not agree ("à rayures"). "Plain" and "No brand" say nothing.
"""

from __future__ import annotations

from core.catalogue import categories
from core.catalogue.listings import condition_label
from core.i18n import _, pgettext
from core.models.catalogue import TITLE_MAX, brand_key

FORMS = ("colour", "colour_f", "colour_mp", "colour_fp")
# what sellers type for "no brand", in either language: no brand in the draft
NO_BRAND = {"nobrand", "sansmarque", "none", "aucune", "unbranded"}


def _noun_phrase_template(category: str) -> str:
    templates = {
        "dress": pgettext("draft title", "{colour} {pattern} dress"),
        "t-shirt": pgettext("draft title", "{colour} {pattern} t-shirt"),
        "pants": pgettext("draft title", "{colour} {pattern} pants"),
        "jacket": pgettext("draft title", "{colour} {pattern} jacket"),
        "underwear": pgettext("draft title", "{colour} {pattern} underwear"),
        "shoes": pgettext("draft title", "{colour} {pattern} shoes"),
        "hat": pgettext("draft title", "{colour} {pattern} hat"),
        "sweater": pgettext("draft title", "{colour} {pattern} sweater"),
        "shirt": pgettext("draft title", "{colour} {pattern} shirt"),
        "shorts": pgettext("draft title", "{colour} {pattern} shorts"),
        "skirt": pgettext("draft title", "{colour} {pattern} skirt"),
        "coat": pgettext("draft title", "{colour} {pattern} coat"),
        "bag": pgettext("draft title", "{colour} {pattern} bag"),
    }
    return templates.get(category) or "{colour} {pattern} " + categories.label(category).lower()


def _colour_forms(colour: str | None) -> dict[str, str]:
    words = {
        "black": pgettext("title colour", "black"),
        "white": pgettext("title colour", "white"),
        "grey": pgettext("title colour", "grey"),
        "beige": pgettext("title colour", "beige"),
        "brown": pgettext("title colour", "brown"),
        "red": pgettext("title colour", "red"),
        "pink": pgettext("title colour", "pink"),
        "orange": pgettext("title colour", "orange"),
        "yellow": pgettext("title colour", "yellow"),
        "green": pgettext("title colour", "green"),
        "blue": pgettext("title colour", "blue"),
        "navy": pgettext("title colour", "navy"),
        "purple": pgettext("title colour", "purple"),
        "multicolour": pgettext("title colour", "multicolour"),
    }
    found = words.get(colour or "", "")
    forms = found.split("|") if found else [""]
    forms += [forms[0]] * (len(FORMS) - len(forms))  # one form: the same for all
    return dict(zip(FORMS, forms[: len(FORMS)], strict=True))


def _pattern_words(pattern: str | None) -> str:
    words = {
        "striped": pgettext("title pattern", "striped"),
        "checked": pgettext("title pattern", "checked"),
        "floral": pgettext("title pattern", "floral"),
        "printed": pgettext("title pattern", "printed"),
        "dotted": pgettext("title pattern", "polka dot"),
        "animal": pgettext("title pattern", "animal print"),
        "camouflage": pgettext("title pattern", "camouflage"),
    }  # "plain": nothing to say
    return words.get(pattern or "", "")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def noun_phrase(category: str, colour: str | None = None, pattern: str | None = None) -> str:
    """ "Red striped dress" ("Robe rouge à rayures"): the garment, its colour and pattern."""
    text = _noun_phrase_template(category).format(
        pattern=_pattern_words(pattern), **_colour_forms(colour)
    )
    return _capitalised(" ".join(text.split()))


def _brand(brand: str) -> str:
    clean = " ".join((brand or "").split())
    return "" if brand_key(clean) in NO_BRAND | {brand_key(_("No brand"))} else clean


def _size(size: str | None) -> str:
    return "" if not size or size == categories.ONE_SIZE else size


def draft_title(
    category: str | None,
    colour: str | None = None,
    pattern: str | None = None,
    brand: str = "",
    size: str | None = None,
) -> str:
    """ "Red striped dress, Zara, size M" in the current language; "" without a category.
    At most the title's length (the brand is dropped first, then the size)."""
    if not category or category not in categories.BY_CODE:
        return ""
    phrase = noun_phrase(category, colour, pattern)
    parts = [phrase]
    if name := _brand(brand):
        parts.append(name)
    if shown := _size(size):
        parts.append(_("size {size}").format(size=shown))
    while len(", ".join(parts)) > TITLE_MAX and len(parts) > 1:
        parts.pop(1)
    return ", ".join(parts)[:TITLE_MAX]


def draft_description(
    category: str | None,
    colour: str | None = None,
    pattern: str | None = None,
    brand: str = "",
    size: str | None = None,
    condition: str | None = None,
) -> str:
    """A few plain sentences from the same picks ("Red striped dress by Zara. Size M.
    Condition: very good."), for the seller to complete; "" without a category."""
    if not category or category not in categories.BY_CODE:
        return ""
    phrase = noun_phrase(category, colour, pattern)
    name = _brand(brand)
    lines = [_("{item} by {brand}.").format(item=phrase, brand=name) if name else f"{phrase}."]
    if shown := _size(size):
        lines.append(_("Size {size}.").format(size=shown))
    if condition:
        label = condition_label(condition)
        lines.append(
            _("Condition: {condition_lower}.").format(
                condition=label, condition_lower=label.lower()
            )
        )
    return " ".join(lines)

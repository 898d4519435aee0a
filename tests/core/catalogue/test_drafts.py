"""Draft titles and descriptions from the picks, in English and French (word order and
agreement are the catalogue's)."""

from __future__ import annotations

import pytest

from core.catalogue import categories
from core.catalogue.drafts import draft_description, draft_title
from core.i18n import use_language


@pytest.mark.parametrize(
    "language, picks, title",
    [
        ("en", ("dress", "red", "striped", "Zara", "M"), "Red striped dress, Zara, size M"),
        ("fr", ("dress", "red", "striped", "Zara", "M"), "Robe rouge à rayures, Zara, taille M"),
        ("fr", ("sweater", "white", "plain", "COS", "L"), "Pull blanc, COS, taille L"),
        ("fr", ("jacket", "white", None, "", None), "Veste blanche"),
        ("fr", ("shoes", "green", "dotted", "Veja", "38"),
         "Chaussures vertes à pois, Veja, taille 38"),
        ("fr", ("pants", "navy", None, "Sans marque", "S"), "Pantalon bleu marine, taille S"),
        ("en", ("hat", None, "checked", "No brand", categories.ONE_SIZE), "Checked hat"),
        ("en", ("t-shirt", "multicolour", "animal", "", "XS"),
         "Multicolour animal print t-shirt, size XS"),
        ("en", (None, "red", "striped", "Zara", "M"), ""),
    ],
)  # fmt: skip
def test_a_title_from_the_picks(language, picks, title):
    with use_language(language):
        assert draft_title(*picks) == title


def test_a_long_brand_goes_before_the_title_is_too_long():
    brand = "B" * 40
    title = draft_title("underwear", "multicolour", "camouflage", brand, "XXL")
    assert title == "Multicolour camouflage underwear, size XXL"
    assert len(draft_title("dress", "red", "striped", "Z" * 70, "M")) <= 80


def test_a_description_from_the_picks():
    picks = ("dress", "red", "striped", "Zara", "M", "very_good")
    assert draft_description(*picks) == "Red striped dress by Zara. Size M. Condition: very good."
    with use_language("fr"):
        assert draft_description(*picks) == (
            "Robe rouge à rayures de la marque Zara. Taille M. Très bon état."
        )
    assert draft_description("bag", None, None, "", categories.ONE_SIZE, None) == "Bag."
    assert draft_description(None) == ""

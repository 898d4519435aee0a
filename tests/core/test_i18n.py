"""Languages: which one a browser gets, the catalogues (up to date, translated, compiled
from the .po when the compiled file is missing), and Babel's formatting per language."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import pytest

from core import i18n
from core.catalogue import attributes, categories
from core.i18n import _, format_day, format_moment, format_number, format_price, format_share
from tools import i18n as catalogues

NNBSP, NBSP = "\u202f", "\u00a0"


def spaced(text: str) -> str:
    """Babel's French spaces (narrow or not) as plain spaces, to compare."""
    return text.replace(NNBSP, " ").replace(NBSP, " ")


@pytest.mark.parametrize(
    "tag, code",
    [("fr-FR", "fr"), ("fr", "fr"), ("FR-be", "fr"), ("fr_CA", "fr"), ("en-GB", "en"),
     ("de-DE", "en"), ("", "en"), (None, "en"), ("x", "en")],
)  # fmt: skip
def test_the_browsers_language_or_english(tag, code):
    assert i18n.language_from_locale(tag) == code


def test_prices_numbers_and_dates_per_language():
    assert format_price(1250, "en") == "€12.50"
    assert spaced(format_price(1250, "fr")) == "12,50 €"
    assert spaced(format_price(123_456_789, "fr")) == "1 234 567,89 €"
    assert format_price(123_456_789, "en") == "€1,234,567.89"
    assert format_price(5, "en") == "€0.05"
    assert spaced(format_number(12345.6, "fr")) == "12 345,6"
    assert format_number(3, "en", digits=1) == "3.0"
    assert spaced(format_share(0.734, "fr")) == "73 %" and format_share(0.734, "en") == "73%"
    assert format_day(date(2026, 11, 21), "en") == "21 Nov 2026"
    assert format_day(date(2026, 11, 21), "fr") == "21 nov. 2026"
    assert format_moment(datetime(2026, 11, 21, 14, 5, 33, tzinfo=UTC), "fr") == (
        "21 nov. 2026, 14:05"
    )


def test_the_language_in_use_is_the_one_asked_for():
    assert i18n.current_language() == "en"
    with i18n.use_language("fr"):
        assert i18n.current_language() == "fr"
        assert spaced(format_price(990)) == "9,90 €"
    assert format_price(990) == "€9.90"
    with pytest.raises(ValueError), i18n.use_language("de"):
        pass


def test_every_marked_string_is_in_the_catalogue_and_translated():
    problems = catalogues.problems()
    assert problems == [], "\n".join(problems[:30])


def test_the_check_finds_a_catalogue_that_make_messages_would_change(tmp_path, monkeypatch):
    """`make messages` on a fresh clone changes nothing (the test above): the check compares
    each catalogue with what `update` writes, down to a comment."""
    locales = tmp_path / "locales"
    shutil.copytree(catalogues.LOCALES_DIR, locales, ignore=shutil.ignore_patterns("*.mo"))
    template = locales / "messages.pot"
    text = template.read_text(encoding="utf-8")
    assert "#: app_pages/cart.py\n" in text  # files named without line numbers
    template.write_text(text.replace("#: app_pages/cart.py\n", "#: app_pages/cart.py:30\n", 1))
    monkeypatch.setattr(catalogues, "LOCALES_DIR", locales)
    assert "locales/messages.pot: `update` would change it" in catalogues.problems()


def test_french_is_compiled_from_the_catalogue_when_its_compiled_file_is_missing(
    tmp_path, monkeypatch
):
    po = i18n.catalogue_path("fr")
    target = tmp_path / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "messages.po").write_bytes(po.read_bytes())  # no .mo beside it
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        with i18n.use_language("fr"):
            assert _("Sell an item") == "Vendre un article"
        assert not (target / "messages.mo").exists()
    finally:
        i18n.translations.cache_clear()


def test_french_plurals():
    one, many = (
        "You have {n} photo: remove one to take another.",
        "You have {n} photos: remove one to take another.",
    )  # the photo picker's, beside the camera
    with i18n.use_language("fr"):
        assert i18n.ngettext(one, many, 1).format(n=1) == (
            "Vous avez 1 photo : retirez-en une pour en prendre une autre."
        )
        assert i18n.ngettext(one, many, 0).format(n=0).startswith("Vous avez 0 photo :")
        assert i18n.ngettext(one, many, 2).format(n=2).startswith("Vous avez 2 photos :")
    assert i18n.ngettext(one, many, 0).format(n=0).startswith("You have 0 photos:")


def test_the_french_labels_are_the_catalogues_translations():
    """The search matches each category, colour and pattern by its French label too: the
    catalogue's French for its English label must be that very label, so they never drift."""
    options = [*categories.CATEGORIES, *attributes.COLOURS, *attributes.PATTERNS]
    with i18n.use_language("fr"):
        drifted = {o.label_en: (_(o.label_en), o.label_fr) for o in options}
        assert {k: v for k, v in drifted.items() if v[0] != v[1]} == {}
        assert categories.label("underwear") == "Sous-vêtements"
        assert attributes.colour_label("navy") == "Bleu marine"
        assert attributes.pattern_label("dotted") == "À pois"
        assert categories.size_label("One size") == "Taille unique"
        assert categories.size_label("M") == "M"
    assert categories.label("underwear") == "Underwear"
    assert categories.size_label("One size") == "One size"


def test_a_language_asked_for_in_one_thread_leaves_the_others_alone():
    import threading

    seen: list[str] = []
    inside, done = threading.Event(), threading.Event()

    def job() -> None:
        with i18n.use_language("fr"):
            inside.set()
            done.wait(5)
            seen.append(i18n.current_language())

    saved = i18n._source  # the UI's, when ui.i18n was imported by an earlier test
    i18n.set_language_source(lambda: "en")  # the session a page run would read
    try:
        worker = threading.Thread(target=job)
        worker.start()
        inside.wait(5)
        assert i18n.current_language() == "en"  # this thread: the session's, not "fr"
        done.set()
        worker.join(5)
    finally:
        i18n.set_language_source(saved)
    assert seen == ["fr"]

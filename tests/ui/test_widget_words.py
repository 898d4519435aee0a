"""Streamlit's own words in the person's language (ui/widget_words.py): the data the page's
script applies. What the script does in a page is checked in Chromium (the French journey,
tests/e2e/test_french.py)."""

from __future__ import annotations

import html
import json

import pytest

from core.i18n import use_language
from ui import widget_words


def words_in(language: str) -> dict:
    with use_language(language):
        return widget_words._words()


def test_in_french_streamlits_english_becomes_french():
    words = words_in("fr")
    assert words["exact"]["aria-label"]["Show password"] == "Afficher le mot de passe"
    assert words["exact"]["placeholder"]["Choose an option"] == "Choisir une option"
    assert words["exact"]["aria-roledescription"]["visualization"] == "graphique"
    assert ["aria-label", "Help for ", "Aide : {}"] in [list(p) for p in words["prefixed"]]
    assert (
        words["texts"]['[data-testid="InputInstructions"]']["Press Enter to submit form"]
        == "Appuyez sur Entrée pour envoyer le formulaire"
    )
    assert words["texts"]['[data-testid="stDateInput"]'] == {"dd": "jj", "yyyy": "aaaa"}
    assert words["choose"] == "Choisir des photos"
    assert words["english"] is False


def test_in_english_the_french_words_set_before_a_switch_go_back_to_streamlits():
    words = words_in("en")
    aria = words["exact"]["aria-label"]
    assert aria["Afficher le mot de passe"] == "Show password"  # Streamlit's own English
    assert "Show password" not in aria  # nothing to change in English
    assert ["aria-label", "Aide : ", "Help for {}"] in [list(p) for p in words["prefixed"]]
    assert words["english"] is True
    for group in (*words["exact"].values(), *words["texts"].values()):
        assert all(said != ours for said, ours in group.items())


@pytest.mark.parametrize("language", ["en", "fr"])
def test_what_the_script_sets_is_never_set_again(language):
    """No word it writes is one it replaces, and no label it writes starts as one it
    rewrites: a page's observer can never loop, whatever it finds."""
    words = words_in(language)
    for group in (*words["exact"].values(), *words["texts"].values()):
        assert not set(group.values()) & set(group), group
    for _name, _english, ours in words["prefixed"]:
        for _other, again, _ in words["prefixed"]:
            assert not ours.replace("{}", "x").startswith(again), (ours, again)


def test_the_script_holds_its_words_safely():
    hostile = json.dumps({"word": "</script><!-- <b>"})
    held = widget_words.embedded_json(hostile)
    assert "<" not in held and json.loads(held) == {"word": "</script><!-- <b>"}
    with use_language("fr"):
        script = widget_words.page_script()
    assert script.startswith("<script>") and script.count("<") == 2  # its own tags only
    start = script.index("words.data = ") + len("words.data = ")
    data = script[start : script.index(";\n", start)]
    assert json.loads(data) == json.loads(json.dumps(words_in("fr")))


def test_each_file_is_named_with_the_size_the_page_shows():
    from core.i18n import format_file_size
    from ui.widget_words import uploader_html

    with use_language("fr"):
        drawn = uploader_html("sell_upload_x", {'pull "bleu".jpg': 2_100})
        size = format_file_size(2_100)
    held = drawn[drawn.index('data-file-sizes="') + 17 : drawn.index('"></div>')]
    assert json.loads(html.unescape(held)) == {'pull "bleu".jpg': size}

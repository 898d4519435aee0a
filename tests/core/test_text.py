"""core/text.py: the one rule for invisible characters, in names, titles and messages."""

from __future__ import annotations

import pytest

from core.accounts import accounts, passwords
from core.accounts.accounts import AccountError
from core.text import has_unstorable_characters, has_unusable_characters, text_problem

INVISIBLE = {
    "zero-width space": "\u200b",
    "zero-width non-joiner": "\u200c",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "soft hyphen": "\u00ad",
    "byte-order mark": "\ufeff",
    "right-to-left override": "\u202e",
    "left-to-right mark": "\u200e",
    "Mongolian vowel separator": "\u180e",
    "Hangul filler": "\u3164",
    "Hangul choseong filler": "\u115f",
    "halfwidth Hangul filler": "\uffa0",
    "blank Braille pattern": "\u2800",
    "combining grapheme joiner": "\u034f",
    "line separator": "\u2028",
    "private use": "\ue000",
    "tag character": "\U000e0041",
    "NUL": "\x00",
    "lone surrogate": "\ud800",
}


@pytest.mark.parametrize("name", INVISIBLE)
def test_a_name_with_an_invisible_character_is_refused(name):
    ch = INVISIBLE[name]
    for value in (f"Camille{ch}", f"{ch}Camille", f"Cam{ch}ille", ch, ch * 3):
        assert has_unusable_characters(value), (name, value)
        assert "invisible characters" in text_problem(value)
    with pytest.raises(AccountError, match="invisible characters"):
        accounts.check_display_name(f"Camille{ch}")


def test_visible_text_of_every_script_and_emoji_passes():
    for value in (
        "Camille",
        "Zoé Müller-Łukasz",
        "日本のドレス",
        "한국어 원피스",  # Hangul syllables, not fillers
        "فستان أحمر",
        "שמלה",
        "Robe 👗 taille 38",
        "❤️ love this",  # a variation selector is not a format character
        "🇫🇷 flag",
        "e\u0301te\u0301",  # combining accents
    ):
        assert not has_unusable_characters(value), value
        assert text_problem(value) is None


def test_messages_may_join_emoji_but_hide_nothing():
    family, flag = "👨\u200d👩\u200d👧", "🏳️\u200d🌈"
    assert not has_unusable_characters(f"Pyjamas {family} and {flag}\nThanks", multiline=True)
    assert has_unusable_characters(family)  # a name or a title: no joiner at all
    for hidden in ("Hello\u200d", "\u200dHello", "Hel \u200d lo", "Hello\u200b", "Hi\u2800"):
        assert has_unusable_characters(hidden, multiline=True), hidden
    assert not has_unusable_characters("line one\nline two\ttab", multiline=True)
    assert has_unusable_characters("line one\nline two")  # one line only


def test_passwords_only_refuse_what_cannot_be_stored():
    """A password is never shown: one chosen with a zero-width space before this rule
    still logs in; NUL and lone surrogates stay refused (bcrypt and UTF-8 cannot take them)."""
    assert not has_unstorable_characters("secret\u200bpass")
    assert accounts.check_new_password("secret\u200bpass", "secret\u200bpass") == "secret\u200bpass"
    h = passwords.hash_password("secret\u200bpass")
    assert passwords.verify_password("secret\u200bpass", h)
    assert has_unstorable_characters("secret\x00pass") and has_unstorable_characters("\ud800")

"""The one rule every piece of typed text passes before it is stored or compared.

Browsers can send characters no keyboard types: NUL (which PostgreSQL refuses in text,
and bcrypt in a password), other control characters, and lone UTF-16 surrogates (which
cannot even be encoded as UTF-8). Every form checks its fields with ``text_problem``,
so that such text ends in a field message instead of an error deep in a driver.
"""

from __future__ import annotations

import unicodedata

from core.i18n import N_, _

CONTROL_MESSAGE = N_("Remove the invisible control characters from this field.")
_LINE_BREAKS = frozenset("\n\r\t")
# bidirectional embeddings, overrides and isolates: they reorder what follows them, so a
# name or a title could show something else than it says ("Camille \u202eeciloP")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_unusable_characters(value: str, *, multiline: bool = False) -> bool:
    """True if ``value`` holds a control character (Unicode Cc; line breaks and tabs are
    allowed in multi-line fields), a lone surrogate (Cs) or a bidirectional override."""
    for ch in value:
        kind = unicodedata.category(ch)
        if kind == "Cs" or (kind == "Cc" and not (multiline and ch in _LINE_BREAKS)):
            return True
        if ch in _BIDI_CONTROLS:
            return True
    return False


def text_problem(value: str | None, *, multiline: bool = False) -> str | None:
    """The message for a field whose text cannot be stored, or None if it is fine."""
    if value and has_unusable_characters(value, multiline=multiline):
        return _(CONTROL_MESSAGE)
    return None

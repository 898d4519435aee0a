"""The one rule every piece of typed text passes before it is stored or compared.

Browsers can send characters no keyboard types: NUL (which PostgreSQL refuses in text,
and bcrypt in a password), other control characters, and lone UTF-16 surrogates (which
cannot even be encoded as UTF-8). Others draw nothing at all: zero-width spaces and joiners,
soft hyphens, word joiners, byte-order marks, bidirectional controls (Unicode's "format"
characters), and the filler letters that fonts draw blank (Hangul fillers, the blank Braille
pattern). With them, "Camille" followed by a zero-width space passes for Camille, a name of
fillers looks empty, and a title says something else than it shows. Every form checks its
fields with ``text_problem``, so that such text ends in a field message instead of being
stored (or failing deep in a driver).
"""

from __future__ import annotations

import unicodedata

from core.i18n import N_, _

CONTROL_MESSAGE = N_(
    "Remove the invisible characters from this field (zero-width spaces, blank fillers or "
    "control characters)."
)
_LINE_BREAKS = frozenset("\n\r\t")
# letters and symbols that fonts draw as nothing: Hangul fillers, the blank Braille pattern,
# the combining grapheme joiner, Khmer's inherent vowels, the line and paragraph separators
_BLANK_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u2028\u2029")
_ZERO_WIDTH_JOINER = "\u200d"


def _joins_two_symbols(value: str, at: int) -> bool:
    """The zero-width joiner at ``at`` sits between two visible characters, as in an emoji
    sequence (a rainbow flag, a family): a message or a description may hold it."""
    if at == 0 or at == len(value) - 1:
        return False
    before, after = value[at - 1], value[at + 1]
    return all(
        not ch.isspace() and unicodedata.category(ch)[0] in "LMNPS" for ch in (before, after)
    )


def is_invisible(ch: str) -> bool:
    """A format character (Cf) or a blank filler: what draws nothing. E-mail addresses drop
    them (``core.accounts.accounts.normalise_email``), so a pasted address still logs in."""
    return unicodedata.category(ch) == "Cf" or ch in _BLANK_FILLERS


def without_invisible(value: str) -> str:
    return "".join(ch for ch in value if not is_invisible(ch))


def has_unstorable_characters(value: str) -> bool:
    """True if ``value`` holds a control character or a lone surrogate: what a password may
    not hold (bcrypt refuses NUL, UTF-8 a lone surrogate). A password is never shown, so an
    invisible character in it hides nothing, and one chosen before this rule still works."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value)


def has_unusable_characters(value: str, *, multiline: bool = False) -> bool:
    """True if ``value`` holds a character that is invisible or cannot be stored: a control
    character (Unicode Cc; line breaks and tabs are allowed in multi-line fields), a lone
    surrogate (Cs), a format character (Cf: zero-width spaces and joiners, soft hyphens,
    bidirectional controls...), a private-use character (Co) or a blank filler. Multi-line
    text (messages, descriptions) may join two visible characters with a zero-width joiner,
    as emoji sequences do; a name or a title may not."""
    for at, ch in enumerate(value):
        kind = unicodedata.category(ch)
        if kind == "Cc" and not (multiline and ch in _LINE_BREAKS):
            return True
        if kind == "Cf" and not (
            multiline and ch == _ZERO_WIDTH_JOINER and _joins_two_symbols(value, at)
        ):
            return True
        if kind in ("Cs", "Co") or ch in _BLANK_FILLERS:
            return True
    return False


def text_problem(value: str | None, *, multiline: bool = False) -> str | None:
    """The message for a field whose text cannot be stored, or None if it is fine."""
    if value and has_unusable_characters(value, multiline=multiline):
        return _(CONTROL_MESSAGE)
    return None

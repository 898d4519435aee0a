"""Languages: the app speaks English (the source language) and French.

Text shown to people is written in English in the code, marked for translation, and
translated from gettext catalogues that Babel manages (``locales/``):

- ``_("Add to cart")`` translates now, into the current language;
- ``N_("Very good")`` only marks a constant defined at import (labels, titles), which the
  code translates with ``_()`` where it shows it;
- ``ngettext("{n} item", "{n} items", n)`` picks the plural form of the language.

Placeholders are named and filled after translation (``_("{name} was sold").format(name=...)``)
so that translators can move them. ``python -m tools.i18n`` extracts the marked strings,
updates the catalogues and compiles them (``make messages``); the set-up compiles them too,
and a catalogue without its compiled file (a fresh clone on Streamlit Community Cloud) is
compiled in memory at first use. Never edit a ``.mo`` file: it is generated.

The current language is per person: the UI layer tells this module how to read it
(``set_language_source``: the Streamlit session's choice), so that messages made in
``core`` (errors) come out in the reader's language too. Outside the app (tests, commands)
it is English unless ``use_language`` says otherwise.

Prices, numbers and dates are formatted for the language by Babel: "€12.50" in English,
"12,50 €" in French.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.dates import format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import Translations
from babel.units import format_unit

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"
# code -> the language's own name, as the switch shows it
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français"}
# the locale Babel formats each language with (a French person in Belgium still gets "€")
FORMAT_LOCALES: dict[str, str] = {"en": "en_IE", "fr": "fr_FR"}
CURRENCY = "EUR"

# a language asked for explicitly (use_language), for this thread or task only
_override: ContextVar[str | None] = ContextVar("language", default=None)
_source: Callable[[], str | None] | None = None


# --- which language -------------------------------------------------------------------------


def language_from_locale(tag: str | None) -> str:
    """The app's language for a browser locale ("fr-FR", "fr", "en-GB", "de-DE", None):
    its language if the app speaks it, else English."""
    if not tag:
        return DEFAULT_LANGUAGE
    code = tag.replace("_", "-").split("-", 1)[0].strip().lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def is_language(code: str | None) -> bool:
    return code in LANGUAGES


def set_language_source(source: Callable[[], str | None] | None) -> None:
    """How to read the current person's language (the UI's session state); None: English
    unless ``use_language`` says otherwise."""
    global _source
    _source = source


def current_language() -> str:
    """The language asked for in this thread (``use_language``), else the session's (the
    source the UI set), else English."""
    if (code := _override.get()) is not None:
        return code
    if _source is not None:
        try:
            code = _source()
        except Exception:  # no session here (a background thread): the explicit one
            code = None
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


@contextmanager
def use_language(code: str) -> Iterator[None]:
    """Speak ``code`` inside the block, in this thread only (tests, commands, background
    jobs): the people the app serves meanwhile keep their own language."""
    if code not in LANGUAGES:
        raise ValueError(f"not a language of the app: {code!r}")
    token = _override.set(code)
    try:
        yield
    finally:
        _override.reset(token)


# --- catalogues -----------------------------------------------------------------------------


def catalogue_path(code: str, suffix: str = ".po") -> Path:
    return LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@cache
def translations(code: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``code`` (English: the source text itself). A compiled
    file older than its catalogue, or missing, is replaced by a compilation in memory."""
    if code == DEFAULT_LANGUAGE or code not in LANGUAGES:
        return gettext.NullTranslations()
    po, mo = catalogue_path(code), catalogue_path(code, ".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=code, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def _(message: str) -> str:
    """``message`` in the current language."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` in the current language."""
    return translations(current_language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, for one ``context`` ("May" the month...)."""
    return translations(current_language()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it (a constant: translate it
    with ``_()`` where it is shown)."""
    return message


# --- numbers, prices, dates -----------------------------------------------------------------


@cache
def _locale(code: str) -> Locale:
    return Locale.parse(FORMAT_LOCALES.get(code, FORMAT_LOCALES[DEFAULT_LANGUAGE]))


def format_price(cents: int, language: str | None = None) -> str:
    """A price in euros for the language: 1250 -> "€12.50" (English), "12,50 €" (French)."""
    return _price(int(cents), language or current_language())


@lru_cache(maxsize=8192)
def _price(cents: int, code: str) -> str:
    # Babel's formatting costs more than the rest of a shop card: a price is made once
    return format_currency(Decimal(cents) / 100, CURRENCY, locale=_locale(code))


def format_number(
    value: float | int, language: str | None = None, *, digits: int | None = None
) -> str:
    """12345.6 -> "12,345.6" (English), "12 345,6" (French)."""
    pattern = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=_locale(language or current_language()))


def format_file_size(size: int, language: str | None = None) -> str:
    """A file's size as phones count it (10^3): 260167 -> "260.2 kB" (English), "260,2 ko"
    (French); "2.5 MB" from a million bytes."""
    unit, value = (
        ("digital-megabyte", size / 1_000_000)
        if size >= 1_000_000
        else ("digital-kilobyte", size / 1_000)
    )
    return format_unit(
        round(value, 1), unit, length="short", format="#,##0.#",
        locale=_locale(language or current_language()),
    )  # fmt: skip


def format_share(value: float, language: str | None = None) -> str:
    """0.734 -> "73%" (English), "73 %" (French)."""
    return format_percent(value, locale=_locale(language or current_language()))


def format_day(moment: date | datetime, language: str | None = None) -> str:
    """21 Nov 2026 (English), 21 nov. 2026 (French)."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return _babel_date(day, format="medium", locale=_locale(language or current_language()))


def format_moment(moment: datetime, language: str | None = None) -> str:
    """A date and time, in ``moment``'s own time zone: 21 Nov 2026, 14:05."""
    return _babel_datetime(
        moment,
        format="medium",
        tzinfo=moment.tzinfo,
        locale=_locale(language or current_language()),
    ).rsplit(":", 1)[0]


def format_ago(moment: datetime, now: datetime, language: str | None = None) -> str:
    """How long before ``now`` ``moment`` was, in words: "today", "3 days ago", "il y a 2
    mois" (rounded as people say it: 25 days is "1 month ago")."""
    code = language or current_language()
    if (now - moment).total_seconds() < 86400:
        with use_language(code):
            return _("today")
    return format_timedelta(
        -(now - moment), granularity="day", add_direction=True, locale=_locale(code)
    )

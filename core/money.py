"""Money as integer cents: the one parser and the one formatter of prices."""

from __future__ import annotations

import re
from decimal import Decimal

from babel.numbers import format_decimal

from core.errors import UserError
from core.i18n import FORMAT_LOCALES, _, current_language, format_price
from core.models.catalogue import MAX_PRICE_CENTS

# ASCII digits only: "\d" would take "١٢" (Arabic-Indic) for 12
_PRICE_RE = re.compile(r"^\s*(?:€\s*)?([0-9]{1,9})(?:[.,]([0-9]{1,2}))?\s*(?:€|eur|EUR)?\s*$")


class PriceError(UserError):
    """A price a user typed that is not a valid price; the message is for the user."""


def format_eur(cents: int) -> str:
    """A price for the person's language (Babel): ``1250`` -> "€12.50" in English, "12,50 €"
    in French."""
    return format_price(cents)


def price_field_text(cents: int) -> str:
    """A price as a form field holds it, for the person's language: "12.50" (English),
    "12,50" (French); no currency sign and no grouping, so that ``parse_eur`` reads it back."""
    return format_decimal(
        Decimal(int(cents)) / 100, format="0.00", locale=FORMAT_LOCALES[current_language()]
    )


def parse_eur(text: str) -> int:
    """Parse ``"12.5"``, ``"12,50"``, ``"12 €"`` or ``"€12"`` into cents; raise PriceError."""
    match = _PRICE_RE.match(text or "")
    if not match:
        raise PriceError(_("Enter the price as a number of euros, like 12.50."))
    euros, frac = match.group(1), (match.group(2) or "0").ljust(2, "0")
    return check_price_cents(int(euros) * 100 + int(frac))


def check_price_cents(cents: int) -> int:
    """Return ``cents`` if it is a price the marketplace accepts; raise PriceError."""
    if cents <= 0:
        raise PriceError(_("The price must be more than 0 EUR."))
    if cents > MAX_PRICE_CENTS:
        raise PriceError(
            _("The price can be at most {price}.").format(price=format_eur(MAX_PRICE_CENTS))
        )
    return cents

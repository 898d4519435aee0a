"""Money as integer cents: the one parser and the one formatter of prices."""

from __future__ import annotations

import re

from core.errors import UserError
from core.i18n import format_price
from core.models import MAX_PRICE_CENTS

_PRICE_RE = re.compile(r"^\s*(?:€\s*)?(\d{1,9})(?:[.,](\d{1,2}))?\s*(?:€|eur|EUR)?\s*$")


class PriceError(UserError):
    """A price a user typed that is not a valid price; the message is for the user."""


def format_eur(cents: int) -> str:
    """A price for the person's language (Babel): ``1250`` -> "€12.50" in English, "12,50 €"
    in French."""
    return format_price(cents)


def parse_eur(text: str) -> int:
    """Parse ``"12.5"``, ``"12,50"``, ``"12 €"`` or ``"€12"`` into cents; raise PriceError."""
    match = _PRICE_RE.match(text or "")
    if not match:
        raise PriceError("Enter the price as a number of euros, like 12.50.")
    euros, frac = match.group(1), (match.group(2) or "0").ljust(2, "0")
    return check_price_cents(int(euros) * 100 + int(frac))


def check_price_cents(cents: int) -> int:
    """Return ``cents`` if it is a price the marketplace accepts; raise PriceError."""
    if cents <= 0:
        raise PriceError("The price must be more than 0 EUR.")
    if cents > MAX_PRICE_CENTS:
        raise PriceError(f"The price can be at most {format_eur(MAX_PRICE_CENTS)}.")
    return cents

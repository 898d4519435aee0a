import pytest

from core.i18n import use_language
from core.money import PriceError, check_price_cents, format_eur, parse_eur


@pytest.mark.parametrize(
    ("cents", "text"),
    [(1250, "€12.50"), (5, "€0.05"), (100, "€1.00"), (10_000_000, "€100,000.00")],
)
def test_format(cents, text):
    assert format_eur(cents) == text


@pytest.mark.parametrize(
    ("cents", "text"), [(1250, "12,50 €"), (5, "0,05 €"), (10_000_000, "100 000,00 €")]
)
def test_format_in_french(cents, text):
    with use_language("fr"):
        assert format_eur(cents).replace("\u202f", " ").replace("\xa0", " ") == text


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12.5", 1250),
        ("12,50", 1250),
        (" 7 ", 700),
        ("3 EUR", 300),
        ("12,50 €", 1250),
        ("€12.50", 1250),
        ("0.01", 1),
        ("100000", 10_000_000),
    ],
)
def test_parse(text, cents):
    assert parse_eur(text) == cents


@pytest.mark.parametrize(
    "text", ["", "-3", "0", "0.00", "abc", "12.345", "100000.01", "1e3", "١٢", "１２"]
)
def test_parse_refuses(text):
    with pytest.raises(PriceError):
        parse_eur(text)


def test_check_price_bounds():
    assert check_price_cents(1) == 1
    with pytest.raises(PriceError, match="more than 0"):
        check_price_cents(-300)
    with pytest.raises(PriceError, match="at most"):
        check_price_cents(10_000_001)

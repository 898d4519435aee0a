"""The shop's address (core/catalogue/address.py): what it writes reads back the same, what it
does not understand is left out, and its pages are the catalogue's pages."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.catalogue.address import MAX_BRANDS, MAX_SEARCH_TEXT, ShopAddress, ShopFilters
from core.catalogue.search import Cursor, PageRequest, Sort
from core.catalogue.shop import browse
from core.models.base import utcnow
from tests.core.catalogue.test_search import expected_order
from tests.listing_helpers import ids_of


@pytest.mark.parametrize(
    "address",
    [
        ShopAddress(),
        ShopAddress(ShopFilters(text="levi's 501", sort=Sort.PRICE_UP)),
        ShopAddress(
            ShopFilters(
                categories=("pants", "shorts"),
                sizes=("M", "38"),
                brands=("Levi's", "Marc O'Polo, Paris"),
                conditions=("good",),
                min_price=300,
                max_price=200,
            )
        ),
        ShopAddress(ShopFilters(sort=Sort.PRICE_DOWN), PageRequest(after=Cursor(3500, 12)), 2),
        ShopAddress(page=PageRequest(before=Cursor(utcnow(), 7)), number=5),
        ShopAddress(ShopFilters(text="tee"), PageRequest(last=True), None),
    ],
)
def test_an_address_reads_back_as_written(address):
    params = address.params()
    assert all(isinstance(v, list) and v for v in params.values())
    assert ShopAddress.from_params(params) == address
    assert ShopAddress.from_params({k: v[-1] if len(v) == 1 else v for k, v in params.items()}) == (
        address
    )


def test_an_address_leaves_out_what_it_does_not_understand():
    odd = {
        "q": "x" * 500,
        "category": ["shoes", "nope", "shoes"],
        "size": ["M", "XXXXL"],
        "brand": ["  Levi's  ", "", "x" * 41, "bad\x00", *[f"b{n}" for n in range(30)]],
        "condition": ["good", "mint"],
        "min": "١٠",  # an Arabic 10: not ASCII digits
        "max": "100001",  # above the highest price
        "sort": "cheapest",
        "after": "1_2_3",
        "page": "0",
        "item": "12",  # the item is the page's business, not the address of the results
    }
    filters = ShopAddress.from_params(odd).filters
    assert filters.text == "x" * MAX_SEARCH_TEXT
    assert filters.categories == ("shoes",) and filters.sizes == ("M",)
    assert filters.brands[0] == "Levi's" and len(filters.brands) == MAX_BRANDS
    assert filters.conditions == ("good",)
    assert (filters.min_price, filters.max_price, filters.sort) == (None, None, None)
    assert ShopAddress.from_params(odd).page == PageRequest()
    assert ShopAddress.from_params({"q": "a\x00b"}).filters.text == ""
    for bad in ("x_1", "1_x", "1_0", "-1_2", "1_99999999999", "99999999999999999999_1", "_"):
        assert ShopAddress.from_params({"after": bad}).page == PageRequest(), bad
    assert ShopAddress.from_params({"after": "0_1", "sort": "price_up"}).page == PageRequest()
    # the cursor's kind follows the sort: a date for the newest, cents for the prices
    newest = ShopAddress.from_params({"after": "1700000000000000_3"}).page.after
    assert newest.value.year == 2023 and newest.id == 3
    assert ShopAddress.from_params({"after": "1500_3", "sort": "price_up"}).page.after == (
        Cursor(1500, 3)
    )


@pytest.mark.parametrize("sort", [Sort.NEWEST, Sort.PRICE_UP, Sort.PRICE_DOWN])
def test_pages_through_the_address_are_the_pages(engine, many, sort):
    """Each page's address, read back (a reload, a shared link), shows that same page, on
    both databases (dates go through the address as microseconds since 1970 UTC)."""
    want = expected_order(engine, sort)
    address = ShopAddress(ShopFilters(sort=sort))
    seen, numbers = [], []
    with Session(engine) as s:
        while True:
            shown = browse(s, ShopAddress.from_params(address.params()))
            seen += ids_of(shown.page)
            numbers.append((shown.number, shown.pages))
            if not shown.page.has_next:
                break
            address = address.turned(PageRequest(after=shown.page.last), shown.number + 1)
        assert seen == want
        assert numbers == [(1, 3), (2, 3), (3, 3)]
        back = browse(s, ShopAddress.from_params(address.turned(
            PageRequest(before=shown.page.first), 2).params()))  # fmt: skip
        assert ids_of(back.page) == want[24:48] and back.number == 2
        last = browse(s, ShopAddress.from_params({"last": "1", "sort": sort.value}))
        assert ids_of(last.page) == want[48:] and (last.number, last.pages) == (3, 3)


def test_an_address_turned_to_page_one_is_the_first_page():
    address = ShopAddress(ShopFilters(text="tee"), PageRequest(after=Cursor(5, 5)), 2)
    assert address.turned(PageRequest(before=Cursor(5, 5)), 1) == ShopAddress(ShopFilters("tee"))
    assert address.turned(PageRequest(last=True), 7).number is None
    assert ShopAddress(number=None).params() == {}

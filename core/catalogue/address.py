"""The shop's address: what the shop shows is said by its address (query parameters), so
that a search can be shared and reloaded, and the browser's Back and Forward buttons step
through searches and items: ?q=levis&category=pants&colour=blue&sort=price_up&after=3500_12
&page=2. An item's page (/item) carries the same, with &item=ID, for the results it was
opened from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from core.catalogue import attributes, categories
from core.catalogue.categories import SIZES
from core.catalogue.search import (
    SORT_CODES,
    CatalogueQuery,
    Cursor,
    PageRequest,
    PriceRange,
    Sort,
    price_range,
)
from core.models.base import ID_MAX
from core.models.catalogue import BRAND_MAX, MAX_PRICE_CENTS, Condition
from core.text import has_unusable_characters

ITEM_PARAM = "item"  # the item an item's page shows (core.catalogue.listings.item_id_from_text)
MAX_SEARCH_TEXT = 200  # characters of the search box
MAX_BRANDS = 20
MAX_PAGE_NUMBER = 999_999
MAX_RANKED = 10_000  # positions in a ranked search (core/catalogue/semantic.py keeps far fewer)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ALL_SIZES = frozenset(size for family in SIZES.values() for size in family)
_CONDITIONS = frozenset(c.value for c in Condition)


@dataclass(frozen=True)
class ShopFilters:
    """What the search box, the filters and the sort say, as typed (whole euros, maybe
    upside down): what the address holds, besides the page. ``sort`` None is the default:
    "Best match" for a search while semantic search is on, else newest first."""

    text: str = ""
    categories: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    min_price: int | None = None  # EUR
    max_price: int | None = None  # EUR
    sort: Sort | None = None
    colours: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    @property
    def prices(self) -> PriceRange:
        return price_range(self.min_price, self.max_price)

    @property
    def narrows(self) -> bool:
        """True if the search or a filter leaves items out (the sort leaves none out)."""
        return replace(self, sort=None) != ShopFilters()

    def default_sort(self, semantic: bool = False) -> Sort:
        """The sort when none is chosen: a search's best matches first when they can be
        ranked by meaning (``semantic``), else newest first (as before semantic search)."""
        return Sort.RELEVANCE if semantic and self.text.strip() else Sort.NEWEST

    def effective_sort(self, semantic: bool = False) -> Sort:
        """The sort these filters show: the chosen one, or the default; "Best match" with
        nothing to match is newest first."""
        sort = self.sort or self.default_sort(semantic)
        if sort is Sort.RELEVANCE and not (semantic or self.text.strip()):
            return Sort.NEWEST
        return sort

    def query(self, semantic: bool = False) -> CatalogueQuery:
        prices = self.prices
        return CatalogueQuery(
            text=self.text,
            categories=self.categories,
            sizes=self.sizes,
            brands=self.brands,
            conditions=self.conditions,
            min_price_cents=prices.low_cents,
            max_price_cents=prices.high_cents,
            sort=self.effective_sort(semantic),
            colours=self.colours,
            patterns=self.patterns,
        )


@dataclass(frozen=True)
class ShopAddress:
    """The shop's state as its address says it: filters, and which page of the results."""

    filters: ShopFilters = ShopFilters()
    page: PageRequest = PageRequest()  # noqa: RUF009 (a frozen dataclass: immutable)
    number: int | None = 1  # the page's number, when known (a page after a cursor)

    def turned(self, page: PageRequest, number: int | None) -> ShopAddress:
        """The same search on another page; page 1 is the first page, whatever the cursor."""
        if number == 1 or page == PageRequest():
            return ShopAddress(self.filters)
        return ShopAddress(self.filters, page, None if page.last else number)

    def params(self) -> dict[str, list[str]]:
        """Query parameters: only what differs from the default, always in one order."""
        f = self.filters
        params: dict[str, list[str]] = {}
        if f.text:
            params["q"] = [f.text]
        for key, values in (
            ("category", f.categories),
            ("size", f.sizes),
            ("brand", f.brands),
            ("condition", f.conditions),
            ("colour", f.colours),
            ("pattern", f.patterns),
        ):
            if values:
                params[key] = list(values)
        if f.min_price is not None:
            params["min"] = [str(f.min_price)]
        if f.max_price is not None:
            params["max"] = [str(f.max_price)]
        if f.sort is not None:
            params["sort"] = [f.sort.value]
        page = self.page
        if page.last:
            params["last"] = ["1"]
        elif page.before is not None or page.after is not None:
            key = "before" if page.before is not None else "after"
            params[key] = [_cursor_text(page.before or page.after)]
            if self.number is not None:
                params["page"] = [str(self.number)]
        return params

    @classmethod
    def from_params(
        cls, params: Mapping[str, str | Sequence[str]], *, semantic: bool = False
    ) -> ShopAddress:
        """The address ``params`` say; what is not understood is left out (the default).
        ``semantic``: whether searches are ranked by meaning (it decides the default sort,
        which the page's cursor is in)."""

        def values(key: str) -> list[str]:
            value = params.get(key, ())
            return [value] if isinstance(value, str) else list(value)

        def one(key: str) -> str | None:
            found = values(key)
            return found[-1] if found else None

        def chosen(key: str, allowed) -> tuple[str, ...]:
            return tuple(dict.fromkeys(v for v in values(key) if v in allowed))

        text = (one("q") or "")[:MAX_SEARCH_TEXT]
        brands = (" ".join(b.split()) for b in values("brand"))  # trimmed, as the picker does
        sort = one("sort")
        filters = ShopFilters(
            text="" if has_unusable_characters(text) else text,
            categories=chosen("category", categories.BY_CODE),
            sizes=chosen("size", _ALL_SIZES),
            brands=tuple(dict.fromkeys(b for b in brands if _is_brand(b)))[:MAX_BRANDS],
            conditions=chosen("condition", _CONDITIONS),
            min_price=_whole(one("min"), MAX_PRICE_CENTS // 100),
            max_price=_whole(one("max"), MAX_PRICE_CENTS // 100),
            sort=Sort(sort) if sort in SORT_CODES else None,
            colours=chosen("colour", attributes.COLOURS_BY_CODE),
            patterns=chosen("pattern", attributes.PATTERNS_BY_CODE),
        )
        shown_sort = filters.effective_sort(semantic)
        if one("last") == "1":
            return cls(filters, PageRequest(last=True), None)
        for key in ("before", "after"):
            if (cursor := _cursor_from_text(one(key), shown_sort)) is not None:
                page = PageRequest(before=cursor) if key == "before" else PageRequest(after=cursor)
                return cls(filters, page, _whole(one("page"), MAX_PAGE_NUMBER, least=2))
        return cls(filters)


def _is_brand(value: str) -> bool:
    return 0 < len(value) <= BRAND_MAX and not has_unusable_characters(value)


def _whole(raw: str | None, most: int, least: int = 0) -> int | None:
    """``raw`` as a whole number from ``least`` to ``most`` (ASCII digits only), or None."""
    if not raw or len(raw) > len(str(most)) or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if least <= value <= most else None


def _cursor_text(cursor: Cursor) -> str:
    """``3500_12``: the sort value (cents, or microseconds since 1970 UTC) and the item id."""
    value = cursor.value
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite gives naive UTC
        value = (moment - _EPOCH) // timedelta(microseconds=1)
    return f"{value}_{cursor.id}"


def _cursor_from_text(raw: str | None, sort: Sort) -> Cursor | None:
    value_text, _sep, id_text = (raw or "").partition("_")
    item_id = _whole(id_text, ID_MAX, least=1)
    if item_id is None:
        return None
    if sort is Sort.RELEVANCE:  # the item's position in the ranking
        position = _whole(value_text, MAX_RANKED)
        return None if position is None else Cursor(position, item_id)
    if sort is not Sort.NEWEST:
        cents = _whole(value_text, MAX_PRICE_CENTS, least=1)
        return None if cents is None else Cursor(cents, item_id)
    micros = _whole(value_text, 253_402_300_799_999_999)  # 9999-12-31
    return None if micros is None else Cursor(_EPOCH + timedelta(microseconds=micros), item_id)

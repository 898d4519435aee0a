"""The catalogue: search (full-text on SQLite's FTS5 or a PostgreSQL GIN index), filters,
sorts and pages (plain functions over a session).

The catalogue pages with keysets (the sort key of the page's first or last item), never
with OFFSET, so that any page costs the same however many items there are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import Integer, column, func, literal, literal_column, tuple_
from sqlalchemy import text as sql_text
from sqlalchemy.orm import aliased
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlmodel import Session, select

from core import attributes, categories
from core.categories import SIZES
from core.i18n import N_, _
from core.models.catalogue import (
    BRAND_MAX,
    MAX_PRICE_CENTS,
    Condition,
    Item,
    ItemStatus,
    Photo,
    brand_key,
    fold_words,
)
from core.text import has_unusable_characters

PAGE_SIZE = 24
COUNT_CAP = 1000  # "1 000+ items": counting further would cost more as the catalogue grows
TEXT_DRIVES_BELOW = 500  # a search matching fewer items is driven by the full-text index
MAX_SEARCH_WORDS = 8
MAX_WORD_LENGTH = 40


class Sort(StrEnum):
    RELEVANCE = "relevance"  # a search's best matches first (core/semantic.py)
    NEWEST = "newest"
    PRICE_UP = "price_up"
    PRICE_DOWN = "price_down"


SORT_LABELS: dict[Sort, str] = {  # in English: shown through sort_label()
    Sort.RELEVANCE: N_("Best match"),
    Sort.NEWEST: N_("Newest first"),
    Sort.PRICE_UP: N_("Price: low to high"),
    Sort.PRICE_DOWN: N_("Price: high to low"),
}


def sort_label(sort: Sort | str) -> str:
    """The name of a sort in the person's language ("Best match", "Meilleure correspondance")."""
    label = SORT_LABELS.get(Sort(sort)) if sort in _SORTS else None
    return _(label) if label else str(sort)


@dataclass(frozen=True)
class CatalogueQuery:
    """What a shopper asks for; empty fields filter nothing."""

    text: str = ""
    categories: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    min_price_cents: int | None = None
    max_price_cents: int | None = None
    sort: Sort = Sort.NEWEST
    colours: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    # only these items (a ranked search's results, core/semantic.py); None: no such limit
    only_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Cursor:
    """A position in a sorted catalogue: the sort value and the id of one item."""

    value: datetime | int
    id: int


@dataclass(frozen=True)
class PageRequest:
    """Which page: the first (default), the one after or before a cursor, or the last."""

    after: Cursor | None = None
    before: Cursor | None = None
    last: bool = False
    size: int = PAGE_SIZE


@dataclass(frozen=True)
class CatalogueCard:
    item: Item
    thumbnail: bytes | None


@dataclass(frozen=True)
class CataloguePage:
    cards: list[CatalogueCard]
    has_previous: bool
    has_next: bool
    total: int  # matching items, counted up to COUNT_CAP + 1
    first: Cursor | None = None  # cursor of the first card (for "previous")
    last: Cursor | None = None  # cursor of the last card (for "next")

    @property
    def total_is_capped(self) -> bool:
        return self.total > COUNT_CAP


@dataclass(frozen=True)
class PriceRange:
    """A price filter in cents, lowest first; None is no bound."""

    low_cents: int | None = None
    high_cents: int | None = None
    swapped: bool = False  # typed upside down (min above max), read the other way round


def price_range(low_eur: float | None, high_eur: float | None) -> PriceRange:
    """A shopper's price range in euros to cents (0 or nothing is no bound). Typed upside
    down, min 300 and max 200, it is read as 200 to 300 and ``swapped`` says so: the
    results then match both numbers the shopper typed, and the page can tell."""
    low = round(low_eur * 100) if low_eur else None
    high = round(high_eur * 100) if high_eur else None
    if low is not None and high is not None and low > high:
        return PriceRange(high, low, swapped=True)
    return PriceRange(low, high)


def search_words(text: str) -> list[tuple[str, ...]]:
    """The words of a search, folded like the indexed text (``core.models.catalogue.fold_words``),
    each as the tuple of its parts ("levi's" -> ("levi", "s")); at most MAX_SEARCH_WORDS
    words of at most MAX_SEARCH_WORDS parts, each part and the joined word at most
    MAX_WORD_LENGTH characters."""
    words = []
    for parts in fold_words(text or "")[:MAX_SEARCH_WORDS]:
        parts = tuple(p[:MAX_WORD_LENGTH] for p in parts[:MAX_SEARCH_WORDS])
        joined = "".join(parts)
        words.append(parts if len(joined) <= MAX_WORD_LENGTH else (joined[:MAX_WORD_LENGTH],))
    return words


def _fts5_match(words: tuple[tuple[str, ...], ...]) -> str:
    """An FTS5 query: every word as a word prefix; a joined word ("t-shirt") either joined
    ("tshirt"*, how the index also holds it) or as its parts in a row ("t shirt"*, how
    a title typed with a space holds it). Parts are letters and digits only."""

    def one(parts: tuple[str, ...]) -> str:
        if len(parts) == 1:
            return f'"{parts[0]}"*'
        return f'("{"".join(parts)}"* OR "{" ".join(parts)}"*)'

    return " AND ".join(one(parts) for parts in words)


def _tsquery(words: tuple[tuple[str, ...], ...]) -> str:
    """The same query for PostgreSQL's to_tsquery: prefixes (:*), phrases (<->)."""

    def one(parts: tuple[str, ...]) -> str:
        if len(parts) == 1:
            return f"{parts[0]}:*"
        return f"({''.join(parts)}:* | {' <-> '.join(parts)}:*)"

    return " & ".join(one(parts) for parts in words)


def _residual(column_):
    """``column_`` as an expression no index serves (SQLite's unary +), so that the query
    is driven by the index that gives the sort order and stops after one page."""
    return UnaryExpression(column_, operator=operators.custom_op("+"), type_=column_.type)


@dataclass(frozen=True)
class _Plan:
    sqlite: bool
    words: tuple[tuple[str, ...], ...]
    few_ids: tuple[int, ...] | None  # SQLite: the items the words match, when they are few


def _plan(session: Session, query: CatalogueQuery) -> _Plan:
    sqlite = session.get_bind().dialect.name == "sqlite"
    words = tuple(search_words(query.text))
    few_ids = None
    if sqlite and words:
        ids = session.exec(
            sql_text("SELECT rowid FROM items_fts WHERE items_fts MATCH :fts LIMIT :cap")
            .bindparams(fts=_fts5_match(words), cap=TEXT_DRIVES_BELOW + 1)
            .columns(column("rowid", Integer))
        ).all()
        if len(ids) <= TEXT_DRIVES_BELOW:
            few_ids = tuple(row[0] for row in ids)
    return _Plan(sqlite, words, few_ids)


def _text_match(plan: _Plan, *, residual: bool):
    """Items whose search text has every word of the plan as a word prefix."""
    if not plan.sqlite:  # PostgreSQL: the GIN index on the folded text's tsvector
        query = _tsquery(plan.words)
        vector = func.to_tsvector(literal_column("'simple'"), Item.search_text)
        return vector.bool_op("@@")(func.to_tsquery(literal_column("'simple'"), literal(query)))
    if plan.few_ids is not None:
        return Item.id.in_(plan.few_ids)
    matches = (
        sql_text("SELECT rowid FROM items_fts WHERE items_fts MATCH :fts")
        .bindparams(fts=_fts5_match(plan.words))
        .columns(column("rowid", Integer))
    )
    return (_residual(Item.id) if residual else Item.id).in_(matches)


def _filters(query: CatalogueQuery, plan: _Plan, *, for_page: bool = False) -> list:
    """The WHERE conditions of ``query``.

    On SQLite (whose planner has no statistics), the conditions also choose the plan: a
    search whose words match few items starts from those items (a few hundred at most);
    a page of anything else walks the index of its sort order, checking the other filters
    on the way, and stops after one page, so that its cost does not grow with the
    catalogue. Other counts (bounded by their LIMIT) are left to the planner.
    """
    # a few known ids (the words' matches, or a ranked search's results) drive the query
    by_text = plan.few_ids is not None or query.only_ids is not None
    planned = plan.sqlite and (for_page or by_text)
    by_price = not _by_date(query.sort)

    def indexed(column_, allowed: bool):
        return column_ if not planned or (allowed and not by_text) else _residual(column_)

    # a literal, so PostgreSQL sees that the partial full-text index applies
    available = literal_column(f"'{ItemStatus.AVAILABLE.value}'")
    conditions = [indexed(Item.status, True) == available]
    if plan.words:
        conditions.append(_text_match(plan, residual=planned))
    # one category, size or brand: its index also gives the newest-first order
    if query.categories:
        single = len(query.categories) == 1
        conditions.append(indexed(Item.category, single).in_(query.categories))
    if query.sizes:
        single = len(query.sizes) == 1 and not by_price
        conditions.append(indexed(Item.size, single).in_(query.sizes))
    if keys := sorted({k for k in map(brand_key, query.brands) if k}):  # "levis" is Levi's
        single = len(keys) == 1 and not by_price
        conditions.append(indexed(Item.brand_key, single).in_(keys))
    if query.only_ids is not None:
        conditions.append(Item.id.in_(query.only_ids))
    if query.conditions:
        conditions.append(indexed(Item.condition, False).in_(query.conditions))
    # Colour and pattern have no index: checked on the way along the sort order's index. One
    # colour of 14 leaves about 1 item in 14, so a page of 24 reads a few hundred rows; an
    # index per attribute (and per sort) would cost every write for that.
    if query.colours:
        conditions.append(indexed(Item.colour, False).in_(query.colours))
    if query.patterns:
        conditions.append(indexed(Item.pattern, False).in_(query.patterns))
    if query.min_price_cents is not None:
        conditions.append(indexed(Item.price_cents, by_price) >= query.min_price_cents)
    if query.max_price_cents is not None:
        conditions.append(indexed(Item.price_cents, by_price) <= query.max_price_cents)
    return conditions


def filter_conditions(session: Session, query: CatalogueQuery) -> list:
    """The WHERE conditions of ``query`` (text and filters, available items only), for
    queries over ``Item`` that are not a catalogue page (core/semantic.py)."""
    return _filters(query, _plan(session, query))


def _by_date(sort: Sort) -> bool:
    # "Best match" is ranked by core/semantic.py; a plain page of it is newest first
    return sort in (Sort.NEWEST, Sort.RELEVANCE)


def _sort_key(sort: Sort):
    column_ = Item.created_at if _by_date(sort) else Item.price_cents
    return column_, sort is Sort.PRICE_UP  # (column, ascending)


def _cursor_of(item: Item, sort: Sort) -> Cursor:
    return Cursor(item.created_at if _by_date(sort) else item.price_cents, item.id)


def search_catalogue(
    session: Session, query: CatalogueQuery = CatalogueQuery(), page: PageRequest = PageRequest()
) -> CataloguePage:
    """One page of available items matching ``query``, each with its first photo's thumbnail.

    Full-text search matches every word of ``query.text`` as a word prefix in the title,
    brand, description and category names, accents and case ignored; a word joined by an
    apostrophe or a hyphen matches joined or split ("levis", "levi's"; "tshirt", "t-shirt").
    """
    plan = _plan(session, query)
    conditions = _filters(query, plan, for_page=True)
    key, ascending = _sort_key(query.sort)
    backwards = page.last or page.before is not None
    forward_asc = ascending != backwards  # the direction this query reads in
    cursor = page.before if page.before is not None else page.after
    if cursor is not None and not page.last:
        bound = tuple_(key, Item.id)
        value = tuple_(literal(cursor.value, key.type), literal(cursor.id))
        conditions.append(bound > value if forward_asc else bound < value)
    order = (key.asc(), Item.id.asc()) if forward_asc else (key.desc(), Item.id.desc())
    statement = (
        select(Item, Photo.thumbnail)
        .join(Photo, (Photo.item_id == Item.id) & (Photo.position == 0), isouter=True)
        .where(*conditions)
        .order_by(*order)
        .limit(page.size + 1)  # one more tells whether there is a page beyond
    )
    rows = session.exec(statement).all()
    more = len(rows) > page.size
    rows = rows[: page.size]
    if backwards:
        rows.reverse()
    cards = [CatalogueCard(item=item, thumbnail=thumb) for item, thumb in rows]
    if backwards:
        has_previous, has_next = more, not page.last
    else:
        has_previous, has_next = page.after is not None, more
    return CataloguePage(
        cards=cards,
        has_previous=has_previous,
        has_next=has_next,
        total=_count(session, query, plan, COUNT_CAP),
        first=_cursor_of(cards[0].item, query.sort) if cards else None,
        last=_cursor_of(cards[-1].item, query.sort) if cards else None,
    )


def count_matches(session: Session, query: CatalogueQuery, cap: int = COUNT_CAP) -> int:
    """How many available items match, counted up to ``cap + 1`` (a bounded cost)."""
    return _count(session, query, _plan(session, query), cap)


def _count(session: Session, query: CatalogueQuery, plan: _Plan, cap: int) -> int:
    capped = select(Item.id).where(*_filters(query, plan)).limit(cap + 1).subquery()
    return session.exec(select(func.count()).select_from(capped)).one()


def known_brands(session: Session, limit: int = 500) -> list[str]:
    """Brands of available items, most listed first (one spelling per brand), for a picker."""
    available = Item.status == ItemStatus.AVAILABLE.value
    # counted on the (status, brand_key) index alone; then one spelling looked up per brand
    counts = (
        select(Item.brand_key, func.count().label("n"))
        .where(available)
        .group_by(Item.brand_key)
        .order_by(func.count().desc(), Item.brand_key)
        .limit(limit)
        .subquery()
    )
    other = aliased(Item)
    spelling = (
        select(other.brand)
        .where(other.status == ItemStatus.AVAILABLE.value, other.brand_key == counts.c.brand_key)
        .limit(1)
        .correlate(counts)
        .scalar_subquery()
    )
    rows = select(spelling).select_from(counts).order_by(counts.c.n.desc(), counts.c.brand_key)
    return list(session.exec(rows))


# --- the shop's address ---------------------------------------------------------------------
# What the shop shows is said by its address (query parameters), so that a search can be
# shared and reloaded, and the browser's Back and Forward buttons step through searches and
# items: ?q=levis&category=pants&colour=blue&sort=price_up&after=3500_12&page=2, or the same with
# &item=ID for one item opened from those results.

ITEM_PARAM = "item"  # the item shown instead of the results (see core.listings.item_id_from_text)
MAX_SEARCH_TEXT = 200  # characters of the search box
MAX_BRANDS = 20
MAX_PAGE_NUMBER = 999_999
MAX_RANKED = 10_000  # positions in a ranked search (core/semantic.py keeps far fewer)
_MAX_ID = 2**31 - 1  # PostgreSQL's integer
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ALL_SIZES = frozenset(size for family in SIZES.values() for size in family)
_CONDITIONS = frozenset(c.value for c in Condition)
_SORTS = frozenset(s.value for s in Sort)


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
    page: PageRequest = PageRequest()
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
            sort=Sort(sort) if sort in _SORTS else None,
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
    item_id = _whole(id_text, _MAX_ID, least=1)
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

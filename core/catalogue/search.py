"""The catalogue: search (full-text on SQLite's FTS5 or a PostgreSQL GIN index), filters,
sorts and pages (plain functions over a session).

The catalogue pages with keysets (the sort key of the page's first or last item), never
with OFFSET, so that any page costs the same however many items there are. The shop's
address (its query parameters) is read and written by ``core.catalogue.address``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Integer, column, func, literal, literal_column, tuple_
from sqlalchemy import text as sql_text
from sqlalchemy.orm import aliased
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlmodel import Session, select

from core.i18n import N_, _
from core.models.catalogue import Item, ItemStatus, Photo, brand_key, fold_words

PAGE_SIZE = 24
COUNT_CAP = 1000  # "1 000+ items": counting further would cost more as the catalogue grows
TEXT_DRIVES_BELOW = 500  # a search matching fewer items is driven by the full-text index
MAX_SEARCH_WORDS = 8
MAX_WORD_LENGTH = 40


class Sort(StrEnum):
    RELEVANCE = "relevance"  # a search's best matches first (core/catalogue/semantic.py)
    NEWEST = "newest"
    PRICE_UP = "price_up"
    PRICE_DOWN = "price_down"


SORT_LABELS: dict[Sort, str] = {  # in English: shown through sort_label()
    Sort.RELEVANCE: N_("Best match"),
    Sort.NEWEST: N_("Newest first"),
    Sort.PRICE_UP: N_("Price: low to high"),
    Sort.PRICE_DOWN: N_("Price: high to low"),
}


SORT_CODES = frozenset(s.value for s in Sort)


def sort_label(sort: Sort | str) -> str:
    """The name of a sort in the person's language ("Best match", "Meilleure correspondance")."""
    label = SORT_LABELS.get(Sort(sort)) if sort in SORT_CODES else None
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
    # only these items (a ranked search's results, core/catalogue/semantic.py); None: no such limit
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
    queries over ``Item`` that are not a catalogue page (core/catalogue/semantic.py)."""
    return _filters(query, _plan(session, query))


def _by_date(sort: Sort) -> bool:
    # "Best match" is ranked by core/catalogue/semantic.py; a plain page of it is newest first
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

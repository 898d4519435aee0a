"""Listings: the catalogue search, the item page, and the seller's writes (plain functions
over a session).

The catalogue pages with keysets (the sort key of the page's first or last item), never
with OFFSET, so that any page costs the same however many items there are. Writes that
must not half-happen (an item and its photos) are one transaction, and the seller's own
writes start with a conditional UPDATE or DELETE that names the seller and the status: a
listing cannot be changed through another user's id, nor once it is sold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Integer, column, delete, func, literal, literal_column, tuple_
from sqlalchemy import text as sql_text
from sqlalchemy import update as sql_update
from sqlalchemy.orm import aliased
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlmodel import Session, select

from core import categories
from core.models import (
    BRAND_MAX,
    DESCRIPTION_MAX,
    MAX_PHOTOS_PER_ITEM,
    TITLE_MAX,
    CartLine,
    Condition,
    Item,
    ItemStatus,
    Photo,
    User,
    brand_key,
    fold,
    item_search_text,
    utcnow,
)
from core.money import PriceError, parse_eur
from core.photos import PreparedPhoto
from core.text import text_problem
from core.transactions import begin_write

PAGE_SIZE = 24
COUNT_CAP = 1000  # "1 000+ items": counting further would cost more as the catalogue grows
TEXT_DRIVES_BELOW = 500  # a search matching fewer items is driven by the full-text index
MAX_SEARCH_WORDS = 8
MAX_WORD_LENGTH = 40

CONDITION_LABELS: dict[str, str] = {
    Condition.NEW_WITH_TAGS.value: "New with tags",
    Condition.VERY_GOOD.value: "Very good",
    Condition.GOOD.value: "Good",
    Condition.SATISFACTORY.value: "Satisfactory",
}


def condition_label(code: str) -> str:
    """The label of a condition code ("very_good" -> "Very good")."""
    return CONDITION_LABELS.get(code, code)


# --- errors -----------------------------------------------------------------------------


class ListingError(Exception):
    """A listing operation that was refused; ``message`` is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ListingNotFoundError(ListingError):
    def __init__(self) -> None:
        super().__init__("This item does not exist (it may have been removed).")


class NotYourListingError(ListingError):
    def __init__(self) -> None:
        super().__init__("Only the seller can change this listing.")


class ListingSoldError(ListingError):
    def __init__(self) -> None:
        super().__init__("This item is sold: it can no longer be changed or deleted.")


class StaleListingError(ListingError):
    def __init__(self) -> None:
        super().__init__(
            "This listing was changed elsewhere (another tab?) since you opened it. "
            "Nothing was saved: open it again to see the changes."
        )


class InvalidListingError(ListingError):
    """Fields a seller must fix; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("Some fields need your attention.")
        self.errors = errors


# --- the catalogue ----------------------------------------------------------------------


class Sort(StrEnum):
    NEWEST = "newest"
    PRICE_UP = "price_up"
    PRICE_DOWN = "price_down"


SORT_LABELS: dict[Sort, str] = {
    Sort.NEWEST: "Newest first",
    Sort.PRICE_UP: "Price: low to high",
    Sort.PRICE_DOWN: "Price: high to low",
}


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


def price_range(low_eur: float | None, high_eur: float | None) -> tuple[int | None, int | None]:
    """A shopper's price range in euros to cents; PriceError if it is upside down."""
    low = round(low_eur * 100) if low_eur else None
    high = round(high_eur * 100) if high_eur else None
    if low is not None and high is not None and low > high:
        raise PriceError("The lowest price is above the highest price.")
    return low, high


def search_words(text: str) -> list[str]:
    """The words of a search, folded like the indexed text (at most MAX_SEARCH_WORDS)."""
    return [w[:MAX_WORD_LENGTH] for w in fold(text or "").split()[:MAX_SEARCH_WORDS]]


def _residual(column_):
    """``column_`` as an expression no index serves (SQLite's unary +), so that the query
    is driven by the index that gives the sort order and stops after one page."""
    return UnaryExpression(column_, operator=operators.custom_op("+"), type_=column_.type)


@dataclass(frozen=True)
class _Plan:
    sqlite: bool
    words: tuple[str, ...]
    few_ids: tuple[int, ...] | None  # SQLite: the items the words match, when they are few


def _plan(session: Session, query: CatalogueQuery) -> _Plan:
    sqlite = session.get_bind().dialect.name == "sqlite"
    words = tuple(search_words(query.text))
    few_ids = None
    if sqlite and words:
        fts = " AND ".join(f'"{w}"*' for w in words)  # words are letters and digits only
        ids = session.exec(
            sql_text("SELECT rowid FROM items_fts WHERE items_fts MATCH :fts LIMIT :cap")
            .bindparams(fts=fts, cap=TEXT_DRIVES_BELOW + 1)
            .columns(column("rowid", Integer))
        ).all()
        if len(ids) <= TEXT_DRIVES_BELOW:
            few_ids = tuple(row[0] for row in ids)
    return _Plan(sqlite, words, few_ids)


def _text_match(plan: _Plan, *, residual: bool):
    """Items whose search text has every word of the plan as a word prefix."""
    if not plan.sqlite:  # PostgreSQL: the GIN index on the folded text's tsvector
        query = " & ".join(f"{w}:*" for w in plan.words)
        vector = func.to_tsvector(literal_column("'simple'"), Item.search_text)
        return vector.bool_op("@@")(func.to_tsquery(literal_column("'simple'"), literal(query)))
    if plan.few_ids is not None:
        return Item.id.in_(plan.few_ids)
    fts = " AND ".join(f'"{w}"*' for w in plan.words)
    matches = (
        sql_text("SELECT rowid FROM items_fts WHERE items_fts MATCH :fts")
        .bindparams(fts=fts)
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
    by_text = plan.few_ids is not None
    planned = plan.sqlite and (for_page or by_text)
    by_price = query.sort is not Sort.NEWEST

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
    if query.conditions:
        conditions.append(indexed(Item.condition, False).in_(query.conditions))
    if query.min_price_cents is not None:
        conditions.append(indexed(Item.price_cents, by_price) >= query.min_price_cents)
    if query.max_price_cents is not None:
        conditions.append(indexed(Item.price_cents, by_price) <= query.max_price_cents)
    return conditions


def _sort_key(sort: Sort):
    column_ = Item.created_at if sort is Sort.NEWEST else Item.price_cents
    return column_, sort is Sort.PRICE_UP  # (column, ascending)


def _cursor_of(item: Item, sort: Sort) -> Cursor:
    return Cursor(item.created_at if sort is Sort.NEWEST else item.price_cents, item.id)


def search_catalogue(
    session: Session, query: CatalogueQuery = CatalogueQuery(), page: PageRequest = PageRequest()
) -> CataloguePage:
    """One page of available items matching ``query``, each with its first photo's thumbnail.

    Full-text search matches every word of ``query.text`` as a word prefix in the title,
    brand, description and category names, accents and case ignored.
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


# --- one item -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemPhoto:
    id: int
    image: bytes
    thumbnail: bytes
    width: int
    height: int


@dataclass(frozen=True)
class ItemView:
    """An item as its page shows it to one viewer (None: logged out)."""

    item: Item
    photos: list[ItemPhoto]
    seller_name: str
    is_own: bool = False
    in_cart: bool = False

    @property
    def is_sold(self) -> bool:
        return self.item.status == ItemStatus.SOLD.value


def get_item_view(session: Session, item_id: int, viewer_id: int | None = None) -> ItemView:
    """The item, its photos in order, its seller's name, and what the viewer can do with it.

    Raises ListingNotFoundError.
    """
    row = session.exec(
        select(Item, User.display_name)
        .join(User, User.id == Item.seller_id)
        .where(Item.id == item_id)
    ).first()
    if row is None:
        raise ListingNotFoundError()
    item, seller_name = row
    photos = session.exec(
        select(Photo).where(Photo.item_id == item_id).order_by(Photo.position)
    ).all()
    in_cart = viewer_id is not None and (
        session.exec(
            select(CartLine.id).where(CartLine.user_id == viewer_id, CartLine.item_id == item_id)
        ).first()
        is not None
    )
    return ItemView(
        item=item,
        photos=[ItemPhoto(p.id, p.image, p.thumbnail, p.width, p.height) for p in photos],
        seller_name=seller_name,
        is_own=viewer_id is not None and item.seller_id == viewer_id,
        in_cart=in_cart,
    )


def get_own_listing(session: Session, seller_id: int, item_id: int) -> ItemView:
    """The seller's own, unsold listing, for editing.

    Raises ListingNotFoundError, NotYourListingError or ListingSoldError.
    """
    view = get_item_view(session, item_id, seller_id)
    if not view.is_own:
        raise NotYourListingError()
    if view.is_sold:
        raise ListingSoldError()
    return view


@dataclass(frozen=True)
class ListingRow:
    item: Item
    thumbnail: bytes | None


def seller_listings(session: Session, seller_id: int) -> list[ListingRow]:
    """Every listing of a seller, newest first, sold ones included."""
    rows = session.exec(
        select(Item, Photo.thumbnail)
        .join(Photo, (Photo.item_id == Item.id) & (Photo.position == 0), isouter=True)
        .where(Item.seller_id == seller_id)
        .order_by(Item.created_at.desc(), Item.id.desc())
    ).all()
    return [ListingRow(item, thumb) for item, thumb in rows]


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


# --- the seller's writes -------------------------------------------------------------------


@dataclass(frozen=True)
class ListingDraft:
    """A listing as the seller typed it; ``price`` is text ("12.50")."""

    title: str = ""
    description: str = ""
    category: str | None = None
    size: str | None = None
    brand: str = ""
    condition: str | None = None
    price: str = ""
    # what the classifier proposed for the first photo, stored next to the chosen category
    ai_category: str | None = None
    ai_confidence: float | None = None


@dataclass(frozen=True)
class CleanListing:
    title: str
    description: str
    category: str
    size: str
    brand: str
    condition: str
    price_cents: int
    ai_category: str | None
    ai_confidence: float | None

    def values(self) -> dict:
        return {
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "size": self.size,
            "brand": self.brand,
            "condition": self.condition,
            "price_cents": self.price_cents,
            "search_text": item_search_text(
                self.title, self.brand, self.description, self.category
            ),
            "brand_key": brand_key(self.brand),
        }


def _one_line(value: str | None) -> str:
    return " ".join((value or "").split())


def check_listing(draft: ListingDraft, photo_count: int) -> CleanListing:
    """Every field checked at once; InvalidListingError maps each bad field to its message."""
    errors: dict[str, str] = {}
    for name in ("title", "description", "brand", "price"):  # first: their message wins
        if problem := text_problem(getattr(draft, name), multiline=name == "description"):
            errors[name] = problem
    title = _one_line(draft.title)
    if not title:
        errors.setdefault("title", "Enter a title.")
    elif len(title) > TITLE_MAX:
        errors.setdefault("title", f"The title can be at most {TITLE_MAX} characters.")
    description = (draft.description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors.setdefault(
            "description", f"The description can be at most {DESCRIPTION_MAX} characters."
        )
    category = draft.category if draft.category in categories.BY_CODE else None
    if category is None:
        errors.setdefault("category", "Choose a category.")
    if not draft.size:
        errors.setdefault("size", "Choose a size.")
    elif category is not None and draft.size not in categories.sizes_for(category):
        errors.setdefault("size", "Choose one of the sizes of this category.")
    brand = _one_line(draft.brand)
    if not brand:
        errors.setdefault("brand", 'Enter the brand (or "No brand").')
    elif len(brand) > BRAND_MAX:
        errors.setdefault("brand", f"The brand can be at most {BRAND_MAX} characters.")
    if draft.condition not in CONDITION_LABELS:
        errors.setdefault("condition", "Choose the condition.")
    price_cents = 0
    if not (draft.price or "").strip():
        errors.setdefault("price", "Enter a price.")
    else:
        try:
            price_cents = parse_eur(draft.price)
        except PriceError as exc:
            errors.setdefault("price", str(exc))
    if photo_count < 1:
        errors["photos"] = "Add at least one photo."
    elif photo_count > MAX_PHOTOS_PER_ITEM:
        extra = photo_count - MAX_PHOTOS_PER_ITEM
        errors["photos"] = (
            f"At most {MAX_PHOTOS_PER_ITEM} photos: remove {extra} of them."
            if extra > 1
            else f"At most {MAX_PHOTOS_PER_ITEM} photos: remove one."
        )
    if errors:
        raise InvalidListingError(errors)
    ai_category = draft.ai_category if draft.ai_category in categories.BY_CODE else None
    confidence = draft.ai_confidence if ai_category is not None else None
    if confidence is not None:
        confidence = min(max(float(confidence), 0.0), 1.0)
    return CleanListing(
        title=title,
        description=description,
        category=category,  # type: ignore[arg-type]
        size=draft.size,  # type: ignore[arg-type]
        brand=brand,
        condition=draft.condition,  # type: ignore[arg-type]
        price_cents=price_cents,
        ai_category=ai_category,
        ai_confidence=confidence,
    )


def photo_row(item_id: int, position: int, photo: PreparedPhoto) -> Photo:
    """The database row of a prepared photo at ``position`` of an item."""
    return Photo(
        item_id=item_id,
        position=position,
        image=photo.image,
        thumbnail=photo.thumbnail,
        width=photo.width,
        height=photo.height,
    )


def create_listing(
    session: Session, seller_id: int, draft: ListingDraft, photos: Sequence[PreparedPhoto]
) -> Item:
    """Put an item on sale with its photos (first one is the cover), in one transaction.

    Raises InvalidListingError; nothing is stored on error.
    """
    clean = check_listing(draft, len(photos))
    now = utcnow()
    item = Item(
        seller_id=seller_id,
        title=clean.title,
        description=clean.description,
        category=clean.category,
        size=clean.size,
        brand=clean.brand,
        condition=clean.condition,
        price_cents=clean.price_cents,
        ai_category=clean.ai_category,
        ai_confidence=clean.ai_confidence,
        created_at=now,
        updated_at=now,
    )
    try:
        begin_write(session)
        session.add(item)
        session.flush()
        session.add_all(photo_row(item.id, n, photo) for n, photo in enumerate(photos))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.refresh(item)  # loaded again: usable after the session closes
    return item


def _refusal(
    session: Session, seller_id: int, item_id: int, revision: int | None = None
) -> ListingError:
    """Why a conditional write on a listing matched no row."""
    session.rollback()
    item = session.get(Item, item_id)
    session.rollback()  # only explains the refusal
    if item is None:
        return ListingNotFoundError()
    if item.seller_id != seller_id:
        return NotYourListingError()
    if item.status == ItemStatus.SOLD.value:
        return ListingSoldError()
    if revision is not None and item.revision != revision:
        return StaleListingError()
    return ListingError("This listing could not be changed; try again.")


def _own_available(seller_id: int, item_id: int):
    return (
        Item.id == item_id,
        Item.seller_id == seller_id,
        Item.status == ItemStatus.AVAILABLE.value,
    )


def update_listing(
    session: Session,
    seller_id: int,
    item_id: int,
    draft: ListingDraft,
    photos: Sequence[int | PreparedPhoto],
    *,
    revision: int | None = None,
) -> None:
    """Change every field and the photos of the seller's unsold listing, in one transaction.

    ``photos`` is the new list in order: the id of an existing photo of this item to keep,
    or a new PreparedPhoto. ``revision`` is the listing's revision the form was opened at:
    a form left open while the listing changed elsewhere is refused. Every edit bumps the
    revision, so a checkout confirmed before it buys nothing. Raises InvalidListingError,
    ListingNotFoundError, NotYourListingError, ListingSoldError or StaleListingError;
    nothing changes on error.
    """
    clean = check_listing(draft, len(photos))
    values = clean.values()
    values["revision"] = Item.revision + 1
    where = _own_available(seller_id, item_id)
    if revision is not None:
        where = (*where, Item.revision == revision)
    if draft.ai_category is not None:  # a new suggestion came with new photos
        values.update(ai_category=clean.ai_category, ai_confidence=clean.ai_confidence)
    try:
        # the first statement writes: the seller, the status and the item are checked at once
        begin_write(session)
        changed = session.exec(
            sql_update(Item).where(*where).values(**values, updated_at=utcnow()).returning(Item.id)
        ).all()
        if len(changed) != 1:
            raise _refusal(session, seller_id, item_id, revision)
        existing = {
            p.id: p for p in session.exec(select(Photo).where(Photo.item_id == item_id)).all()
        }
        kept = [p for p in photos if isinstance(p, int)]
        if any(photo_id not in existing for photo_id in kept) or len(set(kept)) != len(kept):
            session.rollback()
            raise InvalidListingError({"photos": "A photo of this listing has changed; retry."})
        if list(photos) == sorted(existing, key=lambda i: existing[i].position):
            session.commit()  # the same photos in the same order: nothing to rewrite
            return
        rows = []
        for position, photo in enumerate(photos):
            if isinstance(photo, int):
                old = existing[photo]
                rows.append(
                    Photo(
                        item_id=item_id,
                        position=position,
                        image=old.image,
                        thumbnail=old.thumbnail,
                        width=old.width,
                        height=old.height,
                        created_at=old.created_at,
                    )
                )
            else:
                rows.append(photo_row(item_id, position, photo))
        # positions are unique per item: clear them all, then write the new order
        session.exec(delete(Photo).where(Photo.item_id == item_id))
        for old_row in existing.values():
            session.expunge(old_row)  # deleted above, behind the session's back
        session.add_all(rows)
        session.commit()
    except BaseException:
        session.rollback()
        raise


def delete_listing(session: Session, seller_id: int, item_id: int) -> None:
    """Delete the seller's listing while it is not sold (its photos and cart lines go too).

    Raises ListingNotFoundError, NotYourListingError or ListingSoldError.
    """
    try:
        begin_write(session)
        deleted = session.exec(
            delete(Item).where(*_own_available(seller_id, item_id)).returning(Item.id)
        ).all()
        if len(deleted) != 1:
            raise _refusal(session, seller_id, item_id)
        session.commit()
    except BaseException:
        session.rollback()
        raise

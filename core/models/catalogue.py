"""The catalogue's tables: items (with the text full-text search reads, kept by an event
and triggers), their photos, their image embeddings, and favourites."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    DDL,
    CheckConstraint,
    Column,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    event,
)
from sqlmodel import Field, SQLModel

from core.catalogue import attributes, categories
from core.models.base import NEVER_REUSE_IDS, Id, fk_column, utcnow

MAX_PRICE_CENTS = 100_000 * 100  # 100 000 EUR
TITLE_MAX = 80
DESCRIPTION_MAX = 2000
BRAND_MAX = 40
SIZE_MAX = 12
MAX_PHOTOS_PER_ITEM = 5


_ALNUM = r"[^\W_]+"
# Marks that join the parts of one word: "Levi's", "T-shirt", "Carhartt-WIP", "A.P.C.", "H&M".
# They are read as one apostrophe before NFKD, which would turn some into spaces ("´").
_JOINERS = re.compile(
    "[\u0027\u2018\u2019\u201b\u02bc\u02bb\u0060\u00b4\u2032\uff07"  # apostrophes
    "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"  # hyphens and dashes
    ".\u00b7\u2027\uff0e&\uff06]"  # dots, middle dots, ampersands
)
_JOINED_WORD = re.compile(f"{_ALNUM}(?:'+{_ALNUM})*")
_PART = re.compile(_ALNUM)


def fold_words(value: str) -> list[tuple[str, ...]]:
    """The words of ``value`` as search compares them, each as the tuple of its parts:
    lower-cased, accents removed, invisible characters dropped, and letters or digits
    joined by an apostrophe, a hyphen, a dot or an ampersand kept as one word of several
    parts. "Levi's T-Shirt Sézane!" -> [("levi", "s"), ("t", "shirt"), ("sezane",)]."""
    visible = "".join(ch for ch in value if unicodedata.category(ch) != "Cf")  # soft hyphens...
    marked = _JOINERS.sub("'", visible.casefold())
    decomposed = unicodedata.normalize("NFKD", marked)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return [tuple(_PART.findall(word)) for word in _JOINED_WORD.findall(bare)]


def fold(value: str) -> str:
    """What full-text search indexes: the words of ``value`` (see ``fold_words``) separated
    by one space, each word of several parts both joined and split, so that it is found
    either way: "Levi's T-shirt" -> "levis levi s tshirt t shirt". Queries are read with
    the same ``fold_words`` (``core.catalogue.search.search_words``), on every database."""
    return " ".join(
        " ".join(("".join(parts), *parts)) if len(parts) > 1 else parts[0]
        for parts in fold_words(value)
    )


def brand_key(brand: str) -> str:
    """A brand as the filter compares it: "Levi's", "LEVIS" and "levis" are the same brand."""
    return "".join("".join(parts) for parts in fold_words(brand))


class ItemStatus(StrEnum):
    AVAILABLE = "available"
    SOLD = "sold"
    HIDDEN = "hidden"  # by an administrator (core.moderation): out of the shop until restored


class Condition(StrEnum):
    NEW_WITH_TAGS = "new_with_tags"
    VERY_GOOD = "very_good"
    GOOD = "good"
    SATISFACTORY = "satisfactory"


class Item(SQLModel, table=True):
    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint(
            f"price_cents > 0 AND price_cents <= {MAX_PRICE_CENTS}", name="ck_items_price"
        ),
        CheckConstraint(f"length(title) BETWEEN 1 AND {TITLE_MAX}", name="ck_items_title_len"),
        CheckConstraint(f"length(brand) BETWEEN 1 AND {BRAND_MAX}", name="ck_items_brand_len"),
        CheckConstraint(f"length(size) BETWEEN 1 AND {SIZE_MAX}", name="ck_items_size_len"),
        CheckConstraint(
            f"length(description) <= {DESCRIPTION_MAX}", name="ck_items_description_len"
        ),
        CheckConstraint("status IN ('available', 'sold', 'hidden')", name="ck_items_status"),
        CheckConstraint(
            "condition IN ('new_with_tags', 'very_good', 'good', 'satisfactory')",
            name="ck_items_condition",
        ),
        CheckConstraint(
            "ai_confidence IS NULL OR (ai_confidence >= 0 AND ai_confidence <= 1)",
            name="ck_items_ai_confidence",
        ),
        # the catalogue lists available items newest first, or by price
        Index("ix_items_status_created", "status", "created_at", "id"),
        Index("ix_items_status_price", "status", "price_cents", "id"),
        Index("ix_items_status_category", "status", "category", "created_at"),
        Index("ix_items_status_category_price", "status", "category", "price_cents"),
        Index("ix_items_status_brand", "status", "brand_key", "created_at"),
        Index("ix_items_status_size", "status", "size", "created_at"),
        Index("ix_items_seller_created", "seller_id", "created_at"),
        # the insights' AI track record reads only these (an index-only scan)
        Index("ix_items_ai", "ai_category", "category", "ai_confidence"),
        # and the AI's colour and pattern picks against the sellers' (0004)
        Index("ix_items_ai_colour", "ai_colour", "colour"),
        Index("ix_items_ai_pattern", "ai_pattern", "pattern"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    seller_id: int = Field(sa_column=fk_column("users.id"))
    title: str = Field(max_length=TITLE_MAX)
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    category: str = Field(max_length=20)
    size: str = Field(max_length=SIZE_MAX)
    brand: str = Field(max_length=BRAND_MAX)
    condition: str = Field(default=Condition.VERY_GOOD.value, max_length=20)
    price_cents: int
    status: str = Field(default=ItemStatus.AVAILABLE.value, max_length=10)
    # main colour and pattern codes of core/catalogue/attributes.py, optional (None: not
    # said); checked by core.catalogue.selling like the category, so adding an option needs
    # no schema change
    colour: str | None = Field(default=None, max_length=20)
    pattern: str | None = Field(default=None, max_length=20)
    # what the classifier proposed, next to what the seller chose
    ai_category: str | None = Field(default=None, max_length=20)
    ai_confidence: float | None = None
    # the AI's top colour and pattern for the cover, sure or not, next to the seller's choice
    ai_colour: str | None = Field(default=None, max_length=20)
    ai_pattern: str | None = Field(default=None, max_length=20)
    # +1 at every edit: a checkout buys the revision the buyer confirmed, or nothing
    revision: int = Field(default=1)
    # derived from the fields above on every write (see _derive_search_columns)
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    brand_key: str = Field(default="", max_length=BRAND_MAX)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    def derive_search_columns(self) -> None:
        """Refresh ``search_text`` and ``brand_key`` from the item's own fields."""
        self.search_text = item_search_text(
            self.title,
            self.brand,
            self.description or "",
            self.category,
            colour=self.colour,
            pattern=self.pattern,
        )
        self.brand_key = brand_key(self.brand)


def item_search_text(
    title: str,
    brand: str,
    description: str,
    category: str,
    *,
    colour: str | None = None,
    pattern: str | None = None,
) -> str:
    """What the full-text search matches: title, brand, description, and the English and
    French names of the category, the colour and the pattern ("rouge" finds a red item)."""
    known = categories.BY_CODE.get(category)
    names = " ".join(dict.fromkeys((known.label_en, known.label_fr))) if known else category
    colour_names = attributes.names(colour, attributes.COLOURS_BY_CODE)
    pattern_names = attributes.names(pattern, attributes.PATTERNS_BY_CODE)
    return fold(f"{title} {brand} {description} {names} {colour_names} {pattern_names}")


@event.listens_for(Item, "before_insert")
@event.listens_for(Item, "before_update")
def _derive_search_columns(_mapper, _connection, item: Item) -> None:
    item.derive_search_columns()


# Full-text search over items.search_text, available items only. SQLite: an FTS5 table kept
# by triggers (external content: the text is stored once, in items). PostgreSQL: a GIN index
# on the text's tsvector. Both use the 'simple' word split on text already folded by fold().
_SQLITE_FTS = (
    "DROP TABLE IF EXISTS items_fts",
    "CREATE VIRTUAL TABLE items_fts USING fts5(search_text, content='items', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER items_fts_insert AFTER INSERT ON items WHEN new.status = 'available' "
    "BEGIN INSERT INTO items_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER items_fts_delete AFTER DELETE ON items WHEN old.status = 'available' "
    "BEGIN INSERT INTO items_fts(items_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    # one trigger, so the old text leaves the index before the new text enters it
    "CREATE TRIGGER items_fts_update AFTER UPDATE OF search_text, status ON items BEGIN "
    "INSERT INTO items_fts(items_fts, rowid, search_text) "
    "SELECT 'delete', old.id, old.search_text WHERE old.status = 'available'; "
    "INSERT INTO items_fts(rowid, search_text) "
    "SELECT new.id, new.search_text WHERE new.status = 'available'; END",
)
for _statement in _SQLITE_FTS:
    event.listen(Item.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
event.listen(
    Item.__table__,
    "after_drop",
    DDL("DROP TABLE IF EXISTS items_fts").execute_if(dialect="sqlite"),
)
event.listen(
    Item.__table__,
    "after_create",
    DDL(
        "CREATE INDEX ix_items_search ON items USING gin (to_tsvector('simple', search_text)) "
        "WHERE status = 'available'"
    ).execute_if(dialect="postgresql"),
)


class Photo(SQLModel, table=True):
    """A listing's photo, stored in the database so that one database holds all state."""

    __tablename__ = "photos"
    __table_args__ = (
        UniqueConstraint("item_id", "position", name="ux_photos_item_position"),
        CheckConstraint(
            f"position >= 0 AND position < {MAX_PHOTOS_PER_ITEM}", name="ck_photos_position"
        ),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    item_id: int = Field(sa_column=fk_column("items.id", cascade=True))
    position: int = 0
    # the thumbnail first: SQLite reads a row's columns in order, so the catalogue's
    # thumbnails are read without walking the overflow pages of the full-size image
    thumbnail: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    image: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    width: int
    height: int
    created_at: datetime = Field(default_factory=utcnow)


class ItemEmbedding(SQLModel, table=True):
    """The CLIP image embedding of a listing's cover photo, for one model: what semantic
    search, similar items and search by photo compare. A new cover (or a re-index) writes a
    new row with a new id, so that ``max(id)`` per model tells every replica that its
    in-memory index is stale."""

    __tablename__ = "item_embeddings"
    __table_args__ = (
        UniqueConstraint("item_id", "model", name="ux_item_embeddings_item_model"),
        Index("ix_item_embeddings_model_id", "model", "id"),
        CheckConstraint("length(vector) > 0", name="ck_item_embeddings_vector"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    item_id: int = Field(sa_column=fk_column("items.id", cascade=True))
    # the model's fingerprint (core.ai.model_dir.model_fingerprint): embeddings of two
    # models are never compared
    model: str = Field(max_length=16)
    # float32, little-endian, L2-normalised
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Favourite(SQLModel, table=True):
    """A listing a user keeps an eye on (the heart). It goes with the listing if the seller
    deletes it; a sold listing keeps its favourites (shown as sold)."""

    __tablename__ = "favourites"
    __table_args__ = (
        UniqueConstraint("user_id", "item_id", name="ux_favourites_user_item"),
        Index("ix_favourites_user_created", "user_id", "created_at"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    user_id: int = Field(sa_column=fk_column("users.id", cascade=True))
    item_id: int = Field(sa_column=fk_column("items.id", cascade=True))  # indexed: counts per item
    created_at: datetime = Field(default_factory=utcnow)


class PriceChange(SQLModel, table=True):
    """A seller's change of a listing's asking price (a drop, or a rise): the price before
    and after, and when (the item page's price history; recorded since 0005_price_history)."""

    __tablename__ = "price_changes"
    __table_args__ = (
        CheckConstraint("old_cents > 0 AND new_cents > 0", name="ck_price_changes_prices"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    item_id: int = Field(sa_column=fk_column("items.id", cascade=True))
    old_cents: int
    new_cents: int
    changed_at: datetime = Field(default_factory=utcnow)

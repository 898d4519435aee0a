"""SQLModel tables: users, items, photos, cart lines, orders and order lines, and what
happens between buyers and sellers (favourites, conversations, offers, notifications, reviews).

Money is integer cents. Integrity rules live in the schema too (CHECK, UNIQUE, FOREIGN
KEY), so that no code path, replica or manual edit can store what the app forbids.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    DDL,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlmodel import Field, SQLModel

from core import attributes, categories

MAX_PRICE_CENTS = 100_000 * 100  # 100 000 EUR
EMAIL_MAX = 254
DISPLAY_NAME_MAX = 50
TITLE_MAX = 80
DESCRIPTION_MAX = 2000
BRAND_MAX = 40
SIZE_MAX = 12
ADDRESS_MAX = 200
CITY_MAX = 80
POSTAL_CODE_MAX = 10
MAX_PHOTOS_PER_ITEM = 5
MESSAGE_MAX = 1000
TRACKING_MAX = 100
REVIEW_COMMENT_MAX = 1000


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (what SQLModel stores and returns)."""
    return datetime.now(UTC)


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
    the same ``fold_words`` (``core.catalogue.search_words``), on every database."""
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


class Condition(StrEnum):
    NEW_WITH_TAGS = "new_with_tags"
    VERY_GOOD = "very_good"
    GOOD = "good"
    SATISFACTORY = "satisfactory"


# SQLite gives a deleted row's id to the next insert unless the table is AUTOINCREMENT; ids
# reach URLs (?item=ID), other rows and open forms, so none may ever change meaning.
# PostgreSQL's sequences never go back. (A dict must be the last entry of __table_args__.)
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


def _fk(target: str, *, cascade: bool = False) -> Column:
    return Column(
        Integer,
        ForeignKey(target, ondelete="CASCADE" if cascade else "RESTRICT"),
        nullable=False,
        index=True,
    )


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        # e-mails are stored lower-cased; the functional index makes that a rule
        Index("ux_users_email_lower", text("lower(email)"), unique=True),
        CheckConstraint(f"length(email) BETWEEN 3 AND {EMAIL_MAX}", name="ck_users_email_len"),
        CheckConstraint(
            f"length(display_name) BETWEEN 1 AND {DISPLAY_NAME_MAX}", name="ck_users_name_len"
        ),
        CheckConstraint("password_hash LIKE '$2%'", name="ck_users_bcrypt_hash"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=EMAIL_MAX, unique=True)
    display_name: str = Field(max_length=DISPLAY_NAME_MAX)
    password_hash: str = Field(max_length=100)
    birthday: date | None = None
    address: str | None = Field(default=None, max_length=ADDRESS_MAX)
    postal_code: str | None = Field(default=None, max_length=POSTAL_CODE_MAX)
    city: str | None = Field(default=None, max_length=CITY_MAX)
    # the language the person chose (core.i18n.LANGUAGES); None: their browser's
    language: str | None = Field(default=None, max_length=5)
    created_at: datetime = Field(default_factory=utcnow)
    password_changed_at: datetime = Field(default_factory=utcnow)


class LoginAttempt(SQLModel, table=True):
    """One failed log-in, kept in the database so limits hold across restarts and replicas."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_email_at", "email", "attempted_at"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=EMAIL_MAX)
    attempted_at: datetime = Field(default_factory=utcnow)


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
        CheckConstraint("status IN ('available', 'sold')", name="ck_items_status"),
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
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int = Field(sa_column=_fk("users.id"))
    title: str = Field(max_length=TITLE_MAX)
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    category: str = Field(max_length=20)
    size: str = Field(max_length=SIZE_MAX)
    brand: str = Field(max_length=BRAND_MAX)
    condition: str = Field(default=Condition.VERY_GOOD.value, max_length=20)
    price_cents: int
    status: str = Field(default=ItemStatus.AVAILABLE.value, max_length=10)
    # main colour and pattern codes of core/attributes.py, optional (None: not said); checked
    # by core.listings like the category, so adding an option needs no schema change
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

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(sa_column=_fk("items.id", cascade=True))
    position: int = 0
    # the thumbnail first: SQLite reads a row's columns in order, so the catalogue's
    # thumbnails are read without walking the overflow pages of the full-size image
    thumbnail: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    image: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    width: int
    height: int
    created_at: datetime = Field(default_factory=utcnow)


class CartLine(SQLModel, table=True):
    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("user_id", "item_id", name="ux_cart_user_item"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_fk("users.id", cascade=True))
    item_id: int = Field(sa_column=_fk("items.id", cascade=True))
    added_at: datetime = Field(default_factory=utcnow)


class Order(SQLModel, table=True):
    """What one buyer bought from one seller at one checkout (a cart with items of two
    sellers makes two orders): one parcel, tracked paid -> shipped -> received -> completed
    (``OrderStatus``, below), each step a conditional update by the right party."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total_cents > 0", name="ck_orders_total"),
        CheckConstraint("buyer_id <> seller_id", name="ck_orders_two_people"),
        CheckConstraint(
            "status IN ('paid', 'shipped', 'received', 'completed')", name="ck_orders_status"
        ),
        # a step is never recorded without the ones before it
        CheckConstraint(
            "(status = 'paid' AND shipped_at IS NULL) OR (status <> 'paid' AND shipped_at IS "
            "NOT NULL)",
            name="ck_orders_shipped_at",
        ),
        CheckConstraint(
            "(status IN ('paid', 'shipped')) = (received_at IS NULL)", name="ck_orders_received_at"
        ),
        CheckConstraint(
            "(status = 'completed') = (completed_at IS NOT NULL)", name="ck_orders_completed_at"
        ),
        CheckConstraint(f"length(tracking) <= {TRACKING_MAX}", name="ck_orders_tracking_len"),
        Index("ix_orders_buyer_created", "buyer_id", "created_at"),
        Index("ix_orders_seller_created", "seller_id", "created_at"),
        Index("ix_orders_status_shipped", "status", "shipped_at"),  # the automatic steps
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    buyer_id: int = Field(sa_column=_fk("users.id"))
    seller_id: int = Field(sa_column=_fk("users.id"))
    status: str = Field(default="paid", max_length=12)
    tracking: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    shipped_at: datetime | None = None
    received_at: datetime | None = None
    completed_at: datetime | None = None
    total_cents: int
    shipping_name: str = Field(max_length=DISPLAY_NAME_MAX)
    shipping_address: str = Field(max_length=ADDRESS_MAX)
    shipping_postal_code: str = Field(max_length=POSTAL_CODE_MAX)
    shipping_city: str = Field(max_length=CITY_MAX)
    created_at: datetime = Field(default_factory=utcnow)


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_lines"
    __table_args__ = (
        # an item is sold at most once, whatever races happen above
        UniqueConstraint("item_id", name="ux_order_lines_item"),
        CheckConstraint("price_cents > 0", name="ck_order_lines_price"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(sa_column=_fk("orders.id", cascade=True))
    item_id: int = Field(sa_column=_fk("items.id"))
    seller_id: int = Field(sa_column=_fk("users.id"))
    # copied at purchase: what the buyer paid and saw, whatever the seller edits later
    title: str = Field(max_length=TITLE_MAX)
    brand: str = Field(default="", max_length=BRAND_MAX)
    size: str = Field(default="", max_length=SIZE_MAX)
    price_cents: int
    thumbnail: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # the accepted offer this line was bought at (None: the asking price)
    offer_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("offers.id", ondelete="SET NULL"), nullable=True),
    )


class AuthSession(SQLModel, table=True):
    """A logged-in browser: its re-login cookie names this row, so that a log-out or a
    password change ends it on every replica, and open tabs notice on their next run."""

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_user", "user_id", "revoked_at"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    # sha256 of the random token in the cookie: a copy of the database gives no cookie
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(sa_column=_fk("users.id", cascade=True))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None


class AppMeta(SQLModel, table=True):
    """Key/value facts about the database itself (e.g. that the demo data was seeded)."""

    __tablename__ = "app_meta"

    key: str = Field(primary_key=True, max_length=50)
    value: str = Field(max_length=200)


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

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(sa_column=_fk("items.id", cascade=True))
    # the model's fingerprint (core.ai.model_dir.model_fingerprint): embeddings of two
    # models are never compared
    model: str = Field(max_length=16)
    # float32, little-endian, L2-normalised
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


# --- between buyers and sellers: favourites, conversations, offers, tracking, reviews ------


class Favourite(SQLModel, table=True):
    """A listing a user keeps an eye on (the heart). It goes with the listing if the seller
    deletes it; a sold listing keeps its favourites (shown as sold)."""

    __tablename__ = "favourites"
    __table_args__ = (
        UniqueConstraint("user_id", "item_id", name="ux_favourites_user_item"),
        Index("ix_favourites_user_created", "user_id", "created_at"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_fk("users.id", cascade=True))
    item_id: int = Field(sa_column=_fk("items.id", cascade=True))  # indexed: counts per item
    created_at: datetime = Field(default_factory=utcnow)


class Conversation(SQLModel, table=True):
    """One conversation per (item, buyer) between the buyer and the item's seller.

    The item may be deleted later: the conversation stays (``item_id`` becomes NULL) with the
    title it had. Unread counts are kept per participant in the row, changed in the same
    transaction as the message, so that the navigation's badge is one indexed read.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("item_id", "buyer_id", name="ux_conversations_item_buyer"),
        CheckConstraint("buyer_id <> seller_id", name="ck_conversations_two_people"),
        CheckConstraint(
            "buyer_unread >= 0 AND seller_unread >= 0", name="ck_conversations_unread"
        ),
        Index("ix_conversations_buyer_last", "buyer_id", "last_message_at"),
        Index("ix_conversations_seller_last", "seller_id", "last_message_at"),
        # the badge: only conversations with something unread are read
        Index(
            "ix_conversations_buyer_unread", "buyer_id", "buyer_unread",
            sqlite_where=text("buyer_unread > 0"), postgresql_where=text("buyer_unread > 0"),
        ),
        Index(
            "ix_conversations_seller_unread", "seller_id", "seller_unread",
            sqlite_where=text("seller_unread > 0"), postgresql_where=text("seller_unread > 0"),
        ),
        NEVER_REUSE_IDS,
    )  # fmt: skip

    id: int | None = Field(default=None, primary_key=True)
    item_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("items.id", ondelete="SET NULL"), nullable=True),
    )
    item_title: str = Field(max_length=TITLE_MAX)  # as it was when the conversation began
    buyer_id: int = Field(sa_column=_fk("users.id", cascade=True))
    seller_id: int = Field(sa_column=_fk("users.id", cascade=True))
    buyer_unread: int = 0
    seller_unread: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    last_message_at: datetime = Field(default_factory=utcnow)


class MessageKind(StrEnum):
    TEXT = "text"  # words typed by a participant
    OFFER = "offer"  # an offer or a counter-offer was made (offer_id)
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_DECLINED = "offer_declined"
    OFFER_ENDED = "offer_ended"  # withdrawn, expired, or the item sold to someone else


class Message(SQLModel, table=True):
    """A line of a conversation: typed text (plain, capped) or an offer event."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(f"length(body) <= {MESSAGE_MAX}", name="ck_messages_body_len"),
        CheckConstraint(
            "kind IN ('text', 'offer', 'offer_accepted', 'offer_declined', 'offer_ended')",
            name="ck_messages_kind",
        ),
        Index("ix_messages_conversation_id", "conversation_id", "id"),
        Index("ix_messages_sender_created", "sender_id", "created_at"),  # the rate limit
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
        )
    )
    sender_id: int = Field(sa_column=_fk("users.id", cascade=True))
    kind: str = Field(default=MessageKind.TEXT.value, max_length=20)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    offer_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("offers.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow)


class OfferStatus(StrEnum):
    PENDING = "pending"  # waiting for the other side's answer
    ACCEPTED = "accepted"  # the buyer's price until expires_at, once
    DECLINED = "declined"
    COUNTERED = "countered"  # answered by a counter-offer (a new row)
    WITHDRAWN = "withdrawn"  # taken back by its author before an answer
    ENDED = "ended"  # the item sold (to anyone), was withdrawn, or the offer expired
    USED = "used"  # bought at this price


class Offer(SQLModel, table=True):
    """A price proposed in a conversation, by the buyer or (a counter) by the seller.

    At most one offer per conversation waits for an answer (a partial unique index). An
    accepted offer is the buyer's price until ``expires_at``; checkout marks it used in the
    same transaction that sells the item.
    """

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint(
            f"price_cents > 0 AND price_cents <= {MAX_PRICE_CENTS}", name="ck_offers_price"
        ),
        CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'countered', 'withdrawn', 'ended', "
            "'used')",
            name="ck_offers_status",
        ),
        CheckConstraint("made_by IN (buyer_id, seller_id)", name="ck_offers_author"),
        Index(
            "ux_offers_one_pending", "conversation_id", unique=True,
            sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_offers_item_status", "item_id", "status"),
        Index("ix_offers_buyer_status", "buyer_id", "status"),
        NEVER_REUSE_IDS,
    )  # fmt: skip

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
        )
    )
    # NULL once the listing is deleted: the conversation keeps its history (the prices)
    item_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("items.id", ondelete="SET NULL"), nullable=True),
    )
    buyer_id: int = Field(sa_column=_fk("users.id", cascade=True))
    seller_id: int = Field(sa_column=_fk("users.id", cascade=True))
    made_by: int  # buyer_id (an offer) or seller_id (a counter-offer)
    price_cents: int
    # the listing's revision and price when the offer was made: an edit of the listing ends it
    item_revision: int
    asking_cents: int
    status: str = Field(default=OfferStatus.PENDING.value, max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    answered_at: datetime | None = None
    expires_at: datetime | None = None  # set at acceptance: accepted_at + 48 h


class OrderStatus(StrEnum):
    PAID = "paid"
    SHIPPED = "shipped"
    RECEIVED = "received"
    COMPLETED = "completed"


class Notification(SQLModel, table=True):
    """Something that happened for a user (a message, an offer answered, a sale, a parcel
    shipped or received, a review); the bell counts the unread ones."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_recent", "user_id", "created_at", "id"),
        Index(
            "ix_notifications_user_unread", "user_id",
            sqlite_where=text("read_at IS NULL"), postgresql_where=text("read_at IS NULL"),
        ),
        NEVER_REUSE_IDS,
    )  # fmt: skip

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_fk("users.id", cascade=True))
    kind: str = Field(max_length=30)  # core.notifications.Kind
    actor_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    # what it is about (any may be NULL); the text is made from kind and these at display
    item_title: str = Field(default="", max_length=TITLE_MAX)
    item_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("items.id", ondelete="SET NULL"), nullable=True),
    )
    conversation_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True
        ),
    )
    order_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("orders.id", ondelete="SET NULL"), nullable=True),
    )
    price_cents: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class Review(SQLModel, table=True):
    """The buyer's rating of the seller for one order, once."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("order_id", name="ux_reviews_order"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="ck_reviews_rating"),
        CheckConstraint(f"length(comment) <= {REVIEW_COMMENT_MAX}", name="ck_reviews_comment_len"),
        Index("ix_reviews_seller_created", "seller_id", "created_at"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(sa_column=_fk("orders.id", cascade=True))
    seller_id: int = Field(sa_column=_fk("users.id", cascade=True))
    buyer_id: int = Field(sa_column=_fk("users.id", cascade=True))
    rating: int
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)

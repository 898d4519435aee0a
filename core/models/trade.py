"""The trade's tables: cart lines, orders and their lines, offers, reviews."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from core.models.accounts import ADDRESS_MAX, CITY_MAX, DISPLAY_NAME_MAX, POSTAL_CODE_MAX
from core.models.base import NEVER_REUSE_IDS, Id, fk_column, utcnow
from core.models.catalogue import BRAND_MAX, MAX_PRICE_CENTS, SIZE_MAX, TITLE_MAX

TRACKING_MAX = 100
REVIEW_COMMENT_MAX = 1000


class CartLine(SQLModel, table=True):
    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("user_id", "item_id", name="ux_cart_user_item"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    user_id: int = Field(sa_column=fk_column("users.id", cascade=True))
    item_id: int = Field(sa_column=fk_column("items.id", cascade=True))
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

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    buyer_id: int = Field(sa_column=fk_column("users.id"))
    seller_id: int = Field(sa_column=fk_column("users.id"))
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


class OrderStatus(StrEnum):
    PAID = "paid"
    SHIPPED = "shipped"
    RECEIVED = "received"
    COMPLETED = "completed"


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_lines"
    __table_args__ = (
        # an item is sold at most once, whatever races happen above
        UniqueConstraint("item_id", name="ux_order_lines_item"),
        CheckConstraint("price_cents > 0", name="ck_order_lines_price"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    order_id: int = Field(sa_column=fk_column("orders.id", cascade=True))
    item_id: int = Field(sa_column=fk_column("items.id"))
    seller_id: int = Field(sa_column=fk_column("users.id"))
    # copied at purchase: what the buyer paid and saw, whatever the seller edits later
    title: str = Field(max_length=TITLE_MAX)
    brand: str = Field(default="", max_length=BRAND_MAX)
    size: str = Field(default="", max_length=SIZE_MAX)
    price_cents: int
    thumbnail: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # the accepted offer this line was bought at (None: the asking price)
    offer_id: int | None = Field(
        default=None,
        sa_column=Column(Id, ForeignKey("offers.id", ondelete="SET NULL"), nullable=True),
    )


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

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    conversation_id: int = Field(
        sa_column=Column(Id, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    )
    # NULL once the listing is deleted: the conversation keeps its history (the prices)
    item_id: int | None = Field(
        default=None,
        sa_column=Column(Id, ForeignKey("items.id", ondelete="SET NULL"), nullable=True),
    )
    buyer_id: int = Field(sa_column=fk_column("users.id", cascade=True))
    seller_id: int = Field(sa_column=fk_column("users.id", cascade=True))
    made_by: int  # buyer_id (an offer) or seller_id (a counter-offer)
    price_cents: int
    # the listing's revision and price when the offer was made: an edit of the listing ends it
    item_revision: int
    asking_cents: int
    status: str = Field(default=OfferStatus.PENDING.value, max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    answered_at: datetime | None = None
    expires_at: datetime | None = None  # set at acceptance: accepted_at + 48 h


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

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    order_id: int = Field(sa_column=fk_column("orders.id", cascade=True))
    seller_id: int = Field(sa_column=fk_column("users.id", cascade=True))
    buyer_id: int = Field(sa_column=fk_column("users.id", cascade=True))
    rating: int
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)

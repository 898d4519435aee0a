"""The messaging's tables: conversations, their messages, notifications."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from core.models.base import NEVER_REUSE_IDS, Id, fk_column, utcnow
from core.models.catalogue import TITLE_MAX

MESSAGE_MAX = 1000


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

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    item_id: int | None = Field(
        default=None,
        sa_column=Column(Id, ForeignKey("items.id", ondelete="SET NULL"), nullable=True),
    )
    item_title: str = Field(max_length=TITLE_MAX)  # as it was when the conversation began
    buyer_id: int = Field(sa_column=fk_column("users.id", cascade=True))
    seller_id: int = Field(sa_column=fk_column("users.id", cascade=True))
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

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    conversation_id: int = Field(
        sa_column=Column(Id, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    )
    sender_id: int = Field(sa_column=fk_column("users.id", cascade=True))
    kind: str = Field(default=MessageKind.TEXT.value, max_length=20)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    offer_id: int | None = Field(
        default=None,
        sa_column=Column(Id, ForeignKey("offers.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow)


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

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    user_id: int = Field(sa_column=fk_column("users.id", cascade=True))
    kind: str = Field(max_length=30)  # core.messaging.notifications.Kind
    actor_id: int | None = Field(
        default=None,
        sa_column=Column(Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    # what it is about (any may be NULL); the text is made from kind and these at display
    item_title: str = Field(default="", max_length=TITLE_MAX)
    item_id: int | None = Field(
        default=None,
        sa_column=Column(Id, ForeignKey("items.id", ondelete="SET NULL"), nullable=True),
    )
    conversation_id: int | None = Field(
        default=None,
        sa_column=Column(Id, ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True),
    )
    order_id: int | None = Field(
        default=None,
        sa_column=Column(Id, ForeignKey("orders.id", ondelete="SET NULL"), nullable=True),
    )
    price_cents: int | None = None
    note: str = Field(default="", max_length=500)  # a moderator's reason (a hidden listing)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None

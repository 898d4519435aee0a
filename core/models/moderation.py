"""The moderation's tables: blocks between members, reports (by members and AI flags), and
the audit log of what administrators did (``core.moderation``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    UniqueConstraint,
    and_,
    exists,
    or_,
    text,
)
from sqlmodel import Field, SQLModel

from core.models.accounts import REASON_MAX
from core.models.base import NEVER_REUSE_IDS, Id, fk_column, utcnow


def _optional_fk(target: str) -> Column:
    """A foreign key that may be NULL and becomes NULL when its row is deleted."""
    return Column(Id, ForeignKey(target, ondelete="SET NULL"), nullable=True)


class Block(SQLModel, table=True):
    """``blocker_id`` blocked ``blocked_id``: no messages, offers or purchases between them
    from then on, either way. Only the blocker can undo it (their row)."""

    __tablename__ = "blocks"
    __table_args__ = (
        UniqueConstraint("blocker_id", "blocked_id", name="ux_blocks_pair"),
        CheckConstraint("blocker_id <> blocked_id", name="ck_blocks_not_self"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    blocker_id: int = Field(sa_column=fk_column("users.id", cascade=True))
    blocked_id: int = Field(sa_column=fk_column("users.id", cascade=True))
    created_at: datetime = Field(default_factory=utcnow)


def blocked_between(a, b):
    """SQL: one of ``a`` and ``b`` (ids or id columns) blocked the other. Messaging and trade
    put it in their statements' WHERE, so a stale page or a second tab is refused too."""
    return exists().where(
        or_(
            and_(Block.blocker_id == a, Block.blocked_id == b),
            and_(Block.blocker_id == b, Block.blocked_id == a),
        )
    )


class ReportTarget(StrEnum):
    ITEM = "item"
    MEMBER = "member"
    MESSAGE = "message"


class ReportSource(StrEnum):
    MEMBER = "member"  # a member's report, with a reason
    AI = "ai"  # an AI flag: a score, never a verdict (it hides nothing)


class ReportStatus(StrEnum):
    OPEN = "open"  # in the admin page's queue
    ACTED = "acted"  # an administrator acted on it (hid, suspended)
    DISMISSED = "dismissed"


class Report(SQLModel, table=True):
    """A listing, a member or a message put in the administrators' queue, by a member (a
    reason code and details) or by the AI (a reason code, a score and, for a near-duplicate
    cover, the listing it matched)."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("target IN ('item', 'member', 'message')", name="ck_reports_target"),
        CheckConstraint("source IN ('member', 'ai')", name="ck_reports_source"),
        CheckConstraint("status IN ('open', 'acted', 'dismissed')", name="ck_reports_status"),
        # the queue: open reports, oldest first
        Index(
            "ix_reports_open", "created_at",
            sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'"),
        ),
        # one open report per reporter and thing reported (a second click changes nothing)
        Index("ix_reports_reporter", "reporter_id", "target", "created_at"),
        NEVER_REUSE_IDS,
    )  # fmt: skip

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    source: str = Field(default=ReportSource.MEMBER.value, max_length=10)
    target: str = Field(max_length=10)
    reason: str = Field(max_length=30)  # a code of core.moderation (scam, not_clothing...)
    details: str = Field(default="", max_length=REASON_MAX)
    reporter_id: int | None = Field(default=None, sa_column=_optional_fk("users.id"))
    item_id: int | None = Field(default=None, sa_column=_optional_fk("items.id"))
    member_id: int | None = Field(default=None, sa_column=_optional_fk("users.id"))
    message_id: int | None = Field(default=None, sa_column=_optional_fk("messages.id"))
    score: float | None = None  # an AI flag's score (its threshold is a setting)
    matched_item_id: int | None = Field(default=None, sa_column=_optional_fk("items.id"))
    status: str = Field(default=ReportStatus.OPEN.value, max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    closed_by: int | None = Field(default=None, sa_column=_optional_fk("users.id"))


class ModerationAction(SQLModel, table=True):
    """The audit log: who did what, to what, when and why. Rows are only ever added."""

    __tablename__ = "moderation_log"
    __table_args__ = (Index("ix_moderation_log_at", "created_at", "id"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    admin_id: int | None = Field(default=None, sa_column=_optional_fk("users.id"))
    action: str = Field(max_length=30)  # hide_item, restore_item, suspend, restore_member...
    item_id: int | None = Field(default=None, sa_column=_optional_fk("items.id"))
    member_id: int | None = Field(default=None, sa_column=_optional_fk("users.id"))
    report_id: int | None = Field(default=None, sa_column=_optional_fk("reports.id"))
    reason: str = Field(default="", max_length=REASON_MAX)
    created_at: datetime = Field(default_factory=utcnow)

"""What the admin page reads: the queue of open reports (members' reports and AI flags,
oldest first), a member found by e-mail, and the audit log (newest first). Only
administrators: each function checks it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from core.accounts.roles import admin_emails
from core.models.accounts import User
from core.models.catalogue import Item, Photo
from core.models.messaging import Message
from core.models.moderation import ModerationAction, Report, ReportStatus
from core.moderation.admins import require_admin
from core.moderation.reports import reason_label

QUEUE_LIMIT = 50
LOG_LIMIT = 100


@dataclass(frozen=True)
class QueuedReport:
    id: int
    source: str  # member | ai
    target: str  # item | member | message
    reason: str  # the code
    details: str
    created_at: datetime
    reporter_name: str | None
    member_id: int | None
    member_name: str | None
    member_suspended: bool
    item_id: int | None
    item_title: str | None
    item_status: str | None
    item_cover: bytes | None
    message_body: str | None
    score: float | None
    matched_item_id: int | None
    matched_title: str | None
    matched_cover: bytes | None

    @property
    def reason_label(self) -> str:
        return reason_label(self.reason)


def _cover(item):
    return (
        select(Photo.thumbnail)
        .where(Photo.item_id == item.id, Photo.position == 0)
        .limit(1)
        .scalar_subquery()
    )


def open_reports(session: Session, admin_id: int, limit: int = QUEUE_LIMIT) -> list[QueuedReport]:
    """The open reports, oldest first, with what the queue shows of each (the listing's and,
    for an AI flag, the matched listing's cover). Raises NotAllowedError."""
    require_admin(session, admin_id)
    reporter, member = aliased(User), aliased(User)
    item, matched = aliased(Item), aliased(Item)
    rows = session.exec(
        select(
            Report,
            reporter.display_name,
            member.id,
            member.display_name,
            member.suspended_at,
            item.title,
            item.status,
            _cover(item),
            Message.body,
            matched.title,
            _cover(matched),
        )
        .join(reporter, reporter.id == Report.reporter_id, isouter=True)
        .join(item, item.id == Report.item_id, isouter=True)
        .join(member, member.id == func.coalesce(Report.member_id, item.seller_id), isouter=True)
        .join(Message, Message.id == Report.message_id, isouter=True)
        .join(matched, matched.id == Report.matched_item_id, isouter=True)
        .where(Report.status == ReportStatus.OPEN.value)
        .order_by(Report.created_at, Report.id)
        .limit(limit)
    ).all()
    session.rollback()
    return [
        QueuedReport(
            id=r.id,
            source=r.source,
            target=r.target,
            reason=r.reason,
            details=r.details,
            created_at=r.created_at,
            reporter_name=reporter_name,
            member_id=member_id,
            member_name=member_name,
            member_suspended=suspended is not None,
            item_id=r.item_id,
            item_title=title,
            item_status=status,
            item_cover=cover,
            message_body=body,
            score=r.score,
            matched_item_id=r.matched_item_id,
            matched_title=matched_title,
            matched_cover=matched_cover,
        )
        for (
            r, reporter_name, member_id, member_name, suspended, title, status, cover, body,
            matched_title, matched_cover,
        ) in rows
    ]  # fmt: skip


@dataclass(frozen=True)
class MemberView:
    id: int
    email: str
    display_name: str
    role: str
    named_admin: bool  # by the ADMIN_EMAILS setting (the role cannot take it away)
    suspended_at: datetime | None
    suspended_reason: str | None
    created_at: datetime


def find_member(session: Session, admin_id: int, email: str) -> MemberView | None:
    """The member with this e-mail (any case), or None. Raises NotAllowedError."""
    require_admin(session, admin_id)
    user = session.exec(
        select(User).where(func.lower(User.email) == (email or "").strip().lower())
    ).first()
    session.rollback()
    if user is None:
        return None
    return MemberView(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        named_admin=user.email.lower() in admin_emails(),
        suspended_at=user.suspended_at,
        suspended_reason=user.suspended_reason,
        created_at=user.created_at,
    )


@dataclass(frozen=True)
class LoggedAction:
    id: int
    action: str
    admin_name: str | None  # None: the command line, or an account since deleted
    member_name: str | None
    item_title: str | None
    report_id: int | None
    reason: str
    created_at: datetime


def audit_log(session: Session, admin_id: int, limit: int = LOG_LIMIT) -> list[LoggedAction]:
    """The latest moderation actions, newest first. Raises NotAllowedError."""
    require_admin(session, admin_id)
    admin, member = aliased(User), aliased(User)
    rows = session.exec(
        select(ModerationAction, admin.display_name, member.display_name, Item.title)
        .join(admin, admin.id == ModerationAction.admin_id, isouter=True)
        .join(member, member.id == ModerationAction.member_id, isouter=True)
        .join(Item, Item.id == ModerationAction.item_id, isouter=True)
        .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
        .limit(limit)
    ).all()
    session.rollback()
    return [
        LoggedAction(a.id, a.action, admin_name, member_name, title, a.report_id, a.reason,
                     a.created_at)
        for a, admin_name, member_name, title in rows
    ]  # fmt: skip

"""What administrators do: hide or restore a listing, suspend or restore a member, dismiss a
report. Each is one transaction with its row in the audit log (who, what, when, why: the
reason is required), and closes the report it came from (and the other open reports about
the same listing or member: they are settled by it). Only administrators: checked here."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import and_, or_, update
from sqlmodel import Session, select

from core.accounts import resets
from core.db import begin_write
from core.i18n import _
from core.messaging.notifications import Kind, notify
from core.models.accounts import AuthSession, User
from core.models.base import utcnow
from core.models.catalogue import Item, ItemStatus
from core.models.moderation import ModerationAction, Report, ReportStatus, ReportTarget
from core.moderation.admins import ModerationError, check_reason, require_admin


class Action(StrEnum):
    """The audit log's ``action`` codes."""

    HIDE_ITEM = "hide_item"
    RESTORE_ITEM = "restore_item"
    SUSPEND = "suspend"
    RESTORE_MEMBER = "restore_member"
    SUSPENSION_HID = "suspension_hid"  # a listing the suspension hid (restored with the member)
    DISMISS = "dismiss"
    GRANT_ADMIN = "grant_admin"
    REVOKE_ADMIN = "revoke_admin"
    ISSUE_RESET = "issue_reset"  # a password-reset link given to pass on (no SMTP server)


def _log(session: Session, admin_id: int, action: Action, reason: str, now, **about) -> None:
    session.add(
        ModerationAction(
            admin_id=admin_id, action=action.value, reason=reason, created_at=now, **about
        )
    )


def _close(session: Session, admin_id: int, now, status: ReportStatus, *which) -> list[int]:
    """Close the open reports matching any of ``which``; their ids."""
    if not which:
        return []
    return list(
        session.exec(
            update(Report)
            .where(Report.status == ReportStatus.OPEN.value, or_(*which))
            .values(status=status.value, closed_at=now, closed_by=admin_id)
            .returning(Report.id)
        ).scalars()
    )


def _came_from(report_id: int | None) -> list:
    return [] if report_id is None else [Report.id == report_id]


def _run(session: Session, admin_id: int, step):
    """``step()`` in one write transaction, after the administrator check."""
    try:
        begin_write(session)
        require_admin(session, admin_id)
        result = step()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def hide_item(
    session: Session, admin_id: int, item_id: int, reason: str, report_id: int | None = None
) -> None:
    """Take a listing off sale (status 'hidden'); its seller is told why. Raises
    NotAllowedError, ModerationError (not on sale)."""
    why = check_reason(reason)

    def step():
        now = utcnow()
        row = session.exec(
            update(Item)
            .where(Item.id == item_id, Item.status == ItemStatus.AVAILABLE.value)
            .values(status=ItemStatus.HIDDEN.value, updated_at=now)
            .returning(Item.seller_id, Item.title)
        ).first()
        if row is None:
            raise ModerationError(_("This listing is not on sale: there is nothing to hide."))
        _log(session, admin_id, Action.HIDE_ITEM, why, now, item_id=item_id, member_id=row[0],
             report_id=report_id)  # fmt: skip
        notify(session, row[0], Kind.LISTING_HIDDEN, item_id=item_id, item_title=row[1], note=why)
        about_it = and_(Report.item_id == item_id, Report.target == ReportTarget.ITEM.value)
        _close(session, admin_id, now, ReportStatus.ACTED, about_it, *_came_from(report_id))

    _run(session, admin_id, step)


def restore_item(
    session: Session, admin_id: int, item_id: int, reason: str, report_id: int | None = None
) -> None:
    """Put a hidden listing back on sale; its seller is told why. Raises NotAllowedError,
    ModerationError (not hidden, or its seller is suspended: restore the member)."""
    why = check_reason(reason)

    def step():
        now = utcnow()
        active_seller = select(User.id).where(User.suspended_at.is_(None))
        row = session.exec(
            update(Item)
            .where(
                Item.id == item_id,
                Item.status == ItemStatus.HIDDEN.value,
                Item.seller_id.in_(active_seller),
            )
            .values(status=ItemStatus.AVAILABLE.value, updated_at=now)
            .returning(Item.seller_id, Item.title)
        ).first()
        if row is None:
            suspended = session.exec(
                select(User.suspended_at)
                .join(Item, Item.seller_id == User.id)
                .where(Item.id == item_id, Item.status == ItemStatus.HIDDEN.value)
            ).first()
            if suspended is not None:
                raise ModerationError(
                    _("Its seller is suspended: restore the member to bring their listings back.")
                )
            raise ModerationError(_("This listing is not hidden: there is nothing to restore."))
        _log(session, admin_id, Action.RESTORE_ITEM, why, now, item_id=item_id,
             member_id=row[0], report_id=report_id)  # fmt: skip
        notify(session, row[0], Kind.LISTING_RESTORED, item_id=item_id, item_title=row[1], note=why)
        _close(session, admin_id, now, ReportStatus.ACTED, *_came_from(report_id))

    _run(session, admin_id, step)


def suspend_member(
    session: Session, admin_id: int, member_id: int, reason: str, report_id: int | None = None
) -> int:
    """Suspend a member: log-in refused, every session ended at once, the listings on sale
    hidden (each logged, so that restoring the member brings back those, not the ones hidden
    on their own). Returns how many listings it hid. Raises NotAllowedError,
    ModerationError (oneself, already suspended, no such member)."""
    why = check_reason(reason)
    if member_id == admin_id:
        raise ModerationError(_("You cannot suspend yourself."))

    def step():
        now = utcnow()
        done = session.exec(
            update(User)
            .where(User.id == member_id, User.suspended_at.is_(None))
            .values(suspended_at=now, suspended_reason=why)
            .returning(User.id)
        ).first()
        if done is None:
            known = session.exec(select(User.id).where(User.id == member_id)).first()
            raise ModerationError(
                _("This member is already suspended.")
                if known is not None
                else _("This member does not exist.")
            )
        session.exec(
            update(AuthSession)
            .where(AuthSession.user_id == member_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        hidden = (
            session.exec(
                update(Item)
                .where(Item.seller_id == member_id, Item.status == ItemStatus.AVAILABLE.value)
                .values(status=ItemStatus.HIDDEN.value, updated_at=now)
                .returning(Item.id)
            )
            .scalars()
            .all()
        )
        _log(session, admin_id, Action.SUSPEND, why, now, member_id=member_id,
             report_id=report_id)  # fmt: skip
        for item_id in sorted(hidden):
            _log(session, admin_id, Action.SUSPENSION_HID, why, now, member_id=member_id,
                 item_id=item_id)  # fmt: skip
        _close(session, admin_id, now, ReportStatus.ACTED, Report.member_id == member_id,
               *_came_from(report_id))  # fmt: skip
        return len(hidden)

    return _run(session, admin_id, step)


def restore_member(
    session: Session, admin_id: int, member_id: int, reason: str, report_id: int | None = None
) -> int:
    """Lift a suspension: the member may log in again, and the listings the suspension hid
    (still hidden) are on sale again. Returns how many. Raises NotAllowedError,
    ModerationError (not suspended)."""
    why = check_reason(reason)

    def step():
        now = utcnow()
        since = session.exec(
            select(User.suspended_at).where(User.id == member_id, User.suspended_at.is_not(None))
        ).first()
        if since is None:
            raise ModerationError(_("This member is not suspended."))
        session.exec(
            update(User)
            .where(User.id == member_id)
            .values(suspended_at=None, suspended_reason=None)
        )
        hid = select(ModerationAction.item_id).where(
            ModerationAction.member_id == member_id,
            ModerationAction.action == Action.SUSPENSION_HID.value,
            ModerationAction.created_at >= since,
        )
        back = (
            session.exec(
                update(Item)
                .where(
                    and_(Item.seller_id == member_id, Item.status == ItemStatus.HIDDEN.value),
                    Item.id.in_(hid),
                )
                .values(status=ItemStatus.AVAILABLE.value, updated_at=now)
                .returning(Item.id)
            )
            .scalars()
            .all()
        )
        _log(session, admin_id, Action.RESTORE_MEMBER, why, now, member_id=member_id,
             report_id=report_id)  # fmt: skip
        _close(session, admin_id, now, ReportStatus.ACTED, *_came_from(report_id))
        return len(back)

    return _run(session, admin_id, step)


def dismiss(session: Session, admin_id: int, report_id: int, reason: str) -> None:
    """Close a report without acting on it (logged with the reason). Raises
    NotAllowedError, ModerationError (already closed)."""
    why = check_reason(reason)

    def step():
        now = utcnow()
        row = session.exec(
            update(Report)
            .where(Report.id == report_id, Report.status == ReportStatus.OPEN.value)
            .values(status=ReportStatus.DISMISSED.value, closed_at=now, closed_by=admin_id)
            .returning(Report.item_id, Report.member_id)
        ).first()
        if row is None:
            raise ModerationError(_("This report is already closed."))
        _log(session, admin_id, Action.DISMISS, why, now, report_id=report_id,
             item_id=row[0], member_id=row[1])  # fmt: skip

    _run(session, admin_id, step)


def issue_reset_link(
    session: Session, admin_id: int, member_id: int, base_url: str, reason: str
) -> str:
    """A password-reset link for a member, to pass on (a site without SMTP server, or a
    member who lost their mailbox): ``core.accounts.resets`` makes it, valid once for 30
    minutes; the audit log keeps who issued it, for whom and why. Raises NotAllowedError,
    ModerationError (no reason) or ResetRefused (no such member, suspended)."""
    why = check_reason(reason)
    require_admin(session, admin_id)
    session.rollback()  # the check's read: the link's own transaction starts afresh
    link = resets.issue_reset_link(session, admin_id, member_id, base_url)
    _run(
        session,
        admin_id,
        lambda: _log(session, admin_id, Action.ISSUE_RESET, why, utcnow(), member_id=member_id),
    )
    return link

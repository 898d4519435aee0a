"""Administrators (who they are: ``core.accounts.roles``): granting and revoking the role,
and the check every write of ``core.moderation`` makes in core, not only the admin page."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session

from core.accounts.roles import is_admin
from core.db import begin_write
from core.errors import UserError
from core.i18n import _
from core.models.accounts import REASON_MAX, Role, User
from core.models.base import utcnow
from core.models.moderation import ModerationAction
from core.text import text_problem


class NotAllowedError(UserError):
    """A moderation step by someone who is not an administrator."""

    def __init__(self) -> None:
        super().__init__(_("Only administrators can do this."))


class ModerationError(UserError):
    """A moderation step that was refused; ``str(exc)`` is for the administrator."""


def require_admin(session: Session, user_id: int | None) -> int:
    """``user_id`` if they are an administrator; NotAllowedError otherwise."""
    if user_id is None or not is_admin(session, user_id):
        raise NotAllowedError()
    return user_id


def check_reason(reason: str | None) -> str:
    """A moderator's reason as stored (blanks around removed); ModerationError if it is
    missing, too long, or holds characters that cannot be stored."""
    if problem := text_problem(reason, multiline=True):
        raise ModerationError(problem)
    text = (reason or "").strip()
    if not text:
        raise ModerationError(_("Write the reason: it goes in the audit log."))
    if len(text) > REASON_MAX:
        raise ModerationError(
            _("A reason can be at most {limit} characters (this one has {n}).").format(
                limit=REASON_MAX, n=len(text)
            )
        )
    return text


def set_role(
    session: Session, admin_id: int | None, member_id: int, role: Role, reason: str
) -> bool:
    """Give ``member_id`` the role (administrator, or back to member), logged in the audit
    log with the reason. ``admin_id`` None: the command line (``tools.admin``), which needs
    no administrator. True if the role changed. Raises NotAllowedError, ModerationError."""
    why = check_reason(reason)
    try:
        begin_write(session)
        if admin_id is not None:
            require_admin(session, admin_id)
        if admin_id is not None and admin_id == member_id and role is not Role.ADMIN:
            raise ModerationError(_("You cannot take your own administrator role away."))
        changed = session.exec(
            update(User)
            .where(User.id == member_id, User.role != role.value)
            .values(role=role.value)
            .returning(User.id)
        ).all()
        if changed:
            session.add(
                ModerationAction(
                    admin_id=admin_id,
                    action="grant_admin" if role is Role.ADMIN else "revoke_admin",
                    member_id=member_id,
                    reason=why,
                    created_at=utcnow(),
                )
            )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return bool(changed)

"""Who is an administrator: a user whose e-mail the ADMIN_EMAILS setting names, or whose
``users.role`` is ``admin`` (``python -m tools.admin grant EMAIL``, or another
administrator). A suspended account is none. The one rule for every check: the admin page
and ``core.moderation``'s steps, and the reset links administrators issue."""

from __future__ import annotations

from sqlmodel import Session, select

from core.config import load_settings
from core.models.accounts import Role, User


def admin_emails() -> frozenset[str]:
    """The e-mails the ADMIN_EMAILS setting names (read at each call: a changed secret
    counts at the next page view)."""
    return load_settings().admin_emails


def is_admin(session: Session, user: User | int | None) -> bool:
    """Whether this user (a row or an id) is an administrator now: their role in the
    database (read again: a revoked role counts at once), or their e-mail in ADMIN_EMAILS.
    A suspended account is no administrator."""
    if user is None:
        return False
    user_id = user if isinstance(user, int) else user.id
    row = session.exec(
        select(User.email, User.role, User.suspended_at).where(User.id == user_id)
    ).first()
    return row is not None and is_admin_row(row)


def is_admin_row(user: User) -> bool:
    """The same rule on a row just read (its email, role and suspended_at): Home.py's user,
    read with the session's check at the start of every run, needs no second query."""
    if user.suspended_at is not None:
        return False
    return user.role == Role.ADMIN.value or user.email.lower() in admin_emails()

"""Password resets: a single-use link, by e-mail or issued by an administrator.

- ``request_reset``: someone types an e-mail address. The answer is the same sentence
  whether an account uses the address or not, and costs the same: every request is a row
  of ``password_resets`` (no account: no token), the work is the same, and the e-mail
  goes out from a background thread (``core.mail.send_later``), so that the SMTP server's
  latency does not tell either. At most ``MAX_REQUESTS`` per address an hour, counted on
  every row of the address, an account or not.
- The link holds ``secrets.token_urlsafe(32)``; only its sha256 is stored. It works for
  ``LINK_LIFETIME``, once; a new request voids the older links of the address.
- ``reset_password``: sets the new password, uses the link up and ends every session of
  the account, in one transaction. A suspended account cannot be reset.
- ``issue_reset_link``: the same link, handed to an administrator to pass on, when the
  app has no SMTP server to send it with.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from core.accounts.accounts import (
    AccountError,
    check_email,
    check_new_password,
    normalise_email,
)
from core.accounts.passwords import hash_password
from core.accounts.roles import is_admin
from core.config import MailSettings, load_settings
from core.db import RESET_REQUEST_LOCKS, begin_keyed_write, begin_write
from core.i18n import N_, _, current_language, is_language, use_language
from core.mail import Mail, send_later
from core.models.accounts import AuthSession, LoginAttempt, PasswordReset, User
from core.models.base import utcnow

LINK_LIFETIME = timedelta(minutes=30)
MAX_REQUESTS = 3  # per e-mail address...
REQUEST_WINDOW = timedelta(hours=1)  # ...in this window
KEEP_ROWS = timedelta(days=2)  # older rows count for nothing: pruned on the way
TOKEN_BYTES = 32
_TOKEN_CHARS = 43  # token_urlsafe(32)
RESET_PAGE = "reset_password"  # the url path of the page the link opens (ui/pages.py)

SENT_MESSAGE = N_(
    "If an account uses this address, we sent it a link to choose a new password. "
    "The link works for 30 minutes. Check your spam folder if it does not arrive."
)
TOO_MANY_MESSAGE = N_(
    "Too many reset requests for this address. Try again in an hour, or use the last "
    "link you received."
)
INVALID_LINK_MESSAGE = N_(
    "This reset link does not work: it is mistyped, used already or expired (a link works "
    "once, for 30 minutes). Ask for a new one."
)
SUSPENDED_MESSAGE = N_(
    "This account is suspended: its password cannot be reset. Contact the site's operator."
)
NOT_AVAILABLE_MESSAGE = N_(
    "Password resets by e-mail are not available on this site. Contact the site's "
    "operator: they can give you a link to choose a new password."
)


class ResetRefused(AccountError):
    """A reset request or a reset that did not happen; ``str(exc)`` is the sentence."""

    def __init__(self, message: str, field: str = "token"):
        super().__init__(field, message)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def reset_link(base_url: str, token: str) -> str:
    """The address that opens the reset page with ``token`` (URL-safe as it is)."""
    return f"{base_url.rstrip('/')}/{RESET_PAGE}?token={token}"


def _lock_key(email: str) -> int:
    """The address as a 32-bit key for PostgreSQL's advisory lock (collisions only make two
    addresses take turns)."""
    return int.from_bytes(hashlib.sha256(email.encode()).digest()[:4], "big", signed=True)


def _void_open_links(session: Session, email: str, now) -> None:
    session.exec(
        update(PasswordReset)
        .where(
            PasswordReset.email == email,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .values(expires_at=now)
    )


def _reset_mail(email: str, language: str, link: str) -> Mail:
    with use_language(language):
        return Mail(
            to=email,
            subject=_("Choose a new password for Seconde Main"),
            body=_(
                "Hello,\n\n"
                "Someone, probably you, asked to choose a new password for the Seconde Main "
                "account of this address. Open this link to choose it (it works once, for "
                "30 minutes):\n\n{link}\n\n"
                "Choosing a new password logs the account out everywhere.\n\n"
                "If you did not ask for it, ignore this e-mail: your password stays as it is."
                "\n\n-- Seconde Main"
            ).format(link=link),
        )


def request_reset(
    session: Session,
    email: str | None,
    base_url: str,
    *,
    mail_settings: MailSettings | None = None,
) -> str:
    """Record a request for ``email`` and, if an account uses it, e-mail it a link (in the
    background); return the answer to show, the same whether the account exists or not.

    Raises AccountError for something that is not an e-mail address, ResetRefused past the
    limit of the address (the same for every address) or without an SMTP server.
    ``mail_settings`` defaults to the app's (``SMTP_*``).
    """
    if mail_settings is None:
        mail_settings = load_settings().mail
    if mail_settings is None:
        raise ResetRefused(_(NOT_AVAILABLE_MESSAGE), field="email")
    email = check_email(email)
    language = current_language()  # the asker's; the account's own, if it chose one
    token = secrets.token_urlsafe(TOKEN_BYTES)  # made for every request: the same work
    now = utcnow()
    begin_keyed_write(session, RESET_REQUEST_LOCKS, _lock_key(email))  # counted one at a time
    recent = session.exec(
        select(func.count())
        .select_from(PasswordReset)
        .where(PasswordReset.email == email, PasswordReset.created_at > now - REQUEST_WINDOW)
    ).one()
    if recent >= MAX_REQUESTS:
        session.rollback()
        raise ResetRefused(_(TOO_MANY_MESSAGE), field="email")
    user = session.exec(select(User).where(User.email == email)).first()
    user_id = user.id if user is not None else None
    if user is not None and is_language(user.language):
        language = user.language
    session.exec(delete(PasswordReset).where(PasswordReset.created_at < now - KEEP_ROWS))
    _void_open_links(session, email, now)
    session.add(
        PasswordReset(
            email=email,
            user_id=user_id,
            token_hash=_hash(token) if user_id is not None else None,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )
    session.commit()
    mail = _reset_mail(email, language, reset_link(base_url, token))  # built either way
    if user_id is not None:
        send_later(mail_settings, mail)
    return _(SENT_MESSAGE)


def _open_reset(session: Session, token: str | None) -> tuple[PasswordReset, User]:
    """The unused, unexpired reset of ``token`` and its account, or ResetRefused."""
    if not isinstance(token, str) or len(token) != _TOKEN_CHARS or not token.isascii():
        raise ResetRefused(_(INVALID_LINK_MESSAGE))
    found = session.exec(
        select(PasswordReset, User)
        .join(User, User.id == PasswordReset.user_id)
        .where(
            PasswordReset.token_hash == _hash(token),
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > utcnow(),
        )
    ).first()
    if found is None:
        raise ResetRefused(_(INVALID_LINK_MESSAGE))
    reset, user = found
    if user.suspended_at is not None:
        raise ResetRefused(_(SUSPENDED_MESSAGE))
    return reset, user


def check_reset_link(session: Session, token: str | None) -> None:
    """Raise ResetRefused if ``token`` cannot reset a password (the page says so at once,
    before asking for a new password)."""
    _open_reset(session, token)
    session.rollback()


def reset_password(session: Session, token: str | None, new: str, repeat: str) -> User:
    """Set the account's new password with the link's ``token``, use the link up and end
    every session of the account, in one transaction; return the account. Raises
    ResetRefused for a link that does not work or a suspended account, AccountError for a
    password the rules refuse (the link still works then)."""
    reset, user = _open_reset(session, token)
    reset_id, user_id, email = reset.id, user.id, user.email
    new_hash = hash_password(check_new_password(new, repeat, field="new"))
    session.rollback()  # end the read; SQLite: the write waits for its lock (no hashing in it)
    begin_write(session)
    now = utcnow()
    used = session.exec(
        update(PasswordReset)
        .where(
            PasswordReset.id == reset_id,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .values(used_at=now)
    )
    suspended = session.exec(select(User.suspended_at).where(User.id == user_id)).first()
    if used.rowcount != 1 or suspended is not None:  # used or suspended meanwhile
        session.rollback()
        raise ResetRefused(_(SUSPENDED_MESSAGE if suspended else INVALID_LINK_MESSAGE))
    session.exec(
        update(User)
        .where(User.id == user_id)
        .values(password_hash=new_hash, password_changed_at=now)
    )
    session.exec(  # every session, this browser's too: log in with the new password
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    _void_open_links(session, email, now)
    session.exec(delete(LoginAttempt).where(LoginAttempt.email == normalise_email(email)))
    session.commit()
    return session.get(User, user_id)


def issue_reset_link(session: Session, admin_id: int, member_id: int, base_url: str) -> str:
    """A reset link for ``member_id``, issued by the administrator ``admin_id`` to pass on
    (no e-mail is sent: for a site without SMTP server); it voids the member's older
    links. Raises ResetRefused if ``admin_id`` is not an administrator, the member does not
    exist or is suspended."""
    if not is_admin(session, admin_id):
        raise ResetRefused(_("Only an administrator can issue a reset link."), field="admin")
    member = session.get(User, member_id)
    if member is None:
        raise ResetRefused(_("This account no longer exists."), field="member")
    if member.suspended_at is not None:
        raise ResetRefused(_(SUSPENDED_MESSAGE), field="member")
    email = member.email
    session.rollback()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    begin_write(session)
    _void_open_links(session, email, now)
    session.add(
        PasswordReset(
            email=email,
            user_id=member_id,
            token_hash=_hash(token),
            issued_by=admin_id,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )
    session.commit()
    return reset_link(base_url, token)

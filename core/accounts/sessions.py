"""Server-side log-in sessions and the signed re-login cookie that names one.

A log-in creates a row in ``sessions``; the browser's cookie carries a random token whose
sha256 is that row's key, signed (HS256 only) with the cookie secret. Every script run
checks the tab's session in the database (one indexed look-up, the same query that loads
the user), so that "Log out" ends that cookie for good, a password change ends every other
session, open tabs included, and every replica agrees. A cookie that does not verify, for
whatever reason, is simply not a session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.db import begin_write
from core.models.accounts import AuthSession, User
from core.models.base import utcnow
from core.models.meta import AppMeta

SESSION_DAYS = 30
TOKEN_BYTES = 32
COOKIE_SECRET_KEY = "cookie_secret"
_ALGORITHM = "HS256"  # the only one accepted: no "none", no algorithm chosen by the cookie
_TOKEN_CHARS = 43  # token_urlsafe(32)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(session: Session, user_id: int, *, days: float = SESSION_DAYS) -> str:
    """A new session for ``user_id`` (committed); returns the token for the cookie.

    The user's ended and expired sessions are pruned on the way.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    begin_write(session)
    session.exec(
        delete(AuthSession).where(
            AuthSession.user_id == user_id,
            or_(AuthSession.revoked_at.is_not(None), AuthSession.expires_at < now),
        )
    )
    session.add(
        AuthSession(
            token_hash=_hash(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    session.commit()
    return token


def session_user(session: Session, token: str | None) -> User | None:
    """The user of a live session (not ended, not expired), or None."""
    if not token or len(token) != _TOKEN_CHARS:
        return None
    return session.exec(
        select(User)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(
            AuthSession.token_hash == _hash(token),
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > utcnow(),
            User.suspended_at.is_(None),  # a suspended member's tabs are logged out too
        )
    ).first()


def end_session(session: Session, token: str | None) -> None:
    """End one session (log-out): its cookie never logs in again, anywhere."""
    if not token:
        return
    begin_write(session)
    session.exec(
        update(AuthSession)
        .where(AuthSession.token_hash == _hash(token), AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.commit()


def end_other_sessions(session: Session, user_id: int, keep: str | None = None) -> None:
    """End every session of the user but ``keep`` (a password change): other browsers and
    open tabs are logged out on their next run. Commits the session's transaction."""
    begin_write(session)
    statement = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep:
        statement = statement.where(AuthSession.token_hash != _hash(keep))
    session.exec(statement.values(revoked_at=utcnow()))
    session.commit()


# --- the cookie ----------------------------------------------------------------------------


def encode_cookie(token: str, secret: str, *, days: float = SESSION_DAYS) -> str:
    """The cookie's value: the session token, signed, with its expiry."""
    expires = datetime.now(UTC) + timedelta(days=days)
    return jwt.encode({"sid": token, "exp": int(expires.timestamp())}, secret, _ALGORITHM)


def decode_cookie(value: str | None, secret: str) -> str | None:
    """The session token of a cookie that verifies (HS256, this secret, not expired), or
    None for anything else: forged, "alg": "none", another algorithm, expired, malformed."""
    if not value or len(value) > 1000:
        return None
    try:
        claims = jwt.decode(
            value, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sid"]}
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    token = claims.get("sid")
    return token if isinstance(token, str) and len(token) == _TOKEN_CHARS else None


def cookie_secret(session: Session, configured: str | None) -> str:
    """The configured secret, else one generated once per database, shared by replicas.

    The first process to need it inserts it; a process racing it gets the unique-key error
    and reads the winner's.
    """
    if configured:
        return configured
    row = session.get(AppMeta, COOKIE_SECRET_KEY)
    if row is not None:
        return row.value
    session.rollback()
    try:
        begin_write(session)
        session.add(AppMeta(key=COOKIE_SECRET_KEY, value=secrets.token_urlsafe(48)))
        session.commit()
    except IntegrityError:
        session.rollback()
    return session.exec(select(AppMeta.value).where(AppMeta.key == COOKIE_SECRET_KEY)).one()

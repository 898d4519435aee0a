"""The people's tables: users, failed log-ins, log-in sessions, password resets."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    text,
)
from sqlmodel import Field, SQLModel

from core.models.base import NEVER_REUSE_IDS, Id, fk_column, utcnow

EMAIL_MAX = 254
DISPLAY_NAME_MAX = 50
ADDRESS_MAX = 200
CITY_MAX = 80
POSTAL_CODE_MAX = 10


REASON_MAX = 500  # a moderator's reason, a report's details


class Role(StrEnum):
    MEMBER = "member"
    ADMIN = "admin"  # opens the admin page: reports, AI flags, moderation (core.moderation)


PASSWORD_HASH_CHECK = "password_hash LIKE '$argon2id$%' OR password_hash LIKE '$2%'"


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        # e-mails are stored lower-cased; the functional index makes that a rule
        Index("ux_users_email_lower", text("lower(email)"), unique=True),
        CheckConstraint(f"length(email) BETWEEN 3 AND {EMAIL_MAX}", name="ck_users_email_len"),
        CheckConstraint(
            f"length(display_name) BETWEEN 1 AND {DISPLAY_NAME_MAX}", name="ck_users_name_len"
        ),
        # argon2id since migration 0006; bcrypt until each owner's next log-in
        CheckConstraint(PASSWORD_HASH_CHECK, name="ck_users_password_hash"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
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
    role: str = Field(default=Role.MEMBER.value, max_length=10)
    # suspended by an administrator: log-in refused, sessions ended, listings hidden
    suspended_at: datetime | None = None
    suspended_reason: str | None = Field(default=None, max_length=REASON_MAX)


class LoginAttempt(SQLModel, table=True):
    """One failed log-in, kept in the database so limits hold across restarts and replicas."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_email_at", "email", "attempted_at"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    email: str = Field(max_length=EMAIL_MAX)
    attempted_at: datetime = Field(default_factory=utcnow)


class AuthSession(SQLModel, table=True):
    """A logged-in browser: its re-login cookie names this row, so that a log-out or a
    password change ends it on every replica, and open tabs notice on their next run."""

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_user", "user_id", "revoked_at"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    # sha256 of the random token in the cookie: a copy of the database gives no cookie
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(sa_column=fk_column("users.id", cascade=True))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None


class PasswordReset(SQLModel, table=True):
    """A password-reset request for an e-mail (``core.accounts.resets``). Every request is a
    row, for an existing account or not, so that the per-address limit counts them all and
    the answer does not tell which addresses exist. A row with an account holds the sha256 of
    the single-use token in the e-mailed link (the link itself is never stored)."""

    __tablename__ = "password_resets"
    __table_args__ = (
        Index("ix_password_resets_email_at", "email", "created_at"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Id)
    email: str = Field(max_length=EMAIL_MAX)  # normalised, as typed (the limit's key)
    user_id: int | None = Field(
        default=None,
        sa_column=Column(Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True),
    )
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    # an administrator who issued the link (no e-mail sent), or None: asked by e-mail
    issued_by: int | None = Field(
        default=None,
        sa_column=Column(Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    used_at: datetime | None = None

"""Accounts: password hashing, registration and profile rules, log-in limits, and the
credentials that streamlit-authenticator checks log-ins against.

Hashes are bcrypt ``$2b$`` strings made through passlib (the ``libpass`` distribution),
which streamlit-authenticator's own ``bcrypt.checkpw`` accepts. The database is the
store of record; the authenticator's credentials are built from it.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from pathlib import Path

from passlib.hash import bcrypt as _bcrypt
from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.models import (
    ADDRESS_MAX,
    CITY_MAX,
    DISPLAY_NAME_MAX,
    EMAIL_MAX,
    LoginAttempt,
    User,
    utcnow,
)
from core.transactions import begin_write

BCRYPT_ROUNDS = 12
PASSWORD_MIN_CHARS = 8
PASSWORD_MAX_BYTES = 72  # bcrypt's limit: bcrypt 5 raises on anything longer
MAX_FAILED_LOGINS = 5
FAILED_LOGIN_WINDOW = timedelta(minutes=15)

POSTAL_CODE_MESSAGE = "The postal code must be 4 to 10 digits."
LOCKED_MESSAGE = "Too many failed log-ins for this e-mail. Try again in 15 minutes."
WRONG_CREDENTIALS_MESSAGE = "Wrong e-mail or password."

_hasher = _bcrypt.using(ident="2b", rounds=BCRYPT_ROUNDS)
# deliberately simple: one @, no spaces, a dot in the domain
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
POSTAL_CODE_RE = re.compile(r"^\d{4,10}$")  # the profile's and the checkout's rule


class AccountError(ValueError):
    """A rule an account form broke; ``field`` names the input, the message is for the user."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# --- hashing -------------------------------------------------------------------------


def normalise_email(email: str | None) -> str:
    """Trim and lower-case an e-mail address: the form it is stored and looked up in."""
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    """A bcrypt ``$2b$`` hash of ``password`` (which must fit bcrypt's 72 bytes)."""
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        raise ValueError("password longer than bcrypt's 72 bytes")
    return _hasher.hash(password)


def verify_password(password: str | None, password_hash: str) -> bool:
    """True if ``password`` matches ``password_hash``; never raises on bad input."""
    if not password or len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        return False
    try:
        return _hasher.verify(password, password_hash)
    except (ValueError, TypeError):
        return False


@functools.cache
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def spend_a_password_check(password: str) -> None:
    """Cost what checking a real password costs, so that a log-in with an unknown e-mail
    answers as slowly as one with a known e-mail (timing does not tell which exist)."""
    verify_password(password, _decoy_hash())


# --- rules ---------------------------------------------------------------------------


def check_email(email: str | None) -> str:
    """The normalised e-mail, or AccountError."""
    email = normalise_email(email)
    if not email:
        raise AccountError("email", "Enter your e-mail address.")
    if len(email) > EMAIL_MAX or not _EMAIL_RE.match(email):
        raise AccountError("email", "Enter a valid e-mail address, like name@example.com.")
    return email


def check_new_password(password: str | None, repeat: str | None, field: str = "password") -> str:
    """The password if it may be set, or AccountError (never lets bcrypt see > 72 bytes)."""
    if not password:
        raise AccountError(field, "Enter a password.")
    if len(password) < PASSWORD_MIN_CHARS:
        raise AccountError(field, f"The password needs at least {PASSWORD_MIN_CHARS} characters.")
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        raise AccountError(
            field,
            f"The password is too long: at most {PASSWORD_MAX_BYTES} bytes (about 72 letters).",
        )
    if password != password.strip():
        # the log-in widget strips what is typed, so such a password could never log in
        raise AccountError(field, "The password cannot start or end with a space.")
    if password != repeat:
        raise AccountError("repeat", "The two passwords are different.")
    return password


def check_display_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise AccountError("display_name", "Enter a display name.")
    if len(name) > DISPLAY_NAME_MAX:
        raise AccountError(
            "display_name", f"The display name can be at most {DISPLAY_NAME_MAX} characters."
        )
    return name


@dataclass(frozen=True)
class ProfileUpdate:
    display_name: str
    birthday: date | None
    address: str
    postal_code: str
    city: str


def check_profile(update: ProfileUpdate, today: date | None = None) -> ProfileUpdate:
    """The cleaned profile, or AccountError for the first field that is wrong."""
    today = today or date.today()
    name = check_display_name(update.display_name)
    if update.birthday is not None:
        if update.birthday > today:
            raise AccountError("birthday", "The birthday cannot be in the future.")
        if update.birthday < date(today.year - 120, 1, 1):
            raise AccountError("birthday", "Enter a real birthday.")
    address = " ".join((update.address or "").split())
    if len(address) > ADDRESS_MAX:
        raise AccountError("address", f"The address can be at most {ADDRESS_MAX} characters.")
    postal = (update.postal_code or "").strip()
    if postal and not POSTAL_CODE_RE.match(postal):
        raise AccountError("postal_code", POSTAL_CODE_MESSAGE)
    city = " ".join((update.city or "").split())
    if len(city) > CITY_MAX:
        raise AccountError("city", f"The city can be at most {CITY_MAX} characters.")
    return ProfileUpdate(name, update.birthday, address, postal, city)


# --- accounts ------------------------------------------------------------------------


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def register_user(
    session: Session, email: str, display_name: str, password: str, repeat: str
) -> User:
    """Create an account (committed), or raise AccountError; nothing is stored on error."""
    email = check_email(email)
    name = check_display_name(display_name)
    password = check_new_password(password, repeat)
    if get_user_by_email(session, email) is not None:
        raise AccountError("email", "An account already uses this e-mail. Log in instead.")
    user = User(email=email, display_name=name, password_hash=hash_password(password))
    session.rollback()  # end the read; SQLite: the write waits for its lock (no bcrypt in it)
    begin_write(session)
    session.add(user)
    try:
        session.commit()
    except IntegrityError as exc:  # registered by someone else a moment ago
        session.rollback()
        raise AccountError("email", "An account already uses this e-mail. Log in instead.") from exc
    session.refresh(user)
    return user


def update_profile(session: Session, user_id: int, update: ProfileUpdate) -> User:
    """Save the profile fields of ``user_id`` (committed), or raise AccountError."""
    clean = check_profile(update)
    begin_write(session)
    user = session.get(User, user_id)
    if user is None:
        raise AccountError("user", "This account no longer exists.")
    user.display_name = clean.display_name
    user.birthday = clean.birthday
    user.address = clean.address or None
    user.postal_code = clean.postal_code or None
    user.city = clean.city or None
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def change_password(session: Session, user_id: int, current: str, new: str, repeat: str) -> None:
    """Change the password after checking the current one; raise AccountError."""
    user = session.get(User, user_id)
    if user is None:
        raise AccountError("user", "This account no longer exists.")
    if not current:
        raise AccountError("current", "Enter your current password.")
    if not verify_password(current, user.password_hash):
        raise AccountError("current", "The current password is wrong.")
    new_hash = hash_password(check_new_password(new, repeat, field="new"))
    session.rollback()  # end the read; SQLite: the write waits for its lock (no bcrypt in it)
    begin_write(session)
    session.exec(
        update(User)
        .where(User.id == user_id)
        .values(
            password_hash=new_hash,
            password_changed_at=utcnow(),
            password_version=User.password_version + 1,  # in SQL: two changes count twice
        )
    )
    session.commit()


# --- log-in limits -------------------------------------------------------------------


def failed_logins(session: Session, email: str) -> int:
    """Failed log-ins for ``email`` within the window (counted in the database)."""
    since = utcnow() - FAILED_LOGIN_WINDOW
    return session.exec(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.email == normalise_email(email), LoginAttempt.attempted_at >= since)
    ).one()


def start_login_attempt(session: Session, email: str) -> int | None:
    """Record an attempt before the password is checked; None if the e-mail is locked.

    Counting the attempt first means parallel guesses cannot slip past the limit. The
    returned id is deleted on success (and the others with it).
    """
    email = normalise_email(email)
    attempt = LoginAttempt(email=email)
    session.add(attempt)
    session.commit()
    if failed_logins(session, email) > MAX_FAILED_LOGINS:
        session.delete(attempt)  # a refused attempt does not extend the lock
        session.commit()
        return None
    return attempt.id


def clear_failed_logins(session: Session, email: str) -> None:
    """Forget the failures of ``email`` after a successful log-in, and expired ones."""
    session.exec(delete(LoginAttempt).where(LoginAttempt.email == normalise_email(email)))
    session.commit()
    prune_login_attempts(session)


def prune_login_attempts(session: Session) -> None:
    """Drop attempts older than the window (they no longer count)."""
    since = utcnow() - FAILED_LOGIN_WINDOW
    session.exec(delete(LoginAttempt).where(LoginAttempt.attempted_at < since))
    session.commit()


# --- the authenticator's credentials --------------------------------------------------


def credentials_version(session: Session) -> tuple:
    """Changes whenever an account is added or a password changes (cheap to read)."""
    count, versions = session.exec(
        select(func.count(), func.coalesce(func.sum(User.password_version), 0)).select_from(User)
    ).one()
    return (count, int(versions))


def build_credentials(session: Session) -> dict:
    """streamlit-authenticator's credentials dict, built from the users table."""
    rows = session.exec(select(User.email, User.display_name, User.password_hash)).all()
    return {
        "usernames": {
            email: {"email": email, "first_name": name, "last_name": "", "password": pw_hash}
            for email, name, pw_hash in rows
        }
    }


# --- the re-login cookie ---------------------------------------------------------------


def cookie_still_valid(user: User | None, expires_at: float, expiry_days: float) -> bool:
    """A re-login cookie counts only for an existing user, and only if it was issued
    after the user's last password change (a change logs out every other browser)."""
    if user is None:
        return False
    issued_at = expires_at - expiry_days * 86_400
    changed_at = user.password_changed_at
    if changed_at.tzinfo is None:  # SQLite returns naive UTC
        changed_at = changed_at.replace(tzinfo=UTC)
    return issued_at >= changed_at.timestamp() - 1  # 1 s: the cookie is made just after


def cookie_secret(configured: str | None, data_dir: Path) -> str:
    """The configured secret, else one generated once and kept in ``data_dir``."""
    if configured:
        return configured
    path = data_dir / "cookie_secret"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / f".cookie_secret.{os.getpid()}.{secrets.token_hex(4)}"
    tmp.write_text(secrets.token_urlsafe(48))
    tmp.chmod(0o600)
    try:
        os.link(tmp, path)  # atomic: of two processes starting at once, one secret wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()

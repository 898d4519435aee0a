"""Accounts: registration and profile rules, and the log-in check with its limit on failed
attempts (passwords themselves: ``core.accounts.passwords``). The database is the store of
record: a log-in is checked against the users table itself, and a right password whose hash
is not today's (bcrypt, from before migration 0006) gets a new one.
"""

from __future__ import annotations

import contextlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, select

from core.accounts import sessions
from core.accounts.passwords import (
    PASSWORD_MAX_BYTES,
    check_password,
    checkable,
    hash_password,
    spend_a_password_check,
    verify_password,
)
from core.db import begin_write
from core.errors import UserError
from core.i18n import N_, _, is_language
from core.models.accounts import (
    ADDRESS_MAX,
    CITY_MAX,
    DISPLAY_NAME_MAX,
    EMAIL_MAX,
    LoginAttempt,
    User,
)
from core.models.base import utcnow
from core.text import CONTROL_MESSAGE, has_unstorable_characters, text_problem, without_invisible

PASSWORD_MIN_CHARS = 8
MAX_FAILED_LOGINS = 5
FAILED_LOGIN_WINDOW = timedelta(minutes=15)

POSTAL_CODE_MESSAGE = N_("The postal code must be 4 to 10 digits.")
LOCKED_MESSAGE = N_("Too many failed log-ins for this e-mail. Try again in 15 minutes.")
WRONG_CREDENTIALS_MESSAGE = N_("Wrong e-mail or password.")
SUSPENDED_MESSAGE = N_(
    "This account is suspended by the administrators; write to them if you think it is a mistake."
)

# deliberately simple: one @, no spaces, a dot in the domain (checked once normalised)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
POSTAL_CODE_RE = re.compile(r"[0-9]{4,10}")  # the profile's and the checkout's rule (fullmatch)


class AccountError(UserError):
    """A rule an account form broke; ``field`` names the input, ``str(exc)`` is the message."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --- e-mails --------------------------------------------------------------------------


def normalise_email(email: str | None) -> str:
    """The one form an e-mail is stored and looked up in, so that look-alikes are one
    account: NFKC (fullwidth "ｕｓｅｒ" is "user"), invisible characters removed (zero-width
    spaces, soft hyphens), trimmed, lower-cased, and a non-ASCII domain in its ASCII
    (IDNA) form. What still is not ASCII is refused by ``check_email``."""
    value = unicodedata.normalize("NFKC", email or "")
    value = without_invisible(value).strip().lower()
    local, at, domain = value.rpartition("@")
    if at:
        domain = domain.rstrip(".")  # "gmail.com." is gmail.com (the DNS root)
        if not domain.isascii():
            with contextlib.suppress(UnicodeError):  # not a domain name: check_email refuses
                domain = domain.encode("idna").decode("ascii")
        value = f"{local}@{domain}"
    return value


# --- rules ---------------------------------------------------------------------------


def check_email(email: str | None) -> str:
    """The normalised e-mail, or AccountError. Invisible characters are dropped, not
    refused (a pasted address often carries one); control characters are refused."""
    if email and has_unstorable_characters(email):
        raise AccountError("email", _(CONTROL_MESSAGE))
    email = normalise_email(email)
    if not email:
        raise AccountError("email", _("Enter your e-mail address."))
    if len(email) > EMAIL_MAX or not _EMAIL_RE.match(email):
        raise AccountError("email", _("Enter a valid e-mail address, like name@example.com."))
    if not email.isascii():
        # a non-ASCII name before the @ (rare, and the way to fake "user1@gmail.com" with a
        # Cyrillic "е" or a Turkish dotted "i̇") is refused rather than guessed at
        raise AccountError(
            "email", _("Write the e-mail address in plain Latin letters (a-z, digits, . - _ +).")
        )
    return email


def check_new_password(password: str | None, repeat: str | None, field: str = "password") -> str:
    """The password if it may be set, or AccountError (at most PASSWORD_MAX_BYTES bytes)."""
    if not password:
        raise AccountError(field, _("Enter a password."))
    if has_unstorable_characters(password):  # hashes refuse NUL; none can be typed anyway
        raise AccountError(field, _("The password cannot contain control characters."))
    if len(password) < PASSWORD_MIN_CHARS:
        raise AccountError(
            field,
            _("The password needs at least {n} characters.").format(n=PASSWORD_MIN_CHARS),
        )
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        raise AccountError(
            field,
            _("The password is too long: at most {n} bytes (about {n} letters).").format(
                n=PASSWORD_MAX_BYTES
            ),
        )
    if password != password.strip():
        # the log-in widget strips what is typed, so such a password could never log in
        raise AccountError(field, _("The password cannot start or end with a space."))
    if password != repeat:
        raise AccountError("repeat", _("The two passwords are different."))
    return password


def check_display_name(name: str | None) -> str:
    if problem := text_problem(name):
        raise AccountError("display_name", problem)
    name = " ".join((name or "").split())
    if not name:
        raise AccountError("display_name", _("Enter a display name."))
    if len(name) > DISPLAY_NAME_MAX:
        raise AccountError(
            "display_name",
            _("The display name can be at most {n} characters.").format(n=DISPLAY_NAME_MAX),
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
    for field in ("address", "postal_code", "city"):
        if problem := text_problem(getattr(update, field)):
            raise AccountError(field, problem)
    if update.birthday is not None:
        if update.birthday > today:
            raise AccountError("birthday", _("The birthday cannot be in the future."))
        if update.birthday < date(today.year - 120, 1, 1):
            raise AccountError("birthday", _("Enter a real birthday."))
    address = " ".join((update.address or "").split())
    if len(address) > ADDRESS_MAX:
        raise AccountError(
            "address", _("The address can be at most {n} characters.").format(n=ADDRESS_MAX)
        )
    postal = (update.postal_code or "").strip()
    if postal and not POSTAL_CODE_RE.fullmatch(postal):
        raise AccountError("postal_code", _(POSTAL_CODE_MESSAGE))
    city = " ".join((update.city or "").split())
    if len(city) > CITY_MAX:
        raise AccountError("city", _("The city can be at most {n} characters.").format(n=CITY_MAX))
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
        raise AccountError("email", _("An account already uses this e-mail. Log in instead."))
    user = User(email=email, display_name=name, password_hash=hash_password(password))
    session.rollback()  # end the read; SQLite: the write waits for its lock (no hashing in it)
    begin_write(session)
    session.add(user)
    try:
        session.commit()
    except IntegrityError as exc:  # registered by someone else a moment ago
        session.rollback()
        raise AccountError(
            "email", _("An account already uses this e-mail. Log in instead.")
        ) from exc
    session.refresh(user)
    return user


def update_profile(session: Session, user_id: int, update: ProfileUpdate) -> User:
    """Save the profile fields of ``user_id`` (committed), or raise AccountError."""
    clean = check_profile(update)
    begin_write(session)
    user = session.get(User, user_id)
    if user is None:
        raise AccountError("user", _("This account no longer exists."))
    user.display_name = clean.display_name
    user.birthday = clean.birthday
    user.address = clean.address or None
    user.postal_code = clean.postal_code or None
    user.city = clean.city or None
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def set_language(session: Session, user_id: int, code: str) -> None:
    """Remember the language ``user_id`` chose (core.i18n.LANGUAGES) for their next visits."""
    if not is_language(code):
        raise ValueError(f"not a language of the app: {code!r}")
    session.exec(update(User).where(User.id == user_id).values(language=code))
    session.commit()


def change_password(
    session: Session,
    user_id: int,
    current: str,
    new: str,
    repeat: str,
    *,
    keep_session: str | None = None,
) -> None:
    """Change the password after checking the current one, and end every session of the
    account but ``keep_session`` (this browser's), in one transaction; raise AccountError."""
    user = session.get(User, user_id)
    if user is None:
        raise AccountError("user", _("This account no longer exists."))
    if not current:
        raise AccountError("current", _("Enter your current password."))
    if not verify_password(current, user.password_hash):
        raise AccountError("current", _("The current password is wrong."))
    new_hash = hash_password(check_new_password(new, repeat, field="new"))
    session.rollback()  # end the read; SQLite: the write waits for its lock (no hashing in it)
    begin_write(session)
    session.exec(
        update(User)
        .where(User.id == user_id)
        .values(
            password_hash=new_hash,
            password_changed_at=utcnow(),
        )
    )
    sessions.end_other_sessions(session, user_id, keep=keep_session)  # commits both


# --- log-in ---------------------------------------------------------------------------


class LoginRefused(AccountError):
    """A log-in that did not happen; the message never tells whether the e-mail exists."""

    def __init__(self, message: str | None = None):
        super().__init__("login", message or _(WRONG_CREDENTIALS_MESSAGE))


def log_in(session: Session, email: str | None, password: str | None) -> User:
    """The user whose e-mail and password these are, or LoginRefused.

    Every attempt with a possible e-mail is counted in the database before the password is
    checked, so a restart or a second replica does not reset the limit; a right password
    clears the count. An unknown e-mail costs a password check too, so timing does not tell
    which e-mails have accounts (see ``spend_a_password_check``). A right password whose hash
    is bcrypt, or argon2id at other settings, gets a new argon2id hash.
    """
    email = normalise_email(email)
    if not email or not password:
        raise LoginRefused(_("Enter your e-mail and your password."))
    if len(email) > EMAIL_MAX or has_unstorable_characters(email):
        spend_a_password_check(password)  # no account can have it: not worth storing
        raise LoginRefused()
    attempt = start_login_attempt(session, email)
    if attempt is None:
        raise LoginRefused(_(LOCKED_MESSAGE))
    user = get_user_by_email(session, email)
    if user is not None:
        session.expunge(user)  # loaded: no refresh (a read) before the next write
    session.rollback()  # end the read before hashing: no transaction is held while it runs
    if user is None or not checkable(password):
        spend_a_password_check(password)  # the same cost whatever the reason
        raise LoginRefused()
    right, new_hash = check_password(password, user.password_hash)
    if not right:
        raise LoginRefused()
    if new_hash is not None:
        try:  # a better hash is a bonus: its failure never refuses a right password
            _replace_hash(session, user.id, user.password_hash, new_hash)
        except SQLAlchemyError:
            session.rollback()
            logging.getLogger(__name__).exception("could not store user %s's new hash", user.id)
    clear_failed_logins(session, email)
    # read again, after the password: only its owner learns it is suspended (a suspension
    # made during the password check counts too)
    suspended = session.exec(select(User.suspended_at).where(User.id == user.id)).first()
    session.rollback()
    if suspended is not None:
        raise LoginRefused(_(SUSPENDED_MESSAGE))
    return user


def _replace_hash(session: Session, user_id: int, old_hash: str, new_hash: str) -> None:
    """Store ``new_hash`` (the same password, hashed today's way) unless the password was
    changed meanwhile. ``password_changed_at`` stays: the password itself did not change."""
    begin_write(session)
    session.exec(
        update(User)
        .where(User.id == user_id, User.password_hash == old_hash)
        .values(password_hash=new_hash)
    )
    session.commit()


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

    Counting the attempt first (committed) means parallel guesses see each other and cannot
    slip past the limit. The returned id is deleted on success (and the others with it).
    Both transactions take SQLite's write lock first, so that under load they wait their
    turn instead of failing with "database is locked".
    """
    email = normalise_email(email)
    begin_write(session)
    attempt = LoginAttempt(email=email)
    session.add(attempt)
    session.flush()
    attempt_id = attempt.id  # read now: after the commit it would start a read transaction
    session.commit()
    begin_write(session)
    if failed_logins(session, email) > MAX_FAILED_LOGINS:
        session.exec(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))
        session.commit()  # a refused attempt does not extend the lock
        return None
    session.commit()
    return attempt_id


def clear_failed_logins(session: Session, email: str) -> None:
    """Forget the failures of ``email`` after a successful log-in, and expired ones."""
    begin_write(session)
    session.exec(delete(LoginAttempt).where(LoginAttempt.email == normalise_email(email)))
    session.commit()
    prune_login_attempts(session)


def prune_login_attempts(session: Session) -> None:
    """Drop attempts older than the window (they no longer count)."""
    since = utcnow() - FAILED_LOGIN_WINDOW
    begin_write(session)
    session.exec(delete(LoginAttempt).where(LoginAttempt.attempted_at < since))
    session.commit()

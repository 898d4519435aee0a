"""Password hashing and account rules.

Hashes are bcrypt ``$2b$`` strings made through passlib (the ``libpass`` distribution),
which streamlit-authenticator's own check accepts.
"""

from __future__ import annotations

from passlib.hash import bcrypt as _bcrypt

BCRYPT_ROUNDS = 12
PASSWORD_MAX_BYTES = 72  # bcrypt ignores (or, in bcrypt 5, refuses) anything longer

_hasher = _bcrypt.using(ident="2b", rounds=BCRYPT_ROUNDS)


def normalise_email(email: str) -> str:
    """Trim and lower-case an e-mail address: the form it is stored and looked up in."""
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    """A bcrypt ``$2b$`` hash of ``password`` (which must fit bcrypt's 72 bytes)."""
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        raise ValueError("password longer than bcrypt's 72 bytes")
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """True if ``password`` matches ``password_hash``; never raises on bad input."""
    if not password or len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        return False
    try:
        return _hasher.verify(password, password_hash)
    except (ValueError, TypeError):
        return False

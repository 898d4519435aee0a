"""Passwords: how they are hashed and checked.

New hashes are argon2id (``$argon2id$``, through passlib, the ``libpass`` distribution,
with ``argon2-cffi``) at OWASP's setting. Hashes made before migration 0006 are bcrypt
``$2b$``: they are still checked, and marked for replacement (``check_password`` gives the
new hash; ``core.accounts.accounts.log_in`` stores it).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import secrets

from passlib.context import CryptContext

from core.text import has_unstorable_characters

# OWASP's first argon2id setting (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane.
# A check takes about 20 ms here, against about 0.25-0.45 s for the bcrypt at cost 12 it
# replaces, for a hash that costs an attacker's GPUs more (memory, not only time).
DEFAULT_ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1
_ARGON2_MEMORY_RANGE = (8, 1024 * 1024)  # argon2's own floor (8 KiB a lane) to 1 GiB


def argon2_memory_kib(environ=os.environ) -> int:
    """argon2id's memory per password check, in KiB: 19456 (19 MiB), or ``ARGON2_MEMORY_KIB``
    from 8 to 1048576. The test suite sets 64 (microseconds a check): never lower it where
    people log in. A value that is not a whole number in that range is ignored, with a
    warning. Hashes made with another value are made again at their owner's next log-in."""
    raw = environ.get("ARGON2_MEMORY_KIB", "").strip()
    if not raw:
        return DEFAULT_ARGON2_MEMORY_KIB
    low, high = _ARGON2_MEMORY_RANGE
    if raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    logging.getLogger(__name__).warning(
        "ARGON2_MEMORY_KIB=%r is not a whole number from %d to %d: %d used",
        raw, low, high, DEFAULT_ARGON2_MEMORY_KIB,
    )  # fmt: skip
    return DEFAULT_ARGON2_MEMORY_KIB


def password_context(memory_kib: int) -> CryptContext:
    """argon2id for new hashes; bcrypt (the hashes made before migration 0006) still checked.
    Which stored hashes are made again is ``weaker_than_today``'s decision alone."""
    return CryptContext(
        schemes=["argon2", "bcrypt"],
        argon2__type="ID",
        argon2__memory_cost=memory_kib,
        argon2__time_cost=ARGON2_TIME_COST,
        argon2__parallelism=ARGON2_PARALLELISM,
    )


ARGON2_MEMORY_KIB = argon2_memory_kib()
# bcrypt's limit (bcrypt 5 raises on anything longer), kept with argon2id: accounts not logged
# in since migration 0006 still hold bcrypt hashes, and every password ever set fits it
PASSWORD_MAX_BYTES = 72
_context = password_context(ARGON2_MEMORY_KIB)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (which must fit PASSWORD_MAX_BYTES)."""
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        raise ValueError(f"password longer than {PASSWORD_MAX_BYTES} bytes")
    return _context.hash(password)


def checkable(password: str) -> bool:
    """Whether ``password`` can be checked against any stored hash, bcrypt ones included."""
    return (
        not has_unstorable_characters(password)  # NUL: bcrypt raises; a lone surrogate: UTF-8 does
        and len(password.encode("utf-8")) <= PASSWORD_MAX_BYTES
    )


_ARGON2_COSTS = re.compile(r"^\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=\d+\$")


def weaker_than_today(password_hash: str) -> bool:
    """Whether ``password_hash`` costs less than today's settings: bcrypt, or argon2id with
    less memory or fewer passes. One that costs more (made where ARGON2_MEMORY_KIB was
    higher) is kept: a server set lower never weakens it, and two servers set differently
    do not swap a hash back and forth."""
    costs = _ARGON2_COSTS.match(password_hash)
    if costs is None:
        return password_hash.startswith("$2")
    memory, passes = int(costs.group(1)), int(costs.group(2))
    return memory < ARGON2_MEMORY_KIB or passes < ARGON2_TIME_COST


def check_password(password: str | None, password_hash: str) -> tuple[bool, str | None]:
    """(whether ``password`` matches ``password_hash``, the hash that should replace it: an
    argon2id one at today's settings when the stored one is weaker, else None). Never
    raises."""
    if not password or not checkable(password):
        return False, None
    try:
        right = _context.verify(password, password_hash)
    except (ValueError, TypeError):  # not a hash at all (passlib's UnknownHashError)
        return False, None
    if right and weaker_than_today(password_hash):
        return True, _context.hash(password)  # made only when it is kept
    return right, None


def verify_password(password: str | None, password_hash: str) -> bool:
    """True if ``password`` matches ``password_hash``; never raises on bad input."""
    return check_password(password, password_hash)[0]


@functools.cache
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def spend_a_password_check(password: str) -> None:
    """Cost what checking a real password costs, so that a log-in with an unknown e-mail
    answers as slowly as one with a known e-mail (timing does not tell which exist).
    A password that no hash can take is replaced by one that can: the cost is the same.
    The decoy is an argon2id hash at today's settings; an account whose bcrypt hash has not
    been replaced yet (its owner has not logged in since migration 0006) answers slower, which
    tells that it exists and that its owner has not logged in since (README, Accounts)."""
    verify_password(password if checkable(password or "") else "x", _decoy_hash())

"""Write transactions that wait their turn on SQLite.

SQLite lets one writer at a time; a transaction waits for the write lock (the busy
timeout) only if it has not read anything yet. A statement that touches the items'
full-text index (an FTS5 table, through triggers) reads that index before it asks for
the write lock, so under contention it would fail at once with "database is locked".
Taking the write lock first, with a write that involves no trigger, makes such a
transaction wait instead, like ``BEGIN IMMEDIATE``. PostgreSQL needs nothing of this.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

_TAKE_WRITE_LOCK = text("UPDATE app_meta SET value = value WHERE 0")


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer.

    Call it first in a transaction: after a read (even the refresh of an attribute expired
    by a commit), SQLite cannot wait for the lock and fails at once.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.exec(_TAKE_WRITE_LOCK)

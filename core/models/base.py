"""What every table shares: the clock, foreign-key columns, ids never reused."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, ForeignKey, Integer


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (what SQLModel stores and returns)."""
    return datetime.now(UTC)


# SQLite gives a deleted row's id to the next insert unless the table is AUTOINCREMENT; ids
# reach URLs (?item=ID), other rows and open forms, so none may ever change meaning.
# PostgreSQL's sequences never go back. (A dict must be the last entry of __table_args__.)
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


def fk_column(target: str, *, cascade: bool = False) -> Column:
    """A required, indexed foreign key to ``target`` ("users.id"): deleting the row it
    names is refused, or (``cascade``) deletes this row too."""
    return Column(
        Integer,
        ForeignKey(target, ondelete="CASCADE" if cascade else "RESTRICT"),
        nullable=False,
        index=True,
    )

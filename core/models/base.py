"""What every table shares: the clock, foreign-key columns, ids never reused."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, ForeignKey, Integer
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (what SQLModel stores and returns)."""
    return datetime.now(UTC)


# SQLite gives a deleted row's id to the next insert unless the table is AUTOINCREMENT; ids
# reach URLs (?item=ID), other rows and open forms, so none may ever change meaning.
# PostgreSQL's sequences never go back. (A dict must be the last entry of __table_args__.)
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


ID_MIN, ID_MAX = -(2**31), 2**31 - 1  # PostgreSQL's INTEGER, and every id here is one


class Id(TypeDecorator):
    """An id column (an INTEGER in the schema, as before): a value out of INTEGER's range
    (an id from a forged link, ``?item=99999999999999999999``) is bound as the nearest end
    of the range, which names no row, so every lookup answers "not found". Without it,
    PostgreSQL raises "integer out of range" (or "value out of int32 range" from the driver)
    past 2**31 and SQLite's driver an OverflowError past 2**63, from any core function."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if isinstance(value, int) and not isinstance(value, bool):
            return min(max(value, ID_MIN), ID_MAX)
        return value


def id_literal(value: int):
    """``literal(value)`` as an id (an id a statement selects as a constant: out of range,
    it is bound as ``Id`` binds it)."""
    from sqlalchemy import literal

    return literal(value, Id())


def fk_column(target: str, *, cascade: bool = False) -> Column:
    """A required, indexed foreign key to ``target`` ("users.id"): deleting the row it
    names is refused, or (``cascade``) deletes this row too."""
    return Column(
        Id,
        ForeignKey(target, ondelete="CASCADE" if cascade else "RESTRICT"),
        nullable=False,
        index=True,
    )

"""Blocks between members: once one blocks the other, no messages, offers, offer answers
or purchases between them, either way. The refusal is in the statements of messaging and
trade themselves (``core.models.moderation.blocked_between``), so a stale page or a second
tab is refused too. Only the blocker can lift their block."""

from __future__ import annotations

from sqlalchemy import delete, insert, literal
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.db import begin_write
from core.i18n import _
from core.models.accounts import User
from core.models.base import id_literal, utcnow
from core.models.moderation import Block, blocked_between
from core.moderation.admins import ModerationError


def block(session: Session, blocker_id: int, blocked_id: int) -> bool:
    """``blocker_id`` blocks ``blocked_id``; True if the block is new (a second click, or
    another tab, changes nothing). Raises ModerationError (oneself, no such member)."""
    if blocker_id == blocked_id:
        raise ModerationError(_("You cannot block yourself."))
    statement = (
        insert(Block.__table__)
        .from_select(
            ["blocker_id", "blocked_id", "created_at"],
            select(
                id_literal(blocker_id),
                User.id,
                literal(utcnow(), Block.created_at.type),
            ).where(User.id == blocked_id),
        )
        .returning(Block.__table__.c.id)
    )
    try:
        begin_write(session)
        if is_blocked_by(session, blocker_id, blocked_id):
            session.rollback()
            return False
        made = session.exec(statement).all()
        session.commit()
    except IntegrityError:  # the same block a moment ago (another tab)
        session.rollback()
        return False
    except BaseException:
        session.rollback()
        raise
    if not made:
        raise ModerationError(_("This member does not exist."))
    return True


def unblock(session: Session, blocker_id: int, blocked_id: int) -> bool:
    """Lift ``blocker_id``'s own block of ``blocked_id`` (never the other's block of them);
    True if there was one."""
    try:
        begin_write(session)
        gone = session.exec(
            delete(Block)
            .where(Block.blocker_id == blocker_id, Block.blocked_id == blocked_id)
            .returning(Block.id)
        ).all()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return bool(gone)


def is_blocked_by(session: Session, blocker_id: int, blocked_id: int) -> bool:
    """Whether ``blocker_id`` blocked ``blocked_id`` (this direction only: what they can
    lift)."""
    return (
        session.exec(
            select(Block.id).where(Block.blocker_id == blocker_id, Block.blocked_id == blocked_id)
        ).first()
        is not None
    )


def is_blocked(session: Session, a: int, b: int) -> bool:
    """Whether one of ``a`` and ``b`` blocked the other (either direction)."""
    return bool(session.exec(select(blocked_between(a, b))).one())

"""Favourites (the heart): a user keeps an eye on listings of other sellers.

Adding is one conditional INSERT (the item exists, is on sale and is not the user's own, and
is not a favourite yet); the unique (user_id, item_id) constraint settles two tabs adding at
once, and adding twice is not an error. A sold item keeps its favourites (the page shows it
as sold) and can be taken out of them, but not newly added; a deleted listing's favourites
go with it (the foreign key cascades).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, exists, func, insert, literal
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.db import begin_write
from core.errors import UserError
from core.i18n import _
from core.models.base import id_literal, utcnow
from core.models.catalogue import Favourite, Item, ItemStatus, Photo


class FavouriteError(UserError):
    """A favourite that was refused; ``str(exc)`` is for the user."""


def add_favourite(session: Session, user_id: int, item_id: int) -> None:
    """Make an item on sale, of another seller, one of the user's favourites (once: adding
    it again changes nothing).

    Raises FavouriteError (no such item, your own item, sold).
    """
    now = utcnow()
    addable = (
        select(id_literal(user_id), Item.id, literal(now, Favourite.created_at.type))
        .where(
            Item.id == item_id,
            Item.status == ItemStatus.AVAILABLE.value,
            Item.seller_id != user_id,
            ~exists().where(Favourite.user_id == user_id, Favourite.item_id == item_id),
        )
        # PostgreSQL: a sale that has locked the item (not yet committed) is waited for,
        # and the item read again after it: an item sold meanwhile is refused, never added
        .with_for_update(read=True, of=Item)
        .subquery()
    )
    statement = (
        insert(Favourite.__table__)
        .from_select(["user_id", "item_id", "created_at"], select(*addable.c))
        .returning(Favourite.__table__.c.id)  # rows, not rowcount: both databases agree
    )
    try:
        begin_write(session)
        added = len(session.exec(statement).all())  # writes first: no stale read to act on
        if added == 1:
            session.commit()
            return
        session.rollback()
    except IntegrityError:  # the same favourite added a moment ago (another tab)
        session.rollback()
    except BaseException:
        session.rollback()
        raise
    row = session.exec(  # plain columns: a rollback cannot expire them into new reads
        select(
            Item.seller_id,
            Item.status,
            exists().where(Favourite.user_id == user_id, Favourite.item_id == item_id),
        ).where(Item.id == item_id)
    ).first()
    session.rollback()  # the read only explains the refusal: end its transaction
    if row is None:
        raise FavouriteError(_("This item does not exist (it may have been removed)."))
    seller_id, status, already = row
    if seller_id == user_id:
        raise FavouriteError(_("This is your own item: it cannot be one of your favourites."))
    if already:
        return  # a favourite already (another tab, or a double click): nothing to do
    if status != ItemStatus.AVAILABLE.value:
        raise FavouriteError(
            _("This item is already sold: it can no longer be added to favourites.")
        )
    raise FavouriteError(_("This item could not be added to your favourites; try again."))


def remove_favourite(session: Session, user_id: int, item_id: int) -> None:
    """Take an item out of the user's favourites, sold or not (nothing happens if it is not
    one of them)."""
    try:
        session.exec(
            delete(Favourite).where(Favourite.user_id == user_id, Favourite.item_id == item_id)
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise


def set_favourite(session: Session, user_id: int, item_id: int, wanted: bool) -> None:
    """What a heart's click asks for: the state it promised (filled: remove, outlined: add),
    not a blind toggle, so that a click in a tab that is behind does what it showed."""
    if wanted:
        add_favourite(session, user_id, item_id)
    else:
        remove_favourite(session, user_id, item_id)


def favourite_ids(session: Session, user_id: int | None, item_ids: Collection[int]) -> set[int]:
    """Which of ``item_ids`` (the cards of one page) the user favourited: one query (none
    for a logged-out visitor or no cards)."""
    if user_id is None or not item_ids:
        return set()
    return set(
        session.exec(
            select(Favourite.item_id).where(
                Favourite.user_id == user_id, Favourite.item_id.in_(set(item_ids))
            )
        ).all()
    )


def favourite_counts(session: Session, item_ids: Collection[int]) -> dict[int, int]:
    """How many people favourited each of ``item_ids`` (one grouped query); an item nobody
    favourited is left out (read it with ``.get(id, 0)``)."""
    if not item_ids:
        return {}
    rows = session.exec(
        select(Favourite.item_id, func.count())
        .where(Favourite.item_id.in_(set(item_ids)))
        .group_by(Favourite.item_id)
    ).all()
    return {item_id: count for item_id, count in rows}


def seller_favourite_counts(session: Session, seller_id: int) -> dict[int, int]:
    """How many people favourited each listing of a seller (My listings), one grouped query
    by the seller rather than a list of ids; listings nobody favourited are left out."""
    rows = session.exec(
        select(Favourite.item_id, func.count())
        .join(Item, Item.id == Favourite.item_id)
        .where(Item.seller_id == seller_id)
        .group_by(Favourite.item_id)
    ).all()
    return {item_id: count for item_id, count in rows}


def favourite_count(session: Session, item_id: int) -> int:
    """How many people favourited one item."""
    return session.exec(
        select(func.count()).select_from(Favourite).where(Favourite.item_id == item_id)
    ).one()


@dataclass(frozen=True)
class ItemHearts:
    """An item's page: how many people favourited it and whether the viewer is one."""

    count: int
    favourited: bool


def item_hearts(session: Session, item_id: int, viewer_id: int | None) -> ItemHearts:
    """The count and the viewer's own heart of one item, in one query."""
    mine = func.coalesce(func.sum(case((Favourite.user_id == viewer_id, 1), else_=0)), 0)
    count, own = session.exec(
        select(func.count(), mine).select_from(Favourite).where(Favourite.item_id == item_id)
    ).one()
    return ItemHearts(count, viewer_id is not None and own > 0)


@dataclass(frozen=True)
class FavouriteEntry:
    """A favourite as the Favourites page shows it."""

    item: Item
    thumbnail: bytes | None
    favourited_at: datetime

    @property
    def is_sold(self) -> bool:
        return self.item.status == ItemStatus.SOLD.value


def favourites(session: Session, user_id: int) -> list[FavouriteEntry]:
    """The user's favourites, the newest first, each with its cover thumbnail; sold ones
    stay (``is_sold``), deleted listings are gone."""
    rows = session.exec(
        select(Item, Photo.thumbnail, Favourite.created_at)
        .join(Favourite, Favourite.item_id == Item.id)
        .join(Photo, (Photo.item_id == Item.id) & (Photo.position == 0), isouter=True)
        .where(Favourite.user_id == user_id)
        .order_by(Favourite.created_at.desc(), Favourite.id.desc())
    ).all()
    return [FavouriteEntry(item, thumb, at) for item, thumb, at in rows]

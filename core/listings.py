"""Listings: create, search, get, update and delete items (plain functions over a session)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from core.models import Item, ItemStatus, Photo


@dataclass(frozen=True)
class CatalogueCard:
    item: Item
    thumbnail: bytes | None


def newest_available(session: Session, *, limit: int = 24, offset: int = 0) -> list[CatalogueCard]:
    """Available items, newest first, each with its first photo's thumbnail."""
    rows = session.exec(
        select(Item, Photo.thumbnail)
        .join(Photo, (Photo.item_id == Item.id) & (Photo.position == 0), isouter=True)
        .where(Item.status == ItemStatus.AVAILABLE.value)
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [CatalogueCard(item=item, thumbnail=thumb) for item, thumb in rows]

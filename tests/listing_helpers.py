"""Helpers for tests that need users, photos and listings on a real database."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image
from sqlmodel import Session

from core.catalogue.photos import PreparedPhoto, prepare_photo
from core.catalogue.search import CatalogueQuery, search_catalogue
from core.catalogue.selling import ListingDraft
from core.db import session_scope
from core.models.accounts import User
from core.models.base import utcnow
from core.models.catalogue import Item, Photo

HASH = "$2b$12$" + "a" * 53


def make_user(engine, email: str, name: str = "Ann") -> int:
    with session_scope(engine) as s:
        user = User(email=email, display_name=name, password_hash=HASH)
        s.add(user)
        s.flush()
        return user.id


def photo(colour=(200, 30, 30), size=(120, 160)) -> PreparedPhoto:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return prepare_photo(out.getvalue())


def draft(**kw) -> ListingDraft:
    fields = dict(
        title="Blue jeans",
        description="Straight leg, barely worn.",
        category="pants",
        size="M",
        brand="Levi's",
        condition="very_good",
        price="25",
    )
    fields.update(kw)
    return ListingDraft(**fields)


def add_items(engine, seller_id: int, specs: list[dict]) -> list[int]:
    """Insert items directly (with one photo each), newest last unless created_at given."""
    ids = []
    base = utcnow() - timedelta(days=30)
    thumb = photo()
    with session_scope(engine) as s:
        for n, spec in enumerate(specs):
            fields = dict(
                seller_id=seller_id,
                title=f"Item {n}",
                category="t-shirt",
                size="M",
                brand="Brand",
                price_cents=1000 + n,
                created_at=base + timedelta(minutes=n),
            )
            fields.update(spec)
            item = Item(**fields)
            s.add(item)
            s.flush()
            s.add(
                Photo(
                    item_id=item.id,
                    image=thumb.image,
                    thumbnail=thumb.thumbnail,
                    width=thumb.width,
                    height=thumb.height,
                )
            )
            ids.append(item.id)
    return ids


def ids_of(page) -> list[int]:
    return [card.item.id for card in page.cards]


def found(engine, **kw) -> set[int]:
    with Session(engine) as s:
        return set(ids_of(search_catalogue(s, CatalogueQuery(**kw))))

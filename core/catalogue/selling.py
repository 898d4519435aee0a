"""The seller's writes: a listing as typed (``ListingDraft``) checked field by field, then
created, updated or deleted (plain functions over a session).

Writes that must not half-happen (an item and its photos) are one transaction, and the
seller's own writes start with a conditional UPDATE or DELETE that names the seller and the
status: a listing cannot be changed through another user's id, nor once it is sold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete
from sqlalchemy import update as sql_update
from sqlmodel import Session, select

from core.catalogue import attributes, categories
from core.catalogue.embeddings import drop_embeddings, renew_embeddings, save_embedding
from core.catalogue.listings import (
    CONDITION_LABELS,
    InvalidListingError,
    ListingError,
    ListingNotFoundError,
    ListingSoldError,
    NotYourListingError,
    StaleListingError,
)
from core.catalogue.photos import PreparedPhoto
from core.db import begin_write
from core.i18n import _, ngettext
from core.messaging.messages import OfferEnd
from core.models.base import utcnow
from core.models.catalogue import (
    BRAND_MAX,
    DESCRIPTION_MAX,
    MAX_PHOTOS_PER_ITEM,
    TITLE_MAX,
    Item,
    ItemStatus,
    Photo,
    PriceChange,
    brand_key,
    item_search_text,
)
from core.money import PriceError, parse_eur
from core.text import text_problem
from core.trade.offers import end_offers


@dataclass(frozen=True)
class ListingDraft:
    """A listing as the seller typed it; ``price`` is text ("12.50")."""

    title: str = ""
    description: str = ""
    category: str | None = None
    size: str | None = None
    brand: str = ""
    condition: str | None = None
    price: str = ""
    colour: str | None = None  # a code of core.catalogue.attributes.COLOURS, or None (not said)
    pattern: str | None = None  # a code of core.catalogue.attributes.PATTERNS, or None
    # what the classifier proposed for the first photo, stored next to the chosen category
    ai_category: str | None = None
    ai_confidence: float | None = None
    # the AI's top colour and pattern for the first photo, next to the seller's choices
    ai_colour: str | None = None
    ai_pattern: str | None = None


@dataclass(frozen=True)
class CleanListing:
    title: str
    description: str
    category: str
    size: str
    brand: str
    condition: str
    price_cents: int
    ai_category: str | None
    ai_confidence: float | None
    colour: str | None = None
    pattern: str | None = None
    ai_colour: str | None = None
    ai_pattern: str | None = None

    def values(self) -> dict:
        return {
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "size": self.size,
            "brand": self.brand,
            "condition": self.condition,
            "price_cents": self.price_cents,
            "colour": self.colour,
            "pattern": self.pattern,
            "search_text": item_search_text(
                self.title,
                self.brand,
                self.description,
                self.category,
                colour=self.colour,
                pattern=self.pattern,
            ),
            "brand_key": brand_key(self.brand),
        }


def _one_line(value: str | None) -> str:
    return " ".join((value or "").split())


def check_listing(draft: ListingDraft, photo_count: int) -> CleanListing:
    """Every field checked at once; InvalidListingError maps each bad field to its message."""
    errors: dict[str, str] = {}
    for name in ("title", "description", "brand", "price"):  # first: their message wins
        if problem := text_problem(getattr(draft, name), multiline=name == "description"):
            errors[name] = problem
    title = _one_line(draft.title)
    if not title:
        errors.setdefault("title", _("Enter a title."))
    elif len(title) > TITLE_MAX:
        errors.setdefault(
            "title", _("The title can be at most {n} characters.").format(n=TITLE_MAX)
        )
    description = (draft.description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors.setdefault(
            "description",
            _("The description can be at most {n} characters.").format(n=DESCRIPTION_MAX),
        )
    category = draft.category if draft.category in categories.BY_CODE else None
    if category is None:
        errors.setdefault("category", _("Choose a category."))
    if not draft.size:
        errors.setdefault("size", _("Choose a size."))
    elif category is not None and draft.size not in categories.sizes_for(category):
        errors.setdefault("size", _("Choose one of the sizes of this category."))
    brand = _one_line(draft.brand)
    if not brand:
        errors.setdefault("brand", _('Enter the brand (or "No brand").'))
    elif len(brand) > BRAND_MAX:
        errors.setdefault(
            "brand", _("The brand can be at most {n} characters.").format(n=BRAND_MAX)
        )
    # optional: a listing may leave them unsaid, but what is said must be one of the options
    colour = draft.colour or None
    if colour is not None and colour not in attributes.COLOURS_BY_CODE:
        errors.setdefault("colour", _("Choose one of the colours offered, or none."))
    pattern = draft.pattern or None
    if pattern is not None and pattern not in attributes.PATTERNS_BY_CODE:
        errors.setdefault("pattern", _("Choose one of the patterns offered, or none."))
    if draft.condition not in CONDITION_LABELS:
        errors.setdefault("condition", _("Choose the condition."))
    price_cents = 0
    if not (draft.price or "").strip():
        errors.setdefault("price", _("Enter a price."))
    else:
        try:
            price_cents = parse_eur(draft.price)
        except PriceError as exc:
            errors.setdefault("price", str(exc))
    if photo_count < 1:
        errors["photos"] = _("Add at least one photo.")
    elif photo_count > MAX_PHOTOS_PER_ITEM:
        extra = photo_count - MAX_PHOTOS_PER_ITEM
        errors["photos"] = ngettext(
            "At most {most} photos: remove one.",
            "At most {most} photos: remove {n} of them.",
            extra,
        ).format(most=MAX_PHOTOS_PER_ITEM, n=extra)
    if errors:
        raise InvalidListingError(errors)
    ai_category = draft.ai_category if draft.ai_category in categories.BY_CODE else None
    confidence = draft.ai_confidence if ai_category is not None else None
    if confidence is not None:
        confidence = min(max(float(confidence), 0.0), 1.0)
    return CleanListing(
        title=title,
        description=description,
        category=category,  # type: ignore[arg-type]
        size=draft.size,  # type: ignore[arg-type]
        brand=brand,
        condition=draft.condition,  # type: ignore[arg-type]
        price_cents=price_cents,
        ai_category=ai_category,
        ai_confidence=confidence,
        colour=colour,
        pattern=pattern,
        ai_colour=draft.ai_colour if draft.ai_colour in attributes.COLOURS_BY_CODE else None,
        ai_pattern=draft.ai_pattern if draft.ai_pattern in attributes.PATTERNS_BY_CODE else None,
    )


def photo_row(item_id: int, position: int, photo: PreparedPhoto) -> Photo:
    """The database row of a prepared photo at ``position`` of an item."""
    return Photo(
        item_id=item_id,
        position=position,
        image=photo.image,
        thumbnail=photo.thumbnail,
        width=photo.width,
        height=photo.height,
    )


@dataclass(frozen=True)
class CoverEmbedding:
    """The cover photo's unit image embedding, and the fingerprint of the model that made
    it (``core.ai.model_dir.model_fingerprint``)."""

    model: str
    vector: np.ndarray


def create_listing(
    session: Session,
    seller_id: int,
    draft: ListingDraft,
    photos: Sequence[PreparedPhoto],
    *,
    embedding: CoverEmbedding | None = None,
) -> Item:
    """Put an item on sale with its photos (first one is the cover) and the cover's
    embedding (when the sell page has one), in one transaction.

    Raises InvalidListingError; nothing is stored on error.
    """
    clean = check_listing(draft, len(photos))
    now = utcnow()
    item = Item(
        seller_id=seller_id,
        title=clean.title,
        description=clean.description,
        category=clean.category,
        size=clean.size,
        brand=clean.brand,
        condition=clean.condition,
        price_cents=clean.price_cents,
        colour=clean.colour,
        pattern=clean.pattern,
        ai_category=clean.ai_category,
        ai_confidence=clean.ai_confidence,
        ai_colour=clean.ai_colour,
        ai_pattern=clean.ai_pattern,
        created_at=now,
        updated_at=now,
    )
    try:
        begin_write(session)
        session.add(item)
        session.flush()
        session.add_all(photo_row(item.id, n, photo) for n, photo in enumerate(photos))
        if embedding is not None:
            save_embedding(session, item.id, embedding.model, embedding.vector)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.refresh(item)  # loaded again: usable after the session closes
    return item


def _refusal(
    session: Session, seller_id: int, item_id: int, revision: int | None = None
) -> ListingError:
    """Why a conditional write on a listing matched no row."""
    session.rollback()
    # plain columns: rows that a rollback cannot expire (no reload, no read left open)
    item = session.exec(
        select(Item.seller_id, Item.status, Item.revision).where(Item.id == item_id)
    ).first()
    session.rollback()  # only explains the refusal
    if item is None:
        return ListingNotFoundError()
    if item.seller_id != seller_id:
        return NotYourListingError()
    if item.status == ItemStatus.SOLD.value:
        return ListingSoldError()
    if revision is not None and item.revision != revision:
        return StaleListingError()
    return ListingError(_("This listing could not be changed; try again."))


def _own_available(seller_id: int, item_id: int):
    return (
        Item.id == item_id,
        Item.seller_id == seller_id,
        Item.status == ItemStatus.AVAILABLE.value,
    )


def update_listing(
    session: Session,
    seller_id: int,
    item_id: int,
    draft: ListingDraft,
    photos: Sequence[int | PreparedPhoto],
    *,
    revision: int | None = None,
    embedding: CoverEmbedding | None = None,
) -> None:
    """Change every field and the photos of the seller's unsold listing, in one transaction.

    ``photos`` is the new list in order: the id of an existing photo of this item to keep,
    or a new PreparedPhoto. ``revision`` is the listing's revision the form was opened at: a
    form left open while the listing changed elsewhere is refused. Every edit bumps the
    revision, so a checkout confirmed before it buys nothing. ``embedding`` is the new
    cover's; a new cover without one drops the old cover's
    (``core.catalogue.embeddings.index_missing`` makes it again); a new category renews
    the embeddings' rows, so that the in-memory indexes file the cover under it. A lower
    price ends the pending offers at or above it (``core.trade.offers``). Raises
    InvalidListingError, ListingNotFoundError, NotYourListingError, ListingSoldError or
    StaleListingError; nothing changes on error.
    """
    clean = check_listing(draft, len(photos))
    values = clean.values()
    values["revision"] = Item.revision + 1
    where = _own_available(seller_id, item_id)
    if revision is not None:
        where = (*where, Item.revision == revision)
    if draft.ai_category is not None:  # a new suggestion came with new photos
        values.update(
            ai_category=clean.ai_category,
            ai_confidence=clean.ai_confidence,
            ai_colour=clean.ai_colour,
            ai_pattern=clean.ai_pattern,
        )
    try:
        # the first statement writes: the seller, the status and the item are checked at once
        begin_write(session)
        # the price and category before (the row locked on PostgreSQL; SQLite's write lock
        # is held)
        before = session.exec(
            select(Item.price_cents, Item.category).where(Item.id == item_id).with_for_update()
        ).first()
        old_cents, old_category = before if before is not None else (None, None)
        now = utcnow()
        changed = session.exec(
            sql_update(Item).where(*where).values(**values, updated_at=now).returning(Item.id)
        ).all()
        if len(changed) != 1:
            raise _refusal(session, seller_id, item_id, revision)
        if old_cents is not None and old_cents != values["price_cents"]:  # the price history
            session.add(
                PriceChange(
                    item_id=item_id, old_cents=old_cents, new_cents=values["price_cents"],
                    changed_at=now,
                )
            )  # fmt: skip
        # a lower price ends the pending offers it reaches (no one offers the asking price)
        end_offers(
            session, [item_id], OfferEnd.PRICE, utcnow(), at_or_above_cents=values["price_cents"]
        )
        existing = {
            p.id: p for p in session.exec(select(Photo).where(Photo.item_id == item_id)).all()
        }
        kept = [p for p in photos if isinstance(p, int)]
        if any(photo_id not in existing for photo_id in kept) or len(set(kept)) != len(kept):
            session.rollback()
            raise InvalidListingError({"photos": _("A photo of this listing has changed; retry.")})
        old_order = sorted(existing, key=lambda i: existing[i].position)
        if embedding is not None:
            save_embedding(session, item_id, embedding.model, embedding.vector)
        elif not old_order or photos[0] != old_order[0]:
            drop_embeddings(session, item_id)  # the cover changed: its embedding is stale
        if old_category != values["category"]:
            renew_embeddings(session, item_id)  # the indexes file it under its new category
        if list(photos) == old_order:
            session.commit()  # the same photos in the same order: nothing to rewrite
            return
        rows = []
        for position, photo in enumerate(photos):
            if isinstance(photo, int):
                old = existing[photo]
                rows.append(
                    Photo(
                        item_id=item_id,
                        position=position,
                        image=old.image,
                        thumbnail=old.thumbnail,
                        width=old.width,
                        height=old.height,
                        created_at=old.created_at,
                    )
                )
            else:
                rows.append(photo_row(item_id, position, photo))
        # positions are unique per item: clear them all, then write the new order
        session.exec(delete(Photo).where(Photo.item_id == item_id))
        for old_row in existing.values():
            session.expunge(old_row)  # deleted above, behind the session's back
        session.add_all(rows)
        session.commit()
    except BaseException:
        session.rollback()
        raise


def delete_listing(session: Session, seller_id: int, item_id: int) -> None:
    """Delete the seller's listing while it is not sold (its photos and cart lines go too;
    its open offers end, and its conversations stay with the title it had).

    Raises ListingNotFoundError, NotYourListingError or ListingSoldError.
    """
    try:
        begin_write(session)
        # its row first (PostgreSQL): an offer being made for it is ended here, not left open
        session.exec(select(Item.id).where(*_own_available(seller_id, item_id)).with_for_update())
        end_offers(session, [item_id], OfferEnd.REMOVED, utcnow())
        deleted = session.exec(
            delete(Item).where(*_own_available(seller_id, item_id)).returning(Item.id)
        ).all()
        if len(deleted) != 1:
            raise _refusal(session, seller_id, item_id)
        session.commit()
    except BaseException:
        session.rollback()
        raise

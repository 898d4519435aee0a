"""The cart: items of other sellers put aside by a buyer, shown with their accepted-offer
prices, and what a checkout of it would buy (plain functions over a session)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, exists, insert, literal
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.errors import BlockedError, UserError
from core.i18n import _
from core.messaging.badges import cart_lines_query
from core.models.base import id_literal, utcnow
from core.models.catalogue import Item, ItemStatus, Photo
from core.models.moderation import blocked_between
from core.models.trade import CartLine
from core.trade.accepted_offers import AcceptedOffer, accepted_offers_for
from core.trade.checkout import ConfirmedItem


class CartError(UserError):
    """A cart change that was refused; ``str(exc)`` is for the user."""


class AlreadyInCartError(CartError):
    """The item is in the user's cart already (a second click, another tab)."""


def add_to_cart(session: Session, user_id: int, item_id: int) -> None:
    """Put an available item of another seller in the user's cart, once.

    Raises CartError (no such item, your own item, sold, already in the cart).
    """
    now = utcnow()
    addable = (
        select(id_literal(user_id), Item.id, literal(now, CartLine.added_at.type))
        .where(
            Item.id == item_id,
            Item.status == ItemStatus.AVAILABLE.value,
            Item.seller_id != user_id,
            ~exists().where(CartLine.user_id == user_id, CartLine.item_id == item_id),
            ~blocked_between(user_id, Item.seller_id),
        )
        .subquery()
    )
    statement = (
        insert(CartLine.__table__)
        .from_select(["user_id", "item_id", "added_at"], select(*addable.c))
        .returning(CartLine.__table__.c.id)  # rows, not rowcount: both databases agree
    )
    try:
        added = len(session.exec(statement).all())  # writes first: no stale read to act on
        if added == 1:
            session.commit()
            return
        session.rollback()
    except IntegrityError:  # the same line added a moment ago (another tab)
        session.rollback()
        added = 0
    item = session.exec(  # plain columns: a rollback cannot expire them into new reads
        select(Item.seller_id, Item.status, blocked_between(user_id, Item.seller_id)).where(
            Item.id == item_id
        )
    ).first()
    session.rollback()  # the read only explains the refusal: end its transaction
    if item is None:
        raise CartError(_("This item does not exist (it may have been removed)."))
    if item.seller_id == user_id:
        raise CartError(_("This is your own item."))
    if item.status != ItemStatus.AVAILABLE.value:
        raise CartError(_("This item is already sold."))
    if item[2]:
        raise BlockedError()
    raise AlreadyInCartError(_("This item is already in your cart."))


def remove_from_cart(session: Session, user_id: int, item_id: int) -> None:
    """Take an item out of the user's cart (nothing happens if it is not there)."""
    session.exec(delete(CartLine).where(CartLine.user_id == user_id, CartLine.item_id == item_id))
    session.commit()


@dataclass(frozen=True)
class CartEntry:
    item: Item
    thumbnail: bytes | None
    available: bool  # False: sold meanwhile, flagged and left out of the total
    offer: AcceptedOffer | None = None  # the buyer's live accepted offer, below the asking price

    @property
    def price_cents(self) -> int:
        """What the buyer pays for it: the accepted offer's price, or the asking price."""
        return self.offer.price_cents if self.offer is not None else self.item.price_cents


@dataclass(frozen=True)
class Cart:
    entries: list[CartEntry]

    @property
    def available(self) -> list[CartEntry]:
        return [e for e in self.entries if e.available]

    @property
    def item_ids(self) -> list[int]:
        """The items a checkout of this cart buys."""
        return [e.item.id for e in self.available]

    @property
    def confirmation(self) -> tuple[ConfirmedItem, ...]:
        """What a checkout of this cart buys, as the buyer sees it now."""
        return tuple(
            ConfirmedItem(
                e.item.id,
                e.item.revision,
                e.price_cents,
                e.item.title,
                e.offer.id if e.offer is not None else None,
            )
            for e in self.available
        )

    @property
    def total_cents(self) -> int:
        return sum(e.price_cents for e in self.available)


def get_cart(session: Session, user_id: int) -> Cart:
    """The user's cart, oldest line first; sold items are flagged; an item with the user's
    live accepted offer is at the offer's price."""
    rows = session.exec(
        select(Item, Photo.thumbnail)
        .join(CartLine, CartLine.item_id == Item.id)
        .join(Photo, (Photo.item_id == Item.id) & (Photo.position == 0), isouter=True)
        .where(CartLine.user_id == user_id)
        .order_by(CartLine.added_at, CartLine.id)
    ).all()
    offers = accepted_offers_for(session, user_id, (item.id for item, _thumb in rows))
    entries = []
    for item, thumb in rows:
        available = item.status == ItemStatus.AVAILABLE.value and item.seller_id != user_id
        offer = offers.get(item.id) if available else None
        entries.append(CartEntry(item, thumb, available, offer))
    return Cart(entries)


def cart_size(session: Session, user_id: int) -> int:
    """How many lines the user's cart has."""
    return session.exec(select(cart_lines_query(user_id))).one()

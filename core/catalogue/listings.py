"""Listings: one item as its page shows it, a seller's listings, the labels of conditions,
and the errors of listing steps (plain functions over a session). The seller's writes are in
``core.catalogue.selling``, the catalogue's search in ``core.catalogue.search``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from core.errors import FieldErrors, UserError
from core.i18n import N_, _
from core.models.accounts import User
from core.models.base import ID_MAX
from core.models.catalogue import Condition, Item, ItemStatus, Photo
from core.models.trade import CartLine

CONDITION_LABELS: dict[str, str] = {  # in English: shown through condition_label()
    Condition.NEW_WITH_TAGS.value: N_("New with tags"),
    Condition.VERY_GOOD.value: N_("Very good"),
    Condition.GOOD.value: N_("Good"),
    Condition.SATISFACTORY.value: N_("Satisfactory"),
}


def condition_label(code: str) -> str:
    """The label of a condition code in the person's language ("very_good" -> "Very
    good", "Très bon état"); an unknown code as it is."""
    label = CONDITION_LABELS.get(code)
    return _(label) if label else code


# --- errors -----------------------------------------------------------------------------


class ListingError(UserError):
    """A listing operation that was refused; ``str(exc)`` is for the user."""


class ListingNotFoundError(ListingError):
    def __init__(self) -> None:
        super().__init__(_("This item does not exist (it may have been removed)."))


class NotYourListingError(ListingError):
    def __init__(self) -> None:
        super().__init__(_("Only the seller can change this listing."))


class ListingSoldError(ListingError):
    def __init__(self) -> None:
        super().__init__(_("This item is sold: it can no longer be changed or deleted."))


class StaleListingError(ListingError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "This listing was changed elsewhere (another tab?) since you opened it. "
                "Nothing was saved: open it again to see the changes."
            )
        )


class InvalidListingError(FieldErrors, ListingError):
    """Fields a seller must fix; ``errors`` maps each field to its message."""


# --- one item -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemPhoto:
    id: int
    image: bytes
    thumbnail: bytes
    width: int
    height: int


@dataclass(frozen=True)
class ItemView:
    """An item as its page shows it to one viewer (None: logged out)."""

    item: Item
    photos: list[ItemPhoto]
    seller_name: str
    is_own: bool = False
    in_cart: bool = False

    @property
    def is_sold(self) -> bool:
        return self.item.status == ItemStatus.SOLD.value


def item_id_from_text(raw: str | None) -> int:
    """The id in ``?item=`` / ``?edit=``, or ListingNotFoundError. ASCII digits only:
    ``int()`` would also read "١" (an Arabic 1), " 7" or "1_0"."""
    if not raw or len(raw) > 10 or not (raw.isascii() and raw.isdigit()):
        raise ListingNotFoundError()
    value = int(raw)
    if not 0 < value <= ID_MAX:
        raise ListingNotFoundError()
    return value


def get_item_view(session: Session, item_id: int, viewer_id: int | None = None) -> ItemView:
    """The item, its photos in order, its seller's name, and what the viewer can do with it.

    A listing an administrator hid is shown to its seller only. Raises ListingNotFoundError.
    """
    row = session.exec(
        select(Item, User.display_name)
        .join(User, User.id == Item.seller_id)
        .where(Item.id == item_id)
    ).first()
    if row is None:
        raise ListingNotFoundError()
    item, seller_name = row
    if item.status == ItemStatus.HIDDEN.value and item.seller_id != viewer_id:
        raise ListingNotFoundError()  # hidden by an administrator: its seller alone sees it
    photos = session.exec(
        select(Photo).where(Photo.item_id == item_id).order_by(Photo.position)
    ).all()
    in_cart = viewer_id is not None and (
        session.exec(
            select(CartLine.id).where(CartLine.user_id == viewer_id, CartLine.item_id == item_id)
        ).first()
        is not None
    )
    return ItemView(
        item=item,
        photos=[ItemPhoto(p.id, p.image, p.thumbnail, p.width, p.height) for p in photos],
        seller_name=seller_name,
        is_own=viewer_id is not None and item.seller_id == viewer_id,
        in_cart=in_cart,
    )


def get_own_listing(session: Session, seller_id: int, item_id: int) -> ItemView:
    """The seller's own, unsold listing, for editing.

    Raises ListingNotFoundError, NotYourListingError or ListingSoldError.
    """
    view = get_item_view(session, item_id, seller_id)
    if not view.is_own:
        raise NotYourListingError()
    if view.is_sold:
        raise ListingSoldError()
    return view


@dataclass(frozen=True)
class ListingRow:
    item: Item
    thumbnail: bytes | None


def seller_listings(session: Session, seller_id: int) -> list[ListingRow]:
    """Every listing of a seller, newest first, sold ones included."""
    rows = session.exec(
        select(Item, Photo.thumbnail)
        .join(Photo, (Photo.item_id == Item.id) & (Photo.position == 0), isouter=True)
        .where(Item.seller_id == seller_id)
        .order_by(Item.created_at.desc(), Item.id.desc())
    ).all()
    return [ListingRow(item, thumb) for item, thumb in rows]

"""Checkout: what the buyer confirmed, bought in one transaction, one order per seller
(plain functions over a session). The cart is ``core.trade.cart``, the orders made here
``core.trade.orders``.

Checkout is one transaction whose first statement marks the items sold only where they are
still available (a conditional UPDATE): of two buyers racing for one item, the second one's
UPDATE finds it sold (SQLite serialises the writers; PostgreSQL re-checks the row after the
first commit), and its whole checkout is refused and rolled back. The unique item_id of
order_lines backs this up in the schema. An item confirmed at the price of the buyer's
accepted offer (``core.trade.accepted_offers``) is bought at that price only if the same
transaction marks the offer used; the sale ends the items' other open offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, select

from core.accounts.accounts import POSTAL_CODE_MESSAGE, POSTAL_CODE_RE
from core.db import begin_write
from core.errors import FieldErrors, UserError
from core.i18n import _, ngettext
from core.messaging.messages import OfferEnd
from core.messaging.notifications import Kind, notify
from core.models.accounts import ADDRESS_MAX, CITY_MAX, DISPLAY_NAME_MAX, POSTAL_CODE_MAX, User
from core.models.base import utcnow
from core.models.catalogue import TITLE_MAX, Item, ItemStatus, Photo
from core.models.moderation import blocked_between
from core.models.trade import CartLine, Order, OrderLine, OrderStatus
from core.text import text_problem
from core.trade.accepted_offers import OfferLine, OfferNoLongerValidError, use_offers
from core.trade.offers import end_offers


class CheckoutError(UserError):
    """A checkout that was refused; nothing was bought. ``str(exc)`` is for the user."""


class ShippingError(FieldErrors, CheckoutError):
    """Shipping fields to fix; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors, _("Check the shipping address."))


def quoted_titles(titles: Sequence[str]) -> str:
    """Titles as a sentence names them: “Red dress”, “Jeans” (« Red dress » in French)."""
    return ", ".join(_("“{title}”").format(title=t) for t in titles)


class ItemsUnavailableError(CheckoutError):
    """Items someone else bought (or that were withdrawn) since the cart was shown."""

    def __init__(self, titles: Sequence[str]):
        message = ngettext(
            "{names} was sold in the meantime. Nothing was bought.",
            "These items were sold in the meantime: {names}. Nothing was bought.",
            len(titles),
        )
        super().__init__(message.format(names=quoted_titles(titles)))
        self.titles = list(titles)


class CartChangedError(CheckoutError):
    """The cart is not what the buyer confirmed: the sentence says what changed."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message or _("Your cart changed; check it and confirm again. Nothing was bought.")
        )


@dataclass(frozen=True)
class ConfirmedItem:
    """One item as the buyer's confirmation showed it: checkout buys this, or nothing."""

    item_id: int
    revision: int
    price_cents: int  # the price the buyer confirmed: the asking price, or the offer's
    title: str = ""
    offer_id: int | None = None  # bought at this accepted offer's price


@dataclass(frozen=True)
class Shipping:
    name: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""


def shipping_from_profile(user: User) -> Shipping:
    """The shipping fields prefilled from the buyer's profile."""
    return Shipping(user.display_name, user.address or "", user.postal_code or "", user.city or "")


def check_shipping(shipping: Shipping) -> Shipping:
    """Every shipping field checked at once; ShippingError maps bad fields to messages."""
    clean = Shipping(*(" ".join((v or "").split()) for v in (
        shipping.name, shipping.address, shipping.postal_code, shipping.city
    )))  # fmt: skip
    errors = {}
    rules = (
        ("name", clean.name, DISPLAY_NAME_MAX, _("Enter the name on the parcel.")),
        ("address", clean.address, ADDRESS_MAX, _("Enter the street address.")),
        ("postal_code", clean.postal_code, POSTAL_CODE_MAX, _("Enter the postal code.")),
        ("city", clean.city, CITY_MAX, _("Enter the city.")),
    )
    for name, value, longest, missing in rules:
        if problem := text_problem(value):
            errors[name] = problem
        elif not value:
            errors[name] = missing
        elif len(value) > longest:
            errors[name] = ngettext(
                "At most {n} character.", "At most {n} characters.", longest
            ).format(n=longest)
    if "postal_code" not in errors and not POSTAL_CODE_RE.fullmatch(clean.postal_code):
        errors["postal_code"] = _(POSTAL_CODE_MESSAGE)
    if errors:
        raise ShippingError(errors)
    return clean


def checkout(
    session: Session,
    buyer_id: int,
    shipping: Shipping,
    confirmed: Sequence[ConfirmedItem],
) -> list[Order]:
    """Buy exactly the items the buyer confirmed, in one transaction: one order per seller
    (each is one parcel, tracked on its own), by seller id.

    ``confirmed`` is what the confirmation showed: each item's id, revision (bumped by every
    edit of the listing) and price. Each item is marked sold only if it is still available,
    still in this buyer's cart, not the buyer's own, and still that revision at that price;
    if any is not, nothing is bought. An item confirmed with an offer (``offer_id``) is
    bought at the offer's price if that offer is, in this transaction, still accepted, this
    buyer's, this item's at that price and not expired (it becomes used), and below the
    asking price; the sale ends every other open offer of the items sold. The order lines
    keep a copy of what was bought (title, brand, size, price, cover thumbnail), which later
    edits cannot change. Raises ShippingError, CheckoutError (an offer that no longer
    holds, among others), ItemsUnavailableError (naming the items) or CartChangedError (a
    listing was edited since the confirmation).
    """
    clean = check_shipping(shipping)
    wanted = {c.item_id: c for c in confirmed}
    ids = sorted(wanted)
    if not ids or len(ids) != len(confirmed):
        raise CheckoutError(_("Your cart has nothing to buy."))
    now = utcnow()
    in_cart = select(CartLine.item_id).where(CartLine.user_id == buyer_id)
    as_confirmed = or_(
        *(
            and_(
                Item.id == c.item_id,
                Item.revision == c.revision,
                # at an offer's price: the offer is checked below, the asking price is higher
                Item.price_cents == c.price_cents
                if c.offer_id is None
                else Item.price_cents > c.price_cents,
            )
            for c in wanted.values()
        )
    )
    at_offers = [
        OfferLine(c.offer_id, c.item_id, c.price_cents, c.title)
        for c in wanted.values()
        if c.offer_id is not None
    ]
    try:
        # The first statements write: they take SQLite's write lock (waiting for another
        # checkout to finish) and, on PostgreSQL, each row's lock before re-checking it.
        begin_write(session)
        sold = session.exec(
            update(Item)
            .where(
                as_confirmed,
                Item.status == ItemStatus.AVAILABLE.value,
                Item.seller_id != buyer_id,
                Item.id.in_(in_cart),
                ~blocked_between(buyer_id, Item.seller_id),
            )
            .values(status=ItemStatus.SOLD.value, updated_at=now)
            .returning(Item.id)
        ).all()
        if len(sold) != len(ids):
            raise _unavailable(session, buyer_id, list(wanted.values()))
        use_offers(session, buyer_id, at_offers, now)  # each offer once, or nothing is bought
        end_offers(session, ids, OfferEnd.SOLD, now)  # everyone else's, and any still pending
        rows = session.exec(
            select(Item, Photo.thumbnail)
            .join(Photo, (Photo.item_id == Item.id) & (Photo.position == 0), isouter=True)
            .where(Item.id.in_(ids))
            .order_by(Item.id)
        ).all()
        orders = []
        by_seller: dict[int, list] = {}
        for item, thumb in rows:
            by_seller.setdefault(item.seller_id, []).append((item, thumb))
        for seller_id, lines in sorted(by_seller.items()):  # one order (parcel) per seller
            order = Order(
                buyer_id=buyer_id,
                seller_id=seller_id,
                status=OrderStatus.PAID.value,
                total_cents=sum(wanted[item.id].price_cents for item, _thumb in lines),
                shipping_name=clean.name,
                shipping_address=clean.address,
                shipping_postal_code=clean.postal_code,
                shipping_city=clean.city,
                created_at=now,
            )
            session.add(order)
            session.flush()
            orders.append(order)
            session.add_all(
                OrderLine(
                    order_id=order.id,
                    item_id=item.id,
                    seller_id=item.seller_id,
                    title=item.title,
                    brand=item.brand,
                    size=item.size,
                    price_cents=wanted[item.id].price_cents,
                    thumbnail=thumb,
                    offer_id=wanted[item.id].offer_id,
                )
                for item, thumb in lines
            )
            notify(
                session,
                seller_id,
                Kind.ITEM_SOLD,
                actor_id=buyer_id,
                item_id=lines[0][0].id,
                item_title=short_titles(item.title for item, _thumb in lines),
                order_id=order.id,
                price_cents=order.total_cents,
            )
        session.exec(
            delete(CartLine).where(CartLine.user_id == buyer_id, CartLine.item_id.in_(ids))
        )
        session.commit()
    except CheckoutError:
        session.rollback()
        raise
    except OfferNoLongerValidError as exc:
        session.rollback()
        raise CheckoutError(str(exc)) from exc
    except IntegrityError as exc:  # an order line for one of these items already exists
        session.rollback()
        raise _unavailable(session, buyer_id, list(wanted.values())) from exc
    except DBAPIError as exc:  # e.g. a PostgreSQL deadlock between two multi-item checkouts
        session.rollback()
        raise CheckoutError(
            _("The checkout could not finish; nothing was bought. Try again.")
        ) from exc
    except BaseException:
        session.rollback()
        raise
    for order in orders:
        session.refresh(order)  # loaded again: usable after the session closes
    return orders


def short_titles(titles) -> str:
    """One title, or the first and how many more ("Red dress + 2"), within the title cap."""
    titles = list(titles)
    more = f" + {len(titles) - 1}" if len(titles) > 1 else ""
    return titles[0][: TITLE_MAX - len(more)] + more


def _unavailable(session: Session, buyer_id: int, confirmed: list[ConfirmedItem]) -> CheckoutError:
    """Why the conditional update did not mark every item sold (after a rollback)."""
    session.rollback()
    ids = [c.item_id for c in confirmed]
    items = {  # plain columns: a rollback cannot expire them into new reads
        i.id: i
        for i in session.exec(
            select(
                Item.id,
                Item.title,
                Item.status,
                Item.seller_id,
                Item.revision,
                Item.price_cents,
                blocked_between(buyer_id, Item.seller_id).label("blocked"),
            ).where(Item.id.in_(ids))
        ).all()
    }
    session.rollback()  # only explains the refusal
    gone = [i.title for i in items.values() if i.status != ItemStatus.AVAILABLE.value]
    if gone:
        return ItemsUnavailableError(gone)
    if len(items) != len(ids):
        return CartChangedError(
            _(
                "An item of your cart was withdrawn by its seller; check it and confirm again. "
                "Nothing was bought."
            )
        )
    if any(i.seller_id == buyer_id for i in items.values()):
        return CheckoutError(_("You cannot buy your own item."))
    if blocked := [i.title for i in items.values() if i.blocked]:
        return CheckoutError(
            _(
                "You cannot buy {names}: you or its seller blocked the other. Remove it from "
                "your cart. Nothing was bought."
            ).format(names=quoted_titles(blocked))
        )
    changed = [
        c.title or items[c.item_id].title
        for c in confirmed
        if items[c.item_id].revision != c.revision
        or (c.offer_id is None and items[c.item_id].price_cents != c.price_cents)
        or (c.offer_id is not None and items[c.item_id].price_cents <= c.price_cents)
    ]
    if changed:
        return CartChangedError(
            _(
                "The seller changed {names} since you confirmed; check it and confirm again. "
                "Nothing was bought."
            ).format(names=quoted_titles(changed))
        )
    return CartChangedError()

"""Orders: my purchases and my sales, each with its items, where it stands (paid, shipped,
received, completed) and the next step for whoever takes it; the buyer's review."""

import streamlit as st

from core.catalogue.categories import ONE_SIZE, size_label
from core.errors import UserError
from core.i18n import _, format_day
from core.models.trade import REVIEW_COMMENT_MAX, TRACKING_MAX, OrderStatus
from core.trade.orders import OrderSummary, purchases, sales
from core.trade.reviews import REVIEWABLE, leave_review
from core.trade.tracking import (
    COMPLETE_AFTER,
    complete_order,
    confirm_received,
    mark_shipped,
    settle_due,
    status_label,
    timeline,
)
from ui import pages
from ui.auth import require_user
from ui.sellers import stars
from ui.state import db_session
from ui.widgets import flash, item_link, money, photo_alt, plain, thumbnail

STATUS_BADGES = {  # the label: core.trade.tracking.status_label
    OrderStatus.PAID: (":material/inventory_2:", "orange"),
    OrderStatus.SHIPPED: (":material/local_shipping:", "blue"),
    OrderStatus.RECEIVED: (":material/markunread_mailbox:", "violet"),
    OrderStatus.COMPLETED: (":material/check_circle:", "green"),
}

PENDING = ":material/radio_button_unchecked:"

user = require_user(pages.ORDERS)
st.title(_("My orders"))
flash()

with db_session() as session:
    settle_due(session)  # the steps that happen by themselves, before reading
    bought = purchases(session, user.id)
    sold = sales(session, user.id)


def act(step, *args, done: str) -> None:
    """Take a step of the order; its refusal is shown, its success after the rerun."""
    try:
        with db_session() as session:
            step(session, user.id, *args)
    except UserError as exc:
        st.error(str(exc))
        return
    st.session_state["_flash"] = done
    st.rerun()


def show_timeline(order: OrderSummary) -> None:
    lines = []
    for step in timeline(order):
        if step.done:
            line = f":material/check_circle: **{step.label}** {format_day(step.at)}"
            if step.status is OrderStatus.SHIPPED and order.tracking:
                tracking = _("tracking: {tracking}").format(tracking=plain(order.tracking))
                line += f" · {tracking}"
        elif step.expected is not None:
            expected = _("{step}: automatically on {day}").format(
                step=step.label, day=format_day(step.expected)
            )
            line = f"{PENDING} {expected}"
        else:
            line = f"{PENDING} {step.label}"
        lines.append(line)
    st.markdown("  \n".join(lines))


def clicked_too_late(order: OrderSummary, *keys: str) -> None:
    """A click this run on a step the order has moved past (another tab, the other side, or
    the step that happens by itself came first): its button is not drawn any more, so
    Streamlit would drop the click without a word. Say so."""
    if any(st.session_state.get(f"{key}_{order.order_id}") is True for key in keys):
        st.warning(
            _(
                "Order n°{number} is already “{status}”: your click came too late and changed "
                "nothing."
            ).format(number=order.order_id, status=status_label(order.status)),
            icon=":material/update:",
        )


def sale_actions(order: OrderSummary) -> None:
    if order.status != OrderStatus.PAID.value:
        clicked_too_late(order, "ship_submit")
        return
    with st.form(f"ship_{order.order_id}", clear_on_submit=True, border=False):
        tracking = st.text_input(
            _("Carrier and tracking number (optional)"),
            max_chars=TRACKING_MAX,
            key=f"tracking_{order.order_id}",
        )
        if st.form_submit_button(
            _("Mark as shipped"),
            type="primary",
            icon=":material/local_shipping:",
            key=f"ship_submit_{order.order_id}",
        ):
            act(
                mark_shipped,
                order.order_id,
                tracking,
                done=_("Marked as shipped: the buyer is told."),
            )


def purchase_actions(order: OrderSummary) -> None:
    status = OrderStatus(order.status)
    gone = []  # the steps this order has moved past, whose click is dropped
    if status is not OrderStatus.SHIPPED:
        gone.append("received")
    if status is not OrderStatus.RECEIVED:
        gone.append("fine")
    if order.status not in REVIEWABLE or order.review is not None:
        gone.append("review_submit")
    clicked_too_late(order, *gone)
    if status is OrderStatus.SHIPPED and st.button(
        _("I received it"), key=f"received_{order.order_id}", type="primary",
        icon=":material/markunread_mailbox:",
    ):  # fmt: skip
        act(confirm_received, order.order_id, done=_("Thank you: the seller is told."))
    if status is OrderStatus.RECEIVED:
        st.caption(
            _(
                "Is everything as described? Say so, or the order completes by itself on {day}."
            ).format(day=format_day(order.received_at + COMPLETE_AFTER))
        )
        if st.button(
            _("Everything is fine"), key=f"fine_{order.order_id}", icon=":material/thumb_up:"
        ):
            act(complete_order, order.order_id, done=_("The order is completed."))
    if order.status in REVIEWABLE and order.review is None:
        review_form(order)


def review_form(order: OrderSummary) -> None:
    with st.form(f"review_{order.order_id}", border=True):
        rate = _("Rate {name}").format(name=plain(order.seller_name))
        st.markdown(f"**{rate}**")
        given = st.feedback("stars", key=f"stars_{order.order_id}")
        comment = st.text_area(
            _("Comment (optional)"), max_chars=REVIEW_COMMENT_MAX, key=f"comment_{order.order_id}"
        )
        if st.form_submit_button(
            _("Send the review"), icon=":material/send:", key=f"review_submit_{order.order_id}"
        ):
            rating = None if given is None else given + 1  # the stars are numbered from 0
            act(
                leave_review,
                order.order_id,
                rating,
                comment,
                done=_("Thank you for your review."),
            )


def show_review(order: OrderSummary, *, sale: bool) -> None:
    review = order.review
    if review is None:
        return
    rated = f"**{stars(review.rating)}**"
    said = (
        _("{name}'s review: {stars}").format(name=plain(order.buyer_name), stars=rated)
        if sale
        else _("Your review: {stars}").format(stars=rated)
    )
    st.markdown(f"{said} · {format_day(review.created_at)}")
    if review.comment:
        st.text(review.comment)


def show(order: OrderSummary, *, sale: bool) -> None:
    with st.container(border=True, key=f"order_{order.order_id}"):
        head, total = st.columns([3, 1])
        number = _("Order n°{number}").format(number=order.order_id)
        head.markdown(f"**{number}** · {format_day(order.created_at)}")
        total.markdown(_("Total {price}").format(price=money(order.total_cents)))
        icon, colour = STATUS_BADGES[OrderStatus(order.status)]
        label = status_label(order.status)
        if sale and order.status == OrderStatus.PAID.value:
            label = _("Paid: to ship")
        st.badge(label, icon=icon, color=colour)
        for line in order.lines:  # photo and text side by side at any width (no columns)
            with st.container(horizontal=True, vertical_alignment="center"):
                thumbnail(line.thumbnail, width=64, alt=photo_alt(line.title))
                with st.container(gap="small"):
                    st.markdown(f"{plain(line.title)} · {money(line.price_cents)}")
                    if line.size == ONE_SIZE:  # "One size", not "size One size"
                        facts = _("{brand} · {size}")
                    else:
                        facts = _("{brand} · size {size}")
                    size = plain(size_label(line.size))
                    st.caption(facts.format(brand=plain(line.brand), size=size))
                    item_link(line.item_id, label=_("See"))
        ship = order.shipping
        where = f"{plain(ship.address)}, {plain(ship.postal_code)} {plain(ship.city)}"
        if sale:
            st.caption(
                _("Bought by {buyer} · ship to {name}, {where}").format(
                    buyer=plain(order.buyer_name), name=plain(ship.name), where=where
                )
            )
        else:
            st.caption(_("Shipped to {name}, {where}").format(name=plain(ship.name), where=where))
            pages.SELLER.link(
                _("Sold by {name}").format(name=plain(order.seller_name)),
                query={"id": str(order.seller_id)},
                icon=":material/storefront:",
            )
        show_timeline(order)
        if sale:
            sale_actions(order)
        else:
            purchase_actions(order)
        show_review(order, sale=sale)


TABS_KEY = "orders_tab"
_SIDE_KEY = "_orders_side"  # "sales" or "purchases": the tab last opened, whatever its count
_FOCUSED_KEY = "_orders_focused"  # the ?order= this tab has already opened


def focus(orders: list[OrderSummary], wanted: str | None) -> list[OrderSummary]:
    """The orders with the one the address names (``?order=N``, from a notification) first."""
    return sorted(orders, key=lambda o: str(o.order_id) != wanted)


def remember_side(labels: list[str]) -> None:
    chose_sales = st.session_state.get(TABS_KEY) == labels[1]
    st.session_state[_SIDE_KEY] = "sales" if chose_sales else "purchases"


# the tab: the one the person last opened (kept when a count in its label changes); a
# notification's order opens its own side once; on a first visit, "My sales" for a person
# who only sells. Keyed and rerun on a switch, so that an action on a sale stays there.
side = st.session_state.get(_SIDE_KEY)
wanted = st.query_params.get("order")
if wanted and st.session_state.get(_FOCUSED_KEY) != wanted:
    st.session_state[_FOCUSED_KEY] = wanted
    if any(str(o.order_id) == wanted for o in sold):
        side = "sales"
    elif any(str(o.order_id) == wanted for o in bought):
        side = "purchases"
if side is None:
    side = "sales" if sold and not bought else "purchases"
labels = [
    _("My purchases ({n})").format(n=len(bought)),
    _("My sales ({n})").format(n=len(sold)),
]
st.session_state[_SIDE_KEY] = side
st.session_state[TABS_KEY] = labels[1] if side == "sales" else labels[0]
bought, sold = focus(bought, wanted), focus(sold, wanted)
purchases_tab, sales_tab = st.tabs(labels, key=TABS_KEY, on_change=remember_side, args=(labels,))
with purchases_tab:
    if not bought:
        st.info(_("You have not bought anything yet."))
    for order in bought:
        show(order, sale=False)
with sales_tab:
    if not sold:
        st.info(_("You have not sold anything yet."))
    for order in sold:
        show(order, sale=True)

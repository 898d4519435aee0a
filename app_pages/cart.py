"""Cart: the lines (sold ones flagged), the total, and checkout with a confirmation."""

import streamlit as st

from core.catalogue.categories import size_label
from core.i18n import _, ngettext
from core.money import format_eur
from core.trade.cart import get_cart, remove_from_cart
from core.trade.checkout import (
    CheckoutError,
    ConfirmedItem,
    Shipping,
    ShippingError,
    check_shipping,
    checkout,
    shipping_from_profile,
)
from ui import dialogs, pages
from ui.auth import demo_accounts_on, require_user
from ui.state import db_session
from ui.widgets import flash, item_link, moment, money, photo_alt, plain, thumbnail

CHECKOUT_KEY = "_confirm_checkout"
THUMB_PX = 96
ERROR_KEY = "_checkout_error"

user = require_user(pages.CART)
st.title(_("My cart"))
flash()
if error := st.session_state.pop(ERROR_KEY, None):
    st.error(plain(error))

with db_session() as session:
    cart = get_cart(session, user.id)

if not cart.entries:
    st.info(_("Your cart is empty."))
    pages.SHOP.link(_("Go shopping"))
    st.stop()

lines, summary = st.columns([3, 2], gap="large")
with lines:
    for entry in cart.entries:
        item = entry.item
        # a row that never stacks: a small photo, then the text and the buttons beside it
        # (columns cut "Remove" to "Rem..." in a 1/6 column, and stack on a phone)
        with st.container(border=True), st.container(horizontal=True, gap="medium"):
            thumbnail(entry.thumbnail, width=THUMB_PX, alt=photo_alt(item.title, item.category))
            with st.container(gap="small"):
                st.markdown(f"**{plain(item.title)}**")
                st.caption(
                    _("Size {size} · {brand}").format(
                        size=plain(size_label(item.size)), brand=plain(item.brand)
                    )
                )
                if entry.offer is not None:  # the buyer's accepted offer
                    st.markdown(f"{money(entry.price_cents)} ~~{format_eur(item.price_cents)}~~")
                    st.caption(
                        _("Offer accepted, until {until}").format(
                            until=moment(entry.offer.expires_at)
                        )
                    )
                elif entry.available:
                    st.markdown(money(item.price_cents))
                else:
                    st.markdown(f"~~{format_eur(item.price_cents)}~~")
                    st.badge(_("Sold meanwhile: not counted"), icon=":material/block:", color="red")
                with st.container(horizontal=True, vertical_alignment="center"):
                    item_link(item.id, label=_("See"), icon=":material/visibility:")
                    if st.button(_("Remove"), key=f"remove_{item.id}", icon=":material/delete:"):
                        with db_session() as session:
                            remove_from_cart(session, user.id, item.id)
                        st.rerun()  # the whole app: the navigation's "Cart (n)" too

with summary:
    count = len(cart.available)
    st.subheader(_("Total: {price}").format(price=format_eur(cart.total_cents)), anchor=False)
    st.caption(ngettext("{n} item to buy", "{n} items to buy", count).format(n=count))
    if count == 0:
        st.info(_("Nothing in your cart can be bought any more."))
        st.stop()
    profile = shipping_from_profile(user)
    with st.form("shipping"):
        ship_to = _("Ship to")  # outside the f-string: the extractor cannot see in one
        st.markdown(f"**{ship_to}**")
        name = st.text_input(_("Name"), value=profile.name, max_chars=50)
        name_error = st.empty()
        address = st.text_input(_("Address"), value=profile.address, max_chars=200)
        address_error = st.empty()
        postal_col, city_col = st.columns([1, 2])
        postal_code = postal_col.text_input(
            _("Postal code"), value=profile.postal_code, max_chars=10
        )
        city = city_col.text_input(_("City"), value=profile.city, max_chars=80)
        place_error = st.empty()
        buy = st.form_submit_button(
            _("Buy for {price}").format(price=format_eur(cart.total_cents)),
            type="primary",
            icon=":material/shopping_bag:",
            width="stretch",
        )
    if buy:
        try:
            shipping = check_shipping(Shipping(name, address, postal_code, city))
        except ShippingError as exc:
            slots = {"name": name_error, "address": address_error}
            for field, message in exc.errors.items():
                slots.get(field, place_error).error(message)
        else:
            dialogs.ask(CHECKOUT_KEY, (cart.confirmation, shipping))


def confirm_body(value: tuple[tuple[ConfirmedItem, ...], Shipping]) -> None:
    confirmed, shipping = value  # what this dialog shows is exactly what checkout buys
    total = sum(c.price_cents for c in confirmed)
    st.markdown("\n".join(f"- {plain(c.title)}: {format_eur(c.price_cents)}" for c in confirmed))
    total_text = _("Total: {price}").format(price=format_eur(total))
    st.markdown(f"**{total_text}**")
    where = f"{plain(shipping.address)}, {plain(shipping.postal_code)} {plain(shipping.city)}"
    st.caption(_("Shipped to {name}, {where}").format(name=plain(shipping.name), where=where))
    if demo_accounts_on():
        st.warning(
            _(
                "This is a demonstration marketplace: its demo accounts' password is public, so "
                "anyone can read the addresses sent to their sellers. Do not type a real address."
            ),
            icon=":material/warning:",
        )
    left, right = st.columns(2)
    if left.button(_("Confirm the purchase"), type="primary", width="stretch"):
        try:
            with db_session() as session:
                orders = checkout(session, user.id, shipping, confirmed)
        except CheckoutError as exc:  # told on the cart itself, which now flags what sold
            dialogs.close(CHECKOUT_KEY)
            st.session_state[ERROR_KEY] = str(exc)
            st.rerun()
        dialogs.close(CHECKOUT_KEY)
        numbers = ", ".join(f"n°{order.id}" for order in orders)
        st.session_state["_flash"] = ngettext(
            "Thank you! Your order {numbers} is placed.",
            "Thank you! Your orders {numbers} are placed.",
            len(orders),
        ).format(numbers=numbers)
        pages.ORDERS.go()
    if right.button(_("Cancel"), width="stretch"):
        dialogs.close(CHECKOUT_KEY)
        st.rerun()


dialogs.confirm(CHECKOUT_KEY, _("Confirm your order"), confirm_body)

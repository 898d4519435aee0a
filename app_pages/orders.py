"""Orders: my purchases and my sales, with dates, items and totals."""

import streamlit as st

from core.orders import OrderSummary, purchases, sales
from ui import pages
from ui.auth import require_user
from ui.state import db_session
from ui.widgets import day, flash, item_link, money, plain, thumbnail

user = require_user(pages.ORDERS)
st.title("My orders")
flash()

with db_session() as session:
    bought = purchases(session, user.id)
    sold = sales(session, user.id)


def show(order: OrderSummary, *, sale: bool) -> None:
    with st.container(border=True):
        head, total = st.columns([3, 1])
        head.markdown(f"**Order n°{order.order_id}** · {day(order.created_at)}")
        total.markdown(f"Total {money(order.total_cents)}")
        for line in order.lines:  # photo and text side by side at any width (no columns)
            with st.container(horizontal=True, vertical_alignment="center"):
                thumbnail(line.thumbnail, width=64)
                with st.container(gap="small"):
                    st.markdown(f"{plain(line.title)} · {money(line.price_cents)}")
                    st.caption(f"{plain(line.brand)} · size {plain(line.size)}")
                    item_link(line.item_id, label="See")
        ship = order.shipping
        where = f"{plain(ship.address)}, {plain(ship.postal_code)} {plain(ship.city)}"
        if sale:
            st.caption(f"Bought by {plain(order.buyer_name)} · ship to {plain(ship.name)}, {where}")
        else:
            st.caption(f"Shipped to {plain(ship.name)}, {where}")


purchases_tab, sales_tab = st.tabs([f"My purchases ({len(bought)})", f"My sales ({len(sold)})"])
with purchases_tab:
    if not bought:
        st.info("You have not bought anything yet.")
    for order in bought:
        show(order, sale=False)
with sales_tab:
    if not sold:
        st.info("You have not sold anything yet.")
    for order in sold:
        show(order, sale=True)

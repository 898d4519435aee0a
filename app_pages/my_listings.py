"""My listings: the seller's items with their status; see, edit or delete each."""

import streamlit as st

from core.listings import ListingError, delete_listing, seller_listings
from core.models import ItemStatus
from ui import dialogs
from ui.auth import require_user
from ui.state import db_session
from ui.widgets import day, flash, item_link, money, plain, status_badge, thumbnail

DELETE_KEY = "_confirm_delete_listing"

user = require_user("app_pages/my_listings.py")
st.title("My listings")
flash()

with db_session() as session:
    rows = seller_listings(session, user.id)

if not rows:
    st.info("You have nothing on sale yet.")
    st.page_link("app_pages/sell.py", label="Sell an item", icon=":material/add_a_photo:")
    st.stop()

on_sale = sum(r.item.status == ItemStatus.AVAILABLE.value for r in rows)
st.caption(f"{on_sale} on sale · {len(rows) - on_sale} sold")


def delete_body(value: tuple[int, str]) -> None:
    item_id, title = value
    st.markdown(f"**{plain(title)}** will be removed from the shop. This cannot be undone.")
    left, right = st.columns(2)
    if left.button("Delete", type="primary", key="confirm_delete", width="stretch"):
        try:
            with db_session() as session:
                delete_listing(session, user.id, item_id)
        except ListingError as exc:
            st.error(exc.message)
            return
        dialogs.close(DELETE_KEY)
        st.session_state["_flash"] = "Your listing is deleted."
        st.rerun()
    if right.button("Cancel", key="cancel_delete", width="stretch"):
        dialogs.close(DELETE_KEY)
        st.rerun()


for row in rows:
    item = row.item
    with st.container(border=True):
        photo, text, actions = st.columns([1, 5, 3], vertical_alignment="center")
        with photo:
            thumbnail(row.thumbnail)
        with text:
            st.markdown(f"**{plain(item.title)}** · {money(item.price_cents)}")
            st.caption(f"{plain(item.brand)} · {plain(item.size)} · listed {day(item.created_at)}")
            status_badge(item)
        with actions, st.container(horizontal=True, horizontal_alignment="right"):
            item_link(item.id, label="See", icon=":material/visibility:")
            if item.status == ItemStatus.AVAILABLE.value:
                if st.button("Edit", key=f"edit_{item.id}", icon=":material/edit:"):
                    st.switch_page("app_pages/sell.py", query_params={"edit": str(item.id)})
                st.button(
                    "Delete",
                    key=f"delete_{item.id}",
                    icon=":material/delete:",
                    on_click=dialogs.ask,
                    args=(DELETE_KEY, (item.id, item.title)),
                )

dialogs.confirm(DELETE_KEY, "Delete this listing?", delete_body)

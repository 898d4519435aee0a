"""My listings: the seller's items with their status; see, edit or delete each."""

import streamlit as st

from core.catalogue import categories
from core.catalogue.favourites import seller_favourite_counts
from core.catalogue.listings import seller_listings
from core.i18n import _, ngettext
from core.models.catalogue import ItemStatus
from ui import dialogs, pages
from ui.auth import require_user
from ui.item_page import confirm_delete
from ui.state import db_session
from ui.widgets import day, flash, item_link, money, photo_alt, plain, status_badge, thumbnail

DELETE_KEY = "_confirm_delete_listing"
THUMB_PX = 96

user = require_user(pages.MY_LISTINGS)
st.title(_("My listings"))
flash()

with db_session() as session:
    rows = seller_listings(session, user.id)
    likes = seller_favourite_counts(session, user.id)  # one grouped query for every listing

if not rows:
    st.info(_("You have nothing on sale yet."))
    pages.SELL.link(_("Sell an item"))
    st.stop()

on_sale = sum(r.item.status == ItemStatus.AVAILABLE.value for r in rows)
sold = sum(r.item.status == ItemStatus.SOLD.value for r in rows)
hidden = len(rows) - on_sale - sold  # by the administrators
counts = [
    ngettext("{n} on sale", "{n} on sale", on_sale).format(n=on_sale),
    ngettext("{n} sold", "{n} sold", sold).format(n=sold),
]
if hidden:
    counts.append(ngettext("{n} hidden", "{n} hidden", hidden).format(n=hidden))
st.caption(" · ".join(counts))


for row in rows:
    item = row.item
    # a row that never stacks (columns would put a full-width photo above each listing on a
    # phone): a small photo, the text beside it, the buttons at the end, on the next line
    # when the screen is narrow
    with st.container(border=True), st.container(horizontal=True, vertical_alignment="center"):
        thumbnail(row.thumbnail, width=THUMB_PX, alt=photo_alt(item.title, item.category))
        with st.container(gap="small", width="stretch"):
            st.markdown(f"**{plain(item.title)}** · {money(item.price_cents)}")
            listed = _("listed {day}").format(day=day(item.created_at))
            facts = [plain(item.brand), plain(categories.size_label(item.size)), listed]
            facts.append(f"♥ {likes.get(item.id, 0)}")  # how many people favourited it
            st.caption(" · ".join(facts))
            status_badge(item)
        with st.container(horizontal=True, width="content", vertical_alignment="center"):
            item_link(item.id, label=_("See"), icon=":material/visibility:")
            if item.status == ItemStatus.AVAILABLE.value:
                if st.button(_("Edit"), key=f"edit_{item.id}", icon=":material/edit:"):
                    pages.SELL.go({"edit": str(item.id)})
                st.button(
                    _("Delete"),
                    key=f"delete_{item.id}",
                    icon=":material/delete:",
                    on_click=dialogs.ask,
                    args=(DELETE_KEY, (item.id, item.title)),
                )

confirm_delete(DELETE_KEY)

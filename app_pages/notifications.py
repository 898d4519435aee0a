"""Notifications: what happened since the person last looked, newest first; each leads to
where it happened. Showing them marks them read (the bell goes back to zero)."""

import streamlit as st

from core.catalogue.address import ITEM_PARAM
from core.i18n import _
from core.messaging.notifications import Kind, NotificationView, mark_read, recent
from ui import pages
from ui.auth import require_user
from ui.state import db_session
from ui.widgets import moment, plain

user = require_user(pages.NOTIFICATIONS)
st.title(_(pages.NOTIFICATIONS.title))

with db_session() as session:
    shown = recent(session, user.id)

if not shown:
    st.info(_("Nothing new. Messages, offers, sales and parcels will show here."))
    pages.SHOP.link(_("Go to the shop"), icon=":material/arrow_back:")
    st.stop()

ICONS = {
    Kind.MESSAGE: ":material/chat:",
    Kind.OFFER_MADE: ":material/local_offer:",
    Kind.OFFER_COUNTERED: ":material/swap_horiz:",
    Kind.OFFER_ACCEPTED: ":material/handshake:",
    Kind.COUNTER_ACCEPTED: ":material/handshake:",
    Kind.OFFER_DECLINED: ":material/block:",
    Kind.ITEM_SOLD: ":material/sell:",
    Kind.ORDER_SHIPPED: ":material/local_shipping:",
    Kind.ORDER_RECEIVED: ":material/inventory_2:",
    Kind.REVIEW: ":material/star:",
    Kind.LISTING_HIDDEN: ":material/visibility_off:",
    Kind.LISTING_RESTORED: ":material/visibility:",
}


def destination(n: NotificationView) -> tuple[pages.Screen, dict[str, str], str]:
    """Where a notification leads: the conversation, the orders, or the person's own page."""
    if n.conversation_id is not None:
        return pages.INBOX, {"c": str(n.conversation_id)}, _("Open the conversation")
    if n.kind in (Kind.LISTING_HIDDEN, Kind.LISTING_RESTORED):
        return pages.MY_LISTINGS, {}, _("See your listings")
    if n.kind is Kind.REVIEW:
        return pages.SELLER, {"id": str(user.id)}, _("See your seller page")
    if n.order_id is not None:
        return pages.ORDERS, {"order": str(n.order_id)}, _("See the order")
    if n.item_id is not None:
        return pages.ITEM, {ITEM_PARAM: str(n.item_id)}, _("See the item")
    return pages.SHOP, {}, _("Go to the shop")


for n in shown:
    with st.container(border=True), st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(ICONS.get(n.kind, ":material/notifications:"))
        with st.container(gap="small", width="stretch"):
            line = plain(n.text)
            st.markdown(f"**{line}**" if n.unread else line)
            when = moment(n.created_at)
            st.caption(_("New · {when}").format(when=when) if n.unread else when)
        screen, query, label = destination(n)
        screen.link(label, query=query or None, icon=":material/arrow_forward:")

if any(n.unread for n in shown):  # seen now: in bold this once, read from the next run on
    with db_session() as session:  # older ones past the list too: the bell shows 0 here
        mark_read(session, user.id, up_to_id=max(n.id for n in shown))

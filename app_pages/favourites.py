"""Favourites: the listings the user keeps an eye on, the newest first; sold ones stay, shown
as sold (no buying them), and each can be taken out with its heart."""

import streamlit as st

from core.catalogue.favourites import favourites
from core.i18n import _, ngettext
from ui import pages
from ui.auth import require_user
from ui.card_grid import card_grid
from ui.favourites import Hearts
from ui.state import db_session

user = require_user(pages.FAVOURITES)
st.title(_("Favourites"))

with db_session() as session:
    entries = favourites(session, user.id)

if not entries:
    st.info(_("Nothing here yet. Tap the heart on an item you like to find it here later."))
    pages.SHOP.link(_("Go to the shop"), icon=":material/storefront:")
    st.stop()

sold = sum(entry.is_sold for entry in entries)
count = ngettext("{n} item", "{n} items", len(entries)).format(n=len(entries))
sold_count = ngettext("{n} sold", "{n} sold", sold).format(n=sold) if sold else ""
st.caption(" · ".join(part for part in (count, sold_count) if part))

# every card here is a favourite: its filled heart takes it out
hearts = Hearts(user.id, frozenset(entry.item.id for entry in entries), back=pages.FAVOURITES)
card_grid(entries, hearts=hearts)

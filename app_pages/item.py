"""An item's page, ``/item?item=ID`` (a link people can share; for everyone, logged out too).

Opened from the shop's results, its address holds theirs too
(``/item?q=levis&sort=price_up&item=7``): "Back to the shop" returns to them, and the
browser's Back and Forward step between the results and the items (ui/catalogue.py)."""

import streamlit as st

from core.catalogue.address import ITEM_PARAM
from ui import catalogue as shop
from ui import pages, search
from ui.item_page import render_item_page
from ui.state import current_user

back = shop.current_address(semantic=search.semantic_on())
item = st.query_params.get(ITEM_PARAM)
# written back: a link to this same page (a similar item) reruns it with the link's query
# but leaves the address bar alone, and that item needs its own history entry
shop.show_address(back, item=item, screen=pages.ITEM)
render_item_page(current_user(), item, back=back)

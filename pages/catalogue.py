"""Shop: the catalogue of available items."""

import streamlit as st

from core.listings import newest_available
from ui.state import current_user, db_session
from ui.widgets import item_card

user = current_user()
st.title("Second-hand clothes")

with db_session() as session:
    cards = newest_available(session)

if not cards:
    st.info("Nothing is for sale right now. Come back soon!")
else:
    for start in range(0, len(cards), 4):
        for column, card in zip(st.columns(4), cards[start : start + 4], strict=False):
            with column:
                item_card(card.item, card.thumbnail)

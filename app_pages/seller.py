"""A seller's public page, ``/seller?id=ID`` (for everyone, logged out too): name, member
since, rating, number sold, the items for sale and the latest reviews."""

import streamlit as st

from core.sellers import ITEMS_SHOWN, SellerNotFoundError, seller_id_from_text, seller_profile
from ui import pages
from ui.sellers import rating_text, stars
from ui.state import db_session
from ui.widgets import day, item_card, plain

PER_ROW = 4

try:
    with db_session() as session:
        profile = seller_profile(session, seller_id_from_text(st.query_params.get("id")))
except SellerNotFoundError:
    st.set_page_config(page_title="Seller not found · Seconde Main")
    st.title("Seller not found", anchor=False)
    st.info("There is no seller at this address. The link may be mistyped.")
    pages.SHOP.link("Go to the shop", icon=":material/arrow_back:")
    st.stop()

st.set_page_config(page_title=f"{profile.display_name} · Seconde Main")  # the tab's title: text
pages.SHOP.link("Back to the shop", icon=":material/arrow_back:")
st.title(plain(profile.display_name), anchor=False)
st.caption(f"Member since {profile.member_since:%B %Y}")
facts = [rating_text(profile.rating), f"{profile.sold} sold", f"{profile.on_sale} for sale"]
st.markdown(" · ".join(f"**{fact}**" for fact in facts))

st.subheader("For sale", anchor=False)
if not profile.items:
    st.info("Nothing for sale right now.")
for start in range(0, len(profile.items), PER_ROW):
    for column, card in zip(st.columns(PER_ROW), profile.items[start : start + PER_ROW],
                            strict=False):  # fmt: skip
        with column:
            item_card(card.item, card.thumbnail)
if profile.on_sale > ITEMS_SHOWN:
    st.caption(f"The {ITEMS_SHOWN} newest of {profile.on_sale} items.")

st.subheader("Reviews", anchor=False)
if not profile.reviews:
    st.info("No reviews yet.")
for review in profile.reviews:
    with st.container(border=True):
        st.markdown(f"**{stars(review.rating)}** · {plain(review.reviewer_name)}")
        st.caption(day(review.created_at))
        if review.comment:
            st.text(review.comment)
if profile.rating.count > len(profile.reviews):
    st.caption(f"The {len(profile.reviews)} latest of {profile.rating.count} reviews.")

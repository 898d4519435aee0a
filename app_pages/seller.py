"""A seller's public page, ``/seller?id=ID`` (for everyone, logged out too): name, member
since, rating, number sold, the items for sale and the latest reviews."""

from datetime import date

import streamlit as st

from core.catalogue.sellers import (
    ITEMS_SHOWN,
    SellerNotFoundError,
    sales_by_month,
    seller_id_from_text,
    seller_profile,
)
from core.i18n import _, current_language, format_day, format_number, ngettext
from core.models.moderation import ReportTarget
from ui import charts, pages
from ui.card_grid import card_grid
from ui.moderation import block_button, report_form
from ui.sellers import member_since, rating_text, stars
from ui.state import current_user, db_session
from ui.widgets import plain

try:
    with db_session() as session:
        profile = seller_profile(session, seller_id_from_text(st.query_params.get("id")))
except SellerNotFoundError:
    not_found = _("Seller not found")
    st.set_page_config(page_title=f"{not_found} · {pages.APP_NAME}")
    st.title(not_found, anchor=False)
    st.info(_("There is no seller at this address. The link may be mistyped."))
    pages.SHOP.link(_("Go to the shop"), icon=":material/arrow_back:")
    st.stop()

# the tab's title: text
st.set_page_config(page_title=f"{profile.display_name} · {pages.APP_NAME}")
pages.SHOP.link(_("Back to the shop"), icon=":material/arrow_back:")
st.title(plain(profile.display_name), anchor=False)
st.caption(member_since(profile.member_since))
facts = [
    rating_text(profile.rating),
    ngettext("{n} sold", "{n} sold", profile.sold).format(n=format_number(profile.sold)),
    _("{n} for sale").format(n=format_number(profile.on_sale)),
]
st.markdown(" · ".join(f"**{fact}**" for fact in facts))
viewer = current_user()
if viewer is not None and viewer.id != profile.seller_id:
    with st.container(horizontal=True, vertical_alignment="center"):
        report_form(viewer, ReportTarget.MEMBER, profile.seller_id)
        block_button(viewer, profile.seller_id, profile.display_name)


# ``language``: only a key of the cache (the chart's words are in the spec)
@st.cache_data(ttl=60, max_entries=500, show_spinner=False)
def monthly_sales(seller_id: int, today: date, language: str) -> dict | None:
    with db_session() as session:
        frame = sales_by_month(session, seller_id, today=today)
    if not frame["sales"].sum():
        return None
    return charts.spec(charts.sales_by_month(frame))


sales_spec = monthly_sales(profile.seller_id, date.today(), current_language())
if sales_spec is not None:
    st.subheader(_("Sales by month"), anchor=False)
    charts.show(sales_spec)

st.subheader(_("For sale"), anchor=False)
if not profile.items:
    st.info(_("Nothing for sale right now."))
card_grid(profile.items)
if profile.on_sale > ITEMS_SHOWN:
    st.caption(
        _("The {n} newest of {total} items.").format(
            n=ITEMS_SHOWN, total=format_number(profile.on_sale)
        )
    )

st.subheader(_("Reviews"), anchor=False)
if not profile.reviews:
    st.info(_("No reviews yet."))
for review in profile.reviews:
    with st.container(border=True):
        st.markdown(f"**{stars(review.rating)}** · {plain(review.reviewer_name)}")
        st.caption(format_day(review.created_at))
        if review.comment:
            st.text(review.comment)
if profile.rating.count > len(profile.reviews):
    st.caption(
        _("The {n} latest of {total} reviews.").format(
            n=len(profile.reviews), total=format_number(profile.rating.count)
        )
    )

"""Entry point: page config, the navigation, and the gate between logged-out and logged-in."""

import streamlit as st

from ui.auth import restore_session
from ui.state import current_user, start_up_problem

st.set_page_config(page_title="Seconde Main", page_icon=":material/checkroom:", layout="wide")
if problem := start_up_problem():  # settings, database (created and seeded on first start)
    st.error(problem, icon=":material/error:")
    st.stop()
restore_session()  # this tab's session, checked before the navigation is chosen
# the cookie manager's zero-height iframes would otherwise leave gaps above each page
st.html(
    """<style>
    div[data-testid="stElementContainer"]:has(iframe[title*="cookie_manager"]) {display: none;}
    </style>"""
)

PUBLIC = [("app_pages/catalogue.py", "Shop", ":material/storefront:")]
LOGGED_OUT = [
    ("app_pages/login.py", "Log in", ":material/login:"),
    ("app_pages/register.py", "Register", ":material/person_add:"),
]
LOGGED_IN = [
    ("app_pages/sell.py", "Sell", ":material/add_a_photo:"),
    ("app_pages/my_listings.py", "My listings", ":material/sell:"),
    ("app_pages/cart.py", "Cart", ":material/shopping_cart:"),
    ("app_pages/orders.py", "Orders", ":material/receipt_long:"),
    ("app_pages/profile.py", "Profile", ":material/person:"),
]


def pages(entries, *, hidden=False):
    visibility = "hidden" if hidden else "visible"
    return [st.Page(path, title=t, icon=i, visibility=visibility) for path, t, i in entries]


shop = st.Page(PUBLIC[0][0], title=PUBLIC[0][1], icon=PUBLIC[0][2], default=True)
if current_user() is None:
    # logged-in pages stay reachable by URL, hidden: they send the visitor to log in
    navigation = [shop, *pages(LOGGED_OUT), *pages(LOGGED_IN, hidden=True)]
else:
    navigation = [shop, *pages(LOGGED_IN)]

st.navigation(navigation, position="top").run()

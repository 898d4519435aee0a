"""Entry point: page config, the navigation, and the gate between logged-out and logged-in."""

import streamlit as st

from ui.state import current_user, get_engine

st.set_page_config(page_title="Seconde Main", page_icon="👗", layout="wide")
get_engine()  # creates the schema and the demo data on first start

catalogue = st.Page("pages/catalogue.py", title="Shop", icon="🛍️", default=True)

if current_user() is None:
    navigation = {"": [catalogue]}
else:
    navigation = {"": [catalogue]}

st.navigation(navigation, position="top").run()

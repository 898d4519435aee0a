"""A bare Streamlit page, the framework's floor for the benchmarks: a title, a search box and
24 text cards, no database, no model, nothing of the app (``bench/cold_start.py`` starts it
the way it starts the app). Run it alone with ``streamlit run bench/bare_page.py``."""

import streamlit as st

st.set_page_config(page_title="Bare page", layout="wide")
st.title("Second-hand clothes")
st.text_input("Search", placeholder="Search")
columns = st.columns(4)
for n in range(24):
    with columns[n % 4], st.container(border=True, key=f"card_{n}"):
        st.markdown(f"**Item {n}**")
        st.caption("Brand · M · Category")
        st.markdown(f"€{10 + n}.00")

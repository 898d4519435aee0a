"""Placeholder while issue 12 is built (replaced by the real page)."""

import streamlit as st

st.title("Seller")

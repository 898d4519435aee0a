"""Streamlit helpers shared by the pages: cached resources, the session's user, widgets."""

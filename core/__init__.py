"""The marketplace's product code, importable and testable without a Streamlit server."""

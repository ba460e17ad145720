"""Streamlit pages and their cached data access; the only package that imports streamlit."""

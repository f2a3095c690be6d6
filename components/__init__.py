"""Reusable parts of the dashboard: pure data/figure builders and the thin Streamlit UI layer (ui.py)."""

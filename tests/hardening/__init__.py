"""Helpers of tests/test_hardening.py: a real `streamlit run app.py` server and a Streamlit-protocol client."""

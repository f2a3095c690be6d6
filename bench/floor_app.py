"""The framework floor, served the way the app is: an st.App (Streamlit's ASGI app, run by uvicorn) around a
Streamlit script, bench/floor_script.py (one title, one caption, one Plotly chart, one pydeck map, a CSV
download, no data files).

`streamlit run app.py` finds app.py's `app = st.App("frame/main.py", ...)` and serves it with uvicorn; this
file gives the floor the same server: `python -m streamlit run bench/floor_app.py` (what bench/page_speed.py
and bench/load.py start). The app's st.App also has its own routes (/data/...), a security-headers middleware
and a lifespan that loads every table at start-up: those are the app's own cost, so the floor has none of them.
"""

import streamlit as st

app = st.App("floor_script.py")

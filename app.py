"""Azerbaijan–Kazakhstan relations dashboard: the server. `streamlit run app.py` serves it.

An st.App (Streamlit's ASGI app) around the Streamlit script frame/main.py (navigation and the shared frame),
adding what a public, read-only dashboard needs beside it:

- /data/<table>.csv and /data/datapackage.json: every validated table at a stable address, formula-safe
  (readable with `pandas.read_csv(url)`), and nothing else of the server's files;
- /data/health.json: whether every data file validates (the health check that notices broken data;
  /_stcore/health only says the process is up);
- security headers on every response, and Streamlit's /_stcore/metrics closed to the public;
- a page's own address (/trade, ...) names the server's base to the frontend, so a link to a page connects at
  once instead of after a failed probe of /trade/_stcore/health;
- a warm start: the tables are loaded (from the validated store) before the first visitor arrives.
"""

import streamlit as st

from components import server

app = st.App("frame/main.py", routes=server.routes(), middleware=server.middleware(), lifespan=server.lifespan)

"""The Streamlit script: page config, navigation (st.navigation owns routing) and the shared frame.

It lives in frame/, not beside pages/: Streamlit switches to its legacy pages-directory mode whenever a folder
named pages/ sits next to the main script (runtime/pages_manager.py), and a fresh server's first deep link
then runs pages/<x>.py without this frame. app.py (the ASGI app, `streamlit run app.py`) names this script.
"""

import sys
from pathlib import Path

import streamlit as st

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:  # Streamlit puts this script's folder on the path, not the repository's
    sys.path.insert(0, ROOT)

from components import ui  # noqa: E402

st.set_page_config(
    page_title="Azerbaijan–Kazakhstan relations",
    page_icon="🤝",  # an emoji favicon is a data: URL; a :material/ one would be fetched from fonts.gstatic.com
    layout="wide",
    initial_sidebar_state="auto",  # collapsed on a phone, open on a wide screen
)

years, lang = ui.frame()
_ = lang._
SITE = _("Azerbaijan–Kazakhstan relations")
PAGES = [
    st.Page("../pages/overview.py", title=_("Overview"), icon=":material/dashboard:", url_path="", default=True),
    st.Page("../pages/trade.py", title=_("Trade"), icon=":material/bar_chart:", url_path="trade"),
    st.Page("../pages/visits.py", title=_("Visits & agreements"), icon=":material/event:", url_path="visits"),
    st.Page("../pages/chronology.py", title=_("Chronology"), icon=":material/timeline:", url_path="chronology"),
    st.Page("../pages/corridors.py", title=_("Corridors"), icon=":material/local_shipping:", url_path="corridors"),
    st.Page("../pages/map.py", title=_("Map"), icon=":material/map:", url_path="map"),
    st.Page("../pages/diaspora.py", title=_("Diaspora"), icon=":material/groups:", url_path="diaspora"),
    st.Page("../pages/facts.py", title=_("Facts & figures"), icon=":material/query_stats:", url_path="facts"),
    st.Page("../pages/sources.py", title=_("Sources & data"), icon=":material/menu_book:", url_path="sources"),
]
page = st.navigation(PAGES)
if lang.code != "en":
    st.sidebar.caption(
        ui.text(
            _(
                "Names and interface are in your language; the dataset's descriptions, notes and "
                "document titles are in English, as they were written."
            )
        )
    )
st.sidebar.caption(
    ui.text(
        _(
            "Every figure names its source: five articles, the primary sources they cite and "
            "public pages of statistics offices, ministries and agencies. Works offline."
        )
    )
)
st.set_page_config(page_title=f"{page.title} — {SITE}")  # every page its own <title>
page.run()

"""Azerbaijan–Kazakhstan relations dashboard: entry point. Routes pages and draws the shared frame."""
import streamlit as st

from components import ui

st.set_page_config(
    page_title="Azerbaijan–Kazakhstan relations",
    page_icon="🤝",  # an emoji favicon is a data: URL; a :material/ one is fetched from fonts.gstatic.com
    layout="wide",
    initial_sidebar_state="expanded",
)

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", url_path="", default=True),
    st.Page("pages/trade.py", title="Trade", icon=":material/bar_chart:", url_path="trade"),
    st.Page("pages/visits.py", title="Visits & agreements", icon=":material/event:", url_path="visits"),
    st.Page("pages/corridors.py", title="Corridors", icon=":material/local_shipping:", url_path="corridors"),
    st.Page("pages/map.py", title="Map", icon=":material/map:", url_path="map"),
    st.Page("pages/diaspora.py", title="Diaspora", icon=":material/groups:", url_path="diaspora"),
    st.Page("pages/sources.py", title="Sources & data", icon=":material/menu_book:", url_path="sources"),
]

page = st.navigation(PAGES)
ui.mark_frame_years(ui.render_year_filter())
st.sidebar.caption(
    "Every figure comes from five source articles and the primary sources they cite; "
    "see **Sources & data**. Works offline."
)
page.run()

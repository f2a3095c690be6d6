"""The rerun floor: a bare page with the app's year slider, one Plotly chart and one pydeck map, no data.

bench/rerun.py times it under streamlit.testing's AppTest exactly as it times each page of the app: through
the frame bench/floor_frame.py (sidebar slider + st.navigation, as frame/main.py runs pages/*.py), switched
to with `at.switch_page("floor_page.py")`. Whatever a rerun of this page costs is what Streamlit + its
navigation + Plotly + pydeck cost at the least for a page of that shape.

Run on its own (`AppTest.from_file("bench/floor_page.py")`, or `streamlit run`), it draws the slider itself.
"""

import plotly.graph_objects as go
import pydeck as pdk
import streamlit as st

LO, HI = 1991, 2025
KEY = "frame.years"
YEARS = list(range(LO, HI + 1))
VALUES = [100 + 7 * ((y * 37) % 11) for y in YEARS]
PATH = [{"name": "route", "path": [[49.87, 40.41], [51.17, 43.65], [71.43, 51.13]]}]


def first_range() -> tuple[int, int]:
    try:
        start, end = int(st.query_params.get("from", LO)), int(st.query_params.get("to", HI))
    except ValueError:
        return LO, HI
    return (max(LO, start), min(HI, end)) if start <= end else (LO, HI)


if st.session_state.get("floor.framed"):  # the frame (bench/floor_frame.py) drew the slider
    start, end = st.session_state[KEY]
else:
    if KEY not in st.session_state:
        st.session_state[KEY] = first_range()
    start, end = st.sidebar.slider("Year range", min_value=LO, max_value=HI, key=KEY)
    st.query_params.update({"from": str(start), "to": str(end)})
shown = [(y, v) for y, v in zip(YEARS, VALUES) if start <= y <= end]

st.title("Floor")
st.caption(f"Showing {start}–{end}.")
st.plotly_chart(go.Figure(go.Bar(x=[y for y, _ in shown], y=[v for _, v in shown])), key="floor.chart")
st.pydeck_chart(
    pdk.Deck(
        layers=[pdk.Layer("PathLayer", PATH, get_path="path", get_color=[200, 40, 0], width_min_pixels=3)],
        initial_view_state=pdk.ViewState(latitude=44, longitude=58, zoom=3),
        map_provider=None,
    ),
    key="floor.map",
)

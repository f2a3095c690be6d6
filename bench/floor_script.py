"""The framework floor's Streamlit script: a bare page with one Plotly chart and one pydeck map, no data files.

bench/floor_app.py serves it as an st.App, the way app.py serves frame/main.py; the browser benchmarks
(bench/page_speed.py, bench/load.py) run it beside the dashboard as the yardstick: whatever this page costs is
what Streamlit + Plotly + pydeck cost at the least. It also reads the ?from=YYYY&to=YYYY range and offers its
ten points as a CSV download, so the load test can put it through the same steps as a dashboard page (rerun
with a range, fetch the CSV, check the years). (Until the app became an st.App this was bench/floor_app.py.)
"""

import pandas as pd
import plotly.graph_objects as go
import pydeck as pdk
import streamlit as st

POINTS = pd.DataFrame(
    {
        "year": list(range(2014, 2024)),
        "value": [10.0, 12.5, 9.8, 14.1, 15.0, 13.2, 11.7, 16.4, 18.9, 17.3],
    }
)
# Baku -> Aktau -> Astana, and a small triangle as a GeoJSON polygon.
PATH = [{"name": "route", "path": [[49.87, 40.41], [51.17, 43.65], [71.43, 51.13]]}]
GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "area"},
            "geometry": {"type": "Polygon", "coordinates": [[[47, 38], [53, 38], [50, 45], [47, 38]]]},
        }
    ],
}

st.set_page_config(page_title="Floor", layout="wide")


def year_range() -> tuple[int, int]:
    lo, hi = int(POINTS["year"].min()), int(POINTS["year"].max())
    try:
        start = int(st.query_params.get("from", lo))
        end = int(st.query_params.get("to", hi))
    except ValueError:
        return lo, hi
    return (start, end) if start <= end else (lo, hi)


start, end = year_range()
shown = POINTS[(POINTS["year"] >= start) & (POINTS["year"] <= end)]

st.title("Floor")
st.caption(f"Showing {start}–{end}.")
st.plotly_chart(go.Figure(go.Scatter(x=POINTS["year"], y=POINTS["value"], mode="lines+markers")))
st.pydeck_chart(
    pdk.Deck(
        layers=[
            pdk.Layer(
                "GeoJsonLayer",
                GEOJSON,
                get_fill_color=[30, 120, 200, 80],
                get_line_color=[30, 120, 200],
                line_width_min_pixels=1,
            ),
            pdk.Layer("PathLayer", PATH, get_path="path", get_color=[200, 40, 0], width_min_pixels=3),
        ],
        initial_view_state=pdk.ViewState(latitude=44, longitude=58, zoom=3),
        map_provider=None,  # and pydeck's default map_style: no basemap is fetched (map_style=None would fetch one)
    )
)
st.download_button(
    "Download CSV",
    data=shown.to_csv(index=False).encode("utf-8"),
    file_name=f"floor_{start}-{end}.csv",
    mime="text/csv",
    on_click="ignore",
    key="dl.floor",
)

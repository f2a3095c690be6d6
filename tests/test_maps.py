"""Offline route map (components/maps.py) and its bundled basemap (data/geo/countries.geojson)."""
from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest

from components import maps
from tests.frames import frame

ROOT = Path(__file__).resolve().parents[1]
BASEMAP = ROOT / "data" / "geo" / "countries.geojson"


ROUTES = [  # (route_id, name, mode, cargo, status, opened_year, length_km, capacity, capacity_unit, countries, source)
    ("btc", "Baku–Tbilisi–Ceyhan", "pipeline", "oil", "operating", 2006, 1768, 1.2, "million bbl", "AZ;GE;TR", "s1;s2"),
    ("tmtm", "<b>x</b>", "multimodal", None, "planned", None, None, None, None, "KZ;AZ;GE;TR", "s1"),
    ("rail_new", "New rail", "rail", "freight", "operating", 2017, 826.5, None, None, "AZ;GE", "s3"),
    ("ferry", "Aktau–Baku ferry", "sea", "containers", "operating", 2010, None, 50000, "TEU", "KZ;AZ", "s2"),
]
POINTS = [  # deliberately out of seq order
    ("btc", 3, "Ceyhan", "terminal", "TR", 36.88, 35.90),
    ("btc", 1, "Sangachal", "terminal", "AZ", 40.18, 49.47),
    ("btc", 2, "Tbilisi", "city", "GE", 41.72, 44.78),
    ("tmtm", 1, "Aktau", "port", "KZ", 43.65, 51.17),
    ("tmtm", 2, "Caspian mid", "waypoint", "AZ", 41.50, 50.50),
    ("tmtm", 3, "Alat", "port", "AZ", 39.94, 49.41),
    ("tmtm", 4, "Istanbul", "city", "TR", 41.01, 28.98),
    ("rail_new", 2, "Tbilisi", "city", "GE", 41.72, 44.78),
    ("rail_new", 1, "Baku", "city", "AZ", 40.41, 49.87),
    ("ferry", 1, "Aktau", "port", "KZ", 43.65, 51.17),
    ("ferry", 2, "Alat", "port", "AZ", 39.94, 49.41),
]


@pytest.fixture
def routes() -> pd.DataFrame:
    keys = ("route_id", "name", "mode", "cargo", "status", "opened_year", "length_km", "capacity", "capacity_unit",
            "countries", "source_id")
    return frame("routes", [{**dict(zip(keys, r)), "description": "d", "geometry_note": "n",
                             "geometry_accuracy": "waypoints" if r[0] == "btc" else "schematic"} for r in ROUTES])


@pytest.fixture
def points() -> pd.DataFrame:
    """route_points with the loader's dtypes (str, Int64, Float64)."""
    cols = {"route_id": "str", "seq": "Int64", "place": "str", "point_type": "str", "country": "str",
            "lat": "Float64", "lon": "Float64"}
    df = pd.DataFrame({c: pd.array([p[i] for p in POINTS], dtype=t) for i, (c, t) in enumerate(cols.items())})
    df["source_id"] = pd.array(["s1"] * len(df), dtype="str")
    df["note"] = pd.array([None] * len(df), dtype="str")
    return df


@pytest.fixture(scope="module")
def basemap() -> dict:
    return maps.load_basemap(BASEMAP)


def _layers(deck) -> dict[str, dict]:
    return {layer["id"]: layer for layer in json.loads(deck.to_json())["layers"]}


# --- route_paths ------------------------------------------------------------------------------

def test_one_path_per_route_in_seq_order(routes, points):
    paths = maps.route_paths(routes, points, 2025)
    assert list(paths["route_id"]) == ["btc", "tmtm", "rail_new", "ferry"]
    assert paths.set_index("route_id").loc["btc", "path"] == [[49.47, 40.18], [44.78, 41.72], [35.9, 36.88]]
    assert len(paths.set_index("route_id").loc["tmtm", "path"]) == 4  # waypoints shape the line too
    assert list(paths.columns) == list(maps.ROUTE_COLUMNS)


def test_route_without_enough_points_is_skipped(routes, points):
    paths = maps.route_paths(routes, points[points["route_id"] != "ferry"].iloc[:-1], 2025)
    assert "ferry" not in set(paths["route_id"]) and "rail_new" not in set(paths["route_id"])


def test_status_styling_dashes_planned_only(routes, points):
    paths = maps.route_paths(routes, points, 2025).set_index("route_id")
    assert paths.loc["tmtm", "dashed"] and not paths.loc["btc", "dashed"]
    assert paths.loc["tmtm", "colour"][3] < paths.loc["btc", "colour"][3] == 255  # lighter
    layers = _layers(maps.network_deck(routes, points, {"features": []}, 2025))
    dashes = layers["routes-dashed"]["data"]
    assert len(dashes) > 10  # ~3,000 km cut into 45 km dashes
    assert [r["name"] for r in layers["routes-solid"]["data"]].count("Baku–Tbilisi–Ceyhan") == 1
    assert [r["name"] for r in layers["routes-trace"]["data"]] == ["<b>x</b>"]


def test_dash_path_lengths():
    path = [[49.0, 40.0], [59.0, 40.0]]  # ~852 km along a parallel
    dashes = maps.dash_path(path, 40, 60)
    total = maps.haversine_km(*path)
    drawn = sum(maps.haversine_km(a, b) for d in dashes for a, b in pairwise(d))
    assert len(dashes) == 9
    assert drawn == pytest.approx(total * 0.4, rel=0.08)
    assert dashes[0][0] == path[0]
    assert maps.dash_path(path, 1e6, 1) == [path]  # longer than the route: one solid piece


def test_every_status_has_a_distinct_style():
    styles = {(str(s["dash"]), s["alpha"]) for s in maps.STATUS_STYLE.values()}
    assert len(styles) == len(maps.STATUSES) and set(maps.STATUS_STYLE) == set(maps.STATUSES)
    assert maps.STATUS_STYLE["operating"]["dash"] is None
    assert all(maps.STATUS_STYLE[s]["dash"] for s in maps.STATUSES if s != "operating")
    assert set(maps.MODE_COLOURS) == set(maps.MODES) and len(set(maps.MODE_COLOURS.values())) == len(maps.MODES)


def test_year_filter_greys_routes_not_yet_open(routes, points):
    early = maps.route_paths(routes, points, 2010).set_index("route_id")
    late = maps.route_paths(routes, points, 2020).set_index("route_id")
    assert early.loc["rail_new", "not_open"] and early.loc["rail_new", "colour"][:3] == list(maps.NOT_OPEN_COLOUR)
    assert "Not yet open at the end of the selected years" in early.loc["rail_new", "tip"]
    assert maps.not_open_routes(routes, 2010) == frozenset({"rail_new"})
    assert maps.not_open_routes(routes, 2020) == frozenset()
    assert not late.loc["rail_new", "not_open"]
    assert late.loc["rail_new", "colour"][:3] == list(maps.MODE_COLOURS["rail"])
    assert not early.loc["ferry", "not_open"]  # opened 2010: open in 2010
    assert not early.loc["tmtm", "not_open"] and early.loc["tmtm", "dashed"]  # planned: no year, stays dashed


def test_mode_and_status_filters(routes, points):
    assert set(maps.route_paths(routes, points, 2025, modes=["rail", "sea"])["route_id"]) == {"rail_new", "ferry"}
    assert set(maps.route_paths(routes, points, 2025, statuses=["planned"])["route_id"]) == {"tmtm"}
    assert maps.route_paths(routes, points, 2025, modes=[]).empty
    both = maps.route_paths(routes, points, 2025, modes=["pipeline", "multimodal"], statuses=["operating"])
    assert list(both["route_id"]) == ["btc"]


def test_tooltip_fields(routes, points):
    row = maps.route_paths(routes, points, 2025).set_index("route_id").loc["btc"]
    assert row["opened"] == "2006" and row["length"] == "1,768 km"
    assert row["capacity"] == "1.2 million bbl a year" and row["countries"] == "AZ → GE → TR"
    assert row["source"] == "s1; s2"
    for text in ("Pipeline · Operating · oil", "Opened: 2006", "Source: s1; s2"):
        assert text in row["tip"]
    planned = maps.route_paths(routes, points, 2025).set_index("route_id").loc["tmtm"]
    assert planned["opened"] == "not open" and planned["length"] == "not given"


def test_tooltip_is_text_so_data_never_becomes_html(routes, points):
    """deck.gl puts `text` tooltips in with innerText; Streamlit >= 1.5x escapes `html` values itself,
    so escaping in Python as well would show '&lt;b&gt;'. Text mode is safe in every version."""
    deck = maps.network_deck(routes, points, {"features": []}, 2025)
    assert "html" not in maps.TOOLTIP and deck._tooltip == maps.TOOLTIP
    layers = _layers(deck)
    names = [r["name"] for r in layers["routes-trace"]["data"]]
    assert names == ["<b>x</b>"]  # carried verbatim, shown literally by innerText
    fields = {f.strip("{}") for f in maps.TOOLTIP["text"].replace("\n", " ").split() if f.startswith("{")}
    for layer in layers.values():  # every pickable layer has every field the template names
        if layer.get("pickable"):
            assert layer["data"] and all(fields <= set(r) for r in layer["data"])


# --- place_points -----------------------------------------------------------------------------

def test_place_points_unique_places_with_routes(routes, points):
    places = maps.place_points(routes, points, 2025).set_index("name")
    assert "Caspian mid" not in places.index  # waypoint
    assert places.loc["Aktau", "n_routes"] == 2 and places.loc["Aktau", "point_type"] == "port"
    assert places.loc["Tbilisi", "routes"] == "Baku–Tbilisi–Ceyhan; New rail"
    assert "Routes (2):" in places.loc["Tbilisi", "tip"]
    only_sea = maps.place_points(routes, points, 2025, modes=["sea"])
    assert set(only_sea["name"]) == {"Aktau", "Alat"}


# --- deck JSON --------------------------------------------------------------------------------

def test_deck_json_offline_and_minimal(routes, points, basemap):
    deck = maps.network_deck(routes, points, basemap, 2025)
    text = deck.to_json()
    spec = json.loads(text)  # strict JSON: no NaN
    lowered = text.lower()
    assert "mapbox" not in lowered and "carto" not in lowered and "http" not in lowered
    assert "mapProvider" not in spec
    # pydeck's sentinel: Streamlit deletes it and draws no basemap (a missing mapStyle gets CARTO).
    assert spec.get("mapStyle") == "__MAP_STYLE__"
    types = [(layer["@@type"], layer["id"]) for layer in spec["layers"]]
    assert types == [("SolidPolygonLayer", "water"), ("GeoJsonLayer", "basemap"), ("PathLayer", "routes-trace"),
                     ("PathLayer", "routes-dashed"), ("PathLayer", "routes-solid"),
                     ("ScatterplotLayer", "places"), ("TextLayer", "labels")]
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert not any("extensions" in layer for layer in spec["layers"])
    assert all(set(r) == set(maps.ROUTE_LAYER_COLUMNS) for r in layers["routes-solid"]["data"])
    assert all(set(r) == set(maps.ROUTE_LAYER_COLUMNS) for r in layers["routes-trace"]["data"])
    assert all(set(r) == set(maps.DASH_LAYER_COLUMNS) for r in layers["routes-dashed"]["data"])
    assert all(set(r) == set(maps.PLACE_LAYER_COLUMNS) for r in layers["places"]["data"])
    assert all(set(r) == set(maps.LABEL_LAYER_COLUMNS) for r in layers["labels"]["data"])
    assert layers["routes-solid"]["widthUnits"] == "pixels"
    assert not layers["basemap"]["pickable"] and not layers["water"]["pickable"]
    view = spec["initialViewState"]
    assert 48 <= view["longitude"] <= 58 and 40 <= view["latitude"] <= 45 and 3 <= view["zoom"] <= 4
    assert "\n" not in text and len(text) < 600_000  # compact: the page stays well under 1 MB


def test_deck_handles_empty_selection(routes, points, basemap):
    spec = json.loads(maps.network_deck(routes, points, basemap, 2025, modes=[]).to_json())
    assert {layer["id"]: len(layer["data"]) for layer in spec["layers"] if layer["id"] != "basemap"} == {
        "water": 1, "routes-trace": 0, "routes-dashed": 0, "routes-solid": 0, "places": 0, "labels": 0}


# --- basemap ----------------------------------------------------------------------------------

def _inside(pt, ring) -> bool:
    x, y, inside = pt[0], pt[1], False
    for (x1, y1), (x2, y2) in pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _countries_at(geo, pt) -> list[str]:
    hits = []
    for f in geo["features"]:
        g = f["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        for rings in polys:
            if _inside(pt, rings[0]) and not any(_inside(pt, hole) for hole in rings[1:]):
                hits.append(f["properties"]["iso2"])
    return hits


def test_basemap_small_with_az_kz_and_caspian_water(basemap):
    assert BASEMAP.stat().st_size < 600_000
    codes = {f["properties"]["iso2"] for f in basemap["features"]}
    assert {"AZ", "KZ", "GE", "TR", "TM", "RU", "CN", "IR", "UZ"} <= codes
    assert all(set(f["properties"]) == {"name", "iso2"} for f in basemap["features"])
    assert _countries_at(basemap, (51.0, 42.0)) == []  # Caspian Sea
    assert _countries_at(basemap, (34.0, 43.0)) == []  # Black Sea
    assert _countries_at(basemap, (49.87, 40.41)) == ["AZ"]  # Baku
    assert _countries_at(basemap, (71.43, 51.13)) == ["KZ"]  # Astana
    assert _countries_at(basemap, (34.1, 45.0)) == ["UA"]  # Crimea: UN-recognised boundary (build DE_JURE)


def test_basemap_layer_not_pickable_and_tints_focus(basemap):
    layer = json.loads(maps.OfflineDeck(layers=[maps.basemap_layer(basemap)], map_provider=None).to_json())
    layer = layer["layers"][0]
    assert layer["@@type"] == "GeoJsonLayer" and layer["pickable"] is False
    fills = {tuple(f["properties"]["fill"]) for f in layer["data"]["features"]}
    assert fills == {maps.LAND, maps.LAND_FOCUS}


# --- downloads and legend ---------------------------------------------------------------------

def test_routes_geojson_valid(routes, points):
    geo = maps.routes_geojson(routes, points)
    json.dumps(geo, allow_nan=False)
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 4
    btc = next(f for f in geo["features"] if f["id"] == "btc")
    assert btc["geometry"]["type"] == "LineString"
    assert btc["geometry"]["coordinates"][0] == [49.47, 40.18]  # [lon, lat] (Sangachal)
    assert btc["properties"]["name"] == "Baku–Tbilisi–Ceyhan" and btc["properties"]["opened_year"] == 2006
    assert geo["features"][1]["properties"]["opened_year"] is None


def test_legend_rows():
    rows = maps.legend_rows()
    assert [r["key"] for r in rows if r["kind"] == "mode"] == list(maps.MODES)
    assert [r["key"] for r in rows if r["kind"] == "status"] == list(maps.STATUSES)
    status = {r["key"]: r for r in rows if r["kind"] == "status"}
    assert status["operating"]["css"] == "solid" and status["planned"]["css"] != "solid"
    assert all(r["colour"].startswith("#") and len(r["colour"]) == 7 for r in rows)
    arrays = [r["dasharray"] for r in rows if r["kind"] == "status"]
    assert arrays[0] == "" and len(set(arrays)) == len(arrays)  # each status draws differently


# --- the real data ------------------------------------------------------------------------------

def test_real_routes_render_offline_and_small(basemap):
    from components.loading import load_table

    sources = frozenset(load_table("sources", ROOT / "data")["source_id"])
    routes = load_table("routes", ROOT / "data", source_ids=sources)
    points = load_table("route_points", ROOT / "data", source_ids=sources,
                        route_ids=frozenset(routes["route_id"]))
    deck = maps.network_deck(routes, points, basemap, 2030)
    text = deck.to_json()
    assert len(text) < 900_000 and "http" not in text.lower()
    assert len(maps.route_paths(routes, points, 2030)) == routes["route_id"].nunique()
    json.dumps(maps.routes_geojson(routes, points), allow_nan=False)


def test_labels_are_decluttered(routes, points):
    places = maps.place_points(routes, points, 2025)
    labelled = maps.label_places(places, max_labels=12, min_km=150)
    assert "Alat" in set(labelled["name"]) and "Aktau" in set(labelled["name"])
    pos = list(labelled["position"])
    assert all(maps.haversine_km(a, b) >= 150 for i, a in enumerate(pos) for b in pos[i + 1:])
    assert len(maps.label_places(places, max_labels=2)) == 2


def test_streamlit_sends_the_compact_offline_spec():
    """st.pydeck_chart calls deck.to_json(): the proto carries our compact JSON and the text tooltip."""
    from streamlit.testing.v1 import AppTest

    def page():
        import pandas as pd
        import streamlit as st

        from components import maps

        routes = pd.DataFrame({"route_id": ["r"], "name": ["<i>R</i>"], "mode": ["rail"], "status": ["operating"],
                               "opened_year": [2000]})
        points = pd.DataFrame({"route_id": ["r", "r"], "seq": [1, 2], "place": ["A", "B"],
                               "point_type": ["city", "port"], "country": ["AZ", "KZ"], "lat": [40.4, 43.6],
                               "lon": [49.9, 51.2]})
        st.pydeck_chart(maps.network_deck(routes, points, maps.load_basemap(), 2020))

    at = AppTest.from_function(page).run(timeout=30)
    assert not at.exception
    proto = at.get("deck_gl_json_chart")[0].proto
    assert "\n" not in proto.json and len(proto.json) < 400_000
    assert json.loads(proto.json)["mapStyle"] == "__MAP_STYLE__"
    assert json.loads(proto.tooltip) == maps.TOOLTIP
    assert not proto.mapbox_token

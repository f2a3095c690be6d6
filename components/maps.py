"""Offline route map: routes/route_points frames in, pydeck objects out. Pure: no Streamlit.

Everything the browser needs is in the deck JSON: a local Natural Earth basemap
(data/geo/countries.geojson) drawn over a water-coloured polygon, so no tile server,
map style or CDN is contacted. Dashes for non-operating routes are cut in Python
(plain PathLayer), so no deck.gl extension is needed.

Tooltips use deck.gl's ``text`` mode: the browser sets it with ``innerText``, so data
text is never parsed as HTML, whatever the Streamlit version (see ``TOOLTIP``).
"""
from __future__ import annotations

import json
import math
import weakref
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

BASEMAP_PATH = Path(__file__).resolve().parents[1] / "data" / "geo" / "countries.geojson"

MODES = ("pipeline", "rail", "sea", "road", "multimodal")
STATUSES = ("operating", "under_construction", "planned", "proposed", "suspended")
PLACE_TYPES = ("terminal", "port", "city", "junction")  # plain waypoints are not places
MAP_PLACE_TYPES = ("terminal", "port", "junction")  # drawn as dots on the network map (cities would crowd it)

# Okabe–Ito colours (colour-blind safe); sky blue and yellow are left out: too faint on water/land.
MODE_COLOURS: dict[str, tuple[int, int, int]] = {
    "pipeline": (213, 94, 0),      # vermillion
    "rail": (0, 114, 178),         # blue
    "sea": (0, 158, 115),          # bluish green
    "road": (230, 159, 0),         # orange
    "multimodal": (204, 121, 167),  # reddish purple
}
MODE_LABELS = {"pipeline": "Pipeline", "rail": "Rail", "sea": "Sea / ferry", "road": "Road",
               "multimodal": "Multimodal corridor"}
NOT_OPEN_COLOUR = (120, 120, 120)  # routes not yet open at the end of the selected years
# dash = (km drawn, km gap) along the route; None = solid. ~6 km per pixel at the initial zoom.
STATUS_STYLE: dict[str, dict] = {
    "operating": {"label": "Operating", "dash": None, "alpha": 255, "width": 3.5},
    "under_construction": {"label": "Under construction", "dash": (70, 30), "alpha": 215, "width": 3.0},
    "planned": {"label": "Planned", "dash": (45, 40), "alpha": 180, "width": 3.0},
    "proposed": {"label": "Proposed", "dash": (15, 35), "alpha": 170, "width": 3.0},
    "suspended": {"label": "Suspended", "dash": (30, 30), "alpha": 120, "width": 3.0},
}
TRACE_ALPHA = 45  # faint full-length line under dashes: keeps dashed routes easy to hover

WATER = (200, 222, 238)
LAND = (238, 238, 233)
LAND_FOCUS = (250, 240, 214)  # Azerbaijan and Kazakhstan
BORDER = (150, 150, 150)
PLACE_FILL = (40, 40, 40)

# deck.gl zoom uses a 512 px world: zoom 3.3 shows ~57 degrees of longitude in 800 px, so Istanbul
# (29 E) to the Chinese border (82.5 E) and Astana to Ceyhan fit in the app's main column.
VIEW = {"longitude": 55.5, "latitude": 43.5, "zoom": 3.3, "min_zoom": 3, "max_zoom": 9}
KM_PER_PX = 6  # at the initial view (zoom 3.3, ~43 N): scales dashes for the legend
TOOLTIP = {
    "text": "{name}\n{tip}",
    "style": {"backgroundColor": "rgba(255,255,255,0.96)", "color": "#222", "fontSize": "13px",
              "border": "1px solid #999", "borderRadius": "4px", "padding": "6px 8px",
              "maxWidth": "340px", "whiteSpace": "pre-line"},
}

# Columns each layer sends to the browser (pydeck serialises every field it is given).
ROUTE_LAYER_COLUMNS = ("path", "colour", "width", "name", "tip")
DASH_LAYER_COLUMNS = ("path", "colour", "width")
PLACE_LAYER_COLUMNS = ("position", "radius", "name", "tip")
LABEL_LAYER_COLUMNS = ("position", "name")
ROUTE_COLUMNS = ("route_id", "name", "mode", "status", "cargo", "opened", "length", "capacity",
                 "countries", "source", "accuracy", "not_open", "dashed", "path", "colour", "width", "tip")


# --- small helpers ----------------------------------------------------------------------------

def _text(value: object, default: str = "") -> str:
    """Cell as display text; NA/None -> default."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return default
    return str(value)


def _number(value: object) -> float | None:
    try:
        return None if value is None or pd.isna(value) else float(value)
    except (TypeError, ValueError):
        return None


def _fmt(x: float) -> str:
    """1768 -> '1,768'; 1.2 -> '1.2'."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}".rstrip("0").rstrip(".")


def _selected(series: pd.Series, allowed: Iterable[str] | None) -> pd.Series:
    if allowed is None:
        return pd.Series(True, index=series.index)
    return series.isin(list(allowed)).fillna(False).astype(bool)


def _rgba(rgb: tuple[int, int, int], alpha: int) -> list[int]:
    return [int(rgb[0]), int(rgb[1]), int(rgb[2]), int(alpha)]


def _plain(value: object) -> object:
    """numpy scalars -> Python scalars (pydeck would stringify an int64)."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (list, tuple, str)) else value


def _records(df: pd.DataFrame, columns: Iterable[str]) -> list[dict]:
    """Only these columns, as plain JSON-safe records."""
    columns = list(columns)
    return [{c: _plain(v) for c, v in zip(columns, row)} for row in df[columns].itertuples(index=False, name=None)]


def haversine_km(a: list[float], b: list[float]) -> float:
    """Great-circle distance between two [lon, lat] points, km."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def dash_path(path: list[list[float]], on_km: float, off_km: float) -> list[list[list[float]]]:
    """Cut a [lon, lat] path into dashes: on_km drawn, off_km gap, measured along the route."""
    if len(path) < 2:
        return []
    dashes: list[list[list[float]]] = []
    current = [list(path[0])]
    drawing, left = True, float(on_km)
    for a, b in pairwise(path):
        seg = haversine_km(a, b)
        pos = 0.0
        while seg - pos > left:
            pos += left
            t = pos / seg
            p = [round(a[0] + (b[0] - a[0]) * t, 4), round(a[1] + (b[1] - a[1]) * t, 4)]
            if drawing:
                current.append(p)
                dashes.append(current)
            current = [p]
            drawing = not drawing
            left = float(on_km if drawing else off_km)
        left -= seg - pos
        if drawing:
            current.append(list(b))
    if drawing and len(current) >= 2:
        dashes.append(current)
    return dashes


# --- data for layers --------------------------------------------------------------------------

def _paths(points: pd.DataFrame) -> dict[str, list[list[float]]]:
    """route_id -> [[lon, lat], ...] in seq order (rows without coordinates skipped)."""
    pts = points.dropna(subset=["route_id", "seq", "lon", "lat"]).sort_values(["route_id", "seq"])
    out: dict[str, list[list[float]]] = {}
    for rid, lon, lat in zip(pts["route_id"], pts["lon"], pts["lat"]):
        out.setdefault(str(rid), []).append([round(float(lon), 4), round(float(lat), 4)])
    return out


def _capacity_text(row: pd.Series) -> str:
    cap = _number(row.get("capacity"))
    if cap is None:
        return "not given"
    unit = _text(row.get("capacity_unit"))
    per_year = unit and unit not in {"days", "hours", "km", "percent", "count", "people", "sq km", "MW",
                                     "bbl/d", "thousand bbl/d"}
    return f"{_fmt(cap)} {unit}{' a year' if per_year else ''}".strip()


def route_paths(routes: pd.DataFrame, points: pd.DataFrame, year_to: int | None = None,
                modes: Iterable[str] | None = None, statuses: Iterable[str] | None = None) -> pd.DataFrame:
    """One row per drawable route (>= 2 points), with path, colour, width and tooltip fields.

    Columns: ROUTE_COLUMNS. ``path`` is [[lon, lat], ...] in seq order. Routes that opened after
    ``year_to`` are grey (``not_open`` True, tooltip says "not yet open at the end of the selected years"); non-operating
    routes are ``dashed`` and lighter. ``modes``/``statuses`` (None = all) filter the rows.
    """
    paths = _paths(points)
    keep = _selected(routes["mode"], modes) & _selected(routes["status"], statuses)
    rows = []
    for _, r in routes[keep].iterrows():
        rid = _text(r.get("route_id"))
        path = paths.get(rid, [])
        if len(path) < 2:
            continue
        mode, status = _text(r.get("mode")), _text(r.get("status"))
        style = STATUS_STYLE.get(status, STATUS_STYLE["planned"])
        opened = _number(r.get("opened_year"))
        not_open = year_to is not None and opened is not None and opened > year_to
        rgb = NOT_OPEN_COLOUR if not_open else MODE_COLOURS.get(mode, NOT_OPEN_COLOUR)
        length = _number(r.get("length_km"))
        accuracy = _text(r.get("geometry_accuracy"))
        fields = {
            "route_id": rid,
            "name": _text(r.get("name"), rid),
            "mode": mode,
            "status": status,
            "cargo": _text(r.get("cargo")).replace("_", " "),
            "opened": f"{opened:.0f}" if opened is not None else "not open",
            "length": f"{_fmt(length)} km" if length is not None else "not given",
            "capacity": _capacity_text(r),
            "countries": " → ".join(c for c in _text(r.get("countries")).split(";") if c),
            "source": _text(r.get("source_id")).replace(";", "; "),
            "accuracy": "schematic line" if accuracy == "schematic" else "line through known waypoints",
            "not_open": bool(not_open),
        }
        labels = (MODE_LABELS.get(mode, mode), STATUS_STYLE.get(status, {}).get("label", status), fields["cargo"])
        lines = [" · ".join(x for x in labels if x),
                 f"Opened: {fields['opened']} · Length: {fields['length']}",
                 f"Capacity: {fields['capacity']}",
                 f"Countries: {fields['countries']}",
                 f"Drawn as: {fields['accuracy']}",
                 f"Source: {fields['source']}"]
        if not_open:
            lines.insert(0, "Not yet open at the end of the selected years")
        rows.append({**fields, "dashed": style["dash"] is not None, "path": path,
                     "colour": _rgba(rgb, style["alpha"]), "width": style["width"], "tip": "\n".join(lines)})
    return pd.DataFrame(rows, columns=list(ROUTE_COLUMNS))


def place_points(routes: pd.DataFrame, points: pd.DataFrame, year_to: int | None = None,
                 modes: Iterable[str] | None = None, statuses: Iterable[str] | None = None,
                 types: Iterable[str] = PLACE_TYPES, paths: pd.DataFrame | None = None) -> pd.DataFrame:
    """Unique named places (terminal/port/city/junction) on the shown routes, with the routes through them.

    Columns: name, country, point_type, lon, lat, position, n_routes, routes, radius, tip.
    Places are merged by (place, country); coordinates are their mean. ``paths`` (route_paths' result for
    the same arguments) saves computing it again.
    """
    cols = ["name", "country", "point_type", "lon", "lat", "position", "n_routes", "routes", "radius", "tip"]
    shown = route_paths(routes, points, year_to, modes, statuses) if paths is None else paths
    names = dict(zip(shown["route_id"], shown["name"]))
    pts = points[points["route_id"].isin(list(names)) & points["point_type"].isin(list(types))]
    pts = pts.dropna(subset=["place", "lon", "lat"])
    rank = {t: i for i, t in enumerate(("port", "terminal", "junction", "city", "waypoint"))}
    rows = []
    for (place, country), g in pts.groupby(["place", "country"], sort=True, dropna=False):
        through = sorted({names[r] for r in g["route_id"]})
        ptype = min(g["point_type"], key=lambda t: rank.get(t, 99))
        lon, lat = round(float(g["lon"].mean()), 4), round(float(g["lat"].mean()), 4)
        country = _text(country)
        rows.append({
            "name": _text(place), "country": country, "point_type": ptype, "lon": lon, "lat": lat,
            "position": [lon, lat], "n_routes": len(through), "routes": "; ".join(through),
            "radius": 3.5 + min(len(through), 5),
            "tip": "\n".join([" · ".join(x for x in (ptype.capitalize(), country) if x),
                              f"Routes ({len(through)}):", *(f"• {n}" for n in through)]),
        })
    return pd.DataFrame(rows, columns=cols)


# --- layers and deck --------------------------------------------------------------------------

def load_basemap(path: Path | str = BASEMAP_PATH) -> dict:
    """The bundled country outlines (GeoJSON FeatureCollection)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def water_layer() -> pdk.Layer:
    """One water-coloured rectangle under the land: the map's background."""
    return pdk.Layer("SolidPolygonLayer", id="water", data=[{"polygon": [[-180, -85], [180, -85], [180, 85],
                                                                         [-180, 85]]}],
                     get_polygon="polygon", get_fill_color=list(WATER), pickable=False)


def basemap_layer(geojson: dict, focus: Iterable[str] = ("AZ", "KZ")) -> pdk.Layer:
    """Country outlines: light grey land (``focus`` countries tinted), thin grey borders, not pickable."""
    focus = set(focus)
    features = [{"type": "Feature", "geometry": f["geometry"],
                 "properties": {"fill": list(LAND_FOCUS if f["properties"].get("iso2") in focus else LAND)}}
                for f in geojson.get("features", [])]
    return pdk.Layer(
        "GeoJsonLayer", id="basemap", data={"type": "FeatureCollection", "features": features},
        filled=True, stroked=True, get_fill_color="properties.fill", get_line_color=list(BORDER),
        get_line_width=0.7, line_width_units='"pixels"', line_width_min_pixels=0.5, pickable=False,
    )


def route_layers(paths: pd.DataFrame) -> list[pdk.Layer]:
    """PathLayers: faint pickable traces of dashed routes, their dashes, then solid routes on top."""
    common = {"get_path": "path", "get_width": "width", "width_units": '"pixels"', "width_min_pixels": 1,
              "cap_rounded": True, "joint_rounded": True}
    is_dashed = paths["dashed"].astype(bool)
    dashed, solid = paths[is_dashed], paths[~is_dashed]
    trace = dashed.assign(colour=[c[:3] + [TRACE_ALPHA] for c in dashed["colour"]])
    dashes = []
    for status, colour, width, path in zip(dashed["status"], dashed["colour"], dashed["width"], dashed["path"]):
        on, off = STATUS_STYLE.get(status, STATUS_STYLE["planned"])["dash"]
        dashes += [{"path": d, "colour": colour, "width": width} for d in dash_path(path, on, off)]
    highlight = {"auto_highlight": True, "highlight_color": [0, 0, 0, 90]}
    return [
        pdk.Layer("PathLayer", id="routes-trace", data=_records(trace, ROUTE_LAYER_COLUMNS),
                  get_color="colour", pickable=True, **highlight, **common),
        pdk.Layer("PathLayer", id="routes-dashed", data=dashes, get_color="colour", pickable=False, **common),
        pdk.Layer("PathLayer", id="routes-solid", data=_records(solid, ROUTE_LAYER_COLUMNS),
                  get_color="colour", pickable=True, **highlight, **common),
    ]


def label_places(places: pd.DataFrame, max_labels: int = 12, min_km: float = 150) -> pd.DataFrame:
    """The busiest places to label, skipping any within ``min_km`` of one already chosen (declutter)."""
    rank = {t: i for i, t in enumerate(("port", "terminal", "junction", "city"))}
    order = places.assign(_r=places["point_type"].map(rank).fillna(9)).sort_values(
        ["n_routes", "_r", "name"], ascending=[False, True, True])
    chosen: list[int] = []
    for i, pos in zip(order.index, order["position"]):
        if len(chosen) >= max_labels:
            break
        if all(haversine_km(pos, places.at[j, "position"]) >= min_km for j in chosen):
            chosen.append(i)
    return places.loc[chosen]


def place_layers(places: pd.DataFrame, max_labels: int = 12) -> list[pdk.Layer]:
    """Dots for places (pickable) and light labels for the busiest ones."""
    dots = pdk.Layer(
        "ScatterplotLayer", id="places", data=_records(places, PLACE_LAYER_COLUMNS), get_position="position",
        get_radius="radius", radius_units='"pixels"', get_fill_color=list(PLACE_FILL),
        get_line_color=[255, 255, 255], line_width_min_pixels=1.2, stroked=True, filled=True, pickable=True,
        auto_highlight=True, highlight_color=[0, 0, 0, 90],
    )
    # Plain (non-SDF) glyphs on a soft background: SDF outlines rendered broken glyphs in testing.
    labels = pdk.Layer(
        "TextLayer", id="labels", data=_records(label_places(places, max_labels), LABEL_LAYER_COLUMNS),
        get_position="position", get_text="name", get_size=12, size_units='"pixels"', get_color=[30, 30, 30],
        get_pixel_offset=[0, -10], get_text_anchor='"middle"', get_alignment_baseline='"bottom"',
        font_family='"Arial, Helvetica, sans-serif"', character_set='"auto"', background=True,
        get_background_color=[255, 255, 255, 170], background_padding=[3, 1], pickable=False,
    )
    return [dots, labels]


class OfflineDeck(pdk.Deck):
    """A Deck whose JSON is compact (no indent: about 5x smaller over the WebSocket) and strict.

    Keeps pydeck's default ``map_style`` sentinel with ``map_provider=None``: Streamlit's
    frontend then draws no basemap. (With ``map_style=None`` it substitutes a CARTO style URL.)
    """

    def to_json(self) -> str:
        """Serialised once per deck: a cached deck is drawn on many reruns and is never changed after."""
        cached = _DECK_JSON.get(self)
        if cached is None:
            cached = _DECK_JSON[self] = json.dumps(self, sort_keys=True, default=default_serialize,
                                                   separators=(",", ":"), allow_nan=False)
        return cached


_DECK_JSON: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def not_open_routes(routes: pd.DataFrame, year_to: int) -> frozenset[str]:
    """Ids of the routes drawn grey for a range ending in ``year_to``: the only way the year changes the map."""
    opened = pd.to_numeric(routes["opened_year"], errors="coerce")
    return frozenset(routes.loc[opened > year_to, "route_id"])


def network_deck(routes: pd.DataFrame, points: pd.DataFrame, geojson: dict, year_to: int | None = None,
                 modes: Iterable[str] | None = None, statuses: Iterable[str] | None = None,
                 max_labels: int = 12) -> pdk.Deck:
    """The whole offline map: water, land, routes, places and labels, centred on the Caspian."""
    paths = route_paths(routes, points, year_to, modes, statuses)
    places = place_points(routes, points, year_to, modes, statuses, types=MAP_PLACE_TYPES, paths=paths)
    view = pdk.ViewState(longitude=VIEW["longitude"], latitude=VIEW["latitude"], zoom=VIEW["zoom"],
                         min_zoom=VIEW["min_zoom"], max_zoom=VIEW["max_zoom"], pitch=0, bearing=0)
    return OfflineDeck(
        layers=[water_layer(), basemap_layer(geojson), *route_layers(paths), *place_layers(places, max_labels)],
        initial_view_state=view, views=[pdk.View(type="MapView", controller=True)],
        map_provider=None, tooltip=TOOLTIP,
    )


# --- downloads and legend ---------------------------------------------------------------------

def routes_geojson(routes: pd.DataFrame, points: pd.DataFrame) -> dict:
    """All routes as a GeoJSON FeatureCollection of LineStrings ([lon, lat]) with the routes' columns."""
    paths = _paths(points)
    features = []
    for _, r in routes.iterrows():
        rid = _text(r.get("route_id"))
        if len(paths.get(rid, [])) < 2:
            continue
        props = {}
        for col, value in r.items():
            props[col] = None if not isinstance(value, (list, tuple)) and pd.isna(value) else _plain(value)
        features.append({"type": "Feature", "id": rid, "properties": props,
                         "geometry": {"type": "LineString", "coordinates": paths[rid]}})
    return {"type": "FeatureCollection", "features": features}


def legend_rows() -> list[dict]:
    """Rows for a legend: one per mode (colour) and one per status (dash pattern, opacity).

    Each row: kind ('mode'|'status'|'year'), key, label, hex colour, rgba, dash ([on_km, off_km] or
    None), dasharray (SVG stroke-dasharray in px, as drawn at the initial zoom; '' = solid),
    css ('solid'|'dashed'|'dotted') and opacity (0..1).
    """
    def hexc(rgb):
        return "#{:02x}{:02x}{:02x}".format(*rgb)

    rows = [{"kind": "mode", "key": m, "label": MODE_LABELS[m], "colour": hexc(c), "rgba": _rgba(c, 255),
             "dash": None, "dasharray": "", "css": "solid", "opacity": 1.0} for m, c in MODE_COLOURS.items()]
    for s, st in STATUS_STYLE.items():
        dash = st["dash"]
        css = "solid" if dash is None else ("dotted" if dash[0] < dash[1] else "dashed")
        rows.append({"kind": "status", "key": s, "label": st["label"], "colour": "#444444",
                     "rgba": _rgba((68, 68, 68), st["alpha"]), "dash": list(dash) if dash else None,
                     "dasharray": " ".join(str(max(2, round(km / KM_PER_PX))) for km in dash) if dash else "",
                     "css": css, "opacity": round(st["alpha"] / 255, 2)})
    rows.append({"kind": "year", "key": "not_open", "label": "Not yet open at the end of the selected years",
                 "colour": hexc(NOT_OPEN_COLOUR), "rgba": _rgba(NOT_OPEN_COLOUR, 255), "dash": None,
                 "dasharray": "", "css": "solid", "opacity": 1.0})
    return rows

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
from collections.abc import Iterable
from itertools import pairwise

import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from components.figures import placement
from components.shaping.labels import Labels

MODES = ("pipeline", "rail", "sea", "road", "multimodal")
STATUSES = ("operating", "under_construction", "planned", "proposed", "suspended")
PLACE_TYPES = ("terminal", "port", "city", "junction")  # plain waypoints are not places
MAP_PLACE_TYPES = ("terminal", "port", "junction")  # drawn as dots on the network map (cities would crowd it)

# Okabe–Ito colours (colour-blind safe); sky blue and yellow are left out: too faint on water/land.
# Okabe–Ito hues darkened so every line has >= 3:1 contrast on water, land and the tinted focus countries
# (tests/test_palette.py computes it); colour-blind readers tell them apart by hue and by the legend's names.
MODE_COLOURS: dict[str, tuple[int, int, int]] = {
    "pipeline": (171, 64, 0),  # dark vermillion
    "rail": (0, 90, 150),  # dark blue
    "sea": (0, 105, 75),  # dark bluish green
    "road": (125, 85, 0),  # dark ochre
    "multimodal": (142, 50, 110),  # dark reddish purple
}
NOT_OPEN_COLOUR = (110, 110, 110)  # routes not yet open at the end of the selected years (3.9:1 on land)
# dash = (km drawn, km gap) along the route; None = solid. ~6 km per pixel at the initial zoom.
LINE_STYLE: dict[str, dict] = {
    "operating": {"dash": None, "alpha": 255, "width": 3.5},
    "under_construction": {"dash": (70, 30), "alpha": 230, "width": 3.0},
    "planned": {"dash": (45, 40), "alpha": 220, "width": 3.0},
    "proposed": {"dash": (15, 35), "alpha": 220, "width": 3.0},
    "suspended": {"dash": (30, 30), "alpha": 200, "width": 3.0},
}
# An operating route whose opening year no source gives: drawn thin with a light casing gap, never as if it
# had always been there (it is not greyed for any year range, and says "opening year unknown").
UNKNOWN_YEAR = {"alpha": 255, "width": 2.0, "dash": (8, 8)}
TRACE_ALPHA = 45  # faint full-length line under dashes: keeps dashed routes easy to hover

WATER = (200, 222, 238)
LAND = (238, 238, 233)
LAND_FOCUS = (246, 226, 178)  # Azerbaijan and Kazakhstan (a warm tint set apart from other land)
BORDER = (120, 120, 120)
FOCUS_BORDER = (122, 94, 20)  # Azerbaijan and Kazakhstan outlined: >= 3:1 on their tint and on other land
PLACE_FILL = (40, 40, 40)

# deck.gl zoom uses a 512 px world: zoom 3.3 shows ~57 degrees of longitude in 800 px, so Istanbul
# (29 E) to the Chinese border (82.5 E) and Astana to Ceyhan fit in the app's main column.
VIEW = {"longitude": 55.5, "latitude": 43.5, "zoom": 3.3, "min_zoom": 3, "max_zoom": 9}
KM_PER_PX = 6  # at the initial view (zoom 3.3, ~43 N): scales dashes for the legend
TOOLTIP = {
    "text": "{name}\n{tip}",
    "style": {
        "backgroundColor": "rgba(255,255,255,0.96)",
        "color": "#222",
        "fontSize": "13px",
        "border": "1px solid #999",
        "borderRadius": "4px",
        "padding": "6px 8px",
        "maxWidth": "340px",
        "whiteSpace": "pre-line",
    },
}

# Columns each layer sends to the browser (pydeck serialises every field it is given).
ROUTE_LAYER_COLUMNS = ("path", "colour", "width", "name", "tip")
PLACE_LAYER_COLUMNS = ("position", "radius", "name", "tip")
LABEL_LAYER_COLUMNS = ("position", "name", "anchor", "baseline", "offset")
ROUTE_COLUMNS = (
    "route_id",
    "name",
    "mode",
    "status",
    "cargo",
    "opened",
    "length",
    "capacity",
    "countries",
    "source",
    "accuracy",
    "not_open",
    "dashed",
    "path",
    "colour",
    "width",
    "tip",
)


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


def _selected(series: pd.Series, allowed: Iterable[str] | None) -> pd.Series:
    if allowed is None:
        return pd.Series(True, index=series.index)
    return series.isin(list(allowed)).fillna(False).astype(bool)


def _rgba(rgb: tuple[int, int, int], alpha: int) -> list[int]:
    return [int(rgb[0]), int(rgb[1]), int(rgb[2]), int(alpha)]


def _python_scalar(value: object) -> object:
    """numpy scalars -> Python scalars (pydeck would stringify an int64)."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (list, tuple, str)) else value


def _records(df: pd.DataFrame, columns: Iterable[str]) -> list[dict]:
    """Only these columns, as plain JSON-safe records."""
    columns = list(columns)
    return [
        {c: _python_scalar(v) for c, v in zip(columns, row)} for row in df[columns].itertuples(index=False, name=None)
    ]


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


def _capacity_text(row: dict, labels: Labels) -> str:
    _ = labels.lang._
    cap = _number(row.get("capacity"))
    if cap is None:
        return _("not given")
    unit = _text(row.get("capacity_unit"))
    per_year = unit and unit not in {
        "days",
        "hours",
        "km",
        "percent",
        "count",
        "people",
        "sq km",
        "MW",
        "GW",
        "bbl/d",
        "thousand bbl/d",
    }
    text = f"{labels.lang.compact(cap)} {labels.name('unit', unit)}"
    return _("{capacity} a year").format(capacity=text) if per_year else text


def route_paths(
    routes: pd.DataFrame,
    points: pd.DataFrame,
    labels: Labels,
    year_to: int | None = None,
    modes: Iterable[str] | None = None,
    statuses: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per drawable route (>= 2 points), with path, colour, width and tooltip fields.

    Columns: ROUTE_COLUMNS. A route that opened after ``year_to`` is grey (``not_open``); an operating route
    with no known opening year has a style of its own (thin, finely dashed) and says so; non-operating routes
    are dashed. ``modes``/``statuses`` (None = all) filter the rows."""
    _ = labels.lang._
    paths = _paths(points)
    keep = _selected(routes["mode"], modes) & _selected(routes["status"], statuses)
    grey = not_open_routes(routes, year_to) if year_to is not None else frozenset()
    rows = []
    for r in routes[keep].to_dict("records"):
        rid = _text(r.get("route_id"))
        path = paths.get(rid, [])
        if len(path) < 2:
            continue
        mode, status = _text(r.get("mode")), _text(r.get("status"))
        style = dict(LINE_STYLE.get(status, LINE_STYLE["planned"]))
        opened = _number(r.get("opened_year"))
        not_open = rid in grey
        unknown = opened is None and status == "operating"
        if unknown:
            style = {**style, **UNKNOWN_YEAR}
        rgb = NOT_OPEN_COLOUR if not_open else MODE_COLOURS.get(mode, NOT_OPEN_COLOUR)
        length = _number(r.get("length_km"))
        name = labels.name("route", rid) or _text(r.get("name"), rid)
        fields = {
            "route_id": rid,
            "name": name,
            "mode": mode,
            "status": status,
            "cargo": labels.name("cargo", r.get("cargo")),
            "opened": f"{opened:.0f}"
            if opened is not None
            else (_("opening year unknown") if status == "operating" else _("not open")),
            "length": f"{labels.lang.compact(length)} km" if length is not None else _("not given"),
            "capacity": _capacity_text(r, labels),
            "countries": labels.countries(r.get("countries"), " → "),
            "source": _text(r.get("source_id")).replace(";", "; "),
            "accuracy": _("schematic line")
            if r.get("geometry_accuracy") == "schematic"
            else _("line through known waypoints"),
            "not_open": bool(not_open),
        }
        kinds = (labels.name("mode", mode), labels.name("route_status", status), fields["cargo"])
        lines = [
            " · ".join(x for x in kinds if x),
            _("Opened: {opened} · Length: {length}").format(opened=fields["opened"], length=fields["length"]),
            _("Capacity: {capacity}").format(capacity=fields["capacity"]),
            _("Countries: {countries}").format(countries=fields["countries"]),
            _("Drawn as: {accuracy}").format(accuracy=fields["accuracy"]),
            _("Source: {source}").format(source=fields["source"]),
        ]
        if not_open:
            lines.insert(0, _("Not yet open at the end of the selected years"))
        rows.append(
            {
                **fields,
                "dashed": style["dash"] is not None,
                "dash": style["dash"],
                "path": path,
                "colour": _rgba(rgb, style["alpha"]),
                "width": style["width"],
                "tip": "\n".join(lines),
            }
        )
    return pd.DataFrame(rows, columns=[*ROUTE_COLUMNS, "dash"])


def place_points(
    points: pd.DataFrame, paths: pd.DataFrame, labels: Labels, types: Iterable[str] = PLACE_TYPES
) -> pd.DataFrame:
    """Unique named places (terminal/port/city/junction) on the drawn routes (`paths`, route_paths' result),
    with the routes through them. Places are merged by (place, country); coordinates are their mean."""
    _ = labels.lang._
    cols = ["name", "country", "point_type", "lon", "lat", "position", "n_routes", "routes", "radius", "tip"]
    names = dict(zip(paths["route_id"], paths["name"]))
    pts = points[points["route_id"].isin(list(names)) & points["point_type"].isin(list(types))]
    pts = pts.dropna(subset=["place", "lon", "lat"])
    rank = {t: i for i, t in enumerate(("port", "terminal", "junction", "city", "waypoint"))}
    rows = []
    for (place, country), g in pts.groupby(["place", "country"], sort=True, dropna=False):
        through = sorted({names[r] for r in g["route_id"]})
        ptype = min(g["point_type"], key=lambda t: rank.get(t, 99))
        lon, lat = round(float(g["lon"].mean()), 4), round(float(g["lat"].mean()), 4)
        country = _text(country)
        kind = {"port": _("Port"), "terminal": _("Terminal"), "junction": _("Junction"), "city": _("City")}[ptype]
        rows.append(
            {
                "name": labels.name("place", place),
                "country": country,
                "point_type": ptype,
                "lon": lon,
                "lat": lat,
                "position": [lon, lat],
                "n_routes": len(through),
                "routes": "; ".join(through),
                "radius": 3.5 + min(len(through), 5),
                "tip": "\n".join(
                    [
                        " · ".join(x for x in (kind, labels.name("country", country)) if x),
                        labels.lang.ngettext("{n} route:", "{n} routes:", len(through)).format(n=len(through)),
                        *(f"• {n}" for n in through),
                    ]
                ),
            }
        )
    return pd.DataFrame(rows, columns=cols)


# --- layers and deck --------------------------------------------------------------------------


def water_layer() -> pdk.Layer:
    """One water-coloured rectangle under the land: the map's background."""
    return pdk.Layer(
        "SolidPolygonLayer",
        id="water",
        data=[{"polygon": [[-180, -85], [180, -85], [180, 85], [-180, 85]]}],
        get_polygon="polygon",
        get_fill_color=list(WATER),
        pickable=False,
    )


def basemap_layer(geojson: dict, focus: Iterable[str] = ("AZ", "KZ")) -> pdk.Layer:
    """Country outlines: light land, Azerbaijan and Kazakhstan tinted and outlined darker; not pickable."""
    focus = set(focus)
    features = []
    for f in geojson.get("features", []):
        mine = f.get("properties", {}).get("iso2") in focus
        features.append(
            {
                "type": "Feature",
                "geometry": f.get("geometry"),
                "properties": {
                    "fill": list(LAND_FOCUS if mine else LAND),
                    "line": list(FOCUS_BORDER if mine else BORDER),
                    "width": 2 if mine else 0.7,
                },
            }
        )
    features.sort(key=lambda f: f["properties"]["width"])  # focus outlines drawn last, on top
    return pdk.Layer(
        "GeoJsonLayer",
        id="basemap",
        data={"type": "FeatureCollection", "features": features},
        filled=True,
        stroked=True,
        get_fill_color="properties.fill",
        get_line_color="properties.line",
        get_line_width="properties.width",
        line_width_units='"pixels"',
        line_width_min_pixels=0.5,
        pickable=False,
    )


def route_layers(paths: pd.DataFrame) -> list[pdk.Layer]:
    """PathLayers: faint pickable traces of dashed routes, their dashes, then solid routes on top."""
    common = {
        "get_path": "path",
        "get_width": "width",
        "width_units": '"pixels"',
        "width_min_pixels": 1,
        "cap_rounded": True,
        "joint_rounded": True,
    }
    is_dashed = paths["dashed"].astype(bool)
    dashed, solid = paths[is_dashed], paths[~is_dashed]
    trace = dashed.assign(colour=[[*c[:3], TRACE_ALPHA] for c in dashed["colour"]])
    dashes = []
    for dash, colour, width, path in zip(dashed["dash"], dashed["colour"], dashed["width"], dashed["path"]):
        dashes += [{"path": d, "colour": colour, "width": width} for d in dash_path(path, *dash)]
    highlight = {"auto_highlight": True, "highlight_color": [0, 0, 0, 90]}
    return [
        pdk.Layer(
            "PathLayer",
            id="routes-trace",
            data=_records(trace, ROUTE_LAYER_COLUMNS),
            get_color="colour",
            pickable=True,
            **highlight,
            **common,
        ),
        pdk.Layer("PathLayer", id="routes-dashed", data=dashes, get_color="colour", pickable=False, **common),
        pdk.Layer(
            "PathLayer",
            id="routes-solid",
            data=_records(solid, ROUTE_LAYER_COLUMNS),
            get_color="colour",
            pickable=True,
            **highlight,
            **common,
        ),
    ]


# a textposition (placement.POSITIONS) as deck.gl's TextLayer draws it: anchor, baseline and the offset's signs
# (screen px, y down) in units of the label's distance from its dot's centre
_DECK_PLACES = {
    "top center": ("middle", "bottom", (0, -1)),
    "bottom center": ("middle", "top", (0, 1)),
    "middle right": ("start", "center", (1, 0)),
    "middle left": ("end", "center", (-1, 0)),
    "top right": ("start", "bottom", (1, -1)),
    "top left": ("end", "bottom", (-1, -1)),
    "bottom right": ("start", "top", (1, 1)),
    "bottom left": ("end", "top", (-1, 1)),
}
LABEL_CHAR_PX = 7.0  # 12 px sans-serif: DejaVu Sans (Debian's Arial stand-in) is wider than Arial, ~6.9 px a letter
LABEL_LINE_PX = 17  # 12 px text on a background padded 1 px above and below, rounded up
LABEL_PAD_PX = 3  # the background's padding left and right


def screen_px(position: list[float], view: dict, width_px: float, height_px: float) -> tuple[float, float]:
    """Where a [lon, lat] is drawn on a map of this size at this view (deck.gl's 512 px web-Mercator world), in
    px from the map's bottom-left corner, y upwards."""

    def world(lon: float, lat: float) -> tuple[float, float]:
        size = 512 * 2 ** view["zoom"]
        y = math.log(math.tan(math.pi / 4 + math.radians(max(min(lat, 85), -85)) / 2))
        return (lon + 180) / 360 * size, (1 - y / math.pi) / 2 * size

    (x, y), (cx, cy) = world(*position[:2]), world(view["longitude"], view["latitude"])
    return width_px / 2 + x - cx, height_px / 2 - (y - cy)


def label_places(
    places: pd.DataFrame, view: dict, width_px: float, height_px: float, max_labels: int = 12
) -> pd.DataFrame:
    """The busiest places (most routes, then ports, terminals, junctions) that can be named on the map as it
    first opens without one name over another, over a dot or past the map's edge (placement.label_positions);
    each with its name's `anchor`, `baseline` and pixel `offset` for deck.gl's TextLayer."""
    columns = [*places.columns, "anchor", "baseline", "offset"]
    if places.empty:
        return pd.DataFrame(columns=columns)
    rank = {t: i for i, t in enumerate(("port", "terminal", "junction", "city"))}
    order = places.assign(_r=places["point_type"].map(rank).fillna(9)).sort_values(
        ["n_routes", "_r", "name"], ascending=[False, True, True]
    )
    priority = pd.Series(range(len(order)), index=order.index).reindex(places.index).tolist()
    xs, ys = zip(*(screen_px(p, view, width_px, height_px) for p in places["position"]))
    radii = places["radius"].astype(float).tolist()
    positions = placement.label_positions(
        xs,
        ys,
        places["name"].tolist(),
        placement.Plot(width_px, height_px, (0, width_px), (0, height_px)),
        radii=radii,
        char=LABEL_CHAR_PX,
        line=LABEL_LINE_PX,
        pad=LABEL_PAD_PX,
        priority=priority,
        limit=max_labels,
    )
    keep = sorted((i for i, p in enumerate(positions) if p), key=priority.__getitem__)  # busiest first
    placed = places.iloc[keep].copy()
    deck = [_DECK_PLACES[positions[i]] for i in keep]
    placed["anchor"] = [a for a, _, _ in deck]
    placed["baseline"] = [b for _, b, _ in deck]
    away = [radii[i] + placement.DOT_GAP for i in keep]  # px from the dot's centre, as placed
    placed["offset"] = [[dx * d, dy * d] for d, (_, _, (dx, dy)) in zip(away, deck)]
    return placed


def place_layers(places: pd.DataFrame, labelled: pd.DataFrame) -> list[pdk.Layer]:
    """Dots for places (pickable) and light labels for those `label_places` found room for."""
    dots = pdk.Layer(
        "ScatterplotLayer",
        id="places",
        data=_records(places, PLACE_LAYER_COLUMNS),
        get_position="position",
        get_radius="radius",
        radius_units='"pixels"',
        get_fill_color=list(PLACE_FILL),
        get_line_color=[255, 255, 255],
        line_width_min_pixels=1.2,
        stroked=True,
        filled=True,
        pickable=True,
        auto_highlight=True,
        highlight_color=[0, 0, 0, 90],
    )
    # Plain (non-SDF) glyphs on a soft background: SDF outlines rendered broken glyphs in testing.
    labels = pdk.Layer(
        "TextLayer",
        id="labels",
        data=_records(labelled, LABEL_LAYER_COLUMNS),
        get_position="position",
        get_text="name",
        get_size=12,
        size_units='"pixels"',
        get_color=[30, 30, 30],
        get_pixel_offset="offset",
        get_text_anchor="anchor",
        get_alignment_baseline="baseline",
        font_family='"Arial, Helvetica, sans-serif"',
        character_set='"auto"',
        background=True,
        get_background_color=[255, 255, 255, 170],
        background_padding=[LABEL_PAD_PX, 1],
        pickable=False,
    )
    return [dots, labels]


class OfflineDeck(pdk.Deck):
    """A Deck whose JSON is compact (no indent: about 5x smaller over the WebSocket), strict, and made once.

    Keeps pydeck's default ``map_style`` sentinel with ``map_provider=None``: Streamlit's frontend then draws no
    basemap (with ``map_style=None`` it substitutes a CARTO style URL). The JSON is serialised when the deck is
    built (``freeze``): a deck in a cached view is drawn on many reruns and never changed after."""

    _json: str | None = None

    def freeze(self) -> OfflineDeck:
        self._json = json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"), allow_nan=False)
        return self

    def to_json(self) -> str:
        return self._json if self._json is not None else self.freeze()._json


def not_open_routes(routes: pd.DataFrame, year_to: int) -> frozenset[str]:
    """Ids of the routes drawn grey for a range ending in ``year_to``: the only way the year changes the map."""
    opened = pd.to_numeric(routes["opened_year"], errors="coerce")
    return frozenset(routes.loc[opened > year_to, "route_id"])


def fitted_view(paths: pd.DataFrame, width_px: int = 760, height_px: int = 560) -> dict:
    """longitude, latitude and zoom that fit every drawn route into a map of this size (web-Mercator maths,
    deck.gl's 512 px world), so Kazakhstan and Türkiye are not cropped on a narrow screen."""
    coords = [p for path in paths["path"] for p in path] if not paths.empty else []
    if not coords:
        return {"longitude": VIEW["longitude"], "latitude": VIEW["latitude"], "zoom": VIEW["zoom"]}
    lons = [c[0] for c in coords]
    lats = [c[1] for c in coords]

    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    span_x = (max(lons) - min(lons)) / 360 * 512
    span_y = (merc(max(lats)) - merc(min(lats))) / (2 * math.pi) * 512
    pad = 0.9
    zoom = min(math.log2(width_px * pad / max(span_x, 1e-6)), math.log2(height_px * pad / max(span_y, 1e-6)))
    mid_lat = math.degrees(2 * math.atan(math.exp((merc(max(lats)) + merc(min(lats))) / 2)) - math.pi / 2)
    return {
        "longitude": round((max(lons) + min(lons)) / 2, 3),
        "latitude": round(mid_lat, 3),
        "zoom": round(max(1.0, min(zoom, VIEW["max_zoom"])), 2),
    }


def network_deck(
    routes: pd.DataFrame,
    points: pd.DataFrame,
    geojson: dict,
    labels: Labels,
    year_to: int | None = None,
    modes: Iterable[str] | None = None,
    statuses: Iterable[str] | None = None,
    max_labels: int = 12,
    width_px: int = 760,
    height_px: int = 560,
) -> pdk.Deck:
    """The whole offline map: water, land, routes, places and labels, fitted to the routes drawn."""
    paths = route_paths(routes, points, labels, year_to, modes, statuses)
    places = place_points(points, paths, labels, types=MAP_PLACE_TYPES)
    fit = fitted_view(paths, width_px=width_px, height_px=height_px)
    view = pdk.ViewState(**fit, min_zoom=1, max_zoom=VIEW["max_zoom"], pitch=0, bearing=0)
    labelled = label_places(places, fit, width_px, height_px, max_labels)
    return OfflineDeck(
        layers=[water_layer(), basemap_layer(geojson), *route_layers(paths), *place_layers(places, labelled)],
        initial_view_state=view,
        views=[pdk.View(type="MapView", controller=True)],
        map_provider=None,
        tooltip=TOOLTIP,
    ).freeze()


# --- downloads and legend ---------------------------------------------------------------------


def routes_geojson(routes: pd.DataFrame, points: pd.DataFrame) -> dict:
    """All routes as a GeoJSON FeatureCollection of LineStrings ([lon, lat]) with the routes' columns."""
    paths = _paths(points)
    features = []
    for r in routes.to_dict("records"):
        rid = _text(r.get("route_id"))
        if len(paths.get(rid, [])) < 2:
            continue
        props = {}
        for col, value in r.items():
            props[col] = None if not isinstance(value, (list, tuple)) and pd.isna(value) else _python_scalar(value)
        features.append(
            {
                "type": "Feature",
                "id": rid,
                "properties": props,
                "geometry": {"type": "LineString", "coordinates": paths[rid]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def legend_rows(labels: Labels) -> list[dict]:
    """Rows for the legend: one per mode (colour), one per status (dash pattern), the not-yet-open grey and the
    unknown-opening-year style. Each row: kind, key, label, hex colour, dasharray (SVG px at the initial zoom;
    '' = solid), width and opacity (0..1)."""
    _ = labels.lang._

    def hexc(rgb):
        return "#{:02x}{:02x}{:02x}".format(*rgb)

    def dasharray(dash):
        return " ".join(str(max(2, round(km / KM_PER_PX))) for km in dash) if dash else ""

    rows = [
        {
            "kind": "mode",
            "key": m,
            "label": labels.name("mode", m),
            "colour": hexc(c),
            "dasharray": "",
            "width": 4,
            "opacity": 1.0,
        }
        for m, c in MODE_COLOURS.items()
    ]
    for status, style in LINE_STYLE.items():
        rows.append(
            {
                "kind": "status",
                "key": status,
                "label": labels.name("route_status", status),
                "colour": "#333333",
                "dasharray": dasharray(style["dash"]),
                "width": 4,
                "opacity": round(style["alpha"] / 255, 2),
            }
        )
    rows.append(
        {
            "kind": "status",
            "key": "unknown_year",
            "label": _("operating, opening year unknown"),
            "colour": "#333333",
            "dasharray": dasharray(UNKNOWN_YEAR["dash"]),
            "width": 2.5,
            "opacity": 1.0,
        }
    )
    rows.append(
        {
            "kind": "year",
            "key": "not_open",
            "label": _("not yet open at the end of the selected years"),
            "colour": hexc(NOT_OPEN_COLOUR),
            "dasharray": "",
            "width": 4,
            "opacity": 1.0,
        }
    )
    return rows

"""Map: every route on an offline map, its legend, the routes as a table and downloads. Pure."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from functools import partial

import pandas as pd

from components.figures import legend, maps, static_map
from components.views.base import Context, Download, Empty, Grid, MadeOnce, needs

PHONE_WIDTH = 340  # the map's width on a 390 px phone, after the page's margins
DESKTOP_WIDTH = 900
PHONE_HEIGHT = 380
DESKTOP_HEIGHT = 560


@dataclass(frozen=True)
class RouteMap:
    deck: maps.OfflineDeck
    height: int
    legend: str  # HTML
    not_open: str | None
    grid: Grid
    downloads: tuple[Download, ...]
    source: str
    count: int


@dataclass(frozen=True)
class _Drawn:
    """What the map draws for one set of routes: it changes with the years only through the routes drawn grey."""

    deck: maps.OfflineDeck
    legend: str
    image: bytes  # the PNG's map without its title (static_map.map_image, as PNG: 70 KB): titled per year
    grid: Grid
    geojson: bytes
    routes_csv: MadeOnce
    points_csv: MadeOnce
    source: str


@needs("routes", "route_points", "basemap")
def route_map(
    ctx: Context, modes: tuple[str, ...] = maps.MODES, statuses: tuple[str, ...] = maps.STATUSES, phone: bool = False
) -> RouteMap | Empty:
    """`basemap` is the bundled country outlines (data/geo/countries.geojson), loaded like a table."""
    _ = ctx._
    routes, points = ctx.table("routes"), ctx.table("route_points")
    shown = routes[routes["mode"].isin(modes) & routes["status"].isin(statuses)]
    if shown.empty:
        return Empty(_("No routes match these layers. Switch a mode or status back on."))
    shown_points = points[points["route_id"].isin(shown["route_id"])]
    grey = maps.not_open_routes(shown, ctx.years.end)
    title = _("Routes across the Caspian, as of {year}").format(year=ctx.years.end)
    lines = len(textwrap.wrap(title, static_map.TITLE_WIDTH))
    drawn = ctx.shared(
        ("drawn", tuple(shown["route_id"]), grey, phone, lines), lambda: _drawn(ctx, shown, shown_points, phone, lines)
    )
    late = len(grey)
    not_open = (
        ctx.lang.ngettext("Grey: {n} route opened after {year}.", "Grey: {n} routes opened after {year}.", late).format(
            n=late, year=ctx.years.end
        )
        if late
        else None
    )
    png = partial(static_map.titled_png, drawn.image, title)  # made when the page first shows it, then kept
    downloads = (
        ctx.download(drawn.routes_csv, "routes", _("Routes (CSV)"), "dl.routes"),
        ctx.download(drawn.points_csv, "route_points", _("Waypoints (CSV)"), "dl.route_points"),
        Download(
            drawn.geojson,
            ctx.file_stem("routes", None) + ".geojson",
            _("Routes (GeoJSON)"),
            "dl.routes_geojson",
            "application/geo+json",
        ),
        Download(
            png, ctx.file_stem("routes_map", None) + ".png", _("Map as an image (PNG)"), "dl.map_png", "image/png"
        ),
    )
    return RouteMap(
        drawn.deck,
        PHONE_HEIGHT if phone else DESKTOP_HEIGHT,
        drawn.legend,
        not_open,
        drawn.grid,
        downloads,
        drawn.source,
        len(shown),
    )


def _drawn(ctx: Context, shown: pd.DataFrame, shown_points: pd.DataFrame, phone: bool, title_lines: int) -> _Drawn:
    _ = ctx._
    basemap = ctx.table("basemap")
    width = PHONE_WIDTH if phone else DESKTOP_WIDTH
    deck = maps.network_deck(
        shown,
        shown_points,
        basemap,
        ctx.labels,
        year_to=ctx.years.end,
        width_px=width,
        height_px=PHONE_HEIGHT if phone else DESKTOP_HEIGHT,
        max_labels=5 if phone else 12,
    )
    rows = maps.legend_rows(ctx.labels)
    html = legend.legend_html(rows, _("Map legend"), {"mode": _("Colour: kind of route"), "status": _("Line: status")})
    show = shown.assign(
        route_name=[ctx.labels.name("route", r) for r in shown["route_id"]],
        mode_name=ctx.labels.names("mode", shown["mode"]),
        status_name=ctx.labels.names("route_status", shown["status"]),
        opened=[str(int(y)) if pd.notna(y) else _("unknown") for y in shown["opened_year"]],
        length=[ctx.compact(v) for v in shown["length_km"]],
        capacity_text=[
            ctx.compact(v) + (" " + ctx.labels.name("unit", u) if isinstance(u, str) else "") if pd.notna(v) else ""
            for v, u in zip(shown["capacity"], shown["capacity_unit"])
        ],
        country_names=[ctx.labels.countries(c, " → ") for c in shown["countries"]],
        accuracy=[_("schematic") if a == "schematic" else _("through waypoints") for a in shown["geometry_accuracy"]],
        cite=ctx.cite(shown)["cite"],
    )
    grid = ctx.grid(
        show,
        {
            "route_name": _("Route"),
            "mode_name": _("Kind"),
            "status_name": _("Status"),
            "opened": _("Opened"),
            "length": _("Length, km"),
            "capacity_text": _("Capacity"),
            "country_names": _("Countries"),
            "accuracy": _("Line drawn"),
            "geometry_note": _("How accurate"),
            "cite": _("Source"),
        },
    )
    paths = maps.route_paths(shown, shown_points, ctx.labels, ctx.years.end)
    compact_source = ctx.source_line(shown, compact=True) + " " + _("Base map: Natural Earth (public domain).")
    geojson = json.dumps(maps.routes_geojson(shown, shown_points), ensure_ascii=False).encode("utf-8")
    image = static_map.png_bytes(static_map.map_image(basemap, paths, rows, compact_source, title_lines))
    return _Drawn(
        deck,
        html,
        image,
        grid,
        geojson,
        ctx.csv(shown),
        ctx.csv(shown_points),
        ctx.source_line(shown),
    )


@dataclass(frozen=True)
class LayerNames:
    modes: dict[str, str]
    statuses: dict[str, str]


@needs()
def names(ctx: Context) -> LayerNames:
    """The names of the map's layer toggles in the reader's language."""
    return LayerNames(
        {m: ctx.labels.name("mode", m) for m in maps.MODES},
        {s: ctx.labels.name("route_status", s) for s in maps.STATUSES},
    )

"""Every row of every table is reachable: for the full year range, each row is in a table some page shows or in
a CSV some page offers (never only in the all-data zip), so a new row can never silently vanish."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from components import app_data
from components.figures import maps
from components.shaping.filters import YearRange
from components.views import chronology, corridors, diaspora, facts, overview, sources, trade, visits
from components.views import map as route_map

# The key columns each table's rows are recognised by, in what a page offers.
KEYS = {
    "trade_turnover": ("year", "period", "flow", "reporter", "source_id"),
    "trade_products": ("year", "period", "flow", "rank", "source_id"),
    "visits": ("date", "visitor", "source_id"),
    "commission_sessions": ("date", "source_id"),
    "agreements": ("date", "title", "source_id"),
    "events": ("date", "event", "source_id"),
    "corridor_volumes": ("corridor", "year", "period", "metric", "status", "unit", "source_id"),
    "routes": ("route_id",),
    "route_points": ("route_id", "seq"),
    "facilities": ("facility_id",),
    "diaspora": ("group", "year", "measure", "source_id"),
    "indicators": ("indicator", "country", "year", "source_id"),
    "discrepancies": ("topic", "claim_a", "claim_b"),
    "sources": ("source_id",),
    "names": ("kind", "key"),
}


def _text(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def keys_of(rows: list[dict], columns: tuple[str, ...]) -> set[tuple[str, ...]]:
    return {tuple(_text(r.get(c)) for c in columns) for r in rows}


def csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def offered(years: YearRange) -> dict[str, list[dict]]:
    """What the pages show or offer for download, as rows of each table (chronology rows mapped back)."""
    found: dict[str, list[dict]] = {name: [] for name in KEYS}

    def build(view, **filters):
        result = app_data.view(view, years, "en", **filters)
        assert not isinstance(result, app_data.Failed), (view.__name__, [str(e) for e in result.errors])
        return result

    t = build(trade.turnover)
    found["trade_turnover"] += csv_rows(t.download_long.data)
    found["trade_products"] += csv_rows(build(trade.products).download.data)
    found["visits"] += csv_rows(build(visits.visits).download.data)
    found["agreements"] += csv_rows(build(visits.documents).download.data)
    found["commission_sessions"] += csv_rows(build(visits.commission).download.data)
    for row in csv_rows(build(chronology.chronology).download.data):
        if row["kind"] == "event":
            found["events"].append({**row, "event": row["what"]})
        elif row["kind"] == "agreement":
            found["agreements"].append({**row, "title": row["what"]})
    choice = build(corridors.choice)
    ids = [cid for cid, _label in choice.corridors]
    found["facilities"] += [{"facility_id": cid} for cid in ids]
    for cid in ids:
        result = build(corridors.volumes, corridor=cid)
        if hasattr(result, "download"):
            found["corridor_volumes"] += csv_rows(result.download.data)
        result = build(corridors.milestones, corridor=cid)
        if hasattr(result, "download"):
            for row in csv_rows(result.download.data):
                table = "events" if row["kind"] == "milestone" else "agreements"
                found[table].append({**row, ("event" if table == "events" else "title"): row["what"]})
    m = build(route_map.route_map, modes=maps.MODES, statuses=maps.STATUSES)
    for d in m.downloads:
        if d.mime == "text/csv":
            found["route_points" if d.file_name.startswith("route_points") else "routes"] += csv_rows(d.data)
    found["diaspora"] += csv_rows(build(diaspora.diaspora).download.data)
    found["indicators"] += csv_rows(build(facts.facts).download.data)
    s = build(sources.sources)
    found["discrepancies"] += csv_rows(s.discrepancies_download.data)
    for part in s.lists:
        found["sources"] += [{"source_id": v} for v in part.grid.rows.column(0).to_pylist()]
    found["names"] += csv_rows(s.names_download.data)
    overview_view = build(overview.overview)
    assert overview_view.download.data  # the overview offers its timeline (checked in test_views)
    return found


def unreachable(years: YearRange) -> dict[str, list[tuple[str, ...]]]:
    missing = {}
    found = offered(years)
    for name, columns in KEYS.items():
        table = app_data.table(name)
        assert isinstance(table, pd.DataFrame), (name, str(table))
        wanted = keys_of(table.to_dict("records"), columns)
        lost = wanted - keys_of(found[name], columns)
        if lost:
            missing[name] = sorted(lost)[:10]
    return missing


def full_range() -> YearRange:
    start, end = app_data.package().coverage
    return YearRange(start, end)


def test_every_row_of_every_table_is_reachable():
    assert unreachable(full_range()) == {}


def test_the_check_fails_when_a_row_is_made_unreachable(monkeypatch):
    """Drop one topic from the Facts page: its indicator rows are reported as unreachable."""
    indicators = app_data.table("indicators")
    topic = indicators["topic"].value_counts().index[-1]  # the rarest topic
    monkeypatch.setattr(facts, "ALL_TOPICS", tuple(t for t in facts.ALL_TOPICS if t != topic))
    app_data._views.clear()
    try:
        missing = unreachable(full_range())
    finally:
        app_data._views.clear()
    lost = indicators[indicators["topic"] == topic]
    assert set(missing) == {"indicators"}
    assert len(missing["indicators"]) == min(10, len(lost))


@pytest.mark.parametrize("name", sorted(KEYS))
def test_every_table_has_rows(name):
    table = app_data.table(name)
    assert isinstance(table, pd.DataFrame) and len(table) > 0, str(table)

"""Every page script under AppTest (no browser): it runs, draws, filters and copes with bad data."""

from __future__ import annotations

import ast
import csv
import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"
# The page scripts app.py routes to (st.Page("<path>.py", ...)), wherever they live.
ROUTED = re.findall(r"st\.Page\(\s*[\"']([^\"']+\.py)[\"']", (ROOT / "app.py").read_text(encoding="utf-8"))
PAGE_FILES = sorted({ROOT / path for path in ROUTED} | set((ROOT / "pages").glob("*.py")))
TIMEOUT = 60


def page_file(name: str) -> Path:
    return next(path for path in PAGE_FILES if path.stem == name)


def run_page(name: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(page_file(name)), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, "\n".join(str(e.value) for e in at.exception)


def drawn(at: AppTest) -> int:
    """Charts, maps and tables on the page."""
    return sum(len(at.get(kind)) for kind in ("plotly_chart", "deck_gl_json_chart", "dataframe", "table"))


def unescape(markdown: str) -> str:
    """The text a reader sees of Markdown escaped by components.ui.plain."""
    return re.sub(r"\\(.)", r"\1", markdown)


def real_trade() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "trade_turnover.csv")


@pytest.fixture
def fresh_ui(monkeypatch):
    """Forget the imported components.ui (its DATA_DIR is read at import) and every st.cache_resource entry,
    so the next script run reads AZKZ_DATA_DIR afresh; both are restored/cleared again afterwards."""
    import components

    st.cache_resource.clear()
    monkeypatch.delitem(sys.modules, "components.ui", raising=False)
    monkeypatch.delattr(components, "ui", raising=False)
    yield
    st.cache_resource.clear()


# --- every page -------------------------------------------------------------------------------


def test_every_page_of_the_app_exists():
    assert len(ROUTED) >= 7, ROUTED
    missing = [path for path in ROUTED if not (ROOT / path).is_file()]
    assert not missing, f"app.py routes to missing page files: {missing}"


def routed_url_paths() -> dict[str, str | None]:
    """{page script path: url_path or None} of every st.Page(...) call in app.py."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page" and node.args:
            url = next((k.value.value for k in node.keywords if k.arg == "url_path"), None)
            found[node.args[0].value] = url
    return found


def test_deep_links_survive_the_legacy_pages_folder():
    """With a folder named pages/ beside app.py, the first sessions after a server start run in
    Streamlit's legacy multipage mode, which resolves the URL by *file name* before app.py's
    st.navigation runs. A URL path with no pages/<url_path>.py gets a "Page not found" modal
    (e.g. /map served by a pages/corridor_map.py). Either no pages/ folder, or every URL path is a file name."""
    if not (ROOT / "pages").is_dir():
        return
    routes = routed_url_paths()
    assert routes, "no st.Page(...) found in app.py"
    unresolvable = {path: url for path, url in routes.items()
                    if url and not (ROOT / "pages" / f"{url}.py").is_file()}
    assert not unresolvable, (f"URL paths the legacy pages/ pass cannot resolve: {unresolvable}; rename the "
                              "pages/ folder (e.g. app_pages/) or name each page file after its URL path")


@pytest.mark.parametrize("page", PAGE_FILES, ids=[p.stem for p in PAGE_FILES])
def test_page_runs_and_draws(page: Path):
    at = AppTest.from_file(str(page), default_timeout=TIMEOUT)
    at.query_params["from"] = "2005"
    at.query_params["to"] = "2020"
    at.run()
    no_exception(at)
    assert drawn(at) >= 1, f"{page.name} drew no chart, map or table"
    assert [s.value for s in at.sidebar.slider] == [(2005, 2020)]


# --- filtering --------------------------------------------------------------------------------


def test_trade_range_filters_the_table():
    full = run_page("trade")
    narrow = run_page("trade", **{"from": "2012", "to": "2013"})
    no_exception(full)
    no_exception(narrow)
    full_years = set(full.dataframe[0].value["year"].astype(int))
    narrow_years = set(narrow.dataframe[0].value["year"].astype(int))
    trade = real_trade()
    expected = set(trade.loc[(trade["period"] == "annual") & trade["year"].between(2012, 2013), "year"])
    assert narrow_years == expected == {2012, 2013}
    assert full_years == set(trade.loc[trade["period"] == "annual", "year"])
    assert full_years > narrow_years
    assert narrow.get("plotly_chart"), "trade page drew no chart for 2012-2013"


def test_overview_latest_turnover_metric():
    at = run_page("overview", **{"from": "2005", "to": "2013"})
    no_exception(at)
    trade = real_trade()
    annual_totals = (trade["period"] == "annual") & (trade["flow"] == "total")
    totals = trade[annual_totals & trade["year"].between(2005, 2013)]
    assert totals["year"].is_unique, "several totals for one year: the test must learn the app's preference"
    totals = totals.sort_values("year")
    year, value = int(totals["year"].iloc[-1]), float(totals["value_usd_m"].iloc[-1])
    prev_year, prev_value = int(totals["year"].iloc[-2]), float(totals["value_usd_m"].iloc[-2])
    metric = next((m for m in at.metric if m.label.startswith(f"Trade turnover {year}")), None)
    assert metric is not None, [m.label for m in at.metric]
    # the unit may sit in the label ("…, million USD") or in the value ("371.0 million USD")
    assert "million USD" in f"{metric.label} {metric.value}"
    number = metric.value.replace("million USD", "").strip()
    assert number == f"{value:,.1f}" == "371.0", (metric.label, metric.value)  # 2013 total: 370.99
    assert metric.delta == f"{value - prev_value:+,.1f} vs {prev_year}", metric.delta


# --- bad data -----------------------------------------------------------------------------------


def break_first_date(path: Path) -> int:
    """Put a non-date into `date` of the first row of a CSV; return that row's line number."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        line = reader.line_num + 1
        rows = list(reader)
    rows[0][header.index("date")] = "not-a-date"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return line


def test_broken_visits_table_is_reported_not_raised(data_copy: Path, monkeypatch, fresh_ui):
    line = break_first_date(data_copy / "visits.csv")
    monkeypatch.setenv("AZKZ_DATA_DIR", str(data_copy))

    visits = run_page("visits")
    no_exception(visits)
    errors = [unescape(e.value) for e in visits.error]
    named = [text for text in errors if "visits.csv" in text]
    assert named, f"no error names visits.csv: {errors}"
    assert any(f"line {line}" in text and "column date" in text for text in named), named

    trade = run_page("trade")
    no_exception(trade)
    assert not trade.error, [e.value for e in trade.error]
    assert trade.get("plotly_chart") and trade.dataframe


# --- the whole app ------------------------------------------------------------------------------


def test_app_runs_the_overview_with_the_year_slider():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["from"] = "2005"
    at.query_params["to"] = "2013"
    at.run()
    no_exception(at)
    sliders = [s for s in at.sidebar.slider if s.label == "Year range"]
    assert len(sliders) == 1 and sliders[0].value == (2005, 2013)
    assert any(m.label.startswith("Trade turnover") for m in at.metric)
    assert at.title and "Azerbaijan" in at.title[0].value


# --- views in tabs (kept in the URL; only the open tab runs) -----------------------------------------


MIDDLE_CORRIDOR = "Trans-Caspian International Transport Route (Middle Corridor / Central Corridor)"


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]


@pytest.mark.parametrize(("page", "view", "expected"), [
    ("trade", None, ["Azerbaijan–Kazakhstan trade turnover by direction"]),
    ("trade", "Balance and change", ["Azerbaijan's trade balance with Kazakhstan", "Year-on-year change"]),
    ("trade", "Top products", ["Top products, Kazakhstan → Azerbaijan", "Top products, Azerbaijan → Kazakhstan"]),
    ("visits", None, ["Visits and meetings by direction"]),
    ("visits", "Agreements and documents", ["Agreements and documents signed per year"]),
    ("corridors", None, [MIDDLE_CORRIDOR + "<br><sup>volumes"]),  # the route with the most figures comes first
    ("corridors", "Milestones", [MIDDLE_CORRIDOR + "<br><sup>milestones"]),
    ("corridors", "All corridors at a glance", []),
    ("corridors", "Energy context", []),
])
def test_only_the_open_tab_is_drawn(page, view, expected):
    at = run_page(page, **({f"{page}_view": view} if view else {}))
    no_exception(at)
    labels = [tab.label for tab in at.tabs]
    assert view is None or view in labels, labels
    titles = chart_titles(at)
    assert len(titles) == len(expected), titles
    for title, start in zip(titles, expected):
        assert title.startswith(start), (title, start)


def test_corridor_tabs_hold_their_tables():
    glance = run_page("corridors", corridors_view="All corridors at a glance")
    assert {"latest_actual", "max_capacity_or_target"} <= set(glance.dataframe[0].value.columns)
    assert "utilisation_pct" in glance.dataframe[1].value.columns
    energy = run_page("corridors", corridors_view="Energy context")
    assert set(energy.dataframe[0].value["topic"]) <= {"energy", "transport"}
    assert not energy.get("plotly_chart")


def test_unknown_tab_in_the_url_opens_the_first_tab():
    at = run_page("trade", trade_view="<script>alert(1)</script>")
    no_exception(at)
    assert [t[:20] for t in chart_titles(at)] == ["Azerbaijan–Kazakhsta"]
    assert "trade_view" not in at.query_params


def test_broken_table_is_reported_in_its_tab_only(data_copy: Path, monkeypatch, fresh_ui):
    break_first_date(data_copy / "agreements.csv")
    monkeypatch.setenv("AZKZ_DATA_DIR", str(data_copy))
    visits = run_page("visits")
    no_exception(visits)
    assert not visits.error, [e.value for e in visits.error]
    assert chart_titles(visits), "the visits tab does not need agreements.csv"
    agreements = run_page("visits", visits_view="Agreements and documents")
    no_exception(agreements)
    assert any("agreements.csv" in unescape(e.value) for e in agreements.error)

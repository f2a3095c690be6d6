"""The app under AppTest, the way production runs it: frame/main.py (navigation and frame), then each page through
st.navigation (switch_page). No browser: runs, draws, filters, falls back, and copes with bad data."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components import app_data

ROOT = Path(__file__).resolve().parents[1]
MAIN = ROOT / "frame" / "main.py"
PAGES = ["overview", "trade", "visits", "chronology", "corridors", "map", "diaspora", "facts", "sources"]
TIMEOUT = 120


def run(page: str = "overview", **params: str) -> AppTest:
    """The app opened on `page` with these URL parameters (as a deep link would: a page switch drops the
    parameters of the page it leaves, so they are set once the page is chosen)."""
    at = AppTest.from_file(str(MAIN), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != "overview":
        at.switch_page(f"../pages/{page}.py")
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
    return at


def no_exception(at: AppTest) -> None:
    assert not at.exception, "\n".join(str(e.value) for e in at.exception)


def drawn(at: AppTest) -> int:
    return sum(len(at.get(kind)) for kind in ("plotly_chart", "deck_gl_json_chart", "arrow_data_frame", "dataframe"))


def unescape(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def chart_titles(at: AppTest) -> list[str]:
    """The charts' titles as read (a title is wrapped with <br> to fit a phone)."""
    specs = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]
    return [spec.replace("<br>", " ") for spec in specs]


def test_the_pages_folder_is_not_beside_the_streamlit_script():
    """Streamlit's legacy pages-directory mode starts when a folder named pages/ sits beside the main script: it
    must never, so st.navigation always owns routing (frame/main.py's docstring)."""
    assert not (MAIN.parent / "pages").exists()
    assert 'st.App("frame/main.py"' in (ROOT / "app.py").read_text(encoding="utf-8")
    routed = re.findall(r'st\.Page\("\.\./pages/(\w+)\.py"', MAIN.read_text(encoding="utf-8"))
    assert sorted(routed) == sorted(PAGES)
    assert sorted(p.stem for p in (ROOT / "pages").glob("*.py")) == sorted(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_through_the_frame_and_draws(page):
    at = run(page, **{"from": "2005", "to": "2020"})
    no_exception(at)
    assert drawn(at) >= 1, f"{page} drew no chart, map or table"
    sliders = [s for s in at.sidebar.slider if s.label == "Year range"]
    assert len(sliders) == 1 and sliders[0].value == (2005, 2020)
    assert at.query_params["from"] == "2005" and at.query_params["to"] == "2020"


@pytest.mark.parametrize("page", ["map", "diaspora", "trade"])
def test_downloads_are_files_the_server_keeps_for_the_session_not_deferred(page):
    """Every download button carries its file (a media URL held by the session until its next run), never
    Streamlit's deferred data: a deferred file belongs to no session and two script runs of anyone delete it."""
    at = run(page)
    no_exception(at)
    buttons = at.get("download_button")
    assert buttons, f"no downloads on {page}"
    for button in buttons:
        assert button.proto.url.endswith((".csv", ".png", ".geojson", ".zip")), button.proto.url
        assert not button.proto.HasField("deferred_file_id"), "a deferred download"


def test_the_default_range_opens_on_1991_to_the_latest_year():
    at = run()
    start, end = app_data.package().coverage
    assert at.sidebar.slider[0].value == (1991, end)
    assert at.sidebar.slider[0].min == start  # the history is one slider drag away


@pytest.mark.parametrize("bad", ["<script>alert(1)</script>", "20x0", "99999"])
def test_a_hostile_link_falls_back_to_the_defaults_with_a_notice(bad):
    at = run("trade", **{"from": bad, "to": "abc"})
    no_exception(at)
    _start, end = app_data.package().coverage
    assert at.sidebar.slider[0].value == (1991, end)
    warnings = [unescape(w.value) for w in at.sidebar.warning]
    assert any("was not a valid year" in w for w in warnings), warnings
    assert not any(bad in w for w in warnings)


def test_the_overview_headline_compares_like_with_like():
    at = run()
    no_exception(at)
    trade = app_data.table("trade_turnover")
    totals = trade[(trade["period"] == "annual") & (trade["flow"] == "total") & trade["qualifier"].isna()]
    year = int(totals["year"].max())
    metric = next(m for m in at.metric if m.label.startswith(f"Trade turnover {year}"))
    latest = totals[totals["year"] == year]
    reporter = sorted(latest["reporter"], key=["AZ", "KZ", "other"].index)[0]
    row = latest[latest["reporter"] == reporter].iloc[0]
    assert metric.value == f"{float(row['value_usd_m']):,.1f}"
    earlier = totals[(totals["reporter"] == reporter) & (totals["year"] < year)]
    if earlier.empty:
        assert metric.delta is None
    else:
        base = earlier.sort_values("year").iloc[-1]
        assert metric.delta.endswith(f"vs {int(base['year'])}")  # the same reporter's year before, never another's


def test_trade_turnover_table_holds_each_reporters_full_years():
    at = run("trade", **{"from": "2012", "to": "2013"})
    no_exception(at)
    shown = at.dataframe[0].value
    trade = app_data.table("trade_turnover")
    expected = trade[(trade["period"] == "annual") & trade["year"].between(2012, 2013)]
    assert set(zip(shown["Year"].astype(int), shown["Whose statistics"])) == {
        (int(y), {"AZ": "Azerbaijani statistics", "KZ": "Kazakh statistics", "other": "Officials' statements"}[r])
        for y, r in zip(expected["year"], expected["reporter"])
    }


def test_visits_filters_live_in_the_url_and_filter_the_rows():
    at = run("visits", leader="Ilham Aliyev", q="Astana")
    no_exception(at)
    visits = app_data.table("visits")
    names = app_data.table("names")
    spellings = names[(names["kind"] == "city") & (names["key"] == "Astana")]
    rows = visits[(visits["visitor"] == "Ilham Aliyev") & visits["year"].between(1991, 2100)]
    caption = next(c.value for c in at.caption if "visit" in c.value and "—" in c.value)
    n = int(unescape(caption).split()[0])
    assert 0 < n < len(rows) or (n == len(rows) and not spellings.empty)
    assert at.query_params["leader"] == "Ilham Aliyev" and at.query_params["q"] == "Astana"


def test_the_chronology_table_is_sent_when_it_is_open():
    """Over 40 entries the table starts closed and its grid is not sent (it was a third of the page's bytes); a
    filter down to 40 or fewer opens it, with every entry the label counts."""
    at = run("chronology")
    no_exception(at)
    label = at.expander[0].label
    assert int(re.search(r"(\d+) entries", label).group(1)) > 40 and not at.dataframe
    topic = at.multiselect[0]
    topic.set_value([topic.options[-1]]).run()
    no_exception(at)
    shown = int(re.search(r"(\d+) entr", at.expander[0].label).group(1))
    assert 0 < shown <= 40 and len(at.dataframe) == 1 and len(at.dataframe[0].value) == shown


def test_search_finds_a_city_in_any_script():
    latin = run("visits", q="Astana")
    cyrillic = run("visits", q="Астана")
    former = run("visits", q="Nur-Sultan")

    def count(at):
        caption = next(c.value for c in at.caption if "—" in c.value)
        return int(unescape(caption).split()[0])

    names = app_data.table("names")
    astana = names[(names["kind"] == "city") & (names["key"] == "Astana")].iloc[0]
    assert astana["ru"] == "Астана", "names.csv must give Astana's Russian name (the search across scripts uses it)"
    assert count(latin) == count(cyrillic) == count(former) > 0


def test_a_corridor_without_volume_figures_says_so_and_shows_no_other_route():
    routes = app_data.table("routes")
    volumes = app_data.table("corridor_volumes")
    without = sorted(set(routes["route_id"]) - set(volumes["corridor"]))
    assert without, "every route has figures: pick a facility instead"
    at = run("corridors", corridor=without[0])
    no_exception(at)
    assert any("has no volume figures" in unescape(i.value) for i in at.info)
    milestones = run("corridors", corridor=without[0], corridors_view="milestones")
    titles = chart_titles(milestones)
    events = app_data.table("events")
    agreements = app_data.table("agreements")
    n = int((events["route_id"] == without[0]).sum() + (agreements["route_id"] == without[0]).sum())
    if n:
        assert titles and len(milestones.dataframe[0].value) == n
    else:
        assert not titles


def test_an_unknown_tab_in_the_url_opens_the_first_tab():
    at = run("trade", trade_view="<script>alert(1)</script>")
    no_exception(at)
    assert chart_titles(at)[0].startswith("Azerbaijan–Kazakhstan trade turnover")


# --- bad data ------------------------------------------------------------------------------------------


def break_first(path: Path, column: str, value: str) -> int:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        line = reader.line_num + 1
        rows = list(reader)
    rows[0][header.index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return line


def test_a_broken_table_is_reported_where_it_is_needed_only(data_copy, monkeypatch):
    line = break_first(data_copy / "visits.csv", "date", "not-a-date")
    monkeypatch.setenv("AZKZ_DATA_DIR", str(data_copy))
    visits = run("visits")
    no_exception(visits)
    errors = [unescape(e.value) for e in visits.error]
    assert any("visits.csv" in e and f"line {line}" in e and "column date" in e for e in errors), errors
    trade = run("trade")
    no_exception(trade)
    assert not trade.error and chart_titles(trade)
    documents = run("visits", visits_view="documents")
    assert not documents.error, "the documents tab does not need visits.csv"


def test_an_invalid_datapackage_gives_a_clear_message_on_every_page(data_copy, monkeypatch):
    (data_copy / "datapackage.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("AZKZ_DATA_DIR", str(data_copy))
    for page in ("overview", "map", "sources"):
        at = run(page)
        no_exception(at)
        errors = [unescape(e.value) for e in at.error]
        assert any("datapackage.json" in e and "not valid JSON" in e for e in errors), (page, errors)
        assert not any(str(data_copy) in e for e in errors), "never the server's paths"


def test_a_missing_base_map_breaks_the_map_only(data_copy, monkeypatch):
    (data_copy / "geo" / "countries.geojson").unlink()
    monkeypatch.setenv("AZKZ_DATA_DIR", str(data_copy))
    at = run("map")
    no_exception(at)
    assert any("countries.geojson" in unescape(e.value) for e in at.error)
    assert not run("corridors").error


def test_data_text_is_never_markdown(data_copy, monkeypatch):
    """A route name with an image, colour and KaTeX markup shows literally (issue: a tracking pixel was fetched)."""
    routes = pd.read_csv(data_copy / "routes.csv", dtype=str, keep_default_na=False)
    evil = "![x](https://evil.invalid/p.png) :red[alarm] $x^2$ www.evil.invalid"
    routes.loc[routes["route_id"] == "tcgp", "name"] = evil
    routes.to_csv(data_copy / "routes.csv", index=False)
    names = pd.read_csv(data_copy / "names.csv", dtype=str, keep_default_na=False)
    names.loc[(names["kind"] == "route") & (names["key"] == "tcgp"), "en"] = evil
    names.to_csv(data_copy / "names.csv", index=False)
    monkeypatch.setenv("AZKZ_DATA_DIR", str(data_copy))
    at = run("corridors", corridor="tcgp")
    no_exception(at)
    texts = [e.value for e in (*at.info, *at.caption, *at.markdown, *at.warning)]
    hits = [t for t in texts if "evil" in t]
    assert hits, "the name should be shown (escaped)"
    for t in hits:
        assert "![x](" not in t and ":red[" not in t and "$x^2$" not in t and "www.evil" not in t, t

"""Real downloads in Chromium: the CSV of a filtered view holds exactly its rows and says so in its name; the
map's GeoJSON and PNG; the Sources zip; a chart's camera button in PNG and, after the sidebar's choice, SVG.
The chart exports are kept in artifacts/exports/ for a person to look at."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.helpers import (
    CHART,
    DATA,
    DOWNLOAD,
    EXPORTS,
    FORMAT_RADIO,
    assert_no_exception,
    choose_leader,
    download,
    goto,
    query,
    wait_ready,
)

pytestmark = pytest.mark.browser

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SVG_NS = "{http://www.w3.org/2000/svg}"


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def table(name: str) -> tuple[list[str], list[dict[str, str]]]:
    return read_rows(DATA / f"{name}.csv")


def cell(value: str, *, stored: bool) -> object:
    """A cell made comparable: numbers as numbers (205 == 205.0), text as text; a stored text cell is defused
    as the app's formula-safe CSV does (a leading ' before = + - @)."""
    if value == "":
        return ""
    try:
        return float(value)
    except ValueError:
        pass
    if stored and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def as_multiset(header: list[str], rows: list[dict[str, str]], *, stored: bool) -> Counter:
    return Counter(tuple(cell(row[c], stored=stored) for c in header) for row in rows)


def button(page, label: str):
    found = page.locator(DOWNLOAD).filter(has_text=label)
    expect(found).to_have_count(1)
    return found.first


def test_trade_every_figure_is_the_turnover_of_the_years(page, app_url):
    goto(page, f"{app_url}/trade?from=2012&to=2016")
    assert_no_exception(page)
    got = download(page, button(page, "Download every figure"))
    assert got.suggested_filename == "trade_turnover_2012-2016.csv"
    header, rows = read_rows(Path(got.path()))
    stored_header, stored = table("trade_turnover")
    assert header == stored_header, "the download's columns are not the stored table's"
    expected = [row for row in stored if 2012 <= int(row["year"]) <= 2016]
    assert {int(r["year"]) for r in rows} <= set(range(2012, 2017)), "rows outside 2012–2016"
    assert as_multiset(header, rows, stored=False) == as_multiset(header, expected, stored=True), (
        "the download is not exactly the trade_turnover rows of 2012–2016"
    )


def test_visits_download_after_a_leader_filter_holds_only_that_leader(page, app_url):
    goto(page, f"{app_url}/visits?from=1991&to=2030")
    caption = page.get_by_text("visits or meetings —").first
    everyone = caption.inner_text()
    choose_leader(page, "Ilham Aliyev")
    expect(caption).not_to_have_text(everyone, timeout=30_000)
    wait_ready(page)
    assert query(page).get("leader") == ["Ilham Aliyev"], page.url
    got = download(page, button(page, "Download these visits"))
    name = got.suggested_filename
    assert name.startswith("visits_1991-2030") and name.endswith(".csv"), name
    assert "ilham-aliyev" in name, f"the file name does not say it is filtered by the leader: {name}"
    _, rows = read_rows(Path(got.path()))
    assert rows, "the filtered download is empty"
    assert {r["visitor"] for r in rows} == {"Ilham Aliyev"}, "other visitors in the filtered download"
    _, stored = table("visits")
    assert len(rows) == sum(r["visitor"] == "Ilham Aliyev" for r in stored), "not every visit of Ilham Aliyev"


def test_map_geojson_holds_every_route_and_the_png_is_an_image(page, app_url):
    goto(page, f"{app_url}/map?from=2000&to=2023")
    assert_no_exception(page)
    got = download(page, button(page, "Routes (GeoJSON)"))
    assert got.suggested_filename == "routes_2000-2023.geojson"
    collection = json.loads(Path(got.path()).read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    _, routes = table("routes")
    ids = [feature["id"] for feature in collection["features"]]
    assert sorted(ids) == sorted(r["route_id"] for r in routes), "not every route once, or other features"
    for feature in collection["features"]:
        assert len(feature["geometry"]["coordinates"]) >= 2, f"route {feature['id']} has no line"
    got = download(page, button(page, "Map as an image (PNG)"))
    assert got.suggested_filename == "routes_map_2000-2023.png"
    EXPORTS.mkdir(parents=True, exist_ok=True)
    got.save_as(EXPORTS / got.suggested_filename)
    with Image.open(got.path()) as image:
        assert image.format == "PNG"
        assert image.width > 800, f"the map image is only {image.width} px wide"
        colours = image.convert("RGB").getcolors(maxcolors=image.width * image.height)
        assert len(colours) > 20, "the map image looks blank"


def test_sources_zip_holds_every_table_and_the_papers(page, app_url):
    goto(page, f"{app_url}/sources")
    assert_no_exception(page)
    got = download(page, button(page, "Download all data (zip)"))
    assert got.suggested_filename.endswith(".zip")
    names = [r["name"] for r in json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))["resources"]]
    with zipfile.ZipFile(got.path()) as archive:
        inside = set(archive.namelist())
        wanted = {f"{n}.csv" for n in names} | {"datapackage.json", "README.md", "CITATION.txt", "LICENSE.txt"}
        assert wanted <= inside, f"missing from the zip: {sorted(wanted - inside)}"
        assert json.loads(archive.read("datapackage.json")) == json.loads((DATA / "datapackage.json").read_text())
        for name in names:
            rows = list(csv.DictReader(io.StringIO(archive.read(f"{name}.csv").decode("utf-8"))))
            assert len(rows) == len(table(name)[1]), f"{name}.csv in the zip does not hold every row"
        assert "CC BY 4.0" in archive.read("LICENSE.txt").decode("utf-8")
        assert archive.read("CITATION.txt").strip(), "CITATION.txt is empty"


# --- a chart's camera button ------------------------------------------------------------------------------------


def plain(fragment: str) -> str:
    """Plotly's title/legend markup as the text it draws: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def svg_text(element) -> str:
    return "".join(element.itertext())


def by_class(root, tag: str, name: str) -> list:
    return [e for e in root.iter(f"{SVG_NS}{tag}") if name in (e.get("class") or "").split()]


def camera(chart):
    chart.hover()
    return chart.get_by_role("button", name=re.compile(r"^Download plot"))


def test_chart_camera_saves_png_and_svg_named_by_chart_and_years(page, app_url):
    goto(page, f"{app_url}/trade?from=2005&to=2020")
    _, stored = table("trade_turnover")
    years = [int(r["year"]) for r in stored if 2005 <= int(r["year"]) <= 2020]
    stem = f"trade_turnover_{min(years)}-{max(years)}"
    chart = page.locator(CHART).first
    chart.locator(".main-svg").first.wait_for(state="visible")
    drawn = chart.evaluate(
        """el => { const plot = el.querySelector('.js-plotly-plot');
            return {title: plot.layout.title.text,
                    legend: plot._fullData.filter(t => t.showlegend && t.name).map(t => t.name),
                    width: plot._fullLayout.width}; }"""
    )
    EXPORTS.mkdir(parents=True, exist_ok=True)

    got = download(page, camera(chart))
    assert got.suggested_filename == f"{stem}.png"
    shutil.copyfile(got.path(), EXPORTS / got.suggested_filename)
    with Image.open(got.path()) as image:
        assert image.format == "PNG"
        assert image.width >= drawn["width"] > 400, (image.size, drawn["width"])
        assert len(image.convert("RGB").getcolors(maxcolors=image.width * image.height)) > 20, "a blank PNG"

    page.locator(FORMAT_RADIO).get_by_text("SVG", exact=True).click()
    wait_ready(page)
    chart = page.locator(CHART).first
    chart.locator(".main-svg").first.wait_for(state="visible")
    got = download(page, camera(chart))
    assert got.suggested_filename == f"{stem}.svg"
    shutil.copyfile(got.path(), EXPORTS / got.suggested_filename)
    text = Path(got.path()).read_text(encoding="utf-8")
    root = ET.fromstring(text)
    titles = by_class(root, "text", "gtitle")
    assert titles, "the SVG has no title"
    title = svg_text(titles[0])
    for line in re.split(r"<br\s*/?>", drawn["title"]):
        assert plain(line) in title, f"title line {plain(line)!r} is not in the SVG's title {title!r}"
    everything = svg_text(root)
    assert "Sources:" in everything, "the SVG has no source line"
    legends = by_class(root, "g", "legend")
    assert legends, "the SVG has no legend"
    legend = svg_text(legends[0])
    assert drawn["legend"], "the chart has no legend entries to look for"
    for name in drawn["legend"]:
        assert plain(name) in legend, f"legend entry {plain(name)!r} is not in the SVG's legend"

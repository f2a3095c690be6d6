"""The data by address, from the running server: every table of data/datapackage.json at /data/<table>.csv (the
stored table, formula-safe), the package, the health check; nothing else of the server's files; and the Sources
page lists those addresses."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from tests.browser.helpers import DATA, goto

pytestmark = pytest.mark.browser

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TABLES = [r["name"] for r in json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))["resources"]]


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """What the app's formula-safe CSV does to a table: a text cell starting with = + - @ (or tab, CR) gets a
    leading apostrophe."""
    safe = frame.copy()
    for column in safe.columns:
        if pd.api.types.is_string_dtype(safe[column]) or safe[column].dtype == object:
            safe[column] = safe[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v
            )
    return safe


@pytest.mark.parametrize("name", TABLES)
def test_every_table_is_served_at_its_address(app_url, name):
    status, headers, body = fetch(f"{app_url}/data/{name}.csv")
    assert status == 200, f"/data/{name}.csv answered {status}: {body[:300]!r}"
    assert headers.get("content-type", "").startswith("text/csv"), headers
    served = pd.read_csv(io.BytesIO(body))
    stored = pd.read_csv(DATA / f"{name}.csv")
    assert list(served.columns) == list(stored.columns), f"{name}: columns differ"
    assert len(served) == len(stored), f"{name}: {len(served)} rows served, {len(stored)} stored"
    assert_frame_equal(served, formula_safe(stored), check_dtype=False, check_exact=False, rtol=1e-9)


def test_the_package_and_the_health_check(app_url):
    status, _, body = fetch(f"{app_url}/data/datapackage.json")
    assert status == 200
    assert json.loads(body) == json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    status, _, body = fetch(f"{app_url}/data/health.json")
    assert status == 200, body[:300]
    report = json.loads(body)
    assert report["status"] == "ok", f"health.json: {report}"


@pytest.mark.parametrize(
    "path",
    ["/data/nope.csv", "/data/Sources.csv", "/data/app.csv", "/data/datapackage.csv", "/data/health.csv"],
)
def test_an_unknown_table_is_404(app_url, path):
    status, _, body = fetch(app_url + path)
    assert status == 404, f"{path} answered {status}: {body[:200]!r}"


@pytest.mark.parametrize(
    "path",
    [
        "/data/../app.py",
        "/data/%2e%2e/app.py",
        "/data/..%2fapp.py",
        "/data/../components/server.py",
        "/data/../data/trade_turnover.csv",
    ],
)
def test_a_path_outside_the_data_is_refused(app_url, path):
    """Sent as written (no client-side clean-up of '..'): refused, and no file of the server is in the answer.
    (Streamlit's own handler answers 400 Bad Request to a '..' path; 404 is as good.)"""
    status, _, body = fetch(app_url + path)
    assert status in (400, 404), f"{path} answered {status}: {body[:200]!r}"
    for leak in (b"st.App(", b"import streamlit", b"def routes", b"year,period,flow"):
        assert leak not in body, f"{path} leaked a file of the server"


def addresses_listed(page) -> set[str]:
    """Every address in the Sources page's "Data by address" grid. The grid draws on a canvas; its cells are also
    in an accessible table, which holds only the rows in view: read it at the top, then scrolled to the end."""
    page.get_by_role("heading", name="Data by address").scroll_into_view_if_needed()
    page.wait_for_function(  # the grid fills its accessible table once it is drawn
        "() => [...document.querySelectorAll('[data-testid=\"stDataFrame\"]')]"
        ".some(e => e.textContent.includes('/data/sources.csv'))"
    )
    grids = page.locator('[data-testid="stDataFrame"]')
    index = grids.evaluate_all("els => els.findIndex(e => e.textContent.includes('/data/sources.csv'))")
    assert index >= 0, "no grid lists /data/sources.csv"
    grid = grids.nth(index)  # by position: scrolled, the grid no longer holds the row it was found by
    grid.scroll_into_view_if_needed()

    def cells() -> set[str]:
        return {c.strip() for c in grid.locator('td[role="gridcell"]').all_text_contents() if "/data/" in c}

    seen = cells()
    rows = int(grid.locator("table").first.get_attribute("aria-rowcount") or 0)
    grid.evaluate("el => { const s = el.querySelector('.dvn-scroller'); s.scrollTop = s.scrollHeight; }")
    grid.locator(f'tr[aria-rowindex="{rows}"]').first.wait_for(state="attached")
    return seen | cells()


def test_the_sources_page_lists_every_address(page, app_url):
    goto(page, f"{app_url}/sources")
    wanted = {f"{app_url}/data/{n}.csv" for n in TABLES} | {f"{app_url}/data/datapackage.json"}
    listed = addresses_listed(page)
    assert wanted <= listed, f"not listed on Sources & data: {sorted(wanted - listed)}"
    code = page.locator('[data-testid="stCode"]').all_inner_texts()
    assert any(f'pd.read_csv("{app_url}/data/' in c for c in code), f"no pandas example with this server: {code}"

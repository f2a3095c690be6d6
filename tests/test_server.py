"""components/server.py's own pieces without a running server: a page's address serves the frontend with the
script that names the server's base (so a deep link connects without a failed probe), and nothing else."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
from pathlib import Path

import pytest
from starlette.responses import PlainTextResponse

from components import server

ROOT = Path(__file__).resolve().parents[1]


def inner(scope, receive, send):
    return PlainTextResponse("streamlit", status_code=299)(scope, receive, send)


def call(app, method: str, path: str, query: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """One HTTP request through an ASGI app, as the server would make it."""
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1")],
        "root_path": "",
        "scheme": "http",
        "http_version": "1.1",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1234),
    }
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    # In a thread of its own: in the whole suite the browser tests' Playwright keeps an event loop running in
    # this thread, where asyncio.run refuses to start another.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(app(scope, receive, send))).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], headers, body


@pytest.fixture(scope="module")
def app():
    return server.PageAddresses(inner)


def test_the_page_addresses_are_the_navigations():
    source = (ROOT / "frame" / "main.py").read_text(encoding="utf-8")
    url_paths = re.findall(r'url_path="([^"]*)"', source)
    assert set(url_paths) == {"", *server.PAGE_PATHS}, url_paths


@pytest.mark.parametrize("page", server.PAGE_PATHS)
def test_a_page_address_serves_the_frontend_with_its_base(app, page):
    status, headers, body = call(app, "GET", f"/{page}", b"from=2000&lang=ru")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert headers["cache-control"] == "no-cache"
    html = body.decode()
    assert html.count("window.__streamlit = {BACKEND_BASE_URL:") == 1
    # an inline script in the head runs before the frontend's module, which reads window.__streamlit when it loads
    assert html.index("window.__streamlit") < html.index("</head>")
    assert '<script type="module"' in html and f'"{page}"' in html
    assert call(app, "HEAD", f"/{page}")[0] == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/trade/"),
        ("GET", "/no-such-page"),
        ("GET", "/trade/_stcore/health"),
        ("GET", "/static/js/x.js"),
        ("POST", "/trade"),
    ],
)
def test_every_other_request_goes_to_streamlit(app, method, path):
    status, _headers, body = call(app, method, path)
    assert (status, body) == (299, b"streamlit")

"""What app.py's st.App adds to Streamlit's server: data by address, a data health check, security headers,
a closed metrics endpoint and a warm start. No page code here."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import json
import os
import pkgutil
import re

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

# components.app_data (and with it pandas and pyarrow) is imported by the lifespan's thread, not here: the server
# answers /_stcore/health without waiting for them, while that thread imports them and loads the tables.

_TABLE = re.compile(r"^[a-z][a-z0-9_]*$")
HEADERS = {  # what Streamlit does not set itself (nginx sets them too: deploy/nginx.conf)
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "frame-ancestors 'self'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
CLOSED = ("/_stcore/metrics",)  # cache names, counts and timings: not for the public


def _data():
    from components import app_data

    return app_data


async def table_csv(request: Request) -> Response:
    name = request.path_params["name"]
    if not _TABLE.match(name):
        return PlainTextResponse("not found", status_code=404)
    app_data = _data()
    found = await run_in_threadpool(app_data.table_csv, name)
    if found is None:
        pkg = app_data.package()
        status = 503 if isinstance(pkg, app_data.DataError) or name in pkg.names else 404
        return PlainTextResponse("this table is not available (see /data/health.json)", status_code=status)
    data, version = found
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={
            "Cache-Control": "public, max-age=300",
            "ETag": '"' + hashlib.sha256(version.encode()).hexdigest()[:20] + '"',  # the same on every replica
            "Content-Disposition": f'inline; filename="{name}.csv"',
        },
    )


async def package_json(request: Request) -> Response:
    app_data = _data()
    pkg = await run_in_threadpool(app_data.package)
    if isinstance(pkg, app_data.DataError):
        return PlainTextResponse("datapackage.json is not available", status_code=503)
    return Response((pkg.folder / "datapackage.json").read_bytes(), media_type="application/json")


async def health(request: Request) -> Response:
    report = await run_in_threadpool(_data().health)
    return JSONResponse(report, status_code=200 if report["status"] != "broken" else 503)


async def closed(request: Request) -> Response:
    return PlainTextResponse("not found", status_code=404)


def routes() -> list[Route]:
    return [
        Route("/data/health.json", health, methods=["GET", "HEAD"]),
        Route("/data/datapackage.json", package_json, methods=["GET", "HEAD"]),
        Route("/data/{name}.csv", table_csv, methods=["GET", "HEAD"]),
    ]


class SecurityHeaders:
    """Adds HEADERS to every HTTP response and answers 404 for the CLOSED paths."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path", "").rstrip("/").endswith(CLOSED):
            await PlainTextResponse("not found", status_code=404)(scope, receive, send)
            return

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _v in headers}
                headers += [
                    (k.lower().encode(), v.encode()) for k, v in HEADERS.items() if k.lower().encode() not in present
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


# st.navigation's url_path of every page but the main one (frame/main.py; tests/test_server.py checks they match).
PAGE_PATHS = ("trade", "visits", "chronology", "corridors", "map", "diaspora", "facts", "sources")

# Streamlit's frontend finds its server by probing: on /trade it first asks /trade/_stcore/health and
# /host-config (404: the server's base is /), waits 100 ms, then asks /_stcore/health. Its window.__streamlit
# configuration (BACKEND_BASE_URL; read once, before the app loads) names the base instead: on a page's own
# address it is that address less the page's name, as the browser sees it (so it holds behind a proxy that
# serves the app under a prefix). On any other address the script sets nothing and Streamlit probes as before.
BASE_URL_SCRIPT = """<script>(() => {
  const pages = %s;
  const path = window.location.pathname.replace(/\\/+$/, "");
  const page = path.slice(path.lastIndexOf("/") + 1);
  if (pages.includes(page) && !window.__streamlit)
    window.__streamlit = {BACKEND_BASE_URL: window.location.origin + path.slice(0, path.length - page.length - 1)};
})();</script>"""


class PageAddresses:
    """Serves a page's own address (/trade, /visits, ...: what Streamlit answers with its index.html) with that
    index.html and BASE_URL_SCRIPT in its head, so a deep link connects at once. Other addresses, and every
    address if the frontend's index.html has no </head>, go to Streamlit unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        from streamlit import config, file_util

        self.app = app
        base = (config.get_option("server.baseUrlPath") or "").strip("/")
        self.paths = {f"/{base}/{page}" if base else f"/{page}" for page in PAGE_PATHS}
        with open(os.path.join(file_util.get_static_dir(), "index.html"), encoding="utf-8") as fh:
            html = fh.read()
        script = BASE_URL_SCRIPT % json.dumps(list(PAGE_PATHS))
        self.body = html.replace("</head>", script + "</head>", 1).encode() if "</head>" in html else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.body is None
            or scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or scope.get("path") not in self.paths
        ):
            await self.app(scope, receive, send)
            return
        headers = {"Cache-Control": "no-cache"}  # as Streamlit serves index.html
        await Response(self.body, media_type="text/html", headers=headers)(scope, receive, send)


def middleware() -> list[Middleware]:
    return [Middleware(SecurityHeaders), Middleware(PageAddresses)]


@contextlib.asynccontextmanager
async def lifespan(app):
    """Import what the pages use and load every table once before the first visitor (in a thread: the server
    answers meanwhile, and a browser spends that time fetching the frontend)."""
    task = asyncio.get_running_loop().run_in_executor(None, warm)
    yield {}
    with contextlib.suppress(Exception):
        task.cancel()


def warm() -> dict:
    """The modules every page imports (views, figures, the Streamlit layer), then every table (from the validated
    store when it has them): the first visitor's script finds them loaded."""
    from components import views

    for module in pkgutil.iter_modules(views.__path__):
        importlib.import_module(f"components.views.{module.name}")
    importlib.import_module("components.ui")
    return _data().health()

"""What app.py's st.App adds to Streamlit's server: data by address, a data health check, security headers,
a closed metrics endpoint and a warm start. No page code here."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re

import pandas as pd
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from components import app_data
from components.data.loading import DataError
from components.shaping import export

_TABLE = re.compile(r"^[a-z][a-z0-9_]*$")
HEADERS = {  # what Streamlit does not set itself (nginx sets them too: deploy/nginx.conf)
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "frame-ancestors 'self'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
CLOSED = ("/_stcore/metrics",)  # cache names, counts and timings: not for the public


def _csv(name: str) -> tuple[bytes, str] | None:
    """The table as formula-safe CSV and its version, built once per version of its files."""
    pkg = app_data.package()
    if isinstance(pkg, DataError) or name not in pkg.names:
        return None
    version = app_data.version(name)
    cached = _bytes_cache.get(name)
    if cached and cached[1] == version:
        return cached
    frame = app_data.table(name)
    if not isinstance(frame, pd.DataFrame):
        return None
    data = export.to_safe_csv(frame[pkg.columns(name)])
    _bytes_cache[name] = (data, version)
    return data, version


_bytes_cache: dict[str, tuple[bytes, str]] = {}


async def table_csv(request: Request) -> Response:
    name = request.path_params["name"]
    if not _TABLE.match(name):
        return PlainTextResponse("not found", status_code=404)
    found = await run_in_threadpool(_csv, name)
    if found is None:
        pkg = app_data.package()
        status = 503 if isinstance(pkg, DataError) or name in pkg.names else 404
        return PlainTextResponse("this table is not available (see /data/health.json)", status_code=status)
    data, version = found
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={
            "Cache-Control": "public, max-age=300",
            "ETag": f'"{abs(hash(version))}"',
            "Content-Disposition": f'inline; filename="{name}.csv"',
        },
    )


def _package_names() -> tuple[str, ...]:
    pkg = app_data.package()
    return () if isinstance(pkg, DataError) else pkg.names


async def package_json(request: Request) -> Response:
    pkg = await run_in_threadpool(app_data.package)
    if isinstance(pkg, DataError):
        return PlainTextResponse("datapackage.json is not available", status_code=503)
    return Response((pkg.folder / "datapackage.json").read_bytes(), media_type="application/json")


async def health(request: Request) -> Response:
    report = await run_in_threadpool(app_data.health)
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


def middleware() -> list[Middleware]:
    return [Middleware(SecurityHeaders)]


@contextlib.asynccontextmanager
async def lifespan(app):
    """Load every table once before the first visitor (in a thread: the server keeps answering)."""
    task = asyncio.get_running_loop().run_in_executor(None, app_data.health)
    yield {}
    with contextlib.suppress(Exception):
        task.cancel()


def health_text() -> str:
    return json.dumps(app_data.health())

"""The dashboard: the Next.js static export (frontend/out) served by the exchange beside its API.

Browsers and API clients share paths, so requests are told apart by what they accept: a request that
accepts text/html gets the dashboard's pages, anything else keeps getting the API's JSON. API routes are
matched first; the export only answers what no API route does (its pages end in '/', its assets
have a file extension).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Match, Mount, Route
from starlette.staticfiles import NotModifiedResponse, PathLike, StaticFiles
from starlette.types import Scope

from hdx.monitoring.metrics import ROUTE_LABEL

EXPORT_DIR = Path(__file__).resolve().parents[2] / "frontend" / "out"

# Build-hashed assets never change under the same name; everything else is revalidated on each visit.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL)


def _accepts_html(scope: Scope) -> bool:
    return "text/html" in Headers(scope=scope).get("accept", "")


def _wants_page(scope: Scope) -> bool:
    # The dashboard's router probes a page with HEAD (no Accept) before prefetching it.
    probe = scope["method"] == "HEAD" and scope["path"].endswith("/")
    return probe or _accepts_html(scope)


def _has_extension(path: str) -> bool:
    return "." in path.rstrip("/").rsplit("/", 1)[-1]


def page_csp(html: bytes) -> str:
    """The pages' policy: no script runs but the export's own files and the inline scripts it was built with."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


class DashboardFiles(StaticFiles):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, html=True)
        self._policies: dict[str, tuple[int, str]] = {}

    def _policy(self, path: str) -> str:
        mtime = os.stat(path).st_mtime_ns
        cached = self._policies.get(path)
        if cached is None or cached[0] != mtime:
            cached = (mtime, page_csp(Path(path).read_bytes()))
            self._policies[path] = cached
        return cached[1]

    def _headers(self, path: str, scope: Scope) -> dict[str, str]:
        immutable = scope["path"].startswith("/_next/static/")
        headers = {"Cache-Control": IMMUTABLE if immutable else REVALIDATE}
        if path.endswith(".html"):
            headers["Content-Security-Policy"] = self._policy(path)
        return headers

    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        headers = self._headers(str(full_path), scope)
        response = FileResponse(full_path, status_code=status_code, stat_result=stat_result, headers=headers)
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            # Browsers replace a cached page's headers with the 304's: it must carry the page's policy too.
            not_modified = NotModifiedResponse(response.headers)
            not_modified.headers.update(headers)
            return not_modified
        return response

    async def get_response(self, path: str, scope: Scope) -> Response:
        scope[ROUTE_LABEL] = "dashboard"  # pages and files alike: one label, whatever the path
        response = await super().get_response(path, scope)
        if response.status_code == 404:
            if not _wants_page(scope):
                # API clients get the API's JSON 404, not the dashboard's page.
                raise HTTPException(status_code=404)
            if isinstance(response, FileResponse):
                response.headers.update(self._headers(str(response.path), scope))
        return response


class _DashboardMount(Mount):
    """Answers only reads that no API route took: pages for browsers, and files with an extension."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return Match.NONE, {}
        if not (_wants_page(scope) or _has_extension(scope["path"])):
            return Match.NONE, {}
        return super().matches(scope)


class _BrowserRoot(Route):
    """GET / for browsers; API clients fall through to the API's own root route."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or not _wants_page(scope):
            return Match.NONE, {}
        return super().matches(scope)


def install_dashboard(app: FastAPI) -> None:
    """Serve the export at / when it has been built; call after every API router is included."""
    directory = EXPORT_DIR
    if not (directory / "index.html").is_file():
        return
    files = DashboardFiles(directory)

    async def index(request: Request) -> Response:
        return await files.get_response("", request.scope)

    app.router.routes.insert(0, _BrowserRoot("/", index, methods=["GET", "HEAD"], include_in_schema=False))
    app.router.routes.append(_DashboardMount("/", app=files, name="dashboard"))

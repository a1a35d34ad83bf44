"""Prometheus metrics of the HTTP layer.

Metrics live at module level in the default registry: they are created once per process however
many applications (tests, workers) are built in it. The route label is bounded whatever paths
clients ask for: an API route's template (never the raw path, so an id in a URL cannot create a new
time series), the fixed path of a route without parameters (/docs, /openapi.json), a name a route
gives itself (the dashboard's pages and files: "dashboard"), and "unmatched" for everything else,
every 404 of an unknown path included.
"""

from __future__ import annotations

import time

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
# Scope key in which a route that is not an API route names itself for the route label.
ROUTE_LABEL = "hdx.route_label"

HTTP_REQUESTS = Counter(
    "hdx_http_requests",
    "HTTP requests answered, by method, route template and status code",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "hdx_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
HTTP_IN_PROGRESS = Gauge("hdx_http_requests_in_progress", "HTTP requests being answered")

_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope, status: int) -> str:
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    if isinstance(template, str):
        return template
    if status == 404:
        return UNMATCHED
    label = scope.get(ROUTE_LABEL)
    if isinstance(label, str):
        return label
    if "endpoint" in scope and not scope.get("path_params"):
        # A route without parameters matches its one path only (FastAPI's /docs and /openapi.json).
        return str(scope["path"])
    return UNMATCHED


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        HTTP_IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            HTTP_IN_PROGRESS.dec()
            method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
            route = route_template(scope, status)
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route).observe(time.perf_counter() - started)

"""Request ids, JSON logs and Prometheus metrics, as one pure ASGI middleware (no BaseHTTPMiddleware)."""

import logging
import re
import sys
import time
import uuid

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response

REQUESTS = Counter("fabrique_http_requests_total", "HTTP requests", ["service", "route", "method", "status"])
LATENCY = Histogram(
    "fabrique_http_request_duration_seconds",
    "HTTP request duration",
    ["service", "route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A client-chosen id is kept only if it cannot smuggle anything into logs or headers.
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

_configured = False


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    global _configured
    if _configured:
        return
    _configured = True
    logging.basicConfig(stream=sys.stdout, level=level, format="%(message)s")
    renderer = structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    for key, value in headers:
        if key == b"x-request-id":
            candidate = value.decode("latin-1")
            if SAFE_REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


class RequestContext:
    """X-Request-ID in and out, one JSON log line and metrics per request."""

    def __init__(self, app, service: str):
        self.app = app
        self.service = service
        self.log = structlog.get_logger("fabrique.access")
        # The labelled series, found once each: `labels()` takes a lock and builds its key every call.
        self._counters: dict[tuple[str, str, int], object] = {}
        self._histograms: dict[tuple[str, str], object] = {}

    def _counter(self, route: str, method: str, status: int):
        key = (route, method, status)
        if (series := self._counters.get(key)) is None:
            series = self._counters[key] = REQUESTS.labels(self.service, route, method, str(status))
        return series

    def _histogram(self, route: str, method: str):
        key = (route, method)
        if (series := self._histograms.get(key)) is None:
            series = self._histograms[key] = LATENCY.labels(self.service, route, method)
        return series

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id = request_id_from(scope["headers"])
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("x-request-id", request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"  # bounded label values
            self._counter(route, method, status).inc()
            self._histogram(route, method).observe(duration)
            if route not in ("/healthz", "/readyz", "/metrics"):
                self.log.info(
                    "request",
                    service=self.service,
                    request_id=request_id,
                    method=scope["method"],
                    route=route,
                    status=status,
                    duration_ms=round(duration * 1000, 2),
                    sub=state.get("sub"),
                )


async def metrics(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

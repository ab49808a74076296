"""The gateway's edge, one pure ASGI middleware: security headers, CORS allow-list, request body
limit, then `/<service>/...` to the proxy and everything else to the gateway's own routes."""

import structlog
from starlette.requests import Request

from gateway.domain.routes import Route
from gateway.proxy import Proxy
from gateway.settings import GatewaySettings
from shared.errors import Problem, problem_response

log = structlog.get_logger("fabrique.gateway")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# JSON only: nothing to load, nothing to frame. The docs page loads Swagger UI, so it gets none.
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
CORS_ALLOWED_HEADERS = b"authorization, content-type, idempotency-key, if-match, if-none-match, x-api-key, x-request-id"
CORS_EXPOSED_HEADERS = (b"etag, location, link, retry-after, ratelimit-limit, ratelimit-remaining, "
                        b"ratelimit-reset, x-request-id, idempotent-replayed")
CORS_METHODS = b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"


class BodyTooLarge(Problem):
    def __init__(self):
        super().__init__(413, "request body too large")


class Edge:
    def __init__(self, app, *, settings: GatewaySettings, routes: dict[str, Route], proxy: Proxy):
        self.app = app
        self.settings = settings
        self.routes = routes
        self.proxy = proxy
        self.origins = frozenset(o.encode() for o in settings.cors_origins)
        self.max_age = str(settings.cors_max_age_s).encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        origin = content_length = preflight = None
        chunked = False
        for key, value in scope["headers"]:
            if key == b"origin":
                origin = value
            elif key == b"content-length":
                content_length = value
            elif key == b"access-control-request-method":
                preflight = value
            elif key == b"transfer-encoding":
                chunked = True
        allowed_origin = origin if origin is not None and origin in self.origins else None
        path = scope["path"]
        extra = list(SECURITY_HEADERS)
        if path not in DOCS_PATHS:
            extra.append(API_CSP)
        if origin is not None:
            extra.append((b"vary", b"Origin"))
        if allowed_origin is not None:
            extra.append((b"access-control-allow-origin", allowed_origin))
            extra.append((b"access-control-expose-headers", CORS_EXPOSED_HEADERS))

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        if scope["method"] == "OPTIONS" and origin is not None and preflight is not None:
            return await self._preflight(scope, receive, send_with_headers, allowed_origin)
        if content_length is not None:
            try:
                too_large = int(content_length) > self.settings.body_limit_bytes
            except ValueError:
                return await _problem(scope, receive, send_with_headers, Problem(400, "invalid Content-Length"))
            if too_large:
                return await _problem(scope, receive, send_with_headers, BodyTooLarge())

        name = path.split("/", 2)[1] if path.count("/") >= 2 else None
        route = self.routes.get(name) if name else None
        if route is None:
            if chunked and content_length is None:
                receive = self._limited(receive)
            return await self.app(scope, receive, send_with_headers)

        started = False

        async def send_tracked(message):
            nonlocal started
            started = True
            await send_with_headers(message)

        try:
            await self.proxy(route, scope, receive, send_tracked)
        except Exception:
            log.exception("proxy error", service=route.name, request_id=scope["state"].get("request_id"))
            if started:
                raise
            await _problem(scope, receive, send_with_headers,
                           Problem(500, "an unexpected error occurred; quote the request_id"))

    async def _preflight(self, scope, receive, send, allowed_origin: bytes | None) -> None:
        if allowed_origin is None:
            return await _problem(scope, receive, send, Problem(403, "origin not allowed"))
        await send({"type": "http.response.start", "status": 204, "headers": [
            (b"access-control-allow-methods", CORS_METHODS),
            (b"access-control-allow-headers", CORS_ALLOWED_HEADERS),
            (b"access-control-max-age", self.max_age),
        ]})
        await send({"type": "http.response.body", "body": b""})

    def _limited(self, receive):
        limit = self.settings.body_limit_bytes
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge()
            return message

        return limited_receive


async def _problem(scope, receive, send, problem: Problem) -> None:
    await problem_response(Request(scope), problem)(scope, receive, send)

"""`/<service>/v1/...` → that service's `/v1/...`, as pure ASGI: the caller is identified, its scope
checked and its bucket charged before the upstream sees a byte; bodies stream both ways unparsed."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import structlog
from prometheus_client import Counter
from starlette.requests import Request

from gateway.callers import Authenticator, Caller
from gateway.domain.routes import Route, upstream_path
from gateway.domain.scopes import required_scope, scope_allows
from gateway.limiter import Limiter
from gateway.settings import GatewaySettings
from gateway.upstream import WHOLE_BODY_MAX, Upstream, UpstreamBroken, UpstreamTimeout, UpstreamUnavailable
from shared.auth import unauthorized
from shared.errors import Problem, problem_response

UPSTREAM_ERRORS = Counter("fabrique_gateway_upstream_errors_total", "Upstream failures seen by the gateway",
                          ["service", "reason"])
log = structlog.get_logger("fabrique.gateway")

HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te",
                        b"trailer", b"trailers", b"transfer-encoding", b"upgrade", b"proxy-connection"})
# Re-set by the gateway itself, or never forwarded: credentials are replaced by what was verified.
# `expect: 100-continue` is answered by the gateway's own server: the service gets the body at once.
REQUEST_DROPPED = HOP_BY_HOP | {b"host", b"authorization", b"x-api-key", b"x-request-id", b"forwarded",
                                b"x-real-ip", b"content-length", b"cookie", b"remote-user", b"expect"}
# Client-supplied identity headers: an upstream must never believe them (it verifies the token).
IDENTITY_PREFIXES = (b"x-user", b"x-forwarded-", b"x-remote-", b"x-auth", b"x-consumer-", b"x-principal",
                     b"x-client-", b"x-jwt", b"x-scope", b"x-role", b"x-subject", b"x-email", b"x-api-",
                     b"x-original-", b"x-real-")
# The edge sets its own; the server sets date and server.
RESPONSE_DROPPED = HOP_BY_HOP | {b"server", b"date", b"x-request-id", b"x-content-type-options",
                                 b"x-frame-options", b"referrer-policy", b"strict-transport-security",
                                 b"content-security-policy", b"cross-origin-opener-policy",
                                 b"access-control-allow-origin", b"access-control-allow-credentials",
                                 b"access-control-expose-headers", b"vary"}
REWRITTEN = (b"location", b"content-location", b"link")


class ClientGone(Exception):
    """The caller hung up while sending its body: nothing to answer."""


@dataclass(frozen=True)
class RouteLabel:
    """What the kit's RequestContext reads (`scope["route"].path`) to label metrics and logs."""

    path: str


class Proxy:
    def __init__(self, settings: GatewaySettings, authenticator: Authenticator, limiter: Limiter,
                 upstream: Upstream):
        self.settings = settings
        self.authenticator = authenticator
        self.limiter = limiter
        self.upstream = upstream
        self._labels: dict[str, RouteLabel] = {}

    async def __call__(self, route: Route, scope, receive, send) -> None:
        name = route.name
        scope["route"] = self._labels.get(name) or self._labels.setdefault(name, RouteLabel(f"/{name}/*"))
        method = scope["method"]
        path = upstream_path(scope["path"], name)
        if path is None or "/." in path and any(part in (".", "..") for part in path.split("/")):
            return await _problem(scope, receive, send, Problem(404, f"{name} answers under /{name}/v1/ only"))

        headers: list[tuple[bytes, bytes]] = []
        authorization = api_key = content_length = host = None
        chunked = False
        connection_tokens: tuple[bytes, ...] = ()
        for key, value in scope["headers"]:
            if key in REQUEST_DROPPED:
                if key == b"authorization":
                    authorization = value
                elif key == b"x-api-key":
                    api_key = value
                elif key == b"content-length":
                    content_length = value
                elif key == b"host":
                    host = value
                elif key == b"transfer-encoding":
                    chunked = b"chunked" in value.lower()
                elif key == b"connection":
                    connection_tokens = tuple(t.strip().lower() for t in value.split(b","))
                continue
            if key.startswith(IDENTITY_PREFIXES):
                continue
            headers.append((key, value))
        if connection_tokens:
            headers = [(k, v) for k, v in headers if k not in connection_tokens]

        public = route.is_public(method, path)
        client_ip = (scope.get("client") or ("unknown", 0))[0]
        try:
            caller = await self._identify(authorization, api_key, public, client_ip)
        except Problem as problem:
            return await _problem(scope, receive, send, problem)
        if caller.principal is not None:
            scope["state"]["sub"] = caller.principal.sub
        if not public and not scope_allows(name, method, caller.principal.scopes):
            return await _problem(scope, receive, send, Problem(403, f"missing scope: {required_scope(name, method)}"))

        decision = await self.limiter.hit(caller.limit_key, caller.limit)
        limit_headers = decision.headers()
        if not decision.allowed:
            return await _problem(scope, receive, send, Problem(
                429, f"rate limit exceeded; retry in {decision.retry_after_s} s",
                headers={k.decode(): v.decode() for k, v in limit_headers}))

        body = None
        try:
            if content_length is not None:
                headers.append((b"content-length", content_length))
                body = await _streamed_body(receive)
            elif chunked:
                body = await _buffered_body(receive, self.settings.body_limit_bytes)
                if body is None:
                    return await _problem(scope, receive, send, Problem(413, "request body too large"))
                headers.append((b"content-length", str(len(body)).encode()))
        except ClientGone:
            return

        request_id = scope["state"]["request_id"].encode()
        scheme = scope.get("scheme", "http").encode()
        headers.append((b"x-request-id", request_id))
        headers.append((b"x-forwarded-for", client_ip.encode()))
        headers.append((b"x-forwarded-proto", scheme))
        headers.append((b"x-forwarded-prefix", b"/" + name.encode()))
        if host is not None:
            headers.append((b"x-forwarded-host", host))
        if caller.authorization is not None:
            headers.append((b"authorization", caller.authorization))
        raw_path = scope.get("raw_path") or scope["path"].encode()
        url = route.url + raw_path[len(name) + 1:].decode("latin-1")
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode("latin-1")

        try:
            response = await self.upstream.send(method, url, headers, body)
        except ClientGone:
            return
        except UpstreamUnavailable:
            return await self._failed(scope, receive, send, name, "unavailable", 503, f"{name} is unavailable")
        except UpstreamTimeout:
            return await self._failed(scope, receive, send, name, "timeout", 504, f"{name} did not answer in time")
        except UpstreamBroken:
            return await self._failed(scope, receive, send, name, "broken", 502, f"{name} gave an invalid answer")

        try:
            public_base = scheme + b"://" + (host or b"localhost") + b"/" + name.encode()
            out_headers, length = _response_headers(response.headers, route.url.encode(), public_base, name)
            out_headers.extend(limit_headers)
            if length is not None and length <= WHOLE_BODY_MAX:
                try:
                    content = await response.read()
                except UpstreamTimeout:
                    return await self._failed(scope, receive, send, name, "timeout", 504,
                                              f"{name} did not answer in time")
                except UpstreamBroken:
                    return await self._failed(scope, receive, send, name, "broken", 502,
                                              f"{name} gave an invalid answer")
                await send({"type": "http.response.start", "status": response.status, "headers": out_headers})
                await send({"type": "http.response.body", "body": content})
                return
            await send({"type": "http.response.start", "status": response.status, "headers": out_headers})
            try:
                async for chunk in response.body():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except (UpstreamTimeout, UpstreamBroken) as exc:
                UPSTREAM_ERRORS.labels(name, "broken").inc()
                raise UpstreamBroken(f"{name} failed mid-response") from exc  # the server drops the connection
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.close()

    async def _identify(self, authorization: bytes | None, api_key: bytes | None, public: bool,
                        client_ip: str) -> Caller:
        if authorization is not None:
            scheme, _, token = authorization.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise unauthorized("Authorization must be a Bearer token")
            return await self.authenticator.bearer(token.strip(), authorization)
        if api_key is not None:
            return await self.authenticator.api_key(api_key.decode("latin-1"))
        if public:
            return self.authenticator.anonymous(client_ip)
        raise unauthorized("missing bearer token or API key")

    async def _failed(self, scope, receive, send, name: str, reason: str, status: int, detail: str) -> None:
        UPSTREAM_ERRORS.labels(name, reason).inc()
        log.warning("upstream failed", service=name, reason=reason, request_id=scope["state"].get("request_id"))
        await _problem(scope, receive, send, Problem(status, detail))


def _response_headers(upstream_headers, upstream_base: bytes, public_base: bytes, name: str):
    out: list[tuple[bytes, bytes]] = []
    length = None
    for key, value in upstream_headers:
        key = key.lower()
        if key in RESPONSE_DROPPED:
            continue
        if key == b"content-length":
            length = int(value)
        elif key in REWRITTEN:
            value = _rewritten(value, upstream_base, public_base, name)
        out.append((key, value))
    return out, length


def _rewritten(value: bytes, upstream_base: bytes, public_base: bytes, name: str) -> bytes:
    """Links the service made for itself (`/v1/x`, `http://127.0.0.1:8104/v1/x`) point through the gateway."""
    value = value.replace(upstream_base + b"/", public_base + b"/")
    prefix = b"/" + name.encode()
    if value.startswith(b"/v1"):
        value = prefix + value
    return value.replace(b"</v1", b"<" + prefix + b"/v1")


async def _streamed_body(receive) -> bytes | AsyncIterator[bytes]:
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientGone()
    if not message.get("more_body"):
        return message.get("body", b"")
    return _rest_of_body(message.get("body", b""), receive)


async def _rest_of_body(first: bytes, receive) -> AsyncIterator[bytes]:
    if first:
        yield first
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        if message.get("body"):
            yield message["body"]
        if not message.get("more_body"):
            return


async def _buffered_body(receive, limit: int) -> bytes | None:
    """A body of unknown length is read whole first: past the limit it is refused, unsent."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _problem(scope, receive, send, problem: Problem) -> None:
    await problem_response(Request(scope), problem)(scope, receive, send)

"""The one long-lived pooled HTTP client of the process, behind a small interface so the proxy does
not care which library speaks HTTP: aiohttp by default (httpx's pool is the bottleneck under
concurrency, encode/httpx#3215; bench/gateway.py measures both), httpx as the alternative."""

from collections.abc import AsyncIterator
from typing import Protocol

from gateway.settings import GatewaySettings

Headers = list[tuple[bytes, bytes]]
Body = bytes | AsyncIterator[bytes] | None
# One read returns the whole body up to this size: one ASGI message instead of several.
WHOLE_BODY_MAX = 256 * 1024
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class UpstreamUnavailable(Exception):
    """Connection refused, reset or not established in time: the service is down."""


class UpstreamTimeout(Exception):
    """Connected, but no answer within the read timeout."""


class UpstreamBroken(Exception):
    """The service answered something that is not HTTP, or hung up mid-answer."""


class UpstreamResponse(Protocol):
    status: int
    headers: Headers

    def body(self) -> AsyncIterator[bytes]: ...

    async def read(self) -> bytes: ...

    async def close(self) -> None: ...


class Upstream(Protocol):
    async def send(self, method: str, url: str, headers: Headers, body: Body) -> UpstreamResponse: ...

    async def close(self) -> None: ...


class AiohttpUpstream:
    def __init__(self, settings: GatewaySettings):
        self.settings = settings
        self._session = None

    def _session_now(self):
        if self._session is None:
            import aiohttp

            # Idle connections close after 4 s, before uvicorn's 5 s keep-alive drops them under us.
            connector = aiohttp.TCPConnector(limit=self.settings.upstream_connections, limit_per_host=0,
                                             keepalive_timeout=4, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.settings.connect_timeout_s,
                                              sock_read=self.settings.read_timeout_s),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def send(self, method: str, url: str, headers: Headers, body: Body) -> "AiohttpResponse":
        import aiohttp
        from yarl import URL

        session = self._session_now()
        # encoded=True: the path and query go out byte for byte as the caller sent them.
        target = URL(url, encoded=True)
        pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]
        # A kept-alive connection the service closed meanwhile: an idempotent request is tried once more.
        attempts = 2 if method in IDEMPOTENT and not hasattr(body, "__aiter__") else 1
        for attempt in range(attempts):
            try:
                response = await session.request(method, target, headers=pairs, data=body, allow_redirects=False,
                                                  compress=None)
                return AiohttpResponse(response)
            except aiohttp.ConnectionTimeoutError as exc:
                raise UpstreamUnavailable(str(exc)) from None
            except (aiohttp.ServerTimeoutError, TimeoutError) as exc:
                raise UpstreamTimeout(str(exc)) from None
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                if attempt + 1 < attempts:
                    continue
                raise UpstreamUnavailable(str(exc)) from None
            except (aiohttp.ClientConnectorError, ConnectionError) as exc:
                raise UpstreamUnavailable(str(exc)) from None
            except aiohttp.ClientError as exc:
                raise UpstreamBroken(str(exc)) from None
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class AiohttpResponse:
    def __init__(self, response):
        self._response = response
        self.status = response.status
        self.headers = list(response.raw_headers)

    async def read(self) -> bytes:
        import aiohttp

        try:
            return await self._response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpstreamTimeout(str(exc)) from None
        except (aiohttp.ClientError, ConnectionError) as exc:
            raise UpstreamBroken(str(exc)) from None

    async def body(self) -> AsyncIterator[bytes]:
        import aiohttp

        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpstreamTimeout(str(exc)) from None
        except (aiohttp.ClientError, ConnectionError) as exc:
            raise UpstreamBroken(str(exc)) from None

    async def close(self) -> None:
        self._response.release()


class HttpxUpstream:
    def __init__(self, settings: GatewaySettings):
        import httpx

        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=settings.connect_timeout_s, read=settings.read_timeout_s,
                                  write=settings.read_timeout_s, pool=settings.connect_timeout_s),
            limits=httpx.Limits(max_connections=settings.upstream_connections,
                                max_keepalive_connections=settings.upstream_connections,
                                keepalive_expiry=4),
            follow_redirects=False,
            trust_env=False,
        )
        # httpx adds Accept, Accept-Encoding, Connection and User-Agent to every request: not ours to add.
        for name in list(self._client.headers):
            del self._client.headers[name]

    async def send(self, method: str, url: str, headers: Headers, body: Body) -> "HttpxResponse":
        import httpx

        request = self._client.build_request(method, url, headers=headers, content=body)
        try:
            response = await self._client.send(request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise UpstreamUnavailable(str(exc)) from None
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(str(exc)) from None
        except httpx.HTTPError as exc:
            raise UpstreamBroken(str(exc)) from None
        return HttpxResponse(response)

    async def close(self) -> None:
        await self._client.aclose()


class HttpxResponse:
    def __init__(self, response):
        self._response = response
        self.status = response.status_code
        self.headers = list(response.headers.raw)

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.body()])

    async def body(self) -> AsyncIterator[bytes]:
        import httpx

        try:
            async for chunk in self._response.aiter_raw():
                yield chunk
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(str(exc)) from None
        except httpx.HTTPError as exc:
            raise UpstreamBroken(str(exc)) from None

    async def close(self) -> None:
        await self._response.aclose()


def upstream_client(settings: GatewaySettings) -> Upstream:
    if settings.upstream_client == "http1":
        from gateway.http1 import Http1Upstream

        return Http1Upstream(settings)
    if settings.upstream_client == "httpx":
        return HttpxUpstream(settings)
    try:
        import aiohttp  # noqa: F401
    except ImportError:  # an install without it still proxies, only slower under load
        return HttpxUpstream(settings)
    return AiohttpUpstream(settings)

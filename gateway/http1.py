"""The gateway's own upstream client: HTTP/1.1 keep-alive connections on asyncio protocols, parsed by
httptools (llhttp, the parser uvicorn uses). It does only what the proxy needs: one request, its
response head, its body whole or streamed. aiohttp spends about 280 µs of CPU per request here,
this about 100 µs, and the gateway spends about half its CPU in its upstream client
(bench/gateway.py compares them: FABRIQUE_GATEWAY_UPSTREAM_CLIENT=aiohttp|httpx|http1)."""

import asyncio
import collections
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httptools

from gateway.settings import GatewaySettings
from gateway.upstream import IDEMPOTENT, Body, Headers, UpstreamBroken, UpstreamTimeout, UpstreamUnavailable

# uvicorn closes a kept-alive connection after 5 s of silence: ours are dropped before that.
IDLE_EXPIRY_S = 4.0
# A streamed response body buffered beyond this stops reading from the service until the caller catches up.
HIGH_WATER = 1 << 20


class ConnectionLost(Exception):
    """The service closed the connection; `answered` says whether any of the response had arrived."""

    def __init__(self, answered: bool):
        super().__init__("connection closed by the service")
        self.answered = answered


class _Connection(asyncio.Protocol):
    """One kept-alive connection to a service, one exchange at a time."""

    def __init__(self):
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.idle_since = 0.0
        self._can_write: asyncio.Future | None = None
        self.reading_paused = False
        self._start_exchange()

    def _start_exchange(self) -> None:
        self.status = 0
        self.headers: Headers = []
        self.keep_alive = False
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.head_done = False
        self.complete = False
        self.answered = False
        self.failure: Exception | None = None
        self._waiter: asyncio.Future | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.head_only = False
        self.until_close = True  # a body with neither length nor chunks ends when the connection does

    # asyncio.Protocol
    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.answered = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamBroken(f"invalid HTTP from the service: {exc}"))
            self.close()

    def connection_lost(self, exc) -> None:
        self.closed = True
        if self.head_done and self.until_close and exc is None:
            self.complete = True
            self._wake()
        if not self.complete:
            self._fail(ConnectionLost(self.answered))
        if self._can_write is not None and not self._can_write.done():
            self._can_write.set_exception(ConnectionLost(self.answered))

    def pause_writing(self) -> None:
        self._can_write = self.loop.create_future()

    def resume_writing(self) -> None:
        if self._can_write is not None and not self._can_write.done():
            self._can_write.set_result(None)
        self._can_write = None

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))
        if name.lower() in (b"content-length", b"transfer-encoding"):
            self.until_close = False

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # an interim answer (never asked for): the real one follows
            self.headers = []
            return
        self.status = status
        self.keep_alive = self.parser.should_keep_alive()
        self.head_done = True
        if status in (204, 304):
            self.until_close = False
        if self.head_only:  # a HEAD answer announces a length but sends no body
            self.complete = True
            self.keep_alive = False
        self._wake()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > HIGH_WATER and not self.reading_paused:
            self.reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self.head_done:
            self.complete = True
            self._wake()

    # the exchange
    async def send_request(self, head: bytes, body: Body) -> None:
        if body is None or isinstance(body, bytes):
            self.transport.write(head + body if body else head)
            return
        self.transport.write(head)
        async for chunk in body:
            if self.closed:
                raise ConnectionLost(self.answered)
            self.transport.write(chunk)
            if self._can_write is not None:
                await self._can_write

    async def wait(self, ready, timeout_s: float) -> None:
        """Until `ready()`, the service's answer stops, or `timeout_s` without news."""
        while not ready():
            if self.failure is not None:
                raise self.failure
            self._waiter = self.loop.create_future()
            self._timer = self.loop.call_later(timeout_s, self._time_out)
            try:
                await self._waiter
            finally:
                self._timer.cancel()
                self._waiter = None

    def next_chunk(self) -> bytes:
        chunk = self.chunks.popleft()
        self.buffered -= len(chunk)
        if self.reading_paused and self.buffered <= HIGH_WATER // 2 and not self.closed:
            self.reading_paused = False
            self.transport.resume_reading()
        return chunk

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _fail(self, exc: Exception) -> None:
        self.failure = exc
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)

    def _time_out(self) -> None:
        self._fail(UpstreamTimeout("the service did not answer in time"))
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def reusable(self) -> bool:
        return self.complete and self.keep_alive and not self.closed


class _Pool:
    """The idle connections to one service (scheme, host, port)."""

    def __init__(self, scheme: str, host: str, port: int, host_header: bytes):
        self.scheme, self.host, self.port = scheme, host, port
        self.host_header = host_header
        self.idle: list[_Connection] = []

    def take(self) -> _Connection | None:
        now = time.monotonic()
        while self.idle:
            connection = self.idle.pop()
            if not connection.closed and now - connection.idle_since < IDLE_EXPIRY_S:
                connection._start_exchange()
                return connection
            connection.close()
        return None

    def give_back(self, connection: _Connection) -> None:
        connection.idle_since = time.monotonic()
        self.idle.append(connection)


class Http1Upstream:
    """The Upstream interface (gateway/upstream.py) over the connections above."""

    def __init__(self, settings: GatewaySettings):
        self.settings = settings
        self._pools: dict[str, _Pool] = {}  # by the route's base URL
        self._slots: asyncio.Semaphore | None = None

    def _pool_for(self, url: str) -> tuple[_Pool, bytes]:
        """The pool of the URL's service, and the request target (path and query) to send it."""
        # The proxy's URLs are a route's base URL plus the caller's path: the base is parsed once.
        slash = url.find("/", url.find("//") + 2)
        base, target = (url, "/") if slash < 0 else (url[:slash], url[slash:])
        pool = self._pools.get(base)
        if pool is None:
            parts = urlsplit(base)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise UpstreamUnavailable(f"not an upstream URL: {base}")
            port = parts.port or (443 if parts.scheme == "https" else 80)
            pool = self._pools[base] = _Pool(parts.scheme, parts.hostname, port, parts.netloc.encode())
        return pool, target.encode("latin-1")

    async def send(self, method: str, url: str, headers: Headers, body: Body) -> "Http1Response":
        pool, target = self._pool_for(url)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.settings.upstream_connections)
        if isinstance(body, bytes) and not any(name.lower() == b"content-length" for name, _ in headers):
            headers = [*headers, (b"content-length", b"%d" % len(body))]
        head = b"".join([method.encode(), b" ", target, b" HTTP/1.1\r\nhost: ", pool.host_header, b"\r\n",
                         *[b"%s: %s\r\n" % pair for pair in headers], b"\r\n"])
        # A kept-alive connection the service closed meanwhile: an idempotent request is tried once more.
        retry_allowed = method in IDEMPOTENT and not hasattr(body, "__aiter__")
        await self._slots.acquire()
        try:
            while True:
                connection = pool.take()
                reused = connection is not None
                if connection is None:
                    connection = await self._connect(pool)
                connection.head_only = method == "HEAD"
                try:
                    await connection.send_request(head, body)
                    await connection.wait(lambda c=connection: c.head_done, self.settings.read_timeout_s)
                    return Http1Response(connection, pool, self._slots, self.settings.read_timeout_s)
                except ConnectionLost as lost:
                    connection.close()
                    if reused and retry_allowed and not lost.answered:
                        retry_allowed = False
                        continue
                    raise UpstreamUnavailable(str(lost)) from None
                except BaseException:
                    connection.close()
                    raise
        except BaseException:
            self._slots.release()
            raise

    async def _connect(self, pool: _Pool) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(_Connection, pool.host, pool.port,
                                       ssl=True if pool.scheme == "https" else None),
                self.settings.connect_timeout_s)
        except (OSError, TimeoutError) as exc:
            raise UpstreamUnavailable(f"cannot connect to {pool.host}:{pool.port}: {exc!r}") from None
        return connection

    async def close(self) -> None:
        for pool in self._pools.values():
            for connection in pool.idle:
                connection.close()
            pool.idle.clear()


class Http1Response:
    def __init__(self, connection: _Connection, pool: _Pool, slots: asyncio.Semaphore, read_timeout_s: float):
        self._connection = connection
        self._pool = pool
        self._slots = slots
        self._read_timeout_s = read_timeout_s
        self._released = False
        self.status = connection.status
        self.headers = connection.headers

    async def read(self) -> bytes:
        connection = self._connection
        await self._wait(lambda: connection.complete)
        chunks = [connection.next_chunk() for _ in range(len(connection.chunks))]
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def body(self) -> AsyncIterator[bytes]:
        connection = self._connection
        while True:
            await self._wait(lambda: connection.chunks or connection.complete)
            while connection.chunks:
                yield connection.next_chunk()
            if connection.complete:
                return

    async def _wait(self, ready) -> None:
        try:
            await self._connection.wait(ready, self._read_timeout_s)
        except ConnectionLost as lost:
            raise UpstreamBroken(str(lost)) from None

    async def close(self) -> None:
        if self._released:
            return
        self._released = True
        connection = self._connection
        if connection.reusable() and not connection.chunks:
            self._pool.give_back(connection)
        else:
            connection.close()
        self._slots.release()

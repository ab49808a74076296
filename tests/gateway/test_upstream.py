"""The gateway's own HTTP/1.1 upstream client against real servers over TCP: what the proxy gets
back when services stream, close idle connections, answer garbage or die mid-answer."""

import asyncio
import socket
import threading

import pytest

from gateway.http1 import HIGH_WATER, Http1Upstream
from gateway.settings import GatewaySettings
from gateway.upstream import UpstreamBroken, UpstreamTimeout, UpstreamUnavailable
from tests.gateway.support import ThreadedServer, free_port, request_body

BIG = HIGH_WATER * 3 + 12_345  # more than the client buffers: reading must pause and resume


async def streaming_service(scope, receive, send):
    """`/big`: a chunked body of BIG bytes; `/empty`: 204; `/echo`: the request body back, with its length."""
    body = await request_body(scope, receive, send)
    if body is None:
        return
    if scope["path"] == "/big":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/csv")]})
        sent = 0
        while sent < BIG:
            chunk = bytes([65 + sent // 65536 % 26]) * min(65536, BIG - sent)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            sent += len(chunk)
        await send({"type": "http.response.body", "body": b""})
    elif scope["path"] == "/empty":
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
    else:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode()), (b"x-client-port",
                                                                               str(scope["client"][1]).encode())]})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def service():
    with ThreadedServer(streaming_service) as server:
        server.server.config.timeout_keep_alive = 1  # closes idle connections after a second
        yield server


def upstream(**settings) -> Http1Upstream:
    return Http1Upstream(GatewaySettings(read_timeout_s=settings.pop("read_timeout_s", 5.0), **settings))


async def exchange(client: Http1Upstream, method: str, url: str, body=None, headers=()) -> tuple[int, dict, bytes]:
    response = await client.send(method, url, list(headers), body)
    try:
        return response.status, dict(response.headers), await response.read()
    finally:
        await response.close()


async def test_a_chunked_answer_larger_than_the_buffer_streams_through_whole(service):
    client = upstream()
    try:
        response = await client.send("GET", service.url + "/big", [], None)
        chunks = [chunk async for chunk in response.body()]
        await response.close()
        body = b"".join(chunks)
        assert response.status == 200 and len(body) == BIG and len(chunks) > 1
        assert body[:1] == b"A" and body[-1:] == bytes([65 + (BIG - 1) // 65536 % 26])
    finally:
        await client.close()


async def test_kept_alive_connections_are_reused_and_replaced_once_the_service_closes_them(service):
    client = upstream()
    try:
        _, first, _ = await exchange(client, "GET", service.url + "/echo")
        _, second, _ = await exchange(client, "GET", service.url + "/echo")
        assert first[b"x-client-port"] == second[b"x-client-port"]  # one connection, kept alive
        await asyncio.sleep(1.5)  # the service closes it meanwhile
        status, third, _ = await exchange(client, "GET", service.url + "/echo")
        assert status == 200 and third[b"x-client-port"] != first[b"x-client-port"]
    finally:
        await client.close()


async def test_bodies_go_out_whole_or_streamed_and_a_204_has_none(service):
    client = upstream()

    async def parts():
        for part in (b"first,", b"second,", b"third"):
            yield part

    try:
        assert (await exchange(client, "POST", service.url + "/echo", b"a=1"))[2] == b"a=1"
        status, _, body = await exchange(client, "POST", service.url + "/echo", parts(),
                                         [(b"content-length", b"18")])
        assert (status, body) == (200, b"first,second,third")
        status, _, body = await exchange(client, "DELETE", service.url + "/empty")
        assert (status, body) == (204, b"")
        status, headers, body = await exchange(client, "HEAD", service.url + "/echo")
        assert status == 200 and body == b"" and headers[b"content-length"] == b"0"
        assert (await exchange(client, "GET", service.url + "/echo"))[0] == 200  # still usable after HEAD
    finally:
        await client.close()


class RawServer:
    """A TCP server that answers every request with `reply` bytes, then closes (or hangs)."""

    def __init__(self, reply: bytes | None):
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)
            conn.recv(65536)
            if self.reply is not None:
                conn.sendall(self.reply)
                conn.close()

    def close(self):
        self.sock.close()
        for conn in self.connections:
            conn.close()


@pytest.mark.parametrize("reply, error", [
    (b"this is not HTTP\r\n\r\n", UpstreamBroken),  # garbage
    (b"", UpstreamUnavailable),  # closed without a word
    (None, UpstreamTimeout),  # never answers
])
async def test_a_service_answering_wrong_is_a_clear_upstream_error(reply, error):
    server = RawServer(reply)
    client = upstream(read_timeout_s=0.3)
    try:
        with pytest.raises(error):
            await exchange(client, "GET", server.url + "/v1/x")
    finally:
        await client.close()
        server.close()


async def test_a_service_dying_mid_answer_breaks_the_body_not_the_gateway():
    server = RawServer(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part of it")
    client = upstream()
    try:
        response = await client.send("GET", server.url + "/v1/x", [], None)
        assert response.status == 200
        with pytest.raises(UpstreamBroken):
            await response.read()
        await response.close()
    finally:
        await client.close()
        server.close()


async def test_nothing_listening_is_unavailable():
    client = upstream(connect_timeout_s=0.5)
    try:
        with pytest.raises(UpstreamUnavailable):
            await exchange(client, "GET", f"http://127.0.0.1:{free_port()}/v1/x")
    finally:
        await client.close()

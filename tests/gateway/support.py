"""What the gateway tests share: a recording upstream over real TCP, account factories, raw token
forging for the attacks, and real uvicorn processes for the end-to-end tests."""

import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

import httpx
import uvicorn
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from gateway import identity
from gateway.models import Account
from shared.settings import PROJECT_ROOT

SLOW_S = 1.0


async def request_body(scope, receive, send) -> bytes | None:
    """For a test service: the whole request body, or None once a lifespan scope is answered."""
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return None
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


@dataclass
class Recorder:
    """An upstream service that answers every request with what it received, and remembers it."""

    requests: list[dict] = field(default_factory=list)

    async def __call__(self, scope, receive, send):
        body = await request_body(scope, receive, send)
        if body is None:
            return
        path = scope["path"]
        seen = {"method": scope["method"], "path": path, "query": scope["query_string"].decode(),
                "headers": {k.decode(): v.decode() for k, v in scope["headers"]}, "body": body.decode()}
        if path not in ("/readyz", "/openapi.json"):
            self.requests.append(seen)
        status, extra = 200, []
        if path == "/v1/slow":
            await asyncio.sleep(SLOW_S)
        if path == "/openapi.json":
            payload = RECORDER_OPENAPI
        elif path == "/readyz":
            payload = {"status": "ready"}
        else:
            payload = seen
        if scope["method"] == "POST":
            status = 201
            host = seen["headers"]["host"]
            extra = [(b"location", b"/v1/things/1"),
                     (b"link", f'<http://{host}/v1/things?cursor=abc>; rel="next"'.encode())]
        content = json.dumps(payload).encode()
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
            (b"x-upstream", b"recorder"), *extra]})
        await send({"type": "http.response.body", "body": content})


RECORDER_OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "recorder", "version": "1"},
    "paths": {
        "/v1/things": {"get": {"operationId": "list_things", "responses": {"200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}}},
        "/v1/public/things": {"get": {"operationId": "public_things", "responses": {"200": {"description": "ok"}}}},
        "/healthz": {"get": {"responses": {"200": {"description": "ok"}}}},
    },
    "components": {"schemas": {"Thing": {"type": "object", "properties": {"id": {"type": "integer"}}}}},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThreadedServer:
    """An ASGI app served by uvicorn over TCP on a free loopback port, in a thread of the test process."""

    def __init__(self, app):
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve(sockets=[self.socket])),
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "test upstream did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *_):
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.socket.close()


class Process:
    """`python -m uvicorn --factory <factory>` on a free port, with the test database in its env."""

    def __init__(self, factory: str, env: dict[str, str] | None = None, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.factory = factory
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("FABRIQUE_GATEWAY_")}
        self.env = {**inherited, "FABRIQUE_LOG_LEVEL": "WARNING", **(env or {})}
        self.process: subprocess.Popen | None = None

    def start(self) -> "Process":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", self.factory, "--host", "127.0.0.1", "--port",
             str(self.port), "--no-access-log", "--log-level", "warning"],
            env=self.env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=self.errors)
        return self

    @property
    def errors(self):
        # a file, not a pipe: a chatty process must never block on a full pipe
        if not hasattr(self, "_errors"):
            self._errors = tempfile.TemporaryFile()
        return self._errors

    def error_output(self) -> str:
        self.errors.seek(0)
        return self.errors.read().decode(errors="replace")[-3000:]

    def wait_ready(self, path: str = "/healthz", timeout_s: float = 30) -> "Process":
        deadline = time.monotonic() + timeout_s
        # One client, no TLS context per attempt: polling must not steal the CPU the process starts with.
        with httpx.Client(timeout=1, verify=False, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.factory} exited: {self.error_output()}")
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        pass
                    if client.get(self.url + path).status_code == 200:
                        return self
                except (OSError, httpx.HTTPError):
                    pass
                time.sleep(0.05)
        raise RuntimeError(f"{self.factory} not ready on {self.url}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if hasattr(self, "_errors"):
            self._errors.close()


async def make_account(conn: AsyncConnection, username: str, password: str = "correct horse battery",
                       **fields) -> Account:
    """Through the same code as the admin API and the CLI, in the test's transaction."""
    async with AsyncSession(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
        async with session.begin():
            return await identity.create_account(session, username=username, password=password, **fields)


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

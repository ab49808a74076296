"""What the gateway costs: the same GET on a real service (the kit's notes service: token
verification, one SQL query) directly and through the gateway, both as uvicorn processes.

    .venv/bin/python bench/gateway.py [--duration 5] [--concurrency 32] [--clients http1,aiohttp,httpx]

Prints requests/s both ways at concurrency 1 and at saturation, the throughput ratio (target
≥ 0.5), and the latency the gateway adds at p50/p99 at half load (targets ≤ 1.5 ms and ≤ 5 ms),
for each upstream HTTP client of the gateway (http1, its own, is the default; aiohttp and httpx
are the alternatives it was measured against). The load generator is a minimal keep-alive
HTTP/1.1 client on raw asyncio sockets, so that it takes as little CPU as possible from the
processes it measures (they all share this machine's cores).
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE = "fabrique_bench_gateway"
PATH = "/v1/notes?limit=10"
HALF_LOAD_SLICES = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Connection:
    """One keep-alive HTTP/1.1 connection that sends the same GET again and again."""

    def __init__(self, port: int, request: bytes):
        self.port = port
        self.request = request

    async def open(self) -> "Connection":
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self

    async def get(self) -> int:
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        chunked = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


def request_bytes(port: int, path: str, token: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Accept: application/json\r\n\r\n").encode()


async def closed_loop(port: int, request: bytes, concurrency: int, duration_s: float) -> tuple[float, list[float]]:
    """`concurrency` connections, each sending its next request as soon as the previous one ends."""
    connections = [await Connection(port, request).open() for _ in range(concurrency)]
    latencies: list[float] = []
    failures = 0
    stop_at = time.perf_counter() + duration_s

    async def worker(connection: Connection) -> None:
        nonlocal failures
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            status = await connection.get()
            latencies.append(time.perf_counter() - started)
            failures += status != 200

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    if failures:
        raise RuntimeError(f"{failures} requests failed")
    return len(latencies) / elapsed, latencies


async def open_loop(port: int, request: bytes, rate: float, duration_s: float, connections: int = 64) -> list[float]:
    """Requests sent on a fixed schedule (`rate` a second) whatever the answers: latency at a given load."""
    pool = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await Connection(port, request).open())
    latencies: list[float] = []
    tasks = []
    interval = 1.0 / rate
    start = time.perf_counter()
    count = int(rate * duration_s)

    async def one(scheduled: float) -> None:
        connection = await pool.get()
        status = await connection.get()
        latencies.append(time.perf_counter() - scheduled)  # from when it should have left: no coordinated omission
        pool.put_nowait(connection)
        if status != 200:
            raise RuntimeError(f"status {status}")

    for i in range(count):
        scheduled = start + i * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    while not pool.empty():
        pool.get_nowait().close()
    return latencies


def cpu_seconds(process: subprocess.Popen) -> float:
    import psutil

    times = psutil.Process(process.pid).cpu_times()
    return times.user + times.system


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


class Suite:
    """The database, the notes service and a gateway in front of it."""

    def __init__(self, upstream_client: str):
        self.upstream_client = upstream_client
        self.processes: list[subprocess.Popen] = []

    def start(self, env: dict[str, str]) -> None:
        self.notes_port, self.gateway_port = free_port(), free_port()
        gateway_url = f"http://127.0.0.1:{self.gateway_port}"
        quiet = {**env, "FABRIQUE_LOG_LEVEL": "WARNING"}
        self._spawn("tests.shared.notes_app:create_app", self.notes_port,
                    {**quiet, "FABRIQUE_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
                     "FABRIQUE_GATEWAY_URL": gateway_url})
        self._spawn("gateway.app:create_app", self.gateway_port,
                    {**quiet, "FABRIQUE_GATEWAY_ROUTES": json.dumps({"notes": f"http://127.0.0.1:{self.notes_port}"}),
                     "FABRIQUE_GATEWAY_UPSTREAM_CLIENT": self.upstream_client})
        for port in (self.notes_port, self.gateway_port):
            wait_ready(port)

    def _spawn(self, factory: str, port: int, env: dict[str, str]) -> None:
        self.processes.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1", "--port", str(port),
             "--no-access-log", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL))

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_ready(port: int, timeout_s: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=2, trust_env=False) as client:
        while time.monotonic() < deadline:
            try:
                if client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"nothing ready on port {port}")


async def prepare_database() -> dict[str, str]:
    """A database of its own, the identity and notes schemas, a reader account and 50 notes."""
    from shared.database import admin_url, create_database

    await create_database(DATABASE)
    env = {**os.environ, "FABRIQUE_DATABASE_URL": admin_url(DATABASE).render_as_string(hide_password=False)}
    os.environ["FABRIQUE_DATABASE_URL"] = env["FABRIQUE_DATABASE_URL"]
    from shared.settings import get_settings

    get_settings.cache_clear()
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from gateway import identity, repository
    from shared.bootstrap import prepare_database as prepare
    from shared.components import gateway
    from shared.database import prepare_schemas, service_url
    from tests.shared.notes_app import SCHEMA, Base, Note

    await prepare([gateway()], create=False)
    await prepare_schemas([SCHEMA], DATABASE)
    engine = create_async_engine(service_url(SCHEMA))
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    async with AsyncSession(engine) as session, session.begin():
        session.add_all([Note(title=f"note {i}") for i in range(50)])
    await engine.dispose()
    engine = create_async_engine(service_url("identity"))
    async with AsyncSession(engine) as session, session.begin():
        if await repository.account_by_username(session, "bench") is None:
            # a limit no bench reaches: the bench measures the proxy, not the limiter refusing
            await identity.create_account(session, username="bench", password="bench password",
                                          scopes=["notes:read"], rate_limit_per_minute=100_000_000)
    await engine.dispose()
    return env


async def token_from(gateway_port: int) -> str:
    import httpx

    async with httpx.AsyncClient() as client:
        response = await client.post(f"http://127.0.0.1:{gateway_port}/auth/token", data={
            "grant_type": "password", "username": "bench", "password": "bench password"})
        response.raise_for_status()
        return response.json()["access_token"]


async def measure(suite: Suite, duration_s: float, concurrency: int) -> dict[str, float]:
    token = await token_from(suite.gateway_port)
    direct = request_bytes(suite.notes_port, PATH, token)
    through = request_bytes(suite.gateway_port, "/notes" + PATH, token)
    for port, request in ((suite.notes_port, direct), (suite.gateway_port, through)):
        # one request first: the service fetches the JWKS once (concurrent first requests race in KeySet)
        await closed_loop(port, request, 1, 0.2)
        await closed_loop(port, request, concurrency, 1.0)  # warm up pools and caches
    results: dict[str, float] = {}
    for name, port, request in (("direct", suite.notes_port, direct), ("gateway", suite.gateway_port, through)):
        rps1, lat1 = await closed_loop(port, request, 1, duration_s)
        cpu_before = [cpu_seconds(p) for p in suite.processes]
        rps, _ = await closed_loop(port, request, concurrency, duration_s)
        cpu = [cpu_seconds(p) - before for p, before in zip(suite.processes, cpu_before, strict=True)]
        requests = rps * duration_s
        results |= {f"{name}_rps_c1": rps1, f"{name}_p50_c1": percentile(lat1, 50),
                    f"{name}_p99_c1": percentile(lat1, 99), f"{name}_rps_sat": rps}
        if name == "gateway":  # CPU time per request, which the other sessions' load does not inflate
            results["service_cpu_per_request"] = cpu[0] / requests
            results["gateway_cpu_per_request"] = cpu[1] / requests
    half = results["gateway_rps_sat"] / 2
    # Direct and through the gateway in alternating slices, so that whatever else the machine does
    # meanwhile weighs on both sides alike (one long run each would compare two different moments).
    half_load = {"direct": [], "gateway": []}
    for _ in range(HALF_LOAD_SLICES):
        for name, port, request in (("direct", suite.notes_port, direct), ("gateway", suite.gateway_port, through)):
            half_load[name] += await open_loop(port, request, half, duration_s / HALF_LOAD_SLICES * 2)
    for name, latencies in half_load.items():
        results[f"{name}_p50_half"] = percentile(latencies, 50)
        results[f"{name}_p99_half"] = percentile(latencies, 99)
    results["half_rate"] = half
    return results


def report(client: str, r: dict[str, float], concurrency: int) -> None:
    ratio = r["gateway_rps_sat"] / r["direct_rps_sat"]
    added_p50 = r["gateway_p50_half"] - r["direct_p50_half"]
    added_p99 = r["gateway_p99_half"] - r["direct_p99_half"]
    print(f"\n== gateway upstream client: {client} ==")
    print(f"{'':28}{'direct':>14}{'via gateway':>14}")
    print(f"{'req/s, concurrency 1':28}{r['direct_rps_c1']:>14.0f}{r['gateway_rps_c1']:>14.0f}")
    print(f"{'p50 / p99, concurrency 1':28}{ms(r['direct_p50_c1']):>14}{ms(r['gateway_p50_c1']):>14}"
          f"   p99 {ms(r['direct_p99_c1'])} / {ms(r['gateway_p99_c1'])}")
    print(f"{f'req/s, concurrency {concurrency}':28}{r['direct_rps_sat']:>14.0f}{r['gateway_rps_sat']:>14.0f}")
    print(f"{'p50 at half load':28}{ms(r['direct_p50_half']):>14}{ms(r['gateway_p50_half']):>14}"
          f"   ({r['half_rate']:.0f} req/s)")
    print(f"{'p99 at half load':28}{ms(r['direct_p99_half']):>14}{ms(r['gateway_p99_half']):>14}")
    print(f"throughput ratio (gateway / direct, saturated): {ratio:.2f}   target >= 0.50  "
          f"{'OK' if ratio >= 0.5 else 'MISSED'}")
    print(f"added latency at half load: p50 {ms(added_p50)} (target <= 1.5 ms "
          f"{'OK' if added_p50 <= 0.0015 else 'MISSED'}), p99 {ms(added_p99)} (target <= 5 ms "
          f"{'OK' if added_p99 <= 0.005 else 'MISSED'})")
    gateway_cpu, service_cpu = r["gateway_cpu_per_request"], r["service_cpu_per_request"]
    print(f"CPU per proxied request: gateway {gateway_cpu * 1e6:.0f} µs, service {service_cpu * 1e6:.0f} µs "
          f"-> CPU-bound ratio on shared cores {service_cpu / (service_cpu + gateway_cpu):.2f}")
    print(f"added latency at concurrency 1: p50 {ms(r['gateway_p50_c1'] - r['direct_p50_c1'])}, "
          f"p99 {ms(r['gateway_p99_c1'] - r['direct_p99_c1'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--concurrency", type=int, default=32, help="connections at saturation")
    parser.add_argument("--clients", default="http1,aiohttp,httpx", help="the gateway's upstream clients to compare")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; every process (load, gateway, service, PostgreSQL) shares them; "
          f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"GET {PATH}: direct http://127.0.0.1:<service>{PATH}, through http://127.0.0.1:<gateway>/notes{PATH}")
    env = asyncio.run(prepare_database())
    for client in args.clients.split(","):
        suite = Suite(client)
        try:
            suite.start(env)
            report(client, asyncio.run(measure(suite, args.duration, args.concurrency)), args.concurrency)
        finally:
            suite.stop()
    print(f"\nload average after: {os.getloadavg()[0]:.2f} (other work on the machine skews latencies; "
          f"CPU per request does not depend on it)")


if __name__ == "__main__":
    main()

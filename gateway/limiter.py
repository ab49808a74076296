"""Rate limiting by token bucket: in this process by default, in Redis when FABRIQUE_REDIS_URL is
set so that every replica draws from the same buckets."""

import time
from typing import Protocol

from gateway.domain.ratelimit import Decision, Limit, decision, take


class Limiter(Protocol):
    async def hit(self, key: str, limit: Limit) -> Decision: ...

    async def close(self) -> None: ...


class MemoryLimiter:
    MAX_BUCKETS = 100_000

    def __init__(self):
        self._buckets: dict[str, tuple[float, float]] = {}

    async def hit(self, key: str, limit: Limit) -> Decision:
        now = time.monotonic()
        tokens, updated = self._buckets.get(key, (None, None))
        tokens, result = take(tokens, updated, now, limit)
        if len(self._buckets) >= self.MAX_BUCKETS and key not in self._buckets:
            self._forget_full_buckets(now, limit)
        self._buckets[key] = (tokens, now)
        return result

    def _forget_full_buckets(self, now: float, limit: Limit) -> None:
        # A bucket idle long enough to be full again is the same as no bucket.
        idle_s = limit.burst / (limit.rate_per_s or 1e-9)
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < idle_s}

    async def close(self) -> None:
        pass


# The same arithmetic as domain.ratelimit.take, atomically in Redis, on Redis's clock.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1])
local updated = tonumber(state[2])
if tokens == nil then
  tokens = burst
else
  tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisLimiter:
    def __init__(self, url: str):
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._take = self._redis.register_script(_TAKE)

    async def hit(self, key: str, limit: Limit) -> Decision:
        allowed, tokens = await self._take(keys=[f"fabrique:ratelimit:{key}"],
                                           args=[limit.rate_per_s, limit.burst])
        return decision(bool(allowed), float(tokens), limit)

    async def close(self) -> None:
        await self._redis.aclose()


def limiter_for(redis_url: str | None) -> Limiter:
    return RedisLimiter(redis_url) if redis_url else MemoryLimiter()

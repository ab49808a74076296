"""Token buckets: `burst` requests at once, refilled at `per_minute` / 60 tokens a second."""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    per_minute: int
    burst: int

    @property
    def rate_per_s(self) -> float:
        return self.per_minute / 60.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int  # until the bucket is full again
    retry_after_s: int  # until one request passes (0 when allowed)

    def headers(self) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_s).encode()),
        ]
        if not self.allowed:
            headers.append((b"retry-after", str(self.retry_after_s).encode()))
        return headers


def take(tokens: float | None, updated: float | None, now: float, limit: Limit) -> tuple[float, Decision]:
    """Refill since `updated`, take one token if there is one; returns the new level and the decision."""
    if tokens is None or updated is None:
        tokens = float(limit.burst)
    else:
        tokens = min(float(limit.burst), tokens + max(0.0, now - updated) * limit.rate_per_s)
    allowed = tokens >= 1.0
    if allowed:
        tokens -= 1.0
    return tokens, decision(allowed, tokens, limit)


def decision(allowed: bool, tokens: float, limit: Limit) -> Decision:
    rate = limit.rate_per_s or 1e-9
    return Decision(
        allowed=allowed,
        limit=limit.burst,
        remaining=int(tokens),
        reset_s=math.ceil((limit.burst - tokens) / rate),
        retry_after_s=0 if allowed else max(1, math.ceil((1.0 - tokens) / rate)),
    )

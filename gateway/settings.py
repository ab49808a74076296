"""The gateway's own settings (prefix FABRIQUE_GATEWAY_); the suite's settings stay in shared.settings."""

from functools import lru_cache
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FABRIQUE_GATEWAY_", extra="ignore")

    # {name: url} or {name: {"url": ..., "public": [["GET", "/v1/x"], ...]}}; adds to or replaces
    # the routes generated for the discovered services.
    routes: dict[str, Any] = {}
    connect_timeout_s: float = 2.0
    read_timeout_s: float = 30.0
    upstream_connections: int = 200
    # "http1" (the gateway's own, gateway/http1.py), "aiohttp" or "httpx": bench/gateway.py compares them.
    upstream_client: str = "http1"
    body_limit_bytes: int = 10 * 1024 * 1024

    cors_origins: list[str] = ["http://localhost:3000", "http://localhost:5173"]
    cors_max_age_s: int = 600

    # Token buckets: the rate refills the bucket, the burst is its size.
    rate_limit_per_minute: int = 600
    rate_limit_burst: int = 100
    anonymous_rate_limit_per_minute: int = 120
    anonymous_rate_limit_burst: int = 30

    login_max_failures: int = 5
    login_ip_max_failures: int = 30
    login_window_s: int = 900
    login_lockout_s: int = 300

    # argon2id with OWASP's minimum (19 MiB, 2 passes): about 55 ms here, in a worker thread.
    password_time_cost: int = 2
    password_memory_kib: int = 19456

    refresh_token_days: int = 14
    # A new signing key is published this long before it signs, so every service's cached JWKS
    # (refreshed at most every 30 s on an unknown kid) already knows it.
    signing_key_publish_s: int = 60
    # A Fernet key (`fabrique keys encryption-key` prints a new one): private signing keys are then
    # stored encrypted with it. Unset (development), they are stored as PEM and a warning says so.
    key_encryption_key: str | None = None
    key_ring_refresh_s: float = 30.0
    denylist_refresh_s: float = 5.0
    openapi_cache_s: float = 30.0


@lru_cache
def get_gateway_settings() -> GatewaySettings:
    return GatewaySettings()

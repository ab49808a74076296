"""What the gateway's access tokens say: the claims of PLATFORM.md, `client: true` for clients and
API keys, and `rate_limit` (requests a minute) when the caller has a limit of its own."""

import math
from typing import Any

from gateway.domain.ratelimit import Limit
from gateway.models import Account, ApiKey, Client
from gateway.settings import get_gateway_settings
from shared.auth import access_token_claims


def _extra(rate_limit_per_minute: int | None, client: bool) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if client:
        extra["client"] = True
    if rate_limit_per_minute:
        extra["rate_limit"] = rate_limit_per_minute
    return extra


def account_claims(account: Account, scopes: list[str]) -> dict[str, Any]:
    return access_token_claims(account.subject, scopes=scopes, roles=account.roles, name=account.name,
                               email=account.email, extra=_extra(account.rate_limit_per_minute, False))


def client_claims(client: Client, scopes: list[str]) -> dict[str, Any]:
    return access_token_claims(str(client.id), scopes=scopes, roles=client.roles, name=client.name,
                               extra=_extra(client.rate_limit_per_minute, True))


def api_key_claims(key: ApiKey) -> dict[str, Any]:
    return access_token_claims(api_key_subject(key.id), scopes=key.scopes, name=key.name,
                               extra=_extra(key.rate_limit_per_minute, True))


def api_key_subject(key_id) -> str:
    return f"apikey:{key_id}"


def limit_of(rate_limit_per_minute: int | None) -> Limit:
    """A caller's own limit allows ten seconds' worth at once; otherwise the gateway's default."""
    settings = get_gateway_settings()
    if not rate_limit_per_minute:
        return Limit(settings.rate_limit_per_minute, settings.rate_limit_burst)
    return Limit(rate_limit_per_minute, max(1, math.ceil(rate_limit_per_minute / 6)))


def anonymous_limit() -> Limit:
    settings = get_gateway_settings()
    return Limit(settings.anonymous_rate_limit_per_minute, settings.anonymous_rate_limit_burst)

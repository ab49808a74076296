"""Everything one gateway process keeps between requests, built once by create_app."""

from fastapi import FastAPI, Request

from gateway.callers import Authenticator
from gateway.domain.routes import Route
from gateway.keyring import KeyRing, Revocations
from gateway.limiter import Limiter, limiter_for
from gateway.proxy import Proxy
from gateway.route_table import route_table
from gateway.settings import GatewaySettings
from gateway.upstream import Upstream, upstream_client
from shared.settings import get_settings


class Gateway:
    def __init__(self, app: FastAPI, settings: GatewaySettings):
        self.settings = settings
        # Read when used: the kit's lifespan (or a test) sets the sessionmaker after create_app.
        sessionmaker = lambda: app.state.sessionmaker  # noqa: E731
        self.routes: dict[str, Route] = route_table(settings)
        self.ring = KeyRing(sessionmaker)
        self.revocations = Revocations(sessionmaker)
        self.authenticator = Authenticator(self.ring, self.revocations, sessionmaker)
        self.limiter: Limiter = limiter_for(get_settings().redis_url)
        self.upstream: Upstream = upstream_client(settings)
        self.proxy = Proxy(settings, self.authenticator, self.limiter, self.upstream)
        self.openapi_cache: dict | None = None
        self.openapi_cached_at = float("-inf")

    async def close(self) -> None:
        await self.upstream.close()
        await self.limiter.close()


def gateway_of(request: Request) -> Gateway:
    return request.app.state.gateway

"""The gateway app: the kit's factory, the identity routes, and the edge in front of everything."""

from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.routing import Route as StarletteRoute

from gateway.api import admin, auth
from gateway.api.meta import merged_openapi, readyz_with_upstreams
from gateway.edge import Edge
from gateway.proxy import RouteLabel
from gateway.runtime import Gateway
from gateway.settings import get_gateway_settings
from shared.service import create_service_app

log = structlog.get_logger("fabrique.gateway")


def _endpoint_of(routes, path: str):
    for route in routes:
        if getattr(route, "path", None) == path:
            return route.endpoint
        if hasattr(route, "original_router"):  # a router included in the app
            found = _endpoint_of(route.original_router.routes, path)
            if found is not None:
                return found
    return None


def _replace_route(app: FastAPI, path: str, make_endpoint) -> None:
    """The kit's route at `path`, wrapped by or replaced with ours (first match wins)."""
    endpoint = make_endpoint(_endpoint_of(app.router.routes, path))
    label = RouteLabel(path)

    async def labelled(request):
        request.scope["route"] = label  # for the kit's metrics and access log
        return await endpoint(request)

    app.router.routes.insert(0, StarletteRoute(path, labelled, methods=["GET"], include_in_schema=False))


def create_app() -> FastAPI:
    settings = get_gateway_settings()
    app = create_service_app(
        "gateway", [auth.router, admin.router], title="Fabrique gateway",
        description="Authentication, tokens and administration of the suite's identities.")
    gateway = Gateway(app, settings)
    app.state.gateway = gateway
    app.state.keyset = gateway.ring  # the gateway trusts its own keys, without fetching its own JWKS
    _replace_route(app, "/readyz", readyz_with_upstreams)
    _replace_route(app, "/openapi.json", lambda _: merged_openapi)
    # Inside the kit's RequestContext (request id, logs, metrics), outside the routes.
    app.user_middleware.append(Middleware(Edge, settings=settings, routes=gateway.routes, proxy=gateway.proxy))

    kit_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with kit_lifespan(app):
            if not settings.key_encryption_key:
                log.warning("signing keys are stored unencrypted: set FABRIQUE_GATEWAY_KEY_ENCRYPTION_KEY")
            await gateway.ring.load()  # creates the first signing key of a new database
            yield
            await gateway.close()

    app.router.lifespan_context = lifespan
    return app

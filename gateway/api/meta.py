"""The gateway's /readyz (its database, then each upstream) and the merged /openapi.json."""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import JSONResponse

from gateway.openapi import merge
from gateway.runtime import Gateway, gateway_of

UPSTREAM_CHECK_TIMEOUT_S = 2.0


async def _upstream_ready(gateway: Gateway, url: str) -> str:
    try:
        response = await asyncio.wait_for(gateway.upstream.send("GET", f"{url}/readyz", [], None),
                                          UPSTREAM_CHECK_TIMEOUT_S)
        try:
            await response.read()
        finally:
            await response.close()
        return "ready" if response.status == 200 else "unavailable"
    except Exception:  # readiness reports, it never raises
        return "unavailable"


def readyz_with_upstreams(kit_readyz: Callable[[Request], Awaitable]):
    async def readyz(request: Request):
        """Ready when its own database is: a service down makes its routes 503, not the gateway
        unready. Lists each upstream's readiness."""
        own = await kit_readyz(request)
        gateway = gateway_of(request)
        names = sorted(gateway.routes)
        states = await asyncio.gather(*(_upstream_ready(gateway, gateway.routes[n].url) for n in names))
        upstreams = dict(zip(names, states, strict=True))
        if isinstance(own, JSONResponse):  # the kit's answer when the database is not ready
            body = json.loads(own.body)
            return JSONResponse({**body, "upstreams": upstreams}, status_code=own.status_code)
        status = "ready" if all(s == "ready" for s in states) else "degraded"
        return JSONResponse({**own, "status": status, "upstreams": upstreams})

    return readyz


async def _spec_of(gateway: Gateway, url: str) -> dict | None:
    try:
        response = await asyncio.wait_for(gateway.upstream.send("GET", f"{url}/openapi.json", [], None),
                                          UPSTREAM_CHECK_TIMEOUT_S)
        try:
            content = await response.read()
        finally:
            await response.close()
        return json.loads(content) if response.status == 200 else None
    except Exception:  # a service down leaves its paths out, it does not break the document
        return None


async def merged_openapi(request: Request) -> JSONResponse:
    gateway = gateway_of(request)
    if gateway.openapi_cache is None or time.monotonic() - gateway.openapi_cached_at > gateway.settings.openapi_cache_s:
        names = sorted(gateway.routes)
        specs = await asyncio.gather(*(_spec_of(gateway, gateway.routes[n].url) for n in names))
        gateway.openapi_cache = merge(request.app.openapi(),
                                      {n: (gateway.routes[n], s) for n, s in zip(names, specs, strict=True)})
        gateway.openapi_cached_at = time.monotonic()
    return JSONResponse(gateway.openapi_cache)

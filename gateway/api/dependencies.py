"""Who calls the gateway's own routes: the same verification as for proxied calls (revocations
included)."""

from typing import Annotated

from fastapi import Depends, Request

from gateway.runtime import gateway_of
from shared.auth import Principal, bearer_token, unauthorized
from shared.errors import Problem

ADMIN_SCOPE = "gateway:admin"


async def current_caller(request: Request) -> Principal:
    token = bearer_token(request)
    if token is None:
        raise unauthorized("missing bearer token")
    principal = await gateway_of(request).authenticator.principal(token)
    request.scope["state"]["sub"] = principal.sub
    return principal


async def admin(principal: Annotated[Principal, Depends(current_caller)]) -> Principal:
    if ADMIN_SCOPE not in principal.scopes:
        raise Problem(403, f"missing scope: {ADMIN_SCOPE}")
    return principal


Caller = Annotated[Principal, Depends(current_caller)]
Admin = Annotated[Principal, Depends(admin)]

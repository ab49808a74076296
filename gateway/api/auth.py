"""POST /auth/token, POST /auth/revoke, GET /auth/me, GET /.well-known/jwks.json."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import JSONResponse

from gateway import grants
from gateway.api.dependencies import Caller
from gateway.runtime import gateway_of
from gateway.schemas import JwksOut, MeOut, TokenOut
from shared.errors import Problem, field_error, invalid

router = APIRouter(tags=["auth"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
GRANT_TYPES = ("password", "client_credentials", "refresh_token")


def _required(**fields: str | None) -> None:
    missing = [name for name, value in fields.items() if not value]
    if missing:
        raise invalid([field_error(["body", name], "Field required", "missing") for name in missing])


@router.post("/auth/token", response_model=TokenOut, responses={401: {}, 429: {}})
async def token(
    request: Request,
    grant_type: Annotated[str, Form(description=" | ".join(GRANT_TYPES))],
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    refresh_token: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form(description="space-separated subset of the caller's scopes")] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
):
    """OAuth2 token endpoint: `password` (people), `client_credentials` (clients, secret in the form
    or HTTP Basic) and `refresh_token` (rotating: each refresh token works once)."""
    gateway = gateway_of(request)
    if grant_type == "password":
        _required(username=username, password=password)
    elif grant_type == "refresh_token":
        _required(refresh_token=refresh_token)
    elif grant_type != "client_credentials":
        raise invalid([field_error(["body", "grant_type"], f"unsupported grant type; one of {', '.join(GRANT_TYPES)}")])
    client_ip = request.client.host if request.client else "unknown"
    async with request.app.state.sessionmaker() as session:
        async with session.begin():
            if grant_type == "password":
                outcome = await grants.password_grant(session, gateway.ring, username=username, password=password,
                                                      scope=scope, client_ip=client_ip)
            elif grant_type == "refresh_token":
                outcome = await grants.refresh_grant(session, gateway.ring, refresh_token=refresh_token, scope=scope)
            else:
                cid, secret = grants.client_credentials_of(authorization, client_id, client_secret)
                outcome = await grants.client_credentials_grant(session, gateway.ring, client_id=cid,
                                                                client_secret=secret, scope=scope)
    if isinstance(outcome, Problem):
        raise outcome
    return JSONResponse(outcome.model_dump(exclude_none=True), headers=NO_STORE)


@router.post("/auth/revoke", status_code=200)
async def revoke(request: Request, token: Annotated[str, Form()],
                 token_type_hint: Annotated[str | None, Form()] = None):
    """RFC 7009: a refresh token ends its whole login; an access token is refused by the gateway
    from now on. Always 200, whether the token was valid or not."""
    gateway = gateway_of(request)
    async with request.app.state.sessionmaker() as session:
        async with session.begin():
            jti = await grants.revoke_token(session, gateway.ring, token)
    if jti is not None:
        gateway.revocations.jtis.add(jti)
    return JSONResponse({}, headers=NO_STORE)


@router.get("/auth/me", response_model=MeOut, responses={401: {}})
async def me(principal: Caller) -> MeOut:
    return MeOut(sub=principal.sub, name=principal.name, email=principal.email, roles=sorted(principal.roles),
                 scopes=sorted(principal.scopes), client=principal.client,
                 expires_at=dt.datetime.fromtimestamp(principal.claims["exp"], dt.UTC))


@router.get("/.well-known/jwks.json", response_model=JwksOut)
async def jwks(request: Request):
    """The public keys that verify the gateway's tokens, by `kid`: the signing one, the next one
    (published before it signs) and those retired recently enough to have live tokens."""
    return JSONResponse(await gateway_of(request).ring.jwks(), headers={"Cache-Control": "public, max-age=60"})

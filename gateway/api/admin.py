"""Admin API (scope `gateway:admin`): accounts, clients, partner API keys, signing keys."""

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from gateway import identity, repository
from gateway.api.dependencies import Admin
from gateway.credentials import hash_password_off_loop
from gateway.keyring import rotate_signing_key
from gateway.models import Account, ApiKey, Client
from gateway.runtime import gateway_of
from gateway.schemas import (
    AccountIn,
    AccountOut,
    AccountPatch,
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    ClientCreated,
    ClientIn,
    ClientOut,
    SigningKeyOut,
)
from shared import audit
from shared.db import Session
from shared.errors import not_found
from shared.pagination import Page, Pagination, link_next

router = APIRouter(prefix="/admin", tags=["admin"])


def account_out(account: Account) -> AccountOut:
    return AccountOut.model_validate(account, from_attributes=True)


def client_out(client: Client) -> ClientOut:
    return ClientOut.model_validate(client, from_attributes=True)


def api_key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut.model_validate(key, from_attributes=True)


@router.post("/accounts", status_code=201, response_model=AccountOut)
async def create_account(body: AccountIn, session: Session, principal: Admin, request: Request):
    account = await identity.create_account(session, **body.model_dump())
    await audit.record(session, request, principal, "create", "account", account.id, after=account_out(account))
    return JSONResponse(account_out(account).model_dump(mode="json"), status_code=201,
                        headers={"Location": f"/admin/accounts/{account.id}"})


@router.get("/accounts")
async def list_accounts(session: Session, _: Admin, page: Pagination, request: Request,
                        response: Response) -> Page[AccountOut]:
    rows, cursor = await repository.accounts_page(session, page)
    link_next(request, response, cursor)
    return Page(items=[account_out(a) for a in rows], next_cursor=cursor)


@router.get("/accounts/{account_id}")
async def get_account(account_id: uuid.UUID, session: Session, _: Admin) -> AccountOut:
    account = await repository.account_by_id(session, account_id)
    if account is None:
        raise not_found("account")
    return account_out(account)


@router.patch("/accounts/{account_id}")
async def update_account(account_id: uuid.UUID, body: AccountPatch, session: Session, principal: Admin,
                         request: Request) -> AccountOut:
    account = await repository.account_by_id(session, account_id)
    if account is None:
        raise not_found("account")
    before = account_out(account)
    changes = body.model_dump(exclude_unset=True)
    if "password" in changes:
        account.password_hash = await hash_password_off_loop(changes.pop("password"))
    for field, value in changes.items():
        setattr(account, field, value)
    await session.flush()
    after = account_out(account)
    await audit.record(session, request, principal, "update", "account", account.id, before=before, after=after)
    if account.disabled:
        gateway_of(request).revocations.subjects.add(account.subject)
    else:
        gateway_of(request).revocations.subjects.discard(account.subject)
    return after


@router.post("/clients", status_code=201, response_model=ClientCreated)
async def create_client(body: ClientIn, session: Session, principal: Admin, request: Request):
    """The secret is in this response only."""
    client, secret = await identity.create_client(session, **body.model_dump())
    await audit.record(session, request, principal, "create", "client", client.id, after=client_out(client))
    created = ClientCreated(**client_out(client).model_dump(), client_secret=secret)
    return JSONResponse(created.model_dump(mode="json"), status_code=201,
                        headers={"Location": f"/admin/clients/{client.id}", "Cache-Control": "no-store"})


@router.get("/clients")
async def list_clients(session: Session, _: Admin, page: Pagination, request: Request,
                       response: Response) -> Page[ClientOut]:
    rows, cursor = await repository.clients_page(session, page)
    link_next(request, response, cursor)
    return Page(items=[client_out(c) for c in rows], next_cursor=cursor)


@router.post("/clients/{client_id}/revoke")
async def revoke_client(client_id: uuid.UUID, session: Session, principal: Admin, request: Request) -> ClientOut:
    """The client gets no more tokens, and the ones it holds stop working at the gateway."""
    client = await repository.client_by_id(session, client_id)
    if client is None:
        raise not_found("client")
    identity.revoke(client, await repository.now(session))
    await session.flush()
    await audit.record(session, request, principal, "revoke", "client", client.id, after=client_out(client))
    gateway_of(request).revocations.subjects.add(str(client.id))
    return client_out(client)


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(body: ApiKeyIn, session: Session, principal: Admin, request: Request):
    """The key is in this response only."""
    if body.client_id is not None and await repository.client_by_id(session, body.client_id) is None:
        raise not_found("client")
    key, raw = await identity.create_api_key(session, **body.model_dump())
    await audit.record(session, request, principal, "create", "api_key", key.id, after=api_key_out(key))
    created = ApiKeyCreated(**api_key_out(key).model_dump(), key=raw)
    return JSONResponse(created.model_dump(mode="json"), status_code=201,
                        headers={"Location": f"/admin/api-keys/{key.id}", "Cache-Control": "no-store"})


@router.get("/api-keys")
async def list_api_keys(session: Session, _: Admin, page: Pagination, request: Request,
                        response: Response) -> Page[ApiKeyOut]:
    rows, cursor = await repository.api_keys_page(session, page)
    link_next(request, response, cursor)
    return Page(items=[api_key_out(k) for k in rows], next_cursor=cursor)


@router.post("/api-keys/{key_id}/revoke")
async def revoke_api_key(key_id: uuid.UUID, session: Session, principal: Admin, request: Request) -> ApiKeyOut:
    key = await repository.api_key_by_id(session, key_id)
    if key is None:
        raise not_found("API key")
    identity.revoke(key, await repository.now(session))
    await session.flush()
    await audit.record(session, request, principal, "revoke", "api_key", key.id, after=api_key_out(key))
    gateway_of(request).authenticator.forget_api_keys()
    return api_key_out(key)


@router.get("/signing-keys")
async def list_signing_keys(session: Session, _: Admin) -> list[SigningKeyOut]:
    return [SigningKeyOut.model_validate(k, from_attributes=True) for k in await repository.signing_keys(session)]


@router.post("/signing-keys/rotate", status_code=201)
async def rotate(session: Session, principal: Admin, request: Request,
                 publish_s: int | None = None) -> SigningKeyOut:
    """A new key, in the JWKS at once and signing after `publish_s` (default: the setting)."""
    kid, _ = await rotate_signing_key(session, publish_s=publish_s)
    await audit.record(session, request, principal, "rotate", "signing_key", kid)
    rows = {k.kid: k for k in await repository.signing_keys(session)}
    gateway_of(request).ring.forget()
    return SigningKeyOut.model_validate(rows[kid], from_attributes=True)

"""`fabrique accounts|clients|keys ...` and `fabrique token USERNAME`: straight to the identity
schema with the gateway's own database role."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from gateway import identity, repository
from gateway.domain.scopes import granted_scopes
from gateway.keyring import KeyRing, rotate_signing_key
from gateway.tokens import account_claims
from shared.database import service_url
from shared.db import create_engine, sessionmaker_for
from shared.errors import Problem

app = typer.Typer(help="Identities of the suite.")
accounts_app = typer.Typer(help="People: accounts with roles and scopes.", no_args_is_help=True)
clients_app = typer.Typer(help="Partner platforms and services (client credentials).", no_args_is_help=True)
keys_app = typer.Typer(help="Partner API keys, and the gateway's signing keys.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(clients_app, name="clients")
app.add_typer(keys_app, name="keys")
console = Console()
T = TypeVar("T")


def _in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(service_url("identity"), pool_size=1)
        try:
            async with sessionmaker_for(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except Problem as problem:
        console.print(f"[red]{problem.detail}[/]")
        raise typer.Exit(1) from None


Scopes = typer.Option([], "--scope", "-s", help="repeat for several: medle:read, gateway:admin, ...")
Roles = typer.Option([], "--role", "-r", help="repeat for several: medle:operator, ...")


@accounts_app.command("create")
def create_account(
    username: str,
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    name: str | None = typer.Option(None),
    email: str | None = typer.Option(None),
    role: list[str] = Roles,
    scope: list[str] = Scopes,
    sub: str | None = typer.Option(None, help="fixed token subject (default: the account's id)"),
) -> None:
    """Create a person's account."""
    account = _in_transaction(lambda s: identity.create_account(
        s, username=username, password=password, name=name, email=email, roles=role, scopes=scope, subject=sub))
    console.print(f"account [bold]{account.username}[/] created, subject {account.subject}")


@accounts_app.command("list")
def list_accounts() -> None:
    """Every account, by username."""
    async def work(session):
        from shared.pagination import PageParams

        return (await repository.accounts_page(session, PageParams(limit=10_000, cursor=None)))[0]

    table = Table("username", "subject", "roles", "scopes", "disabled")
    for a in _in_transaction(work):
        table.add_row(a.username, a.subject, ", ".join(a.roles), ", ".join(a.scopes), "yes" if a.disabled else "")
    console.print(table)


@accounts_app.command("disable")
def disable_account(username: str) -> None:
    """No more logins, and its live tokens are refused by the gateway within seconds."""
    async def work(session):
        account = await repository.account_by_username(session, username)
        if account is None:
            raise Problem(404, f"no account {username}")
        account.disabled = True

    _in_transaction(work)
    console.print(f"account [bold]{username}[/] disabled")


@clients_app.command("create")
def create_client(
    name: str,
    scope: list[str] = Scopes,
    role: list[str] = Roles,
    rate_limit: int | None = typer.Option(None, help="requests a minute (default: the gateway's)"),
) -> None:
    """Create a client; its secret is printed now and never again."""
    client, secret = _in_transaction(lambda s: identity.create_client(
        s, name=name, scopes=scope, roles=role, rate_limit_per_minute=rate_limit))
    console.print(f"client_id     {client.id}")
    console.print(f"client_secret {secret}")
    console.print("[yellow]the secret is shown once: store it now[/]")


@clients_app.command("revoke")
def revoke_client(name: str) -> None:
    """The client gets no more tokens, and the ones it holds are refused by the gateway."""
    async def work(session):
        client = await repository.client_by_name(session, name)
        if client is None:
            raise Problem(404, f"no client {name}")
        identity.revoke(client, await repository.now(session))

    _in_transaction(work)
    console.print(f"client [bold]{name}[/] revoked")


@keys_app.command("create")
def create_key(
    name: str,
    scope: list[str] = Scopes,
    rate_limit: int | None = typer.Option(None, help="requests a minute (default: the gateway's)"),
) -> None:
    """Create a partner API key (X-Api-Key); it is printed now and never again."""
    key, raw = _in_transaction(lambda s: identity.create_api_key(
        s, name=name, scopes=scope, rate_limit_per_minute=rate_limit))
    console.print(f"id  {key.id}")
    console.print(f"key {raw}")
    console.print("[yellow]the key is shown once: store it now[/]")


@keys_app.command("revoke")
def revoke_key(key: str = typer.Argument(..., help="the key's id or its first 12 characters")) -> None:
    """Revoke a partner API key."""
    async def work(session):
        try:
            found = [await repository.api_key_by_id(session, uuid.UUID(key))]
        except ValueError:
            found = await repository.api_key_by_prefix(session, key)
        found = [k for k in found if k is not None]
        if len(found) != 1:
            raise Problem(404, f"no single API key {key}")
        identity.revoke(found[0], await repository.now(session))
        return found[0]

    revoked = _in_transaction(work)
    console.print(f"API key [bold]{revoked.name}[/] ({revoked.prefix}…) revoked")


@keys_app.command("list")
def list_keys() -> None:
    """Partner API keys and signing keys."""
    async def work(session):
        from shared.pagination import PageParams

        return (await repository.api_keys_page(session, PageParams(limit=10_000, cursor=None)))[0], \
            await repository.signing_keys(session)

    api_keys, signing = _in_transaction(work)
    table = Table("API key", "id", "prefix", "scopes", "revoked")
    for k in api_keys:
        table.add_row(k.name, str(k.id), k.prefix, ", ".join(k.scopes), str(k.revoked_at or ""))
    console.print(table)
    table = Table("signing kid", "active from", "retired at")
    for k in signing:
        table.add_row(k.kid, str(k.active_from), str(k.retired_at or ""))
    console.print(table)


@keys_app.command("rotate-signing")
def rotate_signing(publish_s: int | None = typer.Option(
        None, help="seconds between publication in the JWKS and first signature (default: the setting)")) -> None:
    """Start a new signing key: published now, signing after the delay; the old one stays published
    until its last token has expired."""
    kid, active_from = _in_transaction(lambda s: rotate_signing_key(s, publish_s=publish_s))
    console.print(f"signing key [bold]{kid}[/] published, signs from {active_from:%Y-%m-%d %H:%M:%S %Z}")


@keys_app.command("encryption-key")
def encryption_key() -> None:
    """Print a new key encryption key for FABRIQUE_GATEWAY_KEY_ENCRYPTION_KEY (keep it in a secret
    store, not beside the database); rotate the signing key afterwards so the new one is stored encrypted."""
    from cryptography.fernet import Fernet

    typer.echo(Fernet.generate_key().decode())


@app.command("token")
def token(username: str, scope: str | None = typer.Option(None, help="space-separated subset of scopes")) -> None:
    """Print an access token of that account, for local use (curl -H "Authorization: Bearer ...")."""
    async def work(session):
        account = await repository.account_by_username(session, username)
        if account is None or account.disabled:
            raise Problem(404, f"no active account {username}")
        return account

    async def sign() -> str:
        engine = create_engine(service_url("identity"), pool_size=1)
        try:
            sessionmaker = sessionmaker_for(engine)
            async with sessionmaker() as session, session.begin():
                account = await work(session)
            return (await KeyRing(lambda: sessionmaker).signer()).sign(
                account_claims(account, granted_scopes(account.scopes, scope)))
        finally:
            await engine.dispose()

    try:
        typer.echo(asyncio.run(sign()))
    except Problem as problem:
        console.print(f"[red]{problem.detail}[/]")
        raise typer.Exit(1) from None

"""Demo accounts for `fabrique run`: the gateway's administrator and every account that a service
declares in its own seed.py as `DEMO_ACCOUNTS = [{"username", "password", "name", "email"?,
"roles": [...], "scopes": [...], "sub"?}]` (`sub` fixes the token subject the service links to)."""

import uuid
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from gateway import identity, repository
from gateway.keyring import create_first_key_if_none
from shared.components import optional_module, services
from shared.settings import get_settings

ADMIN = {"username": "admin", "password": "fabrique-admin", "name": "Administrateur Fabrique",
         "email": "admin@fabrique.example", "roles": ["gateway:admin"], "scopes": ["gateway:admin"]}


def _declared(attribute: str) -> list[dict[str, Any]]:
    declared = []
    for component in services():
        if module := optional_module(component, "seed"):
            declared.extend({"service": component.name, **a} for a in getattr(module, attribute, []))
    return declared


def demo_accounts() -> list[dict[str, Any]]:
    return [ADMIN, *_declared("DEMO_ACCOUNTS")]


def demo_clients() -> list[dict[str, Any]]:
    """`DEMO_CLIENTS = [{"id", "name", "secret", "scopes", "roles"?}]` in a service's seed.py:
    partner software (e.g. a mandataires' editor) with a fixed id the service links to."""
    return _declared("DEMO_CLIENTS")


async def seed(session: AsyncSession) -> None:
    await create_first_key_if_none(session)
    for account in demo_accounts():
        if await repository.account_by_username(session, account["username"]) is not None:
            continue
        await identity.create_account(
            session, username=account["username"], password=account["password"],
            name=account.get("name"), email=account.get("email"), roles=account.get("roles", []),
            scopes=account.get("scopes", []), subject=account.get("sub"))
    for client in demo_clients():
        if await repository.client_by_name(session, client["name"]) is not None:
            continue
        await identity.create_client(
            session, name=client["name"], scopes=client.get("scopes", []), roles=client.get("roles", []),
            client_id=uuid.UUID(str(client["id"])), secret=client["secret"])


def print_demo_logins(console: Console) -> None:
    table = Table(title="Demo logins (POST /auth/token, grant_type=password)")
    for column in ("service", "username", "password", "roles"):
        table.add_column(column, no_wrap=column in ("username", "password"))
    for account in demo_accounts():
        table.add_row(account.get("service", "gateway"), account["username"], account["password"],
                      ", ".join(account.get("roles", [])))
    console.print(table)
    clients = demo_clients()
    if clients:
        table = Table(title="Demo clients (POST /auth/token, grant_type=client_credentials)")
        for column in ("service", "client_id", "client_secret", "scopes"):
            table.add_column(column, overflow="fold", no_wrap=column in ("client_id", "client_secret"))
        for client in clients:
            table.add_row(client["service"], str(client["id"]), client["secret"], " ".join(client.get("scopes", [])))
        console.print(table)
    gateway_url = get_settings().gateway_base_url
    console.print(f"curl -d grant_type=password -d username=admin -d password={ADMIN['password']} "
                  f"{gateway_url}/auth/token")

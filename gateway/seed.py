"""Demo accounts for `fabrique run`: the gateway's administrator and every account that a service
declares in its own seed.py as `DEMO_ACCOUNTS = [{"username", "password", "name", "email"?,
"roles": [...], "scopes": [...], "sub"?}]` (`sub` fixes the token subject the service links to)."""

import importlib
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from gateway import identity, repository
from gateway.keyring import create_first_key_if_none
from shared.components import services
from shared.settings import get_settings

ADMIN = {"username": "admin", "password": "fabrique-admin", "name": "Administrateur Fabrique",
         "email": "admin@fabrique.example", "roles": ["gateway:admin"], "scopes": ["gateway:admin"]}


def demo_accounts() -> list[dict[str, Any]]:
    accounts = [ADMIN]
    for component in services():
        try:
            module = importlib.import_module(f"{component.package}.seed")
        except ModuleNotFoundError as exc:
            if exc.name != f"{component.package}.seed":
                raise
            continue
        accounts.extend({"service": component.name, **a} for a in getattr(module, "DEMO_ACCOUNTS", []))
    return accounts


async def seed(session: AsyncSession) -> None:
    await create_first_key_if_none(session)
    for account in demo_accounts():
        if await repository.account_by_username(session, account["username"]) is not None:
            continue
        await identity.create_account(
            session, username=account["username"], password=account["password"],
            name=account.get("name"), email=account.get("email"), roles=account.get("roles", []),
            scopes=account.get("scopes", []), subject=account.get("sub"))


def print_demo_logins(console: Console) -> None:
    table = Table(title="Demo logins (POST /auth/token, grant_type=password)")
    for column in ("service", "username", "password", "roles"):
        table.add_column(column)
    for account in demo_accounts():
        table.add_row(account.get("service", "gateway"), account["username"], account["password"],
                      ", ".join(account.get("roles", [])))
    console.print(table)
    gateway_url = get_settings().gateway_base_url
    console.print(f"curl -d grant_type=password -d username=admin -d password={ADMIN['password']} "
                  f"{gateway_url}/auth/token")

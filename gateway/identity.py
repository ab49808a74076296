"""Creating and revoking accounts, clients and API keys: one place for the admin API, the CLI and
the demo seed."""

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from gateway import repository
from gateway.credentials import digest, hash_password_off_loop, new_secret
from gateway.models import Account, ApiKey, Client
from shared.errors import conflict

API_KEY_PREFIX = "fab_"


async def create_account(session: AsyncSession, *, username: str, password: str, name: str | None = None,
                         email: str | None = None, roles: list[str] = (), scopes: list[str] = (),
                         subject: str | None = None, rate_limit_per_minute: int | None = None) -> Account:
    if await repository.account_by_username(session, username) is not None:
        raise conflict(f"account {username} already exists")
    if subject is not None and await repository.account_by_subject(session, subject) is not None:
        raise conflict(f"subject {subject} already belongs to an account")
    return await repository.add_account(
        session, username=username, password_hash=await hash_password_off_loop(password), name=name or username,
        email=email, roles=list(roles), scopes=list(scopes), subject=subject,
        rate_limit_per_minute=rate_limit_per_minute)


async def create_client(session: AsyncSession, *, name: str, scopes: list[str] = (), roles: list[str] = (),
                        rate_limit_per_minute: int | None = None, client_id: uuid.UUID | None = None,
                        secret: str | None = None) -> tuple[Client, str]:
    """The client and its secret, which is returned here once and never stored. A fixed id and
    secret are for demo clients only (services link their records to the id)."""
    if await repository.client_by_name(session, name) is not None:
        raise conflict(f"client {name} already exists")
    secret = secret or new_secret()
    client = Client(id=client_id or uuid.uuid4(), name=name, secret_hash=digest(secret), scopes=sorted(set(scopes)),
                    roles=sorted(set(roles)), rate_limit_per_minute=rate_limit_per_minute)
    session.add(client)
    await session.flush()
    return client, secret


async def create_api_key(session: AsyncSession, *, name: str, scopes: list[str] = (),
                         rate_limit_per_minute: int | None = None,
                         client_id: uuid.UUID | None = None) -> tuple[ApiKey, str]:
    """The key and its value, which is returned here once and never stored."""
    raw = new_secret(API_KEY_PREFIX)
    key = ApiKey(id=uuid.uuid4(), name=name, prefix=raw[:12], key_hash=digest(raw), scopes=sorted(set(scopes)),
                 rate_limit_per_minute=rate_limit_per_minute, client_id=client_id)
    session.add(key)
    await session.flush()
    return key, raw


def revoke(row: Client | ApiKey, at: dt.datetime) -> None:
    if row.revoked_at is None:
        row.revoked_at = at

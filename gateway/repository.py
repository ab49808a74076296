"""Every query of the gateway."""

import datetime as dt
import uuid

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.domain.throttle import ThrottleState
from gateway.models import Account, ApiKey, Client, LoginThrottle, RefreshToken, RevokedToken, SigningKeyRow
from shared.pagination import PageParams, keyset, page_of


async def now(session: AsyncSession) -> dt.datetime:
    return (await session.execute(select(func.now()))).scalar_one()


# accounts


async def account_by_username(session: AsyncSession, username: str) -> Account | None:
    return (await session.execute(select(Account).where(Account.username == username))).scalar_one_or_none()


async def account_by_id(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return await session.get(Account, account_id)


async def account_by_subject(session: AsyncSession, subject: str) -> Account | None:
    return (await session.execute(select(Account).where(Account.subject == subject))).scalar_one_or_none()


async def accounts_page(session: AsyncSession, page: PageParams) -> tuple[list[Account], str | None]:
    rows = (await session.execute(keyset(select(Account), [(Account.username, False)], page))).scalars().all()
    return page_of(list(rows), page, key=lambda a: (a.username,))


async def add_account(session: AsyncSession, *, username: str, password_hash: str, name: str,
                      email: str | None, roles: list[str], scopes: list[str], subject: str | None = None,
                      rate_limit_per_minute: int | None = None) -> Account:
    account_id = uuid.uuid4()
    account = Account(id=account_id, username=username, subject=subject or str(account_id),
                      password_hash=password_hash, name=name, email=email, roles=sorted(set(roles)),
                      scopes=sorted(set(scopes)), rate_limit_per_minute=rate_limit_per_minute)
    session.add(account)
    await session.flush()
    return account


async def disabled_subjects(session: AsyncSession) -> set[str]:
    accounts = (await session.execute(select(Account.subject).where(Account.disabled))).scalars().all()
    clients = (await session.execute(select(Client.id).where(Client.revoked_at.is_not(None)))).scalars().all()
    return {*accounts, *(str(c) for c in clients)}


# clients and API keys


async def client_by_id(session: AsyncSession, client_id: uuid.UUID) -> Client | None:
    return await session.get(Client, client_id)


async def client_by_name(session: AsyncSession, name: str) -> Client | None:
    return (await session.execute(select(Client).where(Client.name == name))).scalar_one_or_none()


async def clients_page(session: AsyncSession, page: PageParams) -> tuple[list[Client], str | None]:
    rows = (await session.execute(keyset(select(Client), [(Client.name, False)], page))).scalars().all()
    return page_of(list(rows), page, key=lambda c: (c.name,))


async def api_key_by_hash(session: AsyncSession, key_hash: str) -> ApiKey | None:
    return (await session.execute(select(ApiKey).where(ApiKey.key_hash == key_hash))).scalar_one_or_none()


async def api_key_by_id(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def api_key_by_prefix(session: AsyncSession, prefix: str) -> list[ApiKey]:
    return list((await session.execute(select(ApiKey).where(ApiKey.prefix == prefix))).scalars().all())


async def api_keys_page(session: AsyncSession, page: PageParams) -> tuple[list[ApiKey], str | None]:
    rows = (await session.execute(keyset(select(ApiKey), [(ApiKey.created_at, True), (ApiKey.id, False)],
                                         page))).scalars().all()
    return page_of(list(rows), page, key=lambda k: (k.created_at, k.id))


# signing keys


async def signing_keys(session: AsyncSession) -> list[SigningKeyRow]:
    return list((await session.execute(select(SigningKeyRow).order_by(SigningKeyRow.active_from))).scalars().all())


async def lock_signing_keys(session: AsyncSession) -> None:
    """Replicas starting at once must not each create a first key."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('identity.signing_keys'))"))


async def add_signing_key(session: AsyncSession, kid: str, private_pem: str, active_from: dt.datetime) -> None:
    session.add(SigningKeyRow(kid=kid, private_pem=private_pem, active_from=active_from))
    await session.flush()


async def retire_signing_keys(session: AsyncSession, at: dt.datetime, *, except_kid: str | None = None,
                              kid: str | None = None) -> int:
    stmt = update(SigningKeyRow).where(SigningKeyRow.retired_at.is_(None)).values(retired_at=at)
    if except_kid is not None:
        stmt = stmt.where(SigningKeyRow.kid != except_kid)
    if kid is not None:
        stmt = stmt.where(SigningKeyRow.kid == kid)
    return (await session.execute(stmt)).rowcount


# refresh tokens and revoked access tokens


async def add_refresh_token(session: AsyncSession, *, family_id: uuid.UUID, account_id: uuid.UUID,
                            token_hash: str, scopes: list[str], expires_at: dt.datetime) -> None:
    session.add(RefreshToken(family_id=family_id, account_id=account_id, token_hash=token_hash, scopes=scopes,
                             expires_at=expires_at))
    await session.flush()


async def refresh_token_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(update(RefreshToken).where(RefreshToken.family_id == family_id,
                                                     RefreshToken.revoked_at.is_(None)).values(revoked_at=func.now()))


async def revoke_access_token(session: AsyncSession, jti: str, expires_at: dt.datetime) -> None:
    await session.execute(insert(RevokedToken).values(jti=jti, expires_at=expires_at).on_conflict_do_nothing())


async def revoked_jtis(session: AsyncSession) -> set[str]:
    stmt = select(RevokedToken.jti).where(RevokedToken.expires_at > func.now())
    return set((await session.execute(stmt)).scalars().all())


# failed logins


async def throttle_states(session: AsyncSession, keys: list[str]) -> dict[str, ThrottleState]:
    rows = (await session.execute(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))).scalars().all()
    return {r.key: ThrottleState(r.failures, r.window_start, r.locked_until) for r in rows}


async def save_throttle(session: AsyncSession, key: str, state: ThrottleState) -> None:
    values = {"key": key, "failures": state.failures, "window_start": state.window_start,
              "locked_until": state.locked_until}
    await session.execute(insert(LoginThrottle).values(**values).on_conflict_do_update(
        index_elements=["key"], set_={k: v for k, v in values.items() if k != "key"}))


async def clear_throttle(session: AsyncSession, key: str) -> None:
    await session.execute(LoginThrottle.__table__.delete().where(LoginThrottle.key == key))

"""The OAuth2 grants of POST /auth/token, and token revocation.

Each grant returns the token response or the Problem to raise: the caller commits first, so a
failed login is counted even though the request fails.
"""

import base64
import binascii
import datetime as dt
import uuid

from jose import jwt
from jose.exceptions import JOSEError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway import repository
from gateway.credentials import digest, new_secret, same_digest, verify_password_off_loop
from gateway.domain.scopes import granted_scopes
from gateway.domain.throttle import after_failure, locked_for_s
from gateway.keyring import KeyRing
from gateway.models import Account
from gateway.schemas import TokenOut
from gateway.settings import get_gateway_settings
from gateway.tokens import account_claims, client_claims
from shared.auth import ALGORITHMS
from shared.errors import Problem
from shared.settings import get_settings

Outcome = TokenOut | Problem


def invalid_credentials(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_grant"'})


def invalid_client() -> Problem:
    return Problem(401, "invalid client credentials", headers={"WWW-Authenticate": 'Basic realm="fabrique"'})


async def _issue(session: AsyncSession, ring: KeyRing, account: Account, scopes: list[str],
                 family_id: uuid.UUID) -> TokenOut:
    claims = account_claims(account, scopes)
    refresh = new_secret("rt_")
    expires_at = await repository.now(session) + dt.timedelta(days=get_gateway_settings().refresh_token_days)
    await repository.add_refresh_token(session, family_id=family_id, account_id=account.id,
                                       token_hash=digest(refresh), scopes=scopes, expires_at=expires_at)
    return TokenOut(access_token=(await ring.signer()).sign(claims), expires_in=claims["exp"] - claims["iat"],
                    scope=claims["scope"], refresh_token=refresh)


async def password_grant(session: AsyncSession, ring: KeyRing, *, username: str, password: str,
                         scope: str | None, client_ip: str) -> Outcome:
    settings = get_gateway_settings()
    account_key, ip_key = f"account:{username.lower()}", f"ip:{client_ip}"
    states = await repository.throttle_states(session, [account_key, ip_key])
    now = await repository.now(session)
    wait_s = max(locked_for_s(states.get(account_key), now), locked_for_s(states.get(ip_key), now))
    if wait_s:
        return Problem(429, f"too many failed logins; retry in {wait_s} s", headers={"Retry-After": str(wait_s)})

    account = await repository.account_by_username(session, username)
    valid = await verify_password_off_loop(account.password_hash if account else None, password)
    if not valid or account.disabled:
        for key, max_failures in ((account_key, settings.login_max_failures),
                                  (ip_key, settings.login_ip_max_failures)):
            await repository.save_throttle(session, key, after_failure(
                states.get(key), now, max_failures=max_failures, window_s=settings.login_window_s,
                lockout_s=settings.login_lockout_s))
        return invalid_credentials("invalid username or password")
    if account_key in states:
        await repository.clear_throttle(session, account_key)
    return await _issue(session, ring, account, granted_scopes(account.scopes, scope), uuid.uuid4())


async def refresh_grant(session: AsyncSession, ring: KeyRing, *, refresh_token: str, scope: str | None) -> Outcome:
    stored = await repository.refresh_token_by_hash(session, digest(refresh_token))
    if stored is None:
        return invalid_credentials("unknown refresh token")
    if stored.used_at is not None or stored.revoked_at is not None:
        # A used token coming back means it was stolen or replayed: end the whole login.
        await repository.revoke_family(session, stored.family_id)
        return invalid_credentials("refresh token already used; every token of this login is revoked")
    now = await repository.now(session)
    if stored.expires_at <= now:
        return invalid_credentials("refresh token expired")
    account = await repository.account_by_id(session, stored.account_id)
    if account is None or account.disabled:
        await repository.revoke_family(session, stored.family_id)
        return invalid_credentials("account disabled")
    stored.used_at = now
    # Scopes can only shrink on refresh, and follow what the account still holds.
    scopes = [s for s in granted_scopes(stored.scopes, scope) if s in account.scopes]
    return await _issue(session, ring, account, scopes, stored.family_id)


def client_credentials_of(authorization: str | None, client_id: str | None,
                          client_secret: str | None) -> tuple[str | None, str | None]:
    """From HTTP Basic (RFC 6749 2.3.1) or from the form."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        user, _, password = decoded.partition(":")
        return user, password
    return client_id, client_secret


async def client_credentials_grant(session: AsyncSession, ring: KeyRing, *, client_id: str | None,
                                   client_secret: str | None, scope: str | None) -> Outcome:
    try:
        parsed_id = uuid.UUID(client_id or "")
    except ValueError:
        return invalid_client()
    client = await repository.client_by_id(session, parsed_id)
    if client is None or client.revoked_at is not None or not same_digest(client_secret or "", client.secret_hash):
        return invalid_client()
    claims = client_claims(client, granted_scopes(client.scopes, scope))
    return TokenOut(access_token=(await ring.signer()).sign(claims), expires_in=claims["exp"] - claims["iat"],
                    scope=claims["scope"])


async def revoke_token(session: AsyncSession, ring: KeyRing, token: str) -> str | None:
    """RFC 7009: a refresh token ends its login; an access token is refused from now on. Returns
    the revoked access token's jti, if it was one."""
    stored = await repository.refresh_token_by_hash(session, digest(token))
    if stored is not None:
        await repository.revoke_family(session, stored.family_id)
        return None
    try:
        header = jwt.get_unverified_header(token)
        key = await ring.key_for(header.get("kid") or "")
        if key is None or header.get("alg") not in ALGORITHMS:
            return None
        settings = get_settings()
        claims = jwt.decode(token, key, algorithms=ALGORITHMS, audience=settings.token_audience,
                            issuer=settings.token_issuer, options={"verify_exp": False})
    except JOSEError:
        return None
    if not claims.get("jti") or not claims.get("exp"):
        return None
    await repository.revoke_access_token(session, claims["jti"], dt.datetime.fromtimestamp(claims["exp"], dt.UTC))
    return claims["jti"]

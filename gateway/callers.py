"""Who is calling: a bearer token (verified against the gateway's own keys, then checked against
what has been revoked), a partner API key, or nobody."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway import repository
from gateway.credentials import digest
from gateway.domain.ratelimit import Limit
from gateway.keyring import KeyRing, Revocations
from gateway.tokens import anonymous_limit, api_key_claims, api_key_subject, limit_of
from shared.auth import Principal, unauthorized, verify_access_token

API_KEY_CACHE_S = 10.0
# A token minted for an API key is reused until this close to its expiry.
MINTED_TOKEN_MARGIN_S = 120


@dataclass(frozen=True)
class Caller:
    principal: Principal | None
    limit_key: str
    limit: Limit
    # What the upstream receives as Authorization (the caller's own token, or one minted for a key).
    authorization: bytes | None = None


@dataclass
class _KnownKey:
    id: str
    principal: Principal | None  # None: unknown or revoked
    limit: Limit | None
    authorization: bytes | None
    token_expires: float
    checked_at: float


class Authenticator:
    MAX_CACHED = 50_000

    def __init__(self, ring: KeyRing, revocations: Revocations,
                 sessionmaker: Callable[[], async_sessionmaker[AsyncSession]]):
        self.ring = ring
        self.revocations = revocations
        self._sessionmaker = sessionmaker
        # Verifying RS256 costs more than the rest of a proxied request: a token is verified once.
        self._verified: dict[str, Principal] = {}
        self._keys: dict[str, _KnownKey] = {}

    async def principal(self, token: str) -> Principal:
        await self.revocations.refresh_if_stale()
        principal = self._verified.get(token)
        if principal is None:
            principal = await verify_access_token(token, self.ring)
            if len(self._verified) >= self.MAX_CACHED:
                self._verified.clear()
            self._verified[token] = principal
        elif principal.claims["exp"] <= time.time():
            del self._verified[token]
            raise unauthorized("invalid token: Signature has expired.")
        if self.revocations.is_revoked(principal.claims.get("jti"), principal.sub):
            raise unauthorized("token revoked")
        return principal

    async def bearer(self, token: str, authorization: bytes) -> Caller:
        principal = await self.principal(token)
        return Caller(principal, f"sub:{principal.sub}", limit_of(principal.claims.get("rate_limit")),
                      authorization)

    async def api_key(self, raw_key: str) -> Caller:
        key_hash = digest(raw_key)
        now = time.monotonic()
        known = self._keys.get(key_hash)
        if known is None or now - known.checked_at > API_KEY_CACHE_S or (
                known.principal is not None and known.token_expires - time.time() < MINTED_TOKEN_MARGIN_S):
            known = await self._look_up(key_hash)
        if known.principal is None:
            raise unauthorized("unknown or revoked API key")
        return Caller(known.principal, f"key:{known.id}", known.limit, known.authorization)

    async def _look_up(self, key_hash: str) -> _KnownKey:
        async with self._sessionmaker()() as session, session.begin():
            key = await repository.api_key_by_hash(session, key_hash)
        now = time.monotonic()
        if key is None or key.revoked_at is not None:
            known = _KnownKey("", None, None, None, 0.0, now)
        else:
            claims = api_key_claims(key)
            token = (await self.ring.signer()).sign(claims)
            principal = Principal(sub=api_key_subject(key.id), scopes=frozenset(key.scopes), name=key.name,
                                  client=True, claims=claims)
            known = _KnownKey(str(key.id), principal, limit_of(key.rate_limit_per_minute),
                              b"Bearer " + token.encode(), float(claims["exp"]), now)
        if len(self._keys) >= self.MAX_CACHED:
            self._keys.clear()
        self._keys[key_hash] = known
        return known

    def forget_api_keys(self) -> None:
        self._keys.clear()

    def anonymous(self, client_ip: str) -> Caller:
        return Caller(None, f"ip:{client_ip}", anonymous_limit())

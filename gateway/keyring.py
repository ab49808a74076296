"""The gateway's signing keys (persisted in identity.signing_keys), its JWKS, and what it has
revoked; both kept in memory and reloaded from the database every few seconds, so replicas agree."""

import asyncio
import datetime as dt
import functools
import time
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from jose import jwk, jwt
from jose.backends.base import Key
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway import repository
from gateway.domain.signing import KeyPeriod, published_kids, signing_kid
from gateway.settings import get_gateway_settings
from shared.auth import KeySet, SigningKey
from shared.settings import get_settings

SessionmakerSource = Callable[[], async_sessionmaker[AsyncSession]]
SEALED = "fernet:"  # the prefix of a private key stored encrypted


class KeyEncryptionError(RuntimeError):
    """A stored private key that the configured key encryption key cannot open."""


def _key_encryption() -> Fernet | None:
    secret = get_gateway_settings().key_encryption_key
    return Fernet(secret.encode()) if secret else None  # empty: unset


def sealed(private_pem: str) -> str:
    """What is stored of a private key: encrypted when a key encryption key is configured."""
    fernet = _key_encryption()
    return private_pem if fernet is None else SEALED + fernet.encrypt(private_pem.encode()).decode()


def unsealed(stored: str) -> str:
    """The PEM of a stored private key (keys stored before encryption was configured still load)."""
    if not stored.startswith(SEALED):
        return stored
    fernet = _key_encryption()
    if fernet is None:
        raise KeyEncryptionError("signing keys are encrypted: set FABRIQUE_GATEWAY_KEY_ENCRYPTION_KEY")
    try:
        return fernet.decrypt(stored[len(SEALED):].encode()).decode()
    except InvalidToken:
        raise KeyEncryptionError("FABRIQUE_GATEWAY_KEY_ENCRYPTION_KEY does not open the stored signing keys") from None


async def create_first_key_if_none(session: AsyncSession) -> None:
    await repository.lock_signing_keys(session)
    if not await repository.signing_keys(session):
        key = SigningKey.generate()
        await repository.add_signing_key(session, key.kid, sealed(key.private_pem), await repository.now(session))


async def rotate_signing_key(session: AsyncSession, *, publish_s: int | None = None) -> tuple[str, dt.datetime]:
    """A new key, published now and signing after `publish_s`; the current ones retire then."""
    publish_s = get_gateway_settings().signing_key_publish_s if publish_s is None else publish_s
    await repository.lock_signing_keys(session)
    key = SigningKey.generate()
    active_from = await repository.now(session) + dt.timedelta(seconds=publish_s)
    await repository.retire_signing_keys(session, active_from)
    await repository.add_signing_key(session, key.kid, sealed(key.private_pem), active_from)
    return key.kid, active_from


@functools.lru_cache(maxsize=64)
def loaded_key(kid: str, private_pem: str) -> "LoadedKey":
    return LoadedKey(SigningKey(kid, private_pem))


class LoadedKey:
    """A signing key parsed once per process: parsing an RSA private key costs ~80 ms here (the
    library checks it), signing ~2 ms."""

    def __init__(self, key: SigningKey):
        self.kid = key.kid
        self._private = jwk.construct(key.private_pem, "RS256")
        self.public_jwk = key.public_jwk()
        self.public = jwk.construct(self.public_jwk, "RS256")

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._private, algorithm="RS256", headers={"kid": self.kid})


class KeyRing(KeySet):
    """Signs with the current key and verifies with every published one (a KeySet of its own keys)."""

    def __init__(self, sessionmaker: SessionmakerSource):
        super().__init__()
        self._sessionmaker = sessionmaker
        self._periods: list[KeyPeriod] = []
        self._keys: dict[str, LoadedKey] = {}
        self._loaded_at = float("-inf")
        self._loading: asyncio.Lock | None = None

    async def load(self) -> None:
        async with self._sessionmaker()() as session, session.begin():
            rows = await repository.signing_keys(session)
            if not rows:
                await create_first_key_if_none(session)
                rows = await repository.signing_keys(session)
        self._periods = [KeyPeriod(r.kid, r.active_from, r.retired_at) for r in rows]
        for row in rows:
            if row.kid not in self._keys:
                self._keys[row.kid] = loaded_key(row.kid, unsealed(row.private_pem))
        self._loaded_at = time.monotonic()

    async def _fresh(self, *, force: bool = False) -> None:
        stale = time.monotonic() - self._loaded_at > get_gateway_settings().key_ring_refresh_s
        if not (stale or force):
            return
        if self._loading is None:
            self._loading = asyncio.Lock()
        if self._loading.locked() and self._periods:
            return  # another request is reloading; the keys we have are still good
        async with self._loading:
            if force or time.monotonic() - self._loaded_at > get_gateway_settings().key_ring_refresh_s:
                await self.load()

    def forget(self) -> None:
        """Reload from the database on next use (after a rotation)."""
        self._loaded_at = float("-inf")

    async def signer(self) -> LoadedKey:
        await self._fresh()
        kid = signing_kid(self._periods, dt.datetime.now(dt.UTC))
        if kid is None:
            await self._fresh(force=True)
            kid = signing_kid(self._periods, dt.datetime.now(dt.UTC))
        if kid is None:  # every key retired by hand: start a new one at once
            async with self._sessionmaker()() as session, session.begin():
                await rotate_signing_key(session, publish_s=0)
            await self._fresh(force=True)
            kid = signing_kid(self._periods, dt.datetime.now(dt.UTC))
        return self._keys[kid]

    async def jwks(self) -> dict[str, list[dict[str, Any]]]:
        await self._fresh()
        lifetime = dt.timedelta(minutes=get_settings().access_token_minutes)
        kids = published_kids(self._periods, dt.datetime.now(dt.UTC), lifetime)
        return {"keys": [self._keys[kid].public_jwk for kid in kids]}

    async def key_for(self, kid: str) -> Key | None:
        """The parsed public key (python-jose accepts it as is, and skips parsing a JWK per token)."""
        await self._fresh()
        if kid not in self._keys:
            return None
        published = published_kids(self._periods, dt.datetime.now(dt.UTC),
                                   dt.timedelta(minutes=get_settings().access_token_minutes))
        return self._keys[kid].public if kid in published else None


class Revocations:
    """Revoked access tokens (by jti) and disabled accounts or revoked clients (by subject)."""

    def __init__(self, sessionmaker: SessionmakerSource):
        self._sessionmaker = sessionmaker
        self.jtis: set[str] = set()
        self.subjects: set[str] = set()
        self._loaded_at = float("-inf")
        self._loading = False

    async def load(self) -> None:
        async with self._sessionmaker()() as session, session.begin():
            self.jtis = await repository.revoked_jtis(session)
            self.subjects = await repository.disabled_subjects(session)
        self._loaded_at = time.monotonic()

    async def refresh_if_stale(self) -> None:
        if self._loading or time.monotonic() - self._loaded_at <= get_gateway_settings().denylist_refresh_s:
            return
        self._loading = True
        try:
            await self.load()
        finally:
            self._loading = False

    def is_revoked(self, jti: str | None, sub: str) -> bool:
        return sub in self.subjects or (jti is not None and jti in self.jtis)

    def forget_cache(self) -> None:
        self._loaded_at = float("-inf")

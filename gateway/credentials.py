"""Secrets: people's passwords with argon2; generated secrets (client secrets, API keys, refresh
tokens) with SHA-256, which is enough for 256 random bits and keeps each lookup one index probe."""

import hashlib
import hmac
import secrets
from functools import lru_cache

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.settings import get_gateway_settings


@lru_cache
def _hasher() -> PasswordHasher:
    settings = get_gateway_settings()
    return PasswordHasher(time_cost=settings.password_time_cost, memory_cost=settings.password_memory_kib,
                          parallelism=1)


@lru_cache
def _dummy_hash() -> str:
    # Verified when the username is unknown, so a wrong username costs as long as a wrong password.
    return _hasher().hash("not the password of anyone")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


# argon2 costs tens of milliseconds of CPU: off the event loop, which is busy proxying.
async def hash_password_off_loop(password: str) -> str:
    return await anyio.to_thread.run_sync(hash_password, password)


async def verify_password_off_loop(password_hash: str | None, password: str) -> bool:
    return await anyio.to_thread.run_sync(verify_password, password_hash, password)


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(secret: str, expected_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), expected_digest)

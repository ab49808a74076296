"""Access tokens: RS256 JWTs signed by the gateway and verified by every service (zero trust).

Signing and verification live here together so the gateway and the tests use the same code.
"""

import asyncio
import functools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, Request
from jose import jwk, jwt
from jose.exceptions import JOSEError

from shared.errors import Problem, reject_unknown_query_parameters
from shared.settings import get_settings

ALGORITHMS = ["RS256"]  # pinned: never "none", never HS256 with a public key


@dataclass(frozen=True)
class Principal:
    sub: str
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    name: str | None = None
    email: str | None = None
    client: bool = False
    claims: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str

    @classmethod
    def generate(cls, kid: str | None = None) -> "SigningKey":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return cls(kid or uuid.uuid4().hex[:16], pem)

    def public_jwk(self) -> dict[str, Any]:
        private = serialization.load_pem_private_key(self.private_pem.encode(), password=None)
        public_pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        data = jwk.construct(public_pem.decode(), "RS256").to_dict()
        return {**{k: (v.decode() if isinstance(v, bytes) else v) for k, v in data.items()},
                "kid": self.kid, "use": "sig", "alg": "RS256"}

    def public_pem(self) -> str:
        private = serialization.load_pem_private_key(self.private_pem.encode(), password=None)
        return private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, _private_key(self.private_pem), algorithm="RS256", headers={"kid": self.kid})


# Parsing a PEM or a JWK costs tens of milliseconds; keys are few and long-lived, so parse once.
@functools.lru_cache(maxsize=64)
def _private_key(pem: str):
    return jwk.construct(pem, "RS256")


@functools.lru_cache(maxsize=256)
def _public_key(jwk_json: str):
    return jwk.construct(json.loads(jwk_json), "RS256")


def access_token_claims(
    sub: str,
    *,
    scopes: list[str] | set[str] | tuple = (),
    roles: list[str] | set[str] | tuple = (),
    name: str | None = None,
    email: str | None = None,
    minutes: int | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    settings = get_settings()
    now = int(time.time())
    return {
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "sub": sub,
        "iat": now,
        "nbf": now,
        "exp": now + 60 * (minutes if minutes is not None else settings.access_token_minutes),
        "jti": uuid.uuid4().hex,
        "scope": " ".join(sorted(scopes)),
        "roles": sorted(roles),
        "name": name,
        "email": email,
        **(extra or {}),
    }


class KeySet:
    """The gateway's public keys by kid; fetched from its JWKS and refreshed on an unknown kid."""

    REFRESH_AT_MOST_EVERY_S = 30.0
    VERIFIED_CACHE_SIZE = 10_000

    def __init__(self, keys: list[dict[str, Any]] | None = None, url: str | None = None):
        self.keys = {k["kid"]: k for k in keys or []}
        self.url = url
        self._fetched_at = float("-inf")
        self._fetching = asyncio.Lock()
        self.verified: dict[str, Principal] = {}  # token → principal, oldest first

    @classmethod
    def from_settings(cls) -> "KeySet":
        settings = get_settings()
        if settings.jwks_file:
            return cls(json.loads(settings.jwks_file.read_text())["keys"])
        return cls(url=settings.jwks_url or f"{settings.gateway_base_url}/.well-known/jwks.json")

    async def key_for(self, kid: str):
        """The parsed public key for `kid`, or None. Requests arriving during a fetch wait for it."""
        if kid not in self.keys and self.url:
            async with self._fetching:
                if kid not in self.keys and time.monotonic() - self._fetched_at > self.REFRESH_AT_MOST_EVERY_S:
                    await self._fetch()
        key = self.keys.get(kid)
        return _public_key(json.dumps(key, sort_keys=True)) if key else None

    async def _fetch(self) -> None:
        try:
            async with httpx.AsyncClient(timeout=3.0) as client:
                response = await client.get(self.url)
                response.raise_for_status()
                self.keys = {k["kid"]: k for k in response.json()["keys"]}
                self._fetched_at = time.monotonic()
        except (httpx.HTTPError, ValueError, KeyError):
            self._fetched_at = time.monotonic()  # the gateway is down: do not hammer it


def unauthorized(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


async def verify_access_token(token: str, keyset: KeySet) -> Principal:
    """Verify signature and claims; a token already verified is answered from the key set's cache
    until it expires (a client sends the same token for 15 minutes; RS256 costs ~1 ms a time)."""
    cached = keyset.verified.get(token)
    if cached is not None and cached.claims["exp"] > time.time():
        return cached
    principal = await _verify(token, keyset)
    if len(keyset.verified) >= KeySet.VERIFIED_CACHE_SIZE:
        keyset.verified.pop(next(iter(keyset.verified)))
    keyset.verified[token] = principal
    return principal


async def _verify(token: str, keyset: KeySet) -> Principal:
    settings = get_settings()
    try:
        header = jwt.get_unverified_header(token)
    except JOSEError:
        raise unauthorized("malformed token") from None
    if header.get("alg") not in ALGORITHMS:
        raise unauthorized("token algorithm not allowed")
    key = await keyset.key_for(header.get("kid") or "")
    if key is None:
        raise unauthorized("unknown signing key")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=settings.token_audience,
            issuer=settings.token_issuer,
            options={"require_exp": True, "require_iat": True, "require_sub": True, "leeway": 0},
        )
    except JOSEError as exc:
        raise unauthorized(f"invalid token: {exc}") from None
    # python-jose checks nbf only when present; ours always carries it.
    if "nbf" not in claims:
        raise unauthorized("invalid token: nbf missing")
    return Principal(
        sub=claims["sub"],
        roles=frozenset(claims.get("roles") or []),
        scopes=frozenset((claims.get("scope") or "").split()),
        name=claims.get("name"),
        email=claims.get("email"),
        client=bool(claims.get("client")),
        claims=claims,
    )


def bearer_token(request: Request) -> str | None:
    # Only the Authorization header: a token in the query string ends up in logs.
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token.strip()


async def current_principal(request: Request) -> Principal:
    token = bearer_token(request)
    if token is None:
        raise unauthorized("missing bearer token")
    principal = await verify_access_token(token, request.app.state.keyset)
    request.scope.setdefault("state", {})["sub"] = principal.sub
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_scopes(*scopes: str):
    """Dependency: the caller must hold every one of these scopes (403 otherwise); then no query
    parameter the endpoint does not take (422)."""

    async def check(request: Request, principal: CurrentPrincipal) -> Principal:
        missing = [s for s in scopes if s not in principal.scopes]
        if missing:
            raise Problem(403, f"missing scope: {' '.join(missing)}")
        reject_unknown_query_parameters(request)
        return principal

    return check


def require_any_scope(*scopes: str):
    """Dependency: the caller must hold at least one of these scopes (403 otherwise); then no query
    parameter the endpoint does not take (422)."""

    async def check(request: Request, principal: CurrentPrincipal) -> Principal:
        if not principal.scopes.intersection(scopes):
            raise Problem(403, f"requires one of the scopes: {' '.join(scopes)}")
        reject_unknown_query_parameters(request)
        return principal

    return check

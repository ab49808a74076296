"""Every way a token can be wrong is a 401; a valid token without the scope is a 403."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from shared.auth import SigningKey, access_token_claims

READ = ["notes:read"]


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def test_valid_token_with_scope_is_accepted(notes, make_token):
    r = await notes.get("/v1/notes", headers=bearer(make_token(scopes=READ)))
    assert r.status_code == 200


async def test_missing_token_is_401_with_www_authenticate(notes):
    r = await notes.get("/v1/notes")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_token_in_query_string_is_ignored(notes, make_token):
    r = await notes.get("/v1/notes", params={"access_token": make_token(scopes=READ)})
    assert r.status_code == 401


@pytest.mark.parametrize(
    "change",
    [
        {"exp": int(time.time()) - 10},
        {"nbf": int(time.time()) + 300},
        {"aud": "another-audience"},
        {"iss": "https://evil.example"},
    ],
    ids=["expired", "not-yet-valid", "wrong-audience", "wrong-issuer"],
)
async def test_token_with_wrong_claims_is_401(notes, signing_key, change):
    claims = access_token_claims("user-1", scopes=READ) | change
    r = await notes.get("/v1/notes", headers=bearer(signing_key.sign(claims)))
    assert r.status_code == 401


async def test_alg_none_token_is_401(notes):
    claims = access_token_claims("user-1", scopes=READ)
    token = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'test-key'})}.{_b64(claims)}."
    r = await notes.get("/v1/notes", headers=bearer(token))
    assert r.status_code == 401


async def test_hs256_signed_with_the_public_key_is_401(notes, signing_key):
    claims = access_token_claims("user-1", scopes=READ)
    # The classic key-confusion attack, forged by hand: libraries refuse to sign it.
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': 'test-key'})}.{_b64(claims)}"
    mac = hmac.new(signing_key.public_pem().encode(), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
    r = await notes.get("/v1/notes", headers=bearer(token))
    assert r.status_code == 401


async def test_tampered_payload_is_401(notes, make_token):
    header, payload, signature = make_token(scopes=READ).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["scope"] = "notes:read notes:write"
    r = await notes.get("/v1/notes", headers=bearer(f"{header}.{_b64(claims)}.{signature}"))
    assert r.status_code == 401


async def test_unknown_kid_is_401(notes):
    stranger = SigningKey.generate("someone-else")
    r = await notes.get("/v1/notes", headers=bearer(stranger.sign(access_token_claims("u", scopes=READ))))
    assert r.status_code == 401


async def test_valid_token_without_scope_is_403(notes, make_token):
    r = await notes.get("/v1/notes", headers=bearer(make_token(scopes=["other:read"])))
    assert r.status_code == 403
    assert "notes:read" in r.json()["detail"]


async def test_a_token_verified_once_is_refused_once_it_has_expired(notes, signing_key):
    import asyncio

    expires = int(time.time()) + 2
    token = signing_key.sign(access_token_claims("user-1", scopes=READ) | {"exp": expires})
    assert (await notes.get("/v1/notes", headers=bearer(token))).status_code == 200
    await asyncio.sleep(max(0.0, expires + 1.05 - time.time()))  # python-jose counts whole seconds
    assert (await notes.get("/v1/notes", headers=bearer(token))).status_code == 401

"""Every way a token can be forged or misused is a 401, at /auth/me and through the proxy alike,
and the upstream is never called."""

import hashlib
import hmac
import time

import pytest

from shared.auth import SigningKey, access_token_claims
from tests.gateway.support import b64, bearer

READ = ["rec:read"]


def forged(header: dict, claims: dict, signature: bytes = b"") -> str:
    signing_input = f"{b64(header)}.{b64(claims)}"
    return f"{signing_input}.{b64(signature) if signature else ''}"


def alg_none(signing_key) -> str:
    return forged({"alg": "none", "typ": "JWT", "kid": signing_key.kid}, access_token_claims("mallory", scopes=READ))


def hs256_with_public_key(signing_key) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": signing_key.kid}
    claims = access_token_claims("mallory", scopes=READ)
    signing_input = f"{b64(header)}.{b64(claims)}".encode()
    signature = hmac.new(signing_key.public_pem().encode(), signing_input, hashlib.sha256).digest()
    return forged(header, claims, signature)


def tampered(token: str) -> str:
    header, _, signature = token.split(".")
    return ".".join([header, b64(access_token_claims("mallory", scopes=["gateway:admin", *READ])), signature])


ATTACKS = {
    "alg none": lambda key, make: alg_none(key),
    "HS256 signed with the public key": lambda key, make: hs256_with_public_key(key),
    "expired": lambda key, make: make("mallory", scopes=READ, minutes=-1),
    "wrong audience": lambda key, make: make("mallory", scopes=READ, extra={"aud": "another-api"}),
    "wrong issuer": lambda key, make: make("mallory", scopes=READ, extra={"iss": "https://evil.example"}),
    "not yet valid": lambda key, make: make("mallory", scopes=READ, extra={"nbf": int(time.time()) + 600}),
    "tampered payload": lambda key, make: tampered(make("mallory", scopes=READ)),
    "another key under the same kid": lambda key, make: SigningKey.generate(key.kid).sign(
        access_token_claims("mallory", scopes=READ)),
    "garbage": lambda key, make: "not.a.jwt",
}


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_forged_or_invalid_token_is_401_and_never_reaches_the_upstream(attack, gateway, recorder,
                                                                              signing_key, make_token):
    token = ATTACKS[attack](signing_key, make_token)
    me = await gateway.get("/auth/me", headers=bearer(token))
    assert me.status_code == 401, me.text
    proxied = await gateway.get("/rec/v1/things", headers=bearer(token))
    assert proxied.status_code == 401 and proxied.headers["content-type"] == "application/problem+json"
    assert recorder.requests == []


async def test_token_in_the_query_string_is_ignored(gateway, recorder, make_token):
    token = make_token("alice", scopes=READ)
    assert (await gateway.get("/auth/me", params={"access_token": token})).status_code == 401
    assert (await gateway.get("/rec/v1/things", params={"access_token": token})).status_code == 401
    assert recorder.requests == []


async def test_basic_scheme_is_not_a_bearer_token(gateway, recorder):
    r = await gateway.get("/rec/v1/things", headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})
    assert r.status_code == 401 and recorder.requests == []


async def test_disabled_account_token_is_refused_by_the_gateway(gateway, identity_conn, make_token):
    from sqlalchemy import text

    from tests.gateway.support import make_account

    account = await make_account(identity_conn, "to.disable", scopes=READ)
    token = make_token(account.subject, scopes=READ)
    assert (await gateway.get("/rec/v1/things", headers=bearer(token))).status_code == 200
    await identity_conn.execute(text("UPDATE accounts SET disabled = true WHERE username = 'to.disable'"))
    gateway._transport.app.state.gateway.revocations.forget_cache()
    assert (await gateway.get("/rec/v1/things", headers=bearer(token))).status_code == 401

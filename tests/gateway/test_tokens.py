"""POST /auth/token (password, client_credentials, refresh_token), /auth/me, /auth/revoke, JWKS."""

import pytest

from gateway.settings import get_gateway_settings
from shared.auth import KeySet, verify_access_token
from tests.gateway.conftest import ADMIN
from tests.gateway.support import bearer, make_account

PASSWORD = "correct horse battery"


async def login(gateway, username: str, password: str = PASSWORD, **form):
    return await gateway.post("/auth/token", data={"grant_type": "password", "username": username,
                                                   "password": password, **form})


async def test_password_grant_gives_a_token_the_services_verify_with_the_jwks(gateway, identity_conn):
    account = await make_account(identity_conn, "judge.martin", name="Juge Martin", email="martin@justice.fr",
                                 roles=["mjpm:judge"], scopes=["mjpm:read", "mjpm:measures:write"])
    r = await login(gateway, "judge.martin")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900 and body["refresh_token"]
    assert r.headers["cache-control"] == "no-store"
    jwks = (await gateway.get("/.well-known/jwks.json")).json()
    principal = await verify_access_token(body["access_token"], KeySet(jwks["keys"]))
    assert principal.sub == account.subject == str(account.id)
    assert principal.scopes == {"mjpm:read", "mjpm:measures:write"} and principal.roles == {"mjpm:judge"}
    assert principal.name == "Juge Martin" and principal.email == "martin@justice.fr" and not principal.client
    assert {"iss", "aud", "sub", "exp", "iat", "nbf", "jti"} <= principal.claims.keys()


async def test_a_fixed_subject_is_the_tokens_sub(gateway, identity_conn):
    await make_account(identity_conn, "mandataire.1", subject="mjpm-manager-1", scopes=["mjpm:read"])
    token = (await login(gateway, "mandataire.1")).json()["access_token"]
    me = await gateway.get("/auth/me", headers=bearer(token))
    assert me.json()["sub"] == "mjpm-manager-1"


async def test_scope_parameter_narrows_the_token(gateway, identity_conn):
    await make_account(identity_conn, "agent.fce", scopes=["fce:read", "fce:write", "medle:read"])
    r = await login(gateway, "agent.fce", scope="fce:read medle:admin")
    assert r.json()["scope"] == "fce:read"


async def test_wrong_password_is_401(gateway, identity_conn):
    await make_account(identity_conn, "op.dupont")
    r = await login(gateway, "op.dupont", "wrong password")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "invalid username or password"
    assert (await login(gateway, "nobody.here")).status_code == 401


async def test_disabled_account_cannot_log_in(gateway, identity_conn):
    await make_account(identity_conn, "gone.away")
    from sqlalchemy import text

    await identity_conn.execute(text("UPDATE accounts SET disabled = true WHERE username = 'gone.away'"))
    assert (await login(gateway, "gone.away")).status_code == 401


async def test_failed_logins_lock_the_account_even_for_the_right_password(gateway, identity_conn):
    await make_account(identity_conn, "target.user")
    max_failures = get_gateway_settings().login_max_failures
    for _ in range(max_failures):
        assert (await login(gateway, "target.user", "guess")).status_code == 401
    r = await login(gateway, "target.user")
    assert r.status_code == 429 and r.headers["content-type"] == "application/problem+json"
    assert 0 < int(r.headers["retry-after"]) <= get_gateway_settings().login_lockout_s


async def test_failed_logins_from_one_address_lock_that_address(gateway, identity_conn, monkeypatch):
    monkeypatch.setattr(get_gateway_settings(), "login_ip_max_failures", 3)
    await make_account(identity_conn, "other.user")
    for name in ("a.user", "b.user", "c.user"):
        assert (await login(gateway, name, "guess")).status_code == 401
    assert (await login(gateway, "other.user")).status_code == 429


async def test_a_successful_login_resets_the_account_counter(gateway, identity_conn):
    await make_account(identity_conn, "forgetful")
    max_failures = get_gateway_settings().login_max_failures
    for _ in range(max_failures - 1):
        await login(gateway, "forgetful", "guess")
    assert (await login(gateway, "forgetful")).status_code == 200
    assert (await login(gateway, "forgetful", "guess")).status_code == 401
    assert (await login(gateway, "forgetful")).status_code == 200


async def test_refresh_token_rotates_and_works_once(gateway, identity_conn):
    await make_account(identity_conn, "rotating", scopes=["medle:read"])
    first = (await login(gateway, "rotating")).json()
    r = await gateway.post("/auth/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"] and second["scope"] == "medle:read"
    me = await gateway.get("/auth/me", headers=bearer(second["access_token"]))
    assert me.status_code == 200


async def test_reusing_a_refresh_token_revokes_the_whole_family(gateway, identity_conn):
    await make_account(identity_conn, "victim")
    first = (await login(gateway, "victim")).json()
    refresh = {"grant_type": "refresh_token"}
    second = (await gateway.post("/auth/token", data={**refresh, "refresh_token": first["refresh_token"]})).json()
    replay = await gateway.post("/auth/token", data={**refresh, "refresh_token": first["refresh_token"]})
    assert replay.status_code == 401 and "revoked" in replay.json()["detail"]
    # the legitimate holder's newer token died with the family
    after = await gateway.post("/auth/token", data={**refresh, "refresh_token": second["refresh_token"]})
    assert after.status_code == 401


async def test_unknown_refresh_token_is_401(gateway):
    r = await gateway.post("/auth/token", data={"grant_type": "refresh_token", "refresh_token": "rt_nope"})
    assert r.status_code == 401


async def test_unsupported_grant_and_missing_fields_are_422_naming_the_field(gateway):
    r = await gateway.post("/auth/token", data={"grant_type": "implicit"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "grant_type"]
    r = await gateway.post("/auth/token", data={"grant_type": "password", "username": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "password"]


async def create_client(gateway, auth, **body):
    r = await gateway.post("/admin/clients", json={"name": "partner-platform", "scopes": ["fce:read"], **body},
                           headers=auth(**ADMIN))
    assert r.status_code == 201, r.text
    return r.json()


async def test_client_credentials_token_says_client(gateway, auth):
    client = await create_client(gateway, auth)
    r = await gateway.post("/auth/token", data={"grant_type": "client_credentials", "client_id": client["id"],
                                                "client_secret": client["client_secret"]})
    assert r.status_code == 200, r.text
    assert "refresh_token" not in r.json()
    me = (await gateway.get("/auth/me", headers=bearer(r.json()["access_token"]))).json()
    assert me["client"] is True and me["sub"] == client["id"] and me["scopes"] == ["fce:read"]


async def test_client_credentials_accept_http_basic(gateway, auth):
    client = await create_client(gateway, auth)
    r = await gateway.post("/auth/token", data={"grant_type": "client_credentials"},
                           auth=(client["id"], client["client_secret"]))
    assert r.status_code == 200


async def test_wrong_client_secret_is_401(gateway, auth):
    client = await create_client(gateway, auth)
    r = await gateway.post("/auth/token", data={"grant_type": "client_credentials", "client_id": client["id"],
                                                "client_secret": "guess"})
    assert r.status_code == 401


async def test_revoked_client_gets_no_token_and_its_tokens_stop_working(gateway, auth):
    client = await create_client(gateway, auth)
    form = {"grant_type": "client_credentials", "client_id": client["id"], "client_secret": client["client_secret"]}
    token = (await gateway.post("/auth/token", data=form)).json()["access_token"]
    assert (await gateway.post(f"/admin/clients/{client['id']}/revoke", headers=auth(**ADMIN))).status_code == 200
    assert (await gateway.post("/auth/token", data=form)).status_code == 401
    assert (await gateway.get("/auth/me", headers=bearer(token))).status_code == 401


async def test_revoked_access_token_is_refused(gateway, identity_conn):
    await make_account(identity_conn, "leaving")
    token = (await login(gateway, "leaving")).json()["access_token"]
    assert (await gateway.get("/auth/me", headers=bearer(token))).status_code == 200
    assert (await gateway.post("/auth/revoke", data={"token": token})).status_code == 200
    assert (await gateway.get("/auth/me", headers=bearer(token))).status_code == 401


async def test_revoking_a_refresh_token_ends_the_login(gateway, identity_conn):
    await make_account(identity_conn, "logout")
    tokens = (await login(gateway, "logout")).json()
    assert (await gateway.post("/auth/revoke", data={"token": tokens["refresh_token"]})).status_code == 200
    r = await gateway.post("/auth/token", data={"grant_type": "refresh_token",
                                                "refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401


async def test_revoking_garbage_is_still_200(gateway):
    assert (await gateway.post("/auth/revoke", data={"token": "not-a-token"})).status_code == 200


async def test_me_without_token_is_401(gateway):
    r = await gateway.get("/auth/me")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("publish_s", [0])
async def test_rotation_publishes_the_new_key_and_keeps_the_old_one_verifying(gateway, auth, make_token,
                                                                              publish_s):
    old_token = make_token("someone", scopes=["medle:read"])
    r = await gateway.post(f"/admin/signing-keys/rotate?publish_s={publish_s}", headers=auth(**ADMIN))
    assert r.status_code == 201, r.text
    new_kid = r.json()["kid"]
    kids = {k["kid"] for k in (await gateway.get("/.well-known/jwks.json")).json()["keys"]}
    assert {new_kid, "test-key"} <= kids
    client = await create_client(gateway, auth)
    token = (await gateway.post("/auth/token", data={"grant_type": "client_credentials", "client_id": client["id"],
                                                     "client_secret": client["client_secret"]})).json()["access_token"]
    from jose import jwt

    assert jwt.get_unverified_header(token)["kid"] == new_kid
    assert (await gateway.get("/auth/me", headers=bearer(old_token))).status_code == 200
    assert (await gateway.get("/auth/me", headers=bearer(token))).status_code == 200


async def test_a_key_published_ahead_does_not_sign_yet(gateway, auth):
    r = await gateway.post("/admin/signing-keys/rotate?publish_s=3600", headers=auth(**ADMIN))
    new_kid = r.json()["kid"]
    assert new_kid in {k["kid"] for k in (await gateway.get("/.well-known/jwks.json")).json()["keys"]}
    client = await create_client(gateway, auth)
    token = (await gateway.post("/auth/token", data={"grant_type": "client_credentials", "client_id": client["id"],
                                                     "client_secret": client["client_secret"]})).json()["access_token"]
    from jose import jwt

    assert jwt.get_unverified_header(token)["kid"] == "test-key"


async def test_signing_keys_are_stored_encrypted_when_a_key_encryption_key_is_set(gateway, auth, identity_conn,
                                                                                  monkeypatch):
    from cryptography.fernet import Fernet
    from jose import jwt
    from sqlalchemy import text

    from gateway.keyring import KeyEncryptionError, unsealed

    monkeypatch.setattr(get_gateway_settings(), "key_encryption_key", Fernet.generate_key().decode())
    r = await gateway.post("/admin/signing-keys/rotate?publish_s=0", headers=auth(**ADMIN))
    new_kid = r.json()["kid"]
    stored = (await identity_conn.execute(text("SELECT private_pem FROM signing_keys WHERE kid = :k"),
                                          {"k": new_kid})).scalar_one()
    assert stored.startswith("fernet:") and "PRIVATE KEY" not in stored
    client = await create_client(gateway, auth)
    token = (await gateway.post("/auth/token", data={"grant_type": "client_credentials", "client_id": client["id"],
                                                     "client_secret": client["client_secret"]})).json()["access_token"]
    assert jwt.get_unverified_header(token)["kid"] == new_kid
    assert (await gateway.get("/auth/me", headers=bearer(token))).status_code == 200

    monkeypatch.setattr(get_gateway_settings(), "key_encryption_key", Fernet.generate_key().decode())
    with pytest.raises(KeyEncryptionError, match="does not open"):
        unsealed(stored)
    monkeypatch.setattr(get_gateway_settings(), "key_encryption_key", None)
    with pytest.raises(KeyEncryptionError, match="set FABRIQUE_GATEWAY_KEY_ENCRYPTION_KEY"):
        unsealed(stored)

"""Admin API: only with gateway:admin; accounts, clients and API keys."""

import pytest

from tests.gateway.conftest import ADMIN

ACCOUNT = {"username": "clerk.durand", "password": "a long password", "name": "Greffier Durand",
           "email": "durand@justice.fr", "roles": ["mjpm:clerk"], "scopes": ["mjpm:read"]}


@pytest.mark.parametrize("method,path", [("GET", "/admin/accounts"), ("POST", "/admin/accounts"),
                                         ("GET", "/admin/clients"), ("POST", "/admin/api-keys"),
                                         ("POST", "/admin/signing-keys/rotate")])
async def test_admin_routes_are_401_anonymous_and_403_without_the_admin_scope(gateway, auth, method, path):
    assert (await gateway.request(method, path, json={})).status_code == 401
    r = await gateway.request(method, path, json={}, headers=auth("someone", scopes=["mjpm:admin"]))
    assert r.status_code == 403 and r.json()["detail"] == "missing scope: gateway:admin"


async def test_admin_creates_an_account_that_can_log_in(gateway, auth):
    r = await gateway.post("/admin/accounts", json=ACCOUNT, headers=auth("admin-1", **ADMIN))
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["location"] == f"/admin/accounts/{created['id']}"
    assert "password" not in r.text and "password_hash" not in r.text
    assert created["subject"] == created["id"] and created["roles"] == ["mjpm:clerk"]
    r = await gateway.post("/auth/token", data={"grant_type": "password", "username": "clerk.durand",
                                                "password": "a long password"})
    assert r.status_code == 200 and r.json()["scope"] == "mjpm:read"


async def test_creating_an_account_is_audited(gateway, auth, identity_conn):
    from sqlalchemy import text

    await gateway.post("/admin/accounts", json=ACCOUNT, headers=auth("admin-1", **ADMIN))
    row = (await identity_conn.execute(text(
        "SELECT actor, action, resource, after->>'username' FROM audit_log ORDER BY id DESC LIMIT 1"))).one()
    assert tuple(row) == ("admin-1", "create", "account", "clerk.durand")


async def test_duplicate_username_is_409(gateway, auth):
    assert (await gateway.post("/admin/accounts", json=ACCOUNT, headers=auth(**ADMIN))).status_code == 201
    r = await gateway.post("/admin/accounts", json=ACCOUNT, headers=auth(**ADMIN))
    assert r.status_code == 409


async def test_invalid_account_is_422_naming_the_fields(gateway, auth):
    r = await gateway.post("/admin/accounts", json={**ACCOUNT, "scopes": ["not a scope"], "password": "short",
                                                    "is_admin": True}, headers=auth(**ADMIN))
    assert r.status_code == 422
    locs = {tuple(e["loc"]) for e in r.json()["errors"]}
    assert {("body", "scopes"), ("body", "password"), ("body", "is_admin")} <= locs


async def test_unknown_account_is_404(gateway, auth):
    r = await gateway.get("/admin/accounts/00000000-0000-0000-0000-000000000000", headers=auth(**ADMIN))
    assert r.status_code == 404


async def test_disabling_an_account_stops_its_logins_and_tokens(gateway, auth):
    account = (await gateway.post("/admin/accounts", json=ACCOUNT, headers=auth(**ADMIN))).json()
    token = (await gateway.post("/auth/token", data={"grant_type": "password", "username": "clerk.durand",
                                                     "password": "a long password"})).json()["access_token"]
    r = await gateway.patch(f"/admin/accounts/{account['id']}", json={"disabled": True}, headers=auth(**ADMIN))
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert (await gateway.get("/auth/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401
    r = await gateway.post("/auth/token", data={"grant_type": "password", "username": "clerk.durand",
                                                "password": "a long password"})
    assert r.status_code == 401


async def test_accounts_are_listed_by_keyset_pages(gateway, auth):
    for name in ("list.a", "list.b", "list.c"):
        await gateway.post("/admin/accounts", json={**ACCOUNT, "username": name}, headers=auth(**ADMIN))
    first = await gateway.get("/admin/accounts", params={"limit": 2}, headers=auth(**ADMIN))
    assert first.status_code == 200 and len(first.json()["items"]) == 2 and 'rel="next"' in first.headers["link"]
    rest = await gateway.get("/admin/accounts", params={"limit": 1000, "cursor": first.json()["next_cursor"]},
                             headers=auth(**ADMIN))
    usernames = [a["username"] for a in first.json()["items"] + rest.json()["items"]]
    assert usernames == sorted(usernames) and {"list.a", "list.b", "list.c"} <= set(usernames)


async def test_client_secret_is_shown_once(gateway, auth):
    r = await gateway.post("/admin/clients", json={"name": "dora-sync", "scopes": ["dora:read"]},
                           headers=auth(**ADMIN))
    assert r.status_code == 201 and r.json()["client_secret"] and r.headers["cache-control"] == "no-store"
    listed = (await gateway.get("/admin/clients", headers=auth(**ADMIN))).json()["items"]
    assert [c["name"] for c in listed if c["name"] == "dora-sync"] and "client_secret" not in str(listed)
    assert "secret_hash" not in str(listed)


async def test_api_key_for_an_unknown_client_is_404(gateway, auth):
    r = await gateway.post("/admin/api-keys", json={"name": "k", "client_id": "00000000-0000-0000-0000-000000000000"},
                           headers=auth(**ADMIN))
    assert r.status_code == 404


async def test_signing_keys_are_listed_without_private_parts(gateway, auth):
    r = await gateway.get("/admin/signing-keys", headers=auth(**ADMIN))
    assert r.status_code == 200 and "test-key" in r.text and "PRIVATE" not in r.text

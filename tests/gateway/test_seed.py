"""`fabrique run` seeds the administrator and every service's demo accounts, and prints them."""

from io import StringIO

from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from gateway import seed


async def test_seed_creates_the_admin_and_every_declared_demo_account(gateway, identity_conn, monkeypatch):
    declared = [{"service": "medle", "username": "demo.operator", "password": "demo-operator", "name": "Op",
                 "roles": ["medle:operator"], "scopes": ["medle:read", "medle:write"], "sub": "medle-operator-1"}]
    monkeypatch.setattr(seed, "demo_accounts", lambda: [seed.ADMIN, *declared])
    async with AsyncSession(bind=identity_conn, join_transaction_mode="create_savepoint") as session:
        async with session.begin():
            await seed.seed(session)
        async with session.begin():
            await seed.seed(session)  # seeding again changes nothing
    admin = await gateway.post("/auth/token", data={"grant_type": "password", "username": "admin",
                                                    "password": seed.ADMIN["password"]})
    assert admin.status_code == 200 and admin.json()["scope"] == "gateway:admin"
    operator = await gateway.post("/auth/token", data={"grant_type": "password", "username": "demo.operator",
                                                       "password": "demo-operator"})
    me = await gateway.get("/auth/me", headers={"Authorization": f"Bearer {operator.json()['access_token']}"})
    assert me.json()["sub"] == "medle-operator-1" and me.json()["roles"] == ["medle:operator"]


async def test_seed_creates_declared_demo_clients_with_their_fixed_id(gateway, identity_conn, monkeypatch):
    editor = {"service": "mjpm", "id": "6d6a706d-0000-4000-8000-0000000000aa", "name": "demo-editor",
              "secret": "demo-editor-secret", "scopes": ["mjpm:measures:read"]}
    monkeypatch.setattr(seed, "demo_accounts", lambda: [seed.ADMIN])
    monkeypatch.setattr(seed, "demo_clients", lambda: [editor])
    async with AsyncSession(bind=identity_conn, join_transaction_mode="create_savepoint") as session:
        async with session.begin():
            await seed.seed(session)
        async with session.begin():
            await seed.seed(session)
    token = await gateway.post("/auth/token", data={"grant_type": "client_credentials", "client_id": editor["id"],
                                                    "client_secret": editor["secret"]})
    assert token.status_code == 200
    me = await gateway.get("/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.json()["sub"] == editor["id"]


def test_demo_accounts_come_from_every_service_seed():
    accounts = seed.demo_accounts()
    assert accounts[0]["username"] == "admin"
    assert all({"username", "password"} <= a.keys() for a in accounts)


def test_demo_logins_are_printed():
    out = StringIO()
    seed.print_demo_logins(Console(file=out, width=200))
    text = out.getvalue()
    assert "admin" in text and seed.ADMIN["password"] in text and "grant_type=password" in text

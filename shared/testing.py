"""Pytest plugin of the suite (loaded with `-p shared.testing`): a real PostgreSQL, migrations once,
one rolled-back transaction per test, an ASGI client per service, real signed tokens.

Without DATABASE_URL the embedded server is started and a `fabrique_test` database is used, so
tests never touch the `make run` data.
"""

import asyncio
import importlib
import os
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine

from shared.auth import KeySet, SigningKey, access_token_claims
from shared.components import Component, by_name
from shared.database import admin_url, service_url
from shared.settings import get_settings

TEST_DATABASE = "fabrique_test"


def pytest_configure(config):
    if not os.environ.get("FABRIQUE_DATABASE_URL") and not os.environ.get("DATABASE_URL"):
        from shared.database import create_database

        get_settings.cache_clear()
        asyncio.run(create_database(TEST_DATABASE))
        os.environ["FABRIQUE_DATABASE_URL"] = admin_url(TEST_DATABASE).render_as_string(hide_password=False)
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def prepared_database() -> None:
    """Roles, schemas, referentials and every component's migrations, once per run."""
    from shared.bootstrap import prepare_database

    asyncio.run(prepare_database(create=False))


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate("test-key")


@pytest.fixture(scope="session")
def keyset(signing_key) -> KeySet:
    return KeySet([signing_key.public_jwk()])


@pytest.fixture(scope="session")
def make_token(signing_key) -> Callable[..., str]:
    """`make_token("judge-1", scopes=["mjpm:read"], roles=["mjpm:judge"])` → a signed access token."""

    def make(sub: str = "user-1", **claims) -> str:
        return signing_key.sign(access_token_claims(sub, **claims))

    return make


@pytest.fixture(scope="session")
def auth(make_token) -> Callable[..., dict[str, str]]:
    """Headers of an authenticated caller: `auth("op-1", scopes=[...], roles=[...])`."""

    def headers(sub: str = "user-1", **claims) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(sub, **claims)}"}

    return headers


_engines: dict[str, AsyncEngine] = {}


async def engine_for(schema: str) -> AsyncEngine:
    if schema not in _engines:
        _engines[schema] = create_async_engine(service_url(schema), pool_size=5, max_overflow=10)
    return _engines[schema]


@pytest.fixture(scope="session")
async def _dispose_engines():
    yield
    for engine in _engines.values():
        await engine.dispose()
    _engines.clear()


@pytest.fixture
async def connection_for(prepared_database, _dispose_engines) -> AsyncIterator[Callable]:
    """`await connection_for("medle")`: the test's connection for that schema, in a transaction rolled
    back after the test. The service client of that schema uses the same one, so the test sees
    what the requests wrote."""
    opened: dict[str, tuple] = {}

    async def open_connection(schema: str) -> AsyncConnection:
        if schema not in opened:
            conn = await (await engine_for(schema)).connect()
            opened[schema] = (conn, await conn.begin())
        return opened[schema][0]

    yield open_connection
    for conn, transaction in opened.values():
        await transaction.rollback()
        await conn.close()


def build_app(component: Component, keyset: KeySet, sessionmaker):
    module_name, _, factory = component.app_factory.partition(":")
    app = getattr(importlib.import_module(module_name), factory)()
    app.state.sessionmaker = sessionmaker
    app.state.keyset = keyset
    return app


def asgi_client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                             base_url="http://testserver")


@pytest.fixture
async def client_for(connection_for, keyset) -> AsyncIterator[Callable]:
    """`await client_for("medle")`: an ASGI client of that service inside the test's transaction."""
    clients: list[httpx.AsyncClient] = []

    async def make(name: str, component: Component | None = None) -> httpx.AsyncClient:
        component = component or by_name(name)
        conn = await connection_for(component.schema)
        sessionmaker = async_sessionmaker(bind=conn, expire_on_commit=False,
                                          join_transaction_mode="create_savepoint")
        client = asgi_client(build_app(component, keyset, sessionmaker))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def committing_client_for(prepared_database, _dispose_engines, keyset) -> AsyncIterator[Callable]:
    """Like client_for, but every request commits for real (for concurrency tests); the schema's
    tables are emptied afterwards."""
    used: list[Component] = []
    clients: list[httpx.AsyncClient] = []

    async def make(name: str, component: Component | None = None) -> httpx.AsyncClient:
        component = component or by_name(name)
        engine = await engine_for(component.schema)
        client = asgi_client(build_app(component, keyset, async_sessionmaker(engine, expire_on_commit=False)))
        used.append(component)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
    for component in {c.schema: c for c in used}.values():
        await empty_schema(component.schema)


async def empty_schema(schema: str) -> None:
    engine = create_async_engine(admin_url().set(drivername="postgresql+asyncpg"))
    try:
        async with engine.begin() as conn:
            # replica mode skips triggers, so the append-only audit log can be emptied in tests only
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            tables = (await conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :s AND tablename <> 'alembic_version'"),
                {"s": schema})).scalars().all()
            if tables:
                await conn.execute(text(f"TRUNCATE {', '.join(f'{schema}.{t}' for t in tables)} RESTART IDENTITY"))
    finally:
        await engine.dispose()


async def check_migrations(name: str) -> None:
    """Raise if the component's models and its migrations disagree (`alembic check`)."""
    from shared import migrations

    engine = create_async_engine(service_url(by_name(name).schema), connect_args=migrations.comparison_connect_args)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(lambda c: migrations.check(c, by_name(name)))
    finally:
        await engine.dispose()

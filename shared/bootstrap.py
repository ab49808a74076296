"""Make a database ready: roles and schemas, referentials, every component's migrations."""

import importlib

import asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

from shared import referentials
from shared.components import Component, components
from shared.database import admin_url, asyncpg_dsn, create_database, prepare_schemas, service_url
from shared.migrations import upgrade


async def prepare_database(selected: list[Component] | None = None, *, create: bool = True) -> None:
    selected = selected if selected is not None else components()
    url = admin_url()
    if create:
        await create_database(url.database)
    await prepare_schemas([c.schema for c in selected])
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("SELECT pg_advisory_lock(727275)")  # one loader at a time
        await referentials.load(conn)
        await conn.execute("SELECT pg_advisory_unlock(727275)")
    finally:
        await conn.close()
    for component in selected:
        await migrate(component)


async def migrate(component: Component) -> None:
    if not component.migrations_dir.is_dir():
        return
    # Import the models first so env.py finds the metadata registered.
    importlib.import_module(f"{component.package}.models")
    engine = create_async_engine(service_url(component.schema))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync_conn: upgrade(sync_conn, component))
    finally:
        await engine.dispose()

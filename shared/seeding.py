"""Demo data: each component's `seed.py` (`async def seed(session)`) runs once per database."""

import asyncpg
from rich.console import Console
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.components import components, optional_module
from shared.database import admin_url, asyncpg_dsn, service_url
from shared.db import create_engine


async def seed_all(*, force: bool = False, console: Console | None = None) -> None:
    console = console or Console()
    admin = await asyncpg.connect(asyncpg_dsn(admin_url()))
    try:
        for component in components():
            module = optional_module(component, "seed")
            if module is None:
                continue
            marker = f"seed:{component.name}"
            if not force and await admin.fetchval("SELECT 1 FROM ref.meta WHERE name = $1", marker):
                continue
            engine = create_engine(service_url(component.schema), pool_size=2)
            try:
                with console.status(f"seeding {component.name}"):
                    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                        async with session.begin():
                            await module.seed(session)
            finally:
                await engine.dispose()
            await admin.execute(
                "INSERT INTO ref.meta (name, checksum) VALUES ($1, 'done') ON CONFLICT (name) DO UPDATE "
                "SET loaded_at = now()", marker)
            console.print(f"[green]seeded[/] {component.name}")
    finally:
        await admin.close()

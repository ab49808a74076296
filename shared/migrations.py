"""Alembic, one history per component, its version table in its own schema.

A component's `migrations/env.py` is two lines: import its metadata, call `run_env(metadata)`.
"""

import asyncio

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from shared.components import Component
from shared.database import service_url


def alembic_config(component: Component, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(component.migrations_dir))
    config.set_main_option(
        "sqlalchemy.url", service_url(component.schema).render_as_string(hide_password=False).replace("%", "%%")
    )
    config.attributes["connection"] = connection
    return config


def head_revisions(component: Component) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(component)).get_heads())


def current_revisions(connection: Connection, schema: str) -> set[str]:
    migration = MigrationContext.configure(connection, opts={"version_table_schema": schema})
    return set(migration.get_current_heads())


def run_env(metadata: MetaData) -> None:
    """Body of every env.py: only this component's schema is compared and migrated."""
    schema = metadata.schema
    config = context.config

    def include_name(name, type_, parent_names):
        if type_ == "schema":
            return name == schema
        return True

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=include_name,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return

    from sqlalchemy.ext.asyncio import create_async_engine

    async def run_online() -> None:
        engine = create_async_engine(config.get_main_option("sqlalchemy.url"))
        async with engine.begin() as conn:
            await conn.run_sync(run)
        await engine.dispose()

    asyncio.run(run_online())


def upgrade(connection: Connection, component: Component, revision: str = "head") -> None:
    """Upgrade on a sync connection (use `await async_conn.run_sync(...)` from async code)."""
    command.upgrade(alembic_config(component, connection), revision)


def check(connection: Connection, component: Component) -> None:
    """Raise if the models and the migrations disagree (alembic check).

    The connection must have been opened with search_path=public (see `comparison_connect_args`):
    Alembic takes the connection's default schema as "no schema", and the role's own schema comes
    first on its search_path, so its tables would all look missing."""
    command.check(alembic_config(component, connection))


# connect_args for an engine used by `check` or autogenerate.
comparison_connect_args = {"server_settings": {"search_path": "public"}}

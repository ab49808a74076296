"""The identity schema's migrations match the models (alembic check), with the kit's tables."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.components import by_name
from shared.database import service_url
from shared.migrations import check


async def test_models_and_migrations_agree(prepared_database):
    # search_path without identity: run_env compares a schema by its name, and alembic calls the
    # connection's default schema None (the same kit fix as medle's test asks for).
    engine = create_async_engine(service_url("identity"), connect_args={"server_settings": {"search_path": "public"}})
    try:
        async with engine.connect() as conn:
            await conn.run_sync(lambda sync_conn: check(sync_conn, by_name("gateway")))
            tables = set((await conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'identity'"))).scalars())
            triggers = set((await conn.execute(text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'identity.audit_log'::regclass"))).scalars())
    finally:
        await engine.dispose()
    assert {"accounts", "clients", "api_keys", "signing_keys", "refresh_tokens", "audit_log",
            "idempotency_keys"} <= tables
    assert "audit_log_append_only" in triggers

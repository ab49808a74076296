"""The identity schema's migrations match the models (alembic check), with the kit's tables."""

from sqlalchemy import text

from shared.testing import check_migrations, engine_for


async def test_models_and_migrations_agree(prepared_database):
    await check_migrations("gateway")
    async with (await engine_for("identity")).connect() as conn:
        tables = set((await conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'identity'"))).scalars())
        triggers = set((await conn.execute(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'identity.audit_log'::regclass"))).scalars())
    assert {"accounts", "clients", "api_keys", "signing_keys", "refresh_tokens", "audit_log",
            "idempotency_keys"} <= tables
    assert "audit_log_append_only" in triggers

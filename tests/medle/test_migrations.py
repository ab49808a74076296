from sqlalchemy import text

import shared.testing


async def test_the_models_and_the_migrations_agree(prepared_database):
    await shared.testing.check_migrations("medle")


async def test_the_audit_log_refuses_changes(prepared_database):
    async with (await shared.testing.engine_for("medle")).connect() as conn:
        trigger = await conn.scalar(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'medle.audit_log'::regclass AND NOT tgisinternal"))
    assert trigger == "audit_log_append_only"

from shared.testing import check_migrations


async def test_models_and_migrations_agree_even_after_an_import_swapped_the_tables(registry):
    await check_migrations("fce")


async def test_the_audit_log_is_append_only(conn):
    from sqlalchemy import text

    await conn.execute(text("INSERT INTO audit_log (actor, action, resource, resource_id) VALUES ('a', 'b', 'c', '1')"))
    await conn.execute(text("SAVEPOINT before_update"))
    try:
        await conn.execute(text("UPDATE audit_log SET actor = 'someone else'"))
        raise AssertionError("the update went through")
    except Exception as exc:  # noqa: BLE001 - the database's refusal is what we check
        assert "append-only" in str(exc)
    await conn.execute(text("ROLLBACK TO SAVEPOINT before_update"))

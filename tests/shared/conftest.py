import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.audit import append_only_sql
from shared.database import prepare_schemas, service_url
from shared.testing import empty_schema
from tests.shared.notes_app import COMPONENT, SCHEMA, Base


@pytest.fixture(scope="session")
async def notes_schema(prepared_database):
    await prepare_schemas([SCHEMA])
    engine = create_async_engine(service_url(SCHEMA))
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
        for statement in append_only_sql(SCHEMA):
            await conn.execute(text(statement))
    await engine.dispose()
    await empty_schema(SCHEMA)
    return COMPONENT


@pytest.fixture
async def notes(client_for, notes_schema):
    return await client_for("kit_test", notes_schema)


@pytest.fixture
async def committed_notes(committing_client_for, notes_schema):
    return await committing_client_for("kit_test", notes_schema)

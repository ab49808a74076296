import pytest

from shared.testing import empty_schema
from tests.shared.notes_app import COMPONENT, SCHEMA, create_notes_tables


@pytest.fixture(scope="session")
async def notes_schema(prepared_database):
    await create_notes_tables()
    await empty_schema(SCHEMA)
    return COMPONENT


@pytest.fixture
async def notes(client_for, notes_schema):
    return await client_for("kit_test", notes_schema)


@pytest.fixture
async def committed_notes(committing_client_for, notes_schema):
    return await committing_client_for("kit_test", notes_schema)

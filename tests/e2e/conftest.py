import json
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from gateway import identity
from shared.database import service_url
from shared.testing import empty_schema
from tests.gateway.support import Process, Recorder, ThreadedServer, free_port
from tests.shared.notes_app import SCHEMA, create_notes_tables

BODY_LIMIT = 64 * 1024


@dataclass
class Suite:
    gateway: Process
    notes: Process
    spare: ThreadedServer  # a second upstream over TCP, in this process: a test stops it


@pytest.fixture(scope="session")
async def suite(prepared_database):
    """The gateway and the kit's notes service as uvicorn processes on free ports, and a spare
    upstream served in a thread."""
    await create_notes_tables()
    await empty_schema("identity")
    gateway_url = f"http://127.0.0.1:{free_port()}"
    trust_gateway = {"FABRIQUE_GATEWAY_URL": gateway_url, "FABRIQUE_JWKS_URL": f"{gateway_url}/.well-known/jwks.json"}
    notes = Process("tests.shared.notes_app:create_app", trust_gateway)
    spare = ThreadedServer(Recorder()).__enter__()
    gateway = Process("gateway.app:create_app", {
        "FABRIQUE_GATEWAY_ROUTES": json.dumps({"notes": notes.url, "spare": spare.url}),
        "FABRIQUE_GATEWAY_BODY_LIMIT_BYTES": str(BODY_LIMIT),
    }, port=int(gateway_url.rsplit(":", 1)[1]))
    processes = [gateway, notes]
    try:
        for process in processes:
            process.start()
        for process in processes:
            process.wait_ready()
        yield Suite(gateway, notes, spare)
    finally:
        for process in processes:
            process.stop()
        spare.__exit__()
        await empty_schema("identity")
        await empty_schema(SCHEMA)


@pytest.fixture(scope="session")
async def accounts(suite):
    """Committed accounts (the gateway process reads them from the database)."""
    engine = create_async_engine(service_url("identity"))
    made = {}
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            for username, fields in {
                "writer": {"scopes": ["notes:read", "notes:write", "spare:read"]},
                "reader": {"scopes": ["notes:read"]},
                "stranger": {"scopes": ["medle:read"]},
                "hasty": {"scopes": ["notes:read"], "rate_limit_per_minute": 6},
            }.items():
                made[username] = await identity.create_account(session, username=f"e2e-{username}",
                                                               password=f"{username} password", **fields)
    finally:
        await engine.dispose()
    return made

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from shared.testing import asgi_client, build_app
from tests.shared.notes_app import COMPONENT


async def test_healthz_and_readyz_answer_when_the_database_is_reachable(notes):
    assert (await notes.get("/healthz")).json()["status"] == "ok"
    ready = await notes.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def test_readyz_is_503_when_the_database_is_unreachable(keyset, notes_schema):
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app = build_app(COMPONENT, keyset, async_sessionmaker(engine))
    async with asgi_client(app) as client:
        r = await client.get("/readyz")
    await engine.dispose()
    assert r.status_code == 503 and r.json()["status"] == "unavailable"


async def test_request_id_is_propagated_and_metrics_count_requests(notes, auth):
    r = await notes.get("/v1/notes", headers=auth(scopes=["notes:read"]) | {"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    metrics = (await notes.get("/metrics")).text
    assert 'fabrique_http_requests_total{method="GET",route="/v1/notes",service="kit_test",status="200"}' in metrics
    assert "fabrique_http_request_duration_seconds_bucket" in metrics

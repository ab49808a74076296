"""The gateway and a kit-built service as real uvicorn processes over TCP: a token from
POST /auth/token reaches the service, which verifies it itself from the gateway's JWKS."""

import httpx
import pytest
from openapi_spec_validator import validate
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.database import service_url
from tests.e2e.conftest import BODY_LIMIT
from tests.shared.notes_app import SCHEMA


@pytest.fixture
async def http(suite):
    async with httpx.AsyncClient(base_url=suite.gateway.url, timeout=10) as client:
        yield client


async def token_of(http: httpx.AsyncClient, username: str) -> str:
    r = await http.post("/auth/token", data={"grant_type": "password", "username": f"e2e-{username}",
                                             "password": f"{username} password"})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def kit_test_rows(query: str) -> list:
    engine = create_async_engine(service_url(SCHEMA))
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(query))).all())
    finally:
        await engine.dispose()


async def test_password_token_reaches_the_service_through_the_gateway(http, accounts):
    headers = bearer(await token_of(http, "writer"))
    created = await http.post("/notes/v1/notes", json={"title": "through the gateway"}, headers=headers)
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert location.startswith("/notes/v1/notes/")
    fetched = await http.get(location, headers=headers)
    assert fetched.status_code == 200 and fetched.json()["title"] == "through the gateway"
    assert fetched.headers["etag"]
    # FastAPI answers HEAD with 405; the spare upstream answers it, with a Content-Length and no body
    head = await http.head("/spare/v1/things", headers=headers)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0


async def test_the_service_itself_accepts_the_gateways_token_and_refuses_spoofed_headers(suite, http, accounts):
    token = await token_of(http, "reader")
    async with httpx.AsyncClient(base_url=suite.notes.url) as direct:
        assert (await direct.get("/v1/notes", headers=bearer(token))).status_code == 200
        assert (await direct.get("/v1/notes", headers={"X-User-Id": "admin", "X-Forwarded-User": "admin"})
                ).status_code == 401


async def test_request_id_is_echoed_and_seen_by_the_upstream(http, accounts):
    headers = {**bearer(await token_of(http, "writer")), "X-Request-ID": "e2e-trace-7",
               "X-User-Id": "someone-else", "X-Forwarded-User": "someone-else"}
    r = await http.post("/notes/v1/notes", json={"title": "traced"}, headers=headers)
    assert r.status_code == 201 and r.headers["x-request-id"] == "e2e-trace-7"
    rows = await kit_test_rows("SELECT actor, request_id FROM audit_log WHERE request_id = 'e2e-trace-7'")
    assert [tuple(row) for row in rows] == [(str(accounts["writer"].id), "e2e-trace-7")]


async def test_missing_scope_is_403_at_the_gateway(http, accounts):
    r = await http.get("/notes/v1/notes", headers=bearer(await token_of(http, "stranger")))
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    r = await http.post("/notes/v1/notes", json={"title": "no"}, headers=bearer(await token_of(http, "reader")))
    assert r.status_code == 403


async def test_body_over_the_limit_is_413_and_the_service_sees_nothing(http, accounts):
    before = await kit_test_rows("SELECT count(*) FROM notes")
    r = await http.post("/notes/v1/notes", content=b'{"title": "' + b"x" * BODY_LIMIT + b'"}',
                        headers={**bearer(await token_of(http, "writer")), "content-type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert await kit_test_rows("SELECT count(*) FROM notes") == before


async def test_rate_limit_is_429_with_retry_after(http, accounts):
    headers = bearer(await token_of(http, "hasty"))
    assert (await http.get("/notes/v1/notes", headers=headers)).status_code == 200
    r = await http.get("/notes/v1/notes", headers=headers)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert r.headers["ratelimit-remaining"] == "0"


async def test_disallowed_origin_gets_no_allow_origin(http, accounts):
    r = await http.get("/notes/v1/notes", headers={**bearer(await token_of(http, "reader")),
                                                   "Origin": "https://evil.example"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    r = await http.get("/notes/v1/notes", headers={**bearer(await token_of(http, "reader")),
                                                   "Origin": "http://localhost:3000"})
    assert r.headers["access-control-allow-origin"] == "http://localhost:3000"


async def test_merged_openapi_is_valid_and_has_the_service_under_its_prefix(http):
    doc = (await http.get("/openapi.json")).json()
    validate(doc)
    assert "/notes/v1/notes/{note_id}" in doc["paths"] and "/spare/v1/things" in doc["paths"]
    assert any(name.startswith("notes.") for name in doc["components"]["schemas"])
    assert (await http.get("/docs")).status_code == 200


async def test_readyz_lists_each_upstream(http):
    body = (await http.get("/readyz")).json()
    assert body["upstreams"]["notes"] == "ready"


async def test_one_upstream_stopped_makes_its_routes_503_and_the_others_200(suite, http, accounts):
    headers = bearer(await token_of(http, "writer"))
    assert (await http.get("/spare/v1/notes", headers=headers)).status_code == 200
    suite.spare.__exit__()
    r = await http.get("/spare/v1/notes", headers=headers)
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "spare is unavailable" and r.json()["request_id"] == r.headers["x-request-id"]
    assert (await http.get("/notes/v1/notes", headers=headers)).status_code == 200
    body = (await http.get("/readyz")).json()
    assert body["upstreams"] == {**body["upstreams"], "spare": "unavailable", "notes": "ready"}


async def test_a_large_body_under_the_limit_streams_through_to_the_service(http, accounts):
    title = "x" * (BODY_LIMIT - 100)
    r = await http.post("/notes/v1/notes", content=b'{"title": "' + title.encode() + b'"}',
                        headers={**bearer(await token_of(http, "writer")), "content-type": "application/json"})
    # the service read it all and refused it on its own rule (at most 200 characters)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "title"]

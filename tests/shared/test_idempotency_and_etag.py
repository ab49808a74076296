from sqlalchemy import text

WRITE = {"scopes": ["notes:read", "notes:write"]}


async def count_notes(client, auth) -> int:
    r = await client.get("/v1/notes", params={"limit": 1000}, headers=auth(**WRITE))
    return len(r.json()["items"])


async def test_same_idempotency_key_and_body_replays_the_response_and_writes_once(notes, auth):
    headers = auth("partner-1", **WRITE) | {"Idempotency-Key": "order-42"}
    first = await notes.post("/v1/notes", json={"title": "once"}, headers=headers)
    again = await notes.post("/v1/notes", json={"title": "once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert await count_notes(notes, auth) == 1


async def test_same_idempotency_key_with_another_body_is_422(notes, auth):
    headers = auth("partner-1", **WRITE) | {"Idempotency-Key": "order-43"}
    await notes.post("/v1/notes", json={"title": "first"}, headers=headers)
    r = await notes.post("/v1/notes", json={"title": "second"}, headers=headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert await count_notes(notes, auth) == 1


async def test_idempotency_keys_are_per_principal(notes, auth):
    body = {"title": "shared key"}
    await notes.post("/v1/notes", json=body, headers=auth("partner-1", **WRITE) | {"Idempotency-Key": "k"})
    r = await notes.post("/v1/notes", json=body, headers=auth("partner-2", **WRITE) | {"Idempotency-Key": "k"})
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers
    assert await count_notes(notes, auth) == 2


async def test_get_returns_etag_and_stale_if_match_is_412_and_writes_nothing(notes, auth):
    created = (await notes.post("/v1/notes", json={"title": "v1"}, headers=auth(**WRITE))).json()
    url = f"/v1/notes/{created['id']}"
    etag = (await notes.get(url, headers=auth(**WRITE))).headers["etag"]
    ok = await notes.patch(url, json={"title": "v2"}, headers=auth(**WRITE) | {"If-Match": etag})
    assert ok.status_code == 200 and ok.headers["etag"] != etag
    stale = await notes.patch(url, json={"title": "v3"}, headers=auth(**WRITE) | {"If-Match": etag})
    assert stale.status_code == 412
    assert (await notes.get(url, headers=auth(**WRITE))).json()["title"] == "v2"


async def test_writes_are_audited_and_the_audit_log_is_append_only(notes, auth, connection_for):
    created = (await notes.post("/v1/notes", json={"title": "audited"}, headers=auth("agent-7", **WRITE))).json()
    conn = await connection_for("kit_test")
    row = (await conn.execute(text(
        "SELECT actor, action, resource, after->>'title' FROM audit_log WHERE resource_id = :id"),
        {"id": str(created["id"])})).one()
    assert tuple(row) == ("agent-7", "create", "note", "audited")
    import pytest
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError, match="append-only"):
        async with conn.begin_nested():
            await conn.execute(text("UPDATE audit_log SET actor = 'nobody'"))

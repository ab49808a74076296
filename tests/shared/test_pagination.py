"""Keyset pagination: every row exactly once, even while rows are being inserted."""

import asyncio

from sqlalchemy import insert, text

from shared.pagination import decode_cursor, encode_cursor
from tests.shared.notes_app import Note

READ = {"scopes": ["notes:read"]}


async def test_walking_10000_rows_by_1000_gives_10_pages_without_gap_or_repeat(
    committed_notes, auth, connection_for
):
    from shared.testing import engine_for

    engine = await engine_for("kit_test")
    async with engine.begin() as conn:
        await conn.execute(insert(Note), [{"title": f"note {i}", "version": 1} for i in range(10_000)])
        existing = set((await conn.execute(text("SELECT id FROM notes"))).scalars())

    async def keep_inserting():
        for i in range(30):
            async with engine.begin() as conn:
                await conn.execute(insert(Note), [{"title": f"late {i}", "version": 1}])
            await asyncio.sleep(0)

    inserter = asyncio.create_task(keep_inserting())
    seen: list[int] = []
    pages = 0
    cursor = None
    while True:
        params = {"limit": 1000} | ({"cursor": cursor} if cursor else {})
        r = await committed_notes.get("/v1/notes", params=params, headers=auth(**READ))
        assert r.status_code == 200
        body = r.json()
        seen += [n["id"] for n in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor:
            assert 'rel="next"' in r.headers["link"]
        if not cursor or pages >= 10 and not set(existing) - set(seen):
            break
    await inserter
    assert len(seen) == len(set(seen)), "a row came twice"
    assert existing <= set(seen), "a row present from the start was skipped"
    assert pages >= 10


async def test_invalid_cursor_is_422_naming_cursor(notes, auth):
    r = await notes.get("/v1/notes", params={"cursor": "not-a-cursor!"}, headers=auth(**READ))
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["query", "cursor"]


async def test_limit_over_1000_is_422(notes, auth):
    r = await notes.get("/v1/notes", params={"limit": 1001}, headers=auth(**READ))
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["query", "limit"]


def test_cursor_round_trips_dates_and_decimals():
    import datetime as dt
    from decimal import Decimal

    values = [dt.date(2026, 1, 2), dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC), Decimal("1.50"), 7, "x"]
    assert decode_cursor(encode_cursor(values), 5) == values

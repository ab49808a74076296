from tests.medle.conftest import ADMIN, MINISTRY, OPERATOR_A, OPERATOR_B, custody_act, victim_act


async def _batch(medle, auth, acts, account=OPERATOR_A, key=None, **params):
    headers = auth(**account) | ({"Idempotency-Key": key} if key else {})
    return await medle.post("/v1/acts:batch", json={"acts": acts}, headers=headers, params=params)


async def _count(medle, auth, account=OPERATOR_A) -> int:
    return len((await medle.get("/v1/acts", params={"limit": 1000}, headers=auth(**account))).json()["items"])


async def test_a_batch_records_every_act_for_the_callers_hospital(medle, auth, world):
    acts = [custody_act(f"B-{n}", asker_id=world.police["id"]) for n in range(3)] + [
        victim_act("B-3", sans_plainte=True)]
    r = await _batch(medle, auth, acts)
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 4
    assert [(i["line"], i["internal_number"]) for i in r.json()["items"]] == [
        (0, "B-0"), (1, "B-1"), (2, "B-2"), (3, "B-3")]
    got = (await medle.get(f"/v1/acts/{r.json()['items'][3]['id']}", headers=auth(**OPERATOR_A))).json()
    assert got["hospital_id"] == world.lille["id"] and got["period_of_day"] == "jour_ouvrable"


async def test_one_bad_line_records_nothing_and_every_error_is_reported_by_line(medle, auth, world):
    acts = [
        custody_act("B-0", asker_id=world.police["id"]),
        custody_act("B-1", asker_id=world.police["id"], itt_days=4, location=None),  # two rule errors
        custody_act("B-2", asker_id=world.police["id"], hospital_id=world.bordeaux["id"]),  # mass assignment
        custody_act("B-0", asker_id=world.police["id"]),  # same number as line 0
        custody_act("B-4", asker_id=world.police["id"], profile="witness"),  # unknown enumeration
        custody_act("B-5", asker_id=424242),  # unknown asker
    ]
    r = await _batch(medle, auth, acts)
    assert r.status_code == 422
    errors = {(tuple(e["loc"]), e["type"]) for e in r.json()["errors"]}
    assert errors == {
        (("body", "acts", 1, "itt_days"), "field_not_allowed"),
        (("body", "acts", 1, "location"), "missing"),
        (("body", "acts", 2, "hospital_id"), "extra_forbidden"),
        (("body", "acts", 3, "internal_number"), "conflict"),
        (("body", "acts", 4, "profile"), "enum"),
        (("body", "acts", 5, "asker_id"), "unknown_asker"),
    }
    assert "nothing was recorded" in r.json()["detail"]
    assert await _count(medle, auth) == 0


async def test_a_batch_line_may_not_reuse_a_recorded_internal_number(medle, auth, world):
    await _batch(medle, auth, [custody_act("B-0", asker_id=world.police["id"])])
    r = await _batch(medle, auth, [custody_act("B-1", asker_id=world.police["id"]),
                                   custody_act("B-0", asker_id=world.police["id"])])
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["errors"]] == [["body", "acts", 1, "internal_number"]]
    assert await _count(medle, auth) == 1


async def test_a_batch_holds_from_1_to_1000_acts(medle, auth, world):
    empty = await _batch(medle, auth, [])
    too_many = await _batch(medle, auth, [custody_act(f"B-{n}") for n in range(1001)])
    assert empty.status_code == too_many.status_code == 422
    assert empty.json()["errors"][0]["loc"] == too_many.json()["errors"][0]["loc"] == ["body", "acts"]
    stray = await medle.post("/v1/acts:batch", json={"acts": [custody_act("B-0", asker_id=world.police["id"])],
                                                      "hospital_id": world.bordeaux["id"]}, headers=auth(**OPERATOR_A))
    assert stray.status_code == 422 and stray.json()["errors"][0]["loc"] == ["body", "hospital_id"]


async def test_a_thousand_acts_go_in_one_batch(medle, auth, world):
    r = await _batch(medle, auth, [custody_act(f"B-{n:04}", asker_id=world.police["id"]) for n in range(1000)])
    assert r.status_code == 201, r.text[:500]
    assert r.json()["created"] == 1000


async def test_the_same_idempotency_key_replays_the_batch_without_recording_twice(medle, auth, world):
    acts = [custody_act("B-0", asker_id=world.police["id"]), custody_act("B-1", asker_id=world.police["id"])]
    first = await _batch(medle, auth, acts, key="import-2026-03-05")
    again = await _batch(medle, auth, acts, key="import-2026-03-05")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert await _count(medle, auth) == 2
    other_body = await _batch(medle, auth, acts[:1], key="import-2026-03-05")
    assert other_body.status_code == 422 and other_body.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_a_batch_needs_a_token_the_write_scope_and_a_hospital(medle, auth, world):
    acts = [custody_act("B-0", asker_id=world.police["id"])]
    assert (await medle.post("/v1/acts:batch", json={"acts": acts})).status_code == 401
    assert (await _batch(medle, auth, acts, MINISTRY)).status_code == 403
    assert (await _batch(medle, auth, acts, ADMIN)).status_code == 403  # no hospital of their own: say which
    assert (await _batch(medle, auth, acts, ADMIN, hospital_id=world.bordeaux["id"])).status_code == 201
    assert (await _batch(medle, auth, acts, OPERATOR_B, hospital_id=world.lille["id"])).status_code == 404

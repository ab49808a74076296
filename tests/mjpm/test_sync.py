"""The partner API of management software: record, batch, change feed."""

import datetime as dt

from sqlalchemy import text

from tests.mjpm.conftest import LILLE

EDITOR = "editor-logiciel"


def editor(auth, *scopes):
    return auth(EDITOR, scopes=list(scopes or ["mjpm:measures:read", "mjpm:measures:write"]), extra={"client": True})


def line(court, rg="22/00001", **extra):
    return {"rg": rg, "court_siret": court.siret, "nature": "tutelle", "champ": "protection_bien_personne",
            "nomination_date": "2023-05-02", "first_measure_date": "2023-05-02", "living_place": "domicile",
            "sex": "H", "birth_year": 1961, "commune_code": LILLE, "residence_country": "FR", **extra}


async def link_editor(make, manager):
    await make.member(EDITOR, manager=manager)


async def test_the_software_records_a_running_measure(mjpm, world, make, auth):
    await link_editor(make, world.service)
    response = await mjpm.post("/v1/measures", json=line(world.lille), headers=editor(auth))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["manager_id"], body["rg"]) == ("en_cours", world.service.id, "02200001")
    assert response.headers["location"] == f"/v1/measures/{body['id']}"


async def test_recording_needs_the_write_scope(mjpm, world, make, auth):
    await link_editor(make, world.service)
    response = await mjpm.post("/v1/measures", json=line(world.lille), headers=editor(auth, "mjpm:measures:read"))
    assert response.status_code == 403
    assert (await mjpm.post("/v1/measures", json=line(world.lille))).status_code == 401


async def test_the_anchors_rules_name_each_offending_field(mjpm, world, make, auth):
    await link_editor(make, world.service)
    bad = line(world.lille, court_siret="11111111111111", residence_country="XX", nomination_date="2023-01-01",
               first_measure_date="2023-02-01", living_place="etablissement")
    response = await mjpm.post("/v1/measures", json=bad, headers=editor(auth))
    assert response.status_code == 422
    fields = {e["loc"][-1]: e["type"] for e in response.json()["errors"]}
    assert fields == {"court_siret": "court_not_found", "residence_country": "country_code",
                      "nomination_date": "date_order", "establishment_type": "missing"}


async def test_a_software_cannot_record_for_a_manager_it_does_not_serve(mjpm, world, make, auth):
    await link_editor(make, world.service)
    response = await mjpm.post("/v1/measures", json=line(world.lille, manager_id=world.individual.id),
                               headers=editor(auth))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "manager_id"]


async def test_recording_a_live_duplicate_is_a_conflict(mjpm, world, make, auth):
    await link_editor(make, world.service)
    assert (await mjpm.post("/v1/measures", json=line(world.lille), headers=editor(auth))).status_code == 201
    assert (await mjpm.post("/v1/measures", json=line(world.lille), headers=editor(auth))).status_code == 409


async def test_the_software_updates_and_deletes_its_measures(mjpm, world, make, auth):
    await link_editor(make, world.service)
    measure = await make.measure(world.lille, world.service)
    response = await mjpm.patch(f"/v1/measures/{measure.id}", json={"living_place": "etablissement",
                                                                    "establishment_type": "etablissement_hospitalier",
                                                                    "resources": [{"year": 2024, "amount": "12000.50",
                                                                                   "social_benefits": ["AAH"]}]},
                                headers=editor(auth))
    assert response.status_code == 200, response.text
    detail = (await mjpm.get(f"/v1/measures/{measure.id}", headers=editor(auth))).json()
    assert detail["resources"] == [{"year": 2024, "amount": "12000.50", "social_benefits": ["AAH"]}]
    missing = await mjpm.patch(f"/v1/measures/{measure.id}", json={"living_place": "etablissement",
                                                                   "establishment_type": None}, headers=editor(auth))
    assert missing.status_code == 422 and missing.json()["errors"][0]["loc"] == ["body", "establishment_type"]
    assert (await mjpm.delete(f"/v1/measures/{measure.id}", headers=editor(auth))).status_code == 204
    assert (await mjpm.get(f"/v1/measures/{measure.id}", headers=editor(auth))).status_code == 404


# --- Batch ------------------------------------------------------------------------------------


async def count_measures(connection_for) -> int:
    return await (await connection_for("mjpm")).scalar(text("SELECT count(*) FROM measures"))


async def test_a_batch_writes_every_line_in_one_go(mjpm, world, make, auth, connection_for):
    await link_editor(make, world.service)
    lines = [line(world.lille, rg=f"22/{n:05d}") for n in range(30)]
    lines.append(line(world.lille, rg="22/99999", status="eteinte", exit_cause="deces", end_date="2024-06-01"))
    response = await mjpm.post("/v1/measures:batch", json={"measures": lines}, headers=editor(auth))
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 31
    assert await count_measures(connection_for) == 31
    closed = response.json()["items"][-1]["id"]
    states = (await mjpm.get(f"/v1/measures/{closed}", headers=editor(auth))).json()["states"]
    assert [(s["action"], s["date"]) for s in states] == [("record", "2023-05-02"), ("close", "2024-06-01")]


async def test_a_batch_with_one_bad_line_writes_nothing_and_names_the_line(mjpm, world, make, auth, connection_for):
    await link_editor(make, world.service)
    lines = [line(world.lille, rg=f"22/{n:05d}") for n in range(5)]
    lines[3]["rg"] = "not an rg!"
    lines[4]["nature"] = "unknown"
    response = await mjpm.post("/v1/measures:batch", json={"measures": lines}, headers=editor(auth))
    assert response.status_code == 422
    assert {tuple(e["loc"][:4]) for e in response.json()["errors"]} >= {("body", "measures", 4, "nature")}
    assert await count_measures(connection_for) == 0
    lines[4]["nature"] = "tutelle"
    response = await mjpm.post("/v1/measures:batch", json={"measures": lines}, headers=editor(auth))
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "measures", 3, "rg"]]
    assert await count_measures(connection_for) == 0


async def test_a_batch_refuses_the_same_rg_and_court_twice(mjpm, world, make, auth):
    await link_editor(make, world.service)
    lines = [line(world.lille, rg="22/00001"), line(world.lille, rg="2200001"), line(world.douai, rg="22/00001")]
    response = await mjpm.post("/v1/measures:batch", json={"measures": lines}, headers=editor(auth))
    assert response.status_code == 422
    assert response.json()["errors"] == [{"loc": ["body", "measures", 1, "rg"], "msg": "same RG and court as line 0",
                                          "type": "duplicate"}]


async def test_a_batch_updates_the_stored_measure_of_the_same_rg_and_court(mjpm, world, make, auth, connection_for):
    await link_editor(make, world.service)
    stored = await make.measure(world.lille, world.service, rg="02200001")
    waiting = await make.measure(world.lille, world.service, rg="02200002", status="en_attente")
    lines = [line(world.lille, rg="22/00001", status="eteinte", exit_cause="mainlevee", end_date="2024-12-31"),
             line(world.lille, rg="22/00002"), line(world.lille, rg="22/00003")]
    response = await mjpm.post("/v1/measures:batch", json={"measures": lines}, headers=editor(auth))
    assert response.status_code == 200, response.text
    assert [(i["id"], i["outcome"]) for i in response.json()["items"][:2]] == [(stored.id, "updated"),
                                                                               (waiting.id, "updated")]
    assert await count_measures(connection_for) == 3
    accepted = (await mjpm.get(f"/v1/measures/{waiting.id}", headers=editor(auth))).json()
    assert accepted["status"] == "en_cours" and accepted["states"][-1]["action"] == "accept"
    again = await mjpm.post("/v1/measures:batch", json={"measures": lines}, headers=editor(auth))
    assert [i["outcome"] for i in again.json()["items"]] == ["unchanged"] * 3


async def test_a_batch_cannot_cancel_a_measure(mjpm, world, make, auth):
    await link_editor(make, world.service)
    await make.measure(world.lille, world.service, rg="02200001", status="eteinte", exit_cause="deces")
    response = await mjpm.post("/v1/measures:batch", json={"measures": [line(world.lille, status="en_attente")]},
                               headers=editor(auth))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "measures", 0, "status"]


async def test_a_batch_is_limited_to_1000_lines(mjpm, world, make, auth):
    await link_editor(make, world.service)
    lines = [line(world.lille, rg=f"{n:08d}") for n in range(1001)]
    response = await mjpm.post("/v1/measures:batch", json={"measures": lines}, headers=editor(auth))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "measures"]


async def test_a_batch_replayed_with_its_idempotency_key_is_not_written_twice(mjpm, world, make, auth,
                                                                               connection_for):
    await link_editor(make, world.service)
    headers = {**editor(auth), "Idempotency-Key": "sync-2025-01-01"}
    body = {"measures": [line(world.lille)]}
    first = await mjpm.post("/v1/measures:batch", json=body, headers=headers)
    second = await mjpm.post("/v1/measures:batch", json=body, headers=headers)
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"
    other = await mjpm.post("/v1/measures:batch", json={"measures": [line(world.douai)]}, headers=headers)
    assert other.status_code == 422
    assert await count_measures(connection_for) == 1


# --- Change feed ------------------------------------------------------------------------------


async def test_changed_since_returns_exactly_the_changes_after_the_instant(mjpm, world, make, auth):
    await link_editor(make, world.service)
    before = await make.measure(world.lille, world.service, rg="00000001")
    untouched = await make.measure(world.lille, world.service, rg="00000002")
    await make.measure(world.lille, world.individual, rg="00000003")  # not this software's
    feed = (await mjpm.get("/v1/measures", params={"changed_since": "2000-01-01T00:00:00Z"},
                           headers=editor(auth))).json()
    assert [m["id"] for m in feed["items"]] == [before.id, untouched.id]
    since = feed["changed_until"]

    changed = await mjpm.patch(f"/v1/measures/{before.id}", json={"cabinet": "7"}, headers=editor(auth))
    assert changed.status_code == 200
    created = (await mjpm.post("/v1/measures", json=line(world.lille, rg="00000004"), headers=editor(auth))).json()
    deleted = await make.measure(world.lille, world.service, rg="00000005")
    await mjpm.delete(f"/v1/measures/{deleted.id}", headers=editor(auth))

    feed = (await mjpm.get("/v1/measures", params={"changed_since": since, "limit": 2}, headers=editor(auth)))
    page1 = feed.json()
    page2 = (await mjpm.get("/v1/measures", params={"changed_since": since, "limit": 2,
                                                    "cursor": page1["next_cursor"]}, headers=editor(auth))).json()
    items = page1["items"] + page2["items"]
    assert [m["id"] for m in items] == [before.id, created["id"], deleted.id]
    assert [m["deleted"] for m in items] == [False, False, True]
    assert page2["next_cursor"] is None
    assert dt.datetime.fromisoformat(page2["changed_until"]) >= dt.datetime.fromisoformat(since)


async def test_changed_since_needs_a_time_zone(mjpm, world, make, auth):
    await link_editor(make, world.service)
    response = await mjpm.get("/v1/measures", params={"changed_since": "2025-01-01T00:00:00"}, headers=editor(auth))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "changed_since"]

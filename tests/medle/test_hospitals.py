from tests.medle.conftest import (
    ADMIN,
    HOSPITAL_ADMIN_A,
    MINISTRY,
    OPERATOR_A,
    OPERATOR_B,
    REGIONAL_HDF,
    create,
    custody_act,
    finess,
)

NEW = {"finess": finess("13078000"), "name": "AP-HM — UMJ de la Timone", "commune": "13055", "kind": "umj"}


async def test_an_admin_adds_a_hospital_placed_by_its_commune(medle, auth, world):
    r = await medle.post("/v1/hospitals", json=NEW, headers=auth(**ADMIN))
    assert r.status_code == 201, r.text
    assert (r.json()["departement"], r.json()["region"]) == ("13", "93")
    assert r.headers["location"] == f"/v1/hospitals/{r.json()['id']}"
    assert (await medle.post("/v1/hospitals", json=NEW, headers=auth(**ADMIN))).status_code == 409


async def test_a_hospital_needs_a_valid_finess_and_a_known_commune(medle, auth, world):
    wrong_key = NEW["finess"][:-1] + str((int(NEW["finess"][-1]) + 1) % 10)
    bad_key = await medle.post("/v1/hospitals", json=NEW | {"finess": wrong_key}, headers=auth(**ADMIN))
    assert bad_key.status_code == 422
    assert bad_key.json()["errors"][0]["loc"] == ["body", "finess"]
    assert "check digit" in bad_key.json()["errors"][0]["msg"]
    nowhere = await medle.post("/v1/hospitals", json=NEW | {"commune": "99999"}, headers=auth(**ADMIN))
    assert nowhere.status_code == 422 and nowhere.json()["errors"][0]["loc"] == ["body", "commune"]


async def test_only_the_suites_admins_add_or_change_hospitals(medle, auth, world):
    assert (await medle.post("/v1/hospitals", json=NEW, headers=auth(**HOSPITAL_ADMIN_A))).status_code == 403
    url = f"/v1/hospitals/{world.lille['id']}"
    assert (await medle.patch(url, json={"name": "x"}, headers=auth(**HOSPITAL_ADMIN_A))).status_code == 403
    assert (await medle.post("/v1/hospitals", json=NEW)).status_code == 401


async def test_a_hospital_is_changed_with_if_match(medle, auth, world):
    url = f"/v1/hospitals/{world.lille['id']}"
    etag = (await medle.get(url, headers=auth(**ADMIN))).headers["etag"]
    ok = await medle.patch(url, json={"can_do_post_mortem": True}, headers=auth(**ADMIN) | {"If-Match": etag})
    assert ok.status_code == 200 and ok.json()["can_do_post_mortem"] is True
    stale = await medle.patch(url, json={"name": "x"}, headers=auth(**ADMIN) | {"If-Match": etag})
    assert stale.status_code == 412
    assert (await medle.patch(url, json={"finess": NEW["finess"]}, headers=auth(**ADMIN))).status_code == 422


async def test_each_caller_sees_the_hospitals_they_may_read(medle, auth, world):
    async def ids(account):
        r = await medle.get("/v1/hospitals", headers=auth(**account))
        return [h["id"] for h in r.json()["items"]]

    assert await ids(ADMIN) == [world.lille["id"], world.bordeaux["id"]]
    assert await ids(OPERATOR_A) == await ids(REGIONAL_HDF) == [world.lille["id"]]
    assert await ids(OPERATOR_B) == [world.bordeaux["id"]]
    assert (await medle.get(f"/v1/hospitals/{world.lille['id']}", headers=auth(**OPERATOR_B))).status_code == 404
    assert (await medle.get("/v1/hospitals", headers=auth(**MINISTRY))).status_code == 403


async def test_a_hospital_admin_manages_operators_of_their_hospital_only(medle, auth, world):
    members = f"/v1/hospitals/{world.lille['id']}/members"
    r = await medle.post(members, json={"sub": "op-new", "role": "operator"}, headers=auth(**HOSPITAL_ADMIN_A))
    assert r.status_code == 201, r.text
    assert r.json()["added_by"] == HOSPITAL_ADMIN_A["sub"]
    listed = (await medle.get(members, headers=auth(**HOSPITAL_ADMIN_A))).json()
    assert sorted(m["sub"] for m in listed) == ["ha-lille", "op-lille", "op-new"]
    again = await medle.post(members, json={"sub": "op-new", "role": "operator"}, headers=auth(**HOSPITAL_ADMIN_A))
    assert again.status_code == 409
    promote = await medle.post(members, json={"sub": "op-2", "role": "hospital_admin"},
                               headers=auth(**HOSPITAL_ADMIN_A))
    assert promote.status_code == 403
    elsewhere = await medle.post(f"/v1/hospitals/{world.bordeaux['id']}/members",
                                 json={"sub": "op-x", "role": "operator"}, headers=auth(**HOSPITAL_ADMIN_A))
    assert elsewhere.status_code == 404
    assert (await medle.get(members, headers=auth(**OPERATOR_A))).status_code == 403
    assert (await medle.post(members, json={"sub": "x", "role": "operator"},
                             headers=auth(**OPERATOR_A))).status_code == 403


async def test_a_removed_operator_no_longer_sees_the_hospitals_acts(medle, auth, world):
    act = (await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"]))).json()
    url = f"/v1/hospitals/{world.lille['id']}/members/{OPERATOR_A['sub']}"
    assert (await medle.delete(url, headers=auth(**HOSPITAL_ADMIN_A))).status_code == 204
    assert (await medle.get(f"/v1/acts/{act['id']}", headers=auth(**OPERATOR_A))).status_code == 404
    assert (await medle.delete(url, headers=auth(**HOSPITAL_ADMIN_A))).status_code == 404
    admin_url = f"/v1/hospitals/{world.lille['id']}/members/{HOSPITAL_ADMIN_A['sub']}"
    assert (await medle.delete(admin_url, headers=auth(**HOSPITAL_ADMIN_A))).status_code == 403


async def test_a_member_needs_a_known_role(medle, auth, world):
    r = await medle.post(f"/v1/hospitals/{world.lille['id']}/members", json={"sub": "x", "role": "boss"},
                         headers=auth(**ADMIN))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "role"]


async def test_an_admin_sets_a_supervisors_regions(medle, auth, world):
    url = "/v1/supervisors/reg-2"
    r = await medle.put(url, json={"regions": ["75", "32"]}, headers=auth(**ADMIN))
    assert r.status_code == 200 and r.json()["regions"] == ["32", "75"]
    assert (await medle.get(url, headers=auth(**ADMIN))).json()["regions"] == ["32", "75"]
    unknown = await medle.put(url, json={"regions": ["32", "99"]}, headers=auth(**ADMIN))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == ["body", "regions", 1]
    assert (await medle.put(url, json={"regions": []}, headers=auth(**HOSPITAL_ADMIN_A))).status_code == 403


async def test_staff_add_askers_and_everyone_reading_finds_them_without_accents(medle, auth, world):
    r = await medle.post("/v1/askers", json={"name": "Tribunal judiciaire d'Évreux", "type": "tgi",
                                             "departement": "27"}, headers=auth(**OPERATOR_A))
    assert r.status_code == 201, r.text
    found = (await medle.get("/v1/askers", params={"q": "EVREUX"}, headers=auth(**OPERATOR_B))).json()["items"]
    assert [a["name"] for a in found] == ["Tribunal judiciaire d'Évreux"]
    by_type = (await medle.get("/v1/askers", params={"type": "parquet"}, headers=auth(**OPERATOR_B))).json()
    assert [a["name"] for a in by_type["items"]] == ["Parquet de Bordeaux"]
    supervisor = auth(sub=REGIONAL_HDF["sub"], scopes=["medle:read", "medle:write"], roles=REGIONAL_HDF["roles"])
    assert (await medle.post("/v1/askers", json={"name": "x", "type": "tgi"}, headers=supervisor)).status_code == 403
    bad = await medle.post("/v1/askers", json={"name": "x", "type": "mairie"}, headers=auth(**OPERATOR_A))
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "type"]


async def test_only_admins_rename_an_asker(medle, auth, world):
    url = f"/v1/askers/{world.police['id']}"
    assert (await medle.patch(url, json={"name": "x"}, headers=auth(**OPERATOR_A))).status_code == 403
    r = await medle.patch(url, json={"name": "Commissariat central de Lille"}, headers=auth(**ADMIN))
    assert r.status_code == 200 and r.json()["version"] == 2
    assert (await medle.get("/v1/askers/999999", headers=auth(**ADMIN))).status_code == 404

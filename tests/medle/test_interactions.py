from tests.medle.conftest import LILLE_SIRET, OPERATOR_A, create, custody_act

FCE = {"sub": "svc-fce", "scopes": ["medle:read"]}


async def test_a_hospitals_siret_gives_its_act_counts_and_nothing_personal(medle, auth, world):
    await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"]))
    await create(medle, auth, OPERATOR_A, custody_act("L-2", asker_id=world.police["id"]))
    r = await medle.get("/v1/interactions", params={"siret": LILLE_SIRET}, headers=auth(**FCE))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["source"], body["siren"], body["siret"]) == ("medle", LILLE_SIRET[:9], LILLE_SIRET)
    [item] = body["items"]
    assert item["count"] == 2 and item["details"]["acts_last_12_months"] == 2
    assert item["details"]["finess"] == world.lille["finess"]
    assert "internal_number" not in r.text and "L-1" not in r.text
    by_siren = (await medle.get("/v1/interactions", params={"siren": LILLE_SIRET[:9]}, headers=auth(**FCE))).json()
    assert [i["siret"] for i in by_siren["items"]] == [LILLE_SIRET]


async def test_a_company_without_hospital_has_no_interaction(medle, auth, world):
    r = await medle.get("/v1/interactions", params={"siren": "732829320"}, headers=auth(**FCE))
    assert r.status_code == 200 and r.json()["items"] == []


async def test_interactions_need_a_valid_identifier_and_the_read_scope(medle, auth, world):
    bad = await medle.get("/v1/interactions", params={"siret": "12345678901234"}, headers=auth(**FCE))
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "siret"]
    assert (await medle.get("/v1/interactions", params={"siren": "732829320"})).status_code == 401
    other = auth(sub="svc-x", scopes=["fce:read"])
    assert (await medle.get("/v1/interactions", params={"siren": "732829320"}, headers=other)).status_code == 403

from tests.mjpm.conftest import LILLE, new_siret

ADMIN = ("admin", "admin")


async def test_interactions_count_the_measures_of_a_service_by_siret_and_siren(mjpm, world, make, as_role):
    for status in ("en_cours", "en_cours", "en_attente", "eteinte"):
        cause = "deces" if status == "eteinte" else None
        await make.measure(world.lille, world.service, status=status, exit_cause=cause)
    siret = world.service.siret
    by_siret = await mjpm.get("/v1/interactions", params={"siret": siret}, headers=as_role("fce", scopes=["mjpm:read"]))
    assert by_siret.status_code == 200, by_siret.text
    item = by_siret.json()["items"][0]
    assert (item["count"], item["siret"], item["kind"]) == (3, siret, "mjpm_manager")
    assert item["details"]["measures_closed"] == 1 and item["details"]["standing"] == "approved"
    by_siren = await mjpm.get("/v1/interactions", params={"siren": siret[:9]},
                              headers=as_role("fce", scopes=["mjpm:read"]))
    assert [i["siret"] for i in by_siren.json()["items"]] == [siret]


async def test_interactions_need_a_valid_identifier_and_a_token(mjpm, world, as_role):
    assert (await mjpm.get("/v1/interactions", params={"siren": "732829320"})).status_code == 401
    bad = await mjpm.get("/v1/interactions", params={"siret": "12345678901234"},
                         headers=as_role("fce", scopes=["mjpm:read"]))
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "siret"]
    other = await mjpm.get("/v1/interactions", params={"siren": "732829320"},
                           headers=as_role("fce", scopes=["medle:read"]))
    assert other.status_code == 403


async def test_an_admin_creates_a_court_and_links_a_judge(mjpm, world, as_role):
    court = await mjpm.post("/v1/courts", json={"siret": new_siret(), "name": "TJ de Lille", "commune_code": LILLE},
                            headers=as_role(*ADMIN))
    assert court.status_code == 201, court.text
    assert court.json()["departement"] == "59"
    link = await mjpm.post("/v1/memberships", json={"sub": "judge-new", "court_id": court.json()["id"]},
                           headers=as_role(*ADMIN))
    assert link.status_code == 201
    me = (await mjpm.get("/v1/me", headers=as_role("judge-new", "judge"))).json()
    assert me["court_ids"] == [court.json()["id"]]
    listed = await mjpm.get("/v1/courts", params={"departement": "59"}, headers=as_role("judge-new", "judge"))
    assert court.json()["id"] in [c["id"] for c in listed.json()["items"]]


async def test_only_an_admin_creates_courts_and_memberships(mjpm, world, as_role):
    body = {"siret": new_siret(), "name": "TJ", "commune_code": LILLE}
    assert (await mjpm.post("/v1/courts", json=body, headers=as_role("judge-lille", "judge"))).status_code == 403
    assert (await mjpm.post("/v1/memberships", json={"sub": "x", "court_id": world.lille.id},
                            headers=as_role("judge-lille", "judge"))).status_code == 403


async def test_a_membership_targets_exactly_one_thing(mjpm, world, as_role):
    response = await mjpm.post("/v1/memberships", json={"sub": "x", "court_id": world.lille.id, "departement": "59"},
                               headers=as_role(*ADMIN))
    assert response.status_code == 422
    bad_siret = await mjpm.post("/v1/courts", json={"siret": "12345678901234", "name": "TJ", "commune_code": LILLE},
                                headers=as_role(*ADMIN))
    assert bad_siret.status_code == 422 and bad_siret.json()["errors"][0]["loc"] == ["body", "siret"]


async def test_an_admin_lists_and_removes_memberships(mjpm, world, as_role):
    listed = await mjpm.get("/v1/memberships", params={"sub": "judge-lille"}, headers=as_role(*ADMIN))
    (membership,) = listed.json()["items"]
    assert membership["court_id"] == world.lille.id
    assert (await mjpm.delete(f"/v1/memberships/{membership['id']}", headers=as_role(*ADMIN))).status_code == 204
    assert (await mjpm.get("/v1/me", headers=as_role("judge-lille", "judge"))).json()["court_ids"] == []
    assert (await mjpm.delete(f"/v1/memberships/{membership['id']}", headers=as_role(*ADMIN))).status_code == 404

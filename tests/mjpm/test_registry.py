"""The registry: a manager applies, the State agents of its département decide."""

from tests.mjpm.conftest import ARRAS, LILLE, new_siret

AGENT = ("agent-nord", "state_agent")


def application(**extra):
    return {"kind": "individuel", "name": "Jeanne Dupont", "siret": new_siret(), "commune_code": LILLE,
            "capacity": 40, "email": "jeanne.dupont@example.fr", "phone": "03 20 00 00 00", **extra}


async def apply(mjpm, as_role, sub="new-mandataire", **extra):
    return await mjpm.post("/v1/managers", json=application(**extra), headers=as_role(sub, "manager"))


async def test_a_manager_applies_and_is_pending(mjpm, world, as_role):
    response = await apply(mjpm, as_role)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["registry_status"], body["standing"], body["departement"]) == ("pending", "pending", "59")
    assert body["latitude"] and body["phone"] == "+33320000000"
    me = (await mjpm.get("/v1/me", headers=as_role("new-mandataire", "manager"))).json()
    assert me["manager_ids"] == [body["id"]]


async def test_applying_needs_the_identifier_of_its_kind(mjpm, world, as_role):
    response = await apply(mjpm, as_role, kind="prepose", siret=None)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "finess"]
    response = await apply(mjpm, as_role, siret="73282932000075")
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["body", "siret"]


async def test_applying_needs_a_token_the_write_scope_and_a_manager_role(mjpm, world, as_role):
    assert (await mjpm.post("/v1/managers", json=application())).status_code == 401
    read_only = as_role("x", "manager", scopes=["mjpm:read"])
    response = await mjpm.post("/v1/managers", json=application(), headers=read_only)
    assert response.status_code == 403
    assert (await mjpm.post("/v1/managers", json=application(), headers=as_role("x", "judge"))).status_code == 403


async def test_the_state_agent_of_the_departement_approves_with_a_capacity(mjpm, world, as_role):
    manager = (await apply(mjpm, as_role)).json()
    response = await mjpm.post(f"/v1/managers/{manager['id']}/approve", headers=as_role(*AGENT),
                               json={"approved_capacity": 35, "departements": [{"departement": "59"}]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["standing"], body["approved_capacity"], body["remaining"]) == ("approved", 35, 35)
    assert [(a["departement"], a["financing_departement"]) for a in body["approvals"]] == [("59", "59")]


async def test_an_agent_of_another_departement_cannot_decide(mjpm, world, make, as_role):
    await make.member("agent-pas-de-calais", departement="62")
    manager = (await apply(mjpm, as_role)).json()
    response = await mjpm.post(f"/v1/managers/{manager['id']}/approve", headers=as_role("agent-pas-de-calais",
                                                                                         "state_agent"),
                               json={"approved_capacity": 35})
    assert response.status_code == 404


async def test_an_agent_approves_only_onto_the_lists_of_their_territory(mjpm, world, as_role):
    manager = (await apply(mjpm, as_role)).json()
    response = await mjpm.post(f"/v1/managers/{manager['id']}/approve", headers=as_role(*AGENT),
                               json={"approved_capacity": 35, "departements": [{"departement": "62"}]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "departements", 0, "departement"]


async def test_a_manager_cannot_approve_itself(mjpm, world, as_role):
    manager = (await apply(mjpm, as_role)).json()
    response = await mjpm.post(f"/v1/managers/{manager['id']}/approve", json={"approved_capacity": 99},
                               headers=as_role("new-mandataire", "manager"))
    assert response.status_code == 403


async def test_a_rejection_is_final_and_says_why(mjpm, world, as_role):
    manager = (await apply(mjpm, as_role)).json()
    response = await mjpm.post(f"/v1/managers/{manager['id']}/reject", json={"reason": "no insurance certificate"},
                               headers=as_role(*AGENT))
    assert response.json()["standing"] == "rejected"
    assert response.json()["decision_reason"] == "no insurance certificate"
    again = await mjpm.post(f"/v1/managers/{manager['id']}/approve", json={"approved_capacity": 3},
                            headers=as_role(*AGENT))
    assert again.status_code == 409


async def test_a_suspension_needs_a_reason_and_can_be_lifted(mjpm, world, as_role):
    url = f"/v1/managers/{world.individual.id}"
    missing = await mjpm.post(f"{url}/suspend", json={"reason": " "}, headers=as_role(*AGENT))
    assert missing.status_code == 422 and missing.json()["errors"][0]["loc"] == ["body", "reason"]
    suspended = await mjpm.post(f"{url}/suspend", json={"reason": "complaint under review"}, headers=as_role(*AGENT))
    assert (suspended.json()["standing"], suspended.json()["remaining"]) == ("suspended", 0)
    assert suspended.json()["suspension_reason"] == "complaint under review"
    assert (await mjpm.post(f"{url}/suspend", json={"reason": "again"}, headers=as_role(*AGENT))).status_code == 409
    lifted = await mjpm.post(f"{url}/reinstate", headers=as_role(*AGENT))
    assert (lifted.json()["standing"], lifted.json()["suspension_reason"]) == ("approved", None)


async def test_the_authority_revises_the_approved_capacity(mjpm, world, as_role):
    response = await mjpm.put(f"/v1/managers/{world.individual.id}/approved-capacity", json={"approved_capacity": 25},
                              headers=as_role(*AGENT))
    assert response.status_code == 200 and response.json()["approved_capacity"] == 25
    negative = await mjpm.put(f"/v1/managers/{world.individual.id}/approved-capacity",
                              json={"approved_capacity": -1}, headers=as_role(*AGENT))
    assert negative.status_code == 422 and negative.json()["errors"][0]["loc"] == ["body", "approved_capacity"]


async def test_another_departement_adds_an_approved_manager_to_its_list(mjpm, world, make, as_role):
    await make.member("agent-pas-de-calais", departement="62")
    response = await mjpm.post(f"/v1/managers/{world.individual.id}/approvals",
                               json={"departement": "62", "financing_departement": "59"},
                               headers=as_role("agent-pas-de-calais", "state_agent"))
    assert response.status_code == 201, response.text
    body = (await mjpm.get(f"/v1/managers/{world.individual.id}", headers=as_role(*AGENT))).json()
    assert [(a["departement"], a["financing_departement"]) for a in body["approvals"]] == [("59", "59"), ("62", "59")]
    removed = await mjpm.delete(f"/v1/managers/{world.individual.id}/approvals/62",
                                headers=as_role("agent-pas-de-calais", "state_agent"))
    assert removed.status_code == 204


async def test_a_manager_updates_its_profile_but_not_anothers(mjpm, world, as_role):
    mine = await mjpm.patch(f"/v1/managers/{world.individual.id}", json={"capacity": 12, "commune_code": ARRAS},
                            headers=as_role("mandataire-martin", "manager"))
    assert mine.status_code == 200, mine.text
    assert (mine.json()["capacity"], mine.json()["departement"]) == (12, "62")
    theirs = await mjpm.patch(f"/v1/managers/{world.service.id}", json={"capacity": 12},
                              headers=as_role("mandataire-martin", "manager"))
    assert theirs.status_code == 404
    sneaky = await mjpm.patch(f"/v1/managers/{world.individual.id}", json={"approved_capacity": 500},
                              headers=as_role("mandataire-martin", "manager"))
    assert sneaky.status_code == 422


async def test_courts_see_approved_managers_only(mjpm, world, make, as_role):
    pending = await make.manager(status="pending")
    judge = as_role("judge-lille", "judge")
    assert (await mjpm.get(f"/v1/managers/{pending.id}", headers=judge)).status_code == 404
    listed = [m["id"] for m in (await mjpm.get("/v1/managers", headers=judge)).json()["items"]]
    assert world.individual.id in listed and pending.id not in listed


async def test_a_service_admin_runs_antennas_and_staff(mjpm, world, as_role):
    admin = as_role("admin-atmp", "service_admin")
    url = f"/v1/managers/{world.service.id}"
    antenna = await mjpm.post(f"{url}/antennas", json={"name": "Antenne de Roubaix", "commune_code": "59512",
                                                       "capacity": 20}, headers=admin)
    assert antenna.status_code == 201, antenna.text
    assert antenna.json()["latitude"] is not None
    changed = await mjpm.patch(f"/v1/antennas/{antenna.json()['id']}", json={"capacity": 25}, headers=admin)
    assert changed.json()["capacity"] == 25
    staff = await mjpm.post(f"{url}/staff", json={"sub": "delegue-1"}, headers=admin)
    assert staff.status_code == 201
    me = (await mjpm.get("/v1/me", headers=as_role("delegue-1", "manager"))).json()
    assert me["manager_ids"] == [world.service.id]
    other = await mjpm.post(f"/v1/managers/{world.individual.id}/antennas",
                            json={"name": "x", "commune_code": "59512"}, headers=admin)
    assert other.status_code == 404
    judge = await mjpm.post(f"{url}/antennas", json={"name": "x", "commune_code": "59512"},
                            headers=as_role("judge-lille", "judge"))
    assert judge.status_code == 403


async def test_a_state_agent_lists_the_managers_of_their_territory(mjpm, world, make, as_role):
    elsewhere = await make.manager(departement="62", commune_code=ARRAS)
    response = await mjpm.get("/v1/managers", params={"registry_status": "approved"}, headers=as_role(*AGENT))
    listed = [m["id"] for m in response.json()["items"]]
    assert world.individual.id in listed and world.service.id in listed and elsewhere.id not in listed
    assert (await mjpm.get(f"/v1/managers/{elsewhere.id}", headers=as_role(*AGENT))).status_code == 404


async def test_a_service_admin_removes_an_antenna_and_a_staff_member(mjpm, world, make, as_role):
    admin = as_role("admin-atmp", "service_admin")
    antenna = await make.antenna(world.service, 50.69, 3.18)
    listed = await mjpm.get(f"/v1/managers/{world.service.id}/antennas", headers=as_role("judge-lille", "judge"))
    assert [a["id"] for a in listed.json()] == [antenna.id]
    assert (await mjpm.delete(f"/v1/antennas/{antenna.id}", headers=as_role("mandataire-martin", "manager"))
            ).status_code == 403
    assert (await mjpm.delete(f"/v1/antennas/{antenna.id}", headers=admin)).status_code == 204
    staff = (await mjpm.post(f"/v1/managers/{world.service.id}/staff", json={"sub": "delegue-2"}, headers=admin)).json()
    subs = [m["sub"] for m in (await mjpm.get(f"/v1/managers/{world.service.id}/staff", headers=admin)).json()]
    assert "delegue-2" in subs
    assert (await mjpm.delete(f"/v1/managers/{world.service.id}/staff/{staff['id']}", headers=admin)).status_code == 204
    assert (await mjpm.get("/v1/me", headers=as_role("delegue-2", "manager"))).json()["manager_ids"] == []

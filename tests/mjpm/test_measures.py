import pytest
from sqlalchemy import text

from tests.mjpm.conftest import LILLE

JUDGE = ("judge-lille", "judge")
MANAGER = ("mandataire-martin", "manager")


def reservation(manager, rg="21/01234", **extra):
    return {"rg": rg, "manager_id": manager.id, "nature": "curatelle_renforcee", "commune_code": LILLE,
            "sex": "F", "birth_year": 1950, **extra}


async def states_of(connection_for, measure_id):
    conn = await connection_for("mjpm")
    rows = await conn.execute(text("SELECT action, status, date FROM measure_states WHERE measure_id = :m ORDER BY id"),
                              {"m": measure_id})
    return [tuple(r) for r in rows]


async def audit_actions(connection_for, measure_id):
    conn = await connection_for("mjpm")
    rows = await conn.execute(text("SELECT action FROM audit_log WHERE resource = 'measure' AND resource_id = :m "
                                   "ORDER BY id"), {"m": str(measure_id)})
    return list(rows.scalars())


# --- Reserving --------------------------------------------------------------------------------


async def test_a_judge_reserves_a_measure_for_a_manager(mjpm, world, as_role, connection_for):
    response = await mjpm.post("/v1/measures:reserve", json=reservation(world.individual), headers=as_role(*JUDGE))
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/measures/{body['id']}"
    assert body["status"] == "en_attente"
    assert body["rg"] == "02101234"
    assert body["court_id"] == world.lille.id and body["departement"] == "59"
    assert [s[:2] for s in await states_of(connection_for, body["id"])] == [("reserve", "en_attente")]
    assert await audit_actions(connection_for, body["id"]) == ["reserve"]


async def test_the_rg_is_stored_normalised(mjpm, world, as_role):
    response = await mjpm.post("/v1/measures:reserve", json=reservation(world.individual, rg="21/a 012"),
                               headers=as_role(*JUDGE))
    assert response.json()["rg"] == "0021A012"


async def test_reserving_needs_a_token(mjpm, world):
    assert (await mjpm.post("/v1/measures:reserve", json=reservation(world.individual))).status_code == 401


async def test_reserving_needs_the_write_scope(mjpm, world, as_role):
    headers = as_role("judge-lille", "judge", scopes=["mjpm:read"])
    response = await mjpm.post("/v1/measures:reserve", json=reservation(world.individual), headers=headers)
    assert response.status_code == 403


async def test_a_manager_cannot_reserve(mjpm, world, as_role):
    response = await mjpm.post("/v1/measures:reserve", json=reservation(world.individual), headers=as_role(*MANAGER))
    assert response.status_code == 403


async def test_a_malformed_rg_is_a_422_naming_the_field(mjpm, world, as_role):
    response = await mjpm.post("/v1/measures:reserve", json=reservation(world.individual, rg="21/0123456789"),
                               headers=as_role(*JUDGE))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "rg"]


async def test_an_unknown_field_is_refused(mjpm, world, as_role):
    response = await mjpm.post("/v1/measures:reserve", json=reservation(world.individual, status="en_cours"),
                               headers=as_role(*JUDGE))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "status"]


async def test_the_same_rg_court_and_manager_cannot_be_reserved_twice(mjpm, world, as_role):
    first = await mjpm.post("/v1/measures:reserve", json=reservation(world.individual), headers=as_role(*JUDGE))
    assert first.status_code == 201
    second = await mjpm.post("/v1/measures:reserve", json=reservation(world.individual, rg="21 01234"),
                             headers=as_role(*JUDGE))
    assert second.status_code == 409
    # Another manager may receive the same RG (co-curatelle).
    other = await mjpm.post("/v1/measures:reserve", json=reservation(world.service), headers=as_role(*JUDGE))
    assert other.status_code == 201


async def test_reserving_the_rg_of_a_closed_measure_reopens_it(mjpm, world, make, as_role, connection_for):
    closed = await make.measure(world.lille, world.individual, status="eteinte", rg="21012345",
                                exit_cause="mainlevee")
    response = await mjpm.post("/v1/measures:reserve", json=reservation(world.individual, rg="21/01234-5"),
                               headers=as_role(*JUDGE))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == closed.id
    assert response.json()["status"] == "en_attente" and response.json()["exit_cause"] is None
    assert [s[:2] for s in await states_of(connection_for, closed.id)][-1] == ("reopen", "en_attente")


async def test_a_reservation_names_what_it_refuses_in_order(mjpm, world, make, as_role):
    """Antenna, then manager: the checks read in the statement that locks the manager's row."""
    other = await make.manager()
    theirs = await make.antenna(other, 50.69, 3.18)
    mine = await make.antenna(world.individual, 50.69, 3.18)
    for manager_id, antenna_id, field in ((world.individual.id, theirs.id, "antenna_id"),
                                          (10**9, theirs.id, "antenna_id"), (10**9, None, "manager_id")):
        response = await mjpm.post("/v1/measures:reserve", headers=as_role(*JUDGE), json={
            **reservation(world.individual), "manager_id": manager_id, "antenna_id": antenna_id})
        assert response.status_code == 422, response.text
        assert field in response.text
    response = await mjpm.post("/v1/measures:reserve", headers=as_role(*JUDGE),
                               json=reservation(world.individual, antenna_id=mine.id))
    assert response.status_code == 201, response.text
    assert response.json()["antenna_id"] == mine.id


async def test_without_a_commune_the_person_is_placed_in_the_courts_departement(mjpm, world, as_role):
    body = {k: v for k, v in reservation(world.individual).items() if k != "commune_code"}
    response = await mjpm.post("/v1/measures:reserve", json=body, headers=as_role(*JUDGE))
    assert response.status_code == 201, response.text
    assert response.json()["departement"] == world.lille.departement


async def test_a_repeated_reservation_with_its_idempotency_key_is_replayed(mjpm, world, as_role):
    headers = {**as_role(*JUDGE), "Idempotency-Key": "reserve-1"}
    first = await mjpm.post("/v1/measures:reserve", json=reservation(world.individual), headers=headers)
    again = await mjpm.post("/v1/measures:reserve", json=reservation(world.individual), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"


async def test_an_unapproved_or_suspended_manager_cannot_receive_a_measure(mjpm, world, make, as_role):
    pending = await make.manager(status="pending")
    suspended = await make.manager(suspended=True, suspension_reason="inspection in progress")
    for manager in (pending, suspended):
        response = await mjpm.post("/v1/measures:reserve", json=reservation(manager), headers=as_role(*JUDGE))
        assert response.status_code == 409
    assert "inspection in progress" in response.json()["detail"]


# --- Capacity ---------------------------------------------------------------------------------


async def test_reserving_beyond_capacity_is_refused_without_an_override_reason(mjpm, world, make, as_role):
    full = await make.manager(approved_capacity=1)
    await make.measure(world.lille, full, status="en_cours")
    response = await mjpm.post("/v1/measures:reserve", json=reservation(full), headers=as_role(*JUDGE))
    assert response.status_code == 409
    assert "override reason" in response.json()["detail"]


async def test_an_override_reason_reserves_beyond_capacity_and_is_recorded(mjpm, world, make, as_role,
                                                                             connection_for):
    full = await make.manager(approved_capacity=1)
    await make.measure(world.lille, full, status="en_attente")
    response = await mjpm.post("/v1/measures:reserve",
                               json=reservation(full, override_reason="only mandataire speaking Breton"),
                               headers=as_role(*JUDGE))
    assert response.status_code == 201
    assert response.json()["override_reason"] == "only mandataire speaking Breton"
    manager = await mjpm.get(f"/v1/managers/{full.id}", headers=as_role(*JUDGE))
    assert manager.json()["remaining"] == -1
    conn = await connection_for("mjpm")
    reason = await conn.scalar(text("SELECT reason FROM measure_states WHERE measure_id = :m"),
                               {"m": response.json()["id"]})
    assert reason == "only mandataire speaking Breton"


async def test_capacity_counts_waiting_and_running_measures_only(mjpm, world, make, as_role):
    manager = await make.manager(approved_capacity=3)
    for status in ("en_attente", "en_cours", "eteinte", "annulee"):
        await make.measure(world.lille, manager, status=status, exit_cause="deces" if status == "eteinte" else None)
    body = (await mjpm.get(f"/v1/managers/{manager.id}", headers=as_role(*JUDGE))).json()
    assert (body["reserved"], body["in_progress"], body["remaining"]) == (1, 1, 1)


# --- Transitions ------------------------------------------------------------------------------

BODIES = {
    "accept": {"nomination_date": "2024-02-01"},
    "withdraw": {"reason": "family member appointed"},
    "close": {"exit_cause": "deces", "end_date": "2025-03-01"},
    "reactivate": {},
    "reopen": {},
}
WHO = {"accept": MANAGER, "withdraw": JUDGE, "close": MANAGER, "reactivate": MANAGER, "reopen": JUDGE}
LEGAL = {
    ("en_attente", "accept"): "en_cours",
    ("en_attente", "withdraw"): "annulee",
    ("en_cours", "close"): "eteinte",
    ("eteinte", "reactivate"): "en_cours",
    ("eteinte", "reopen"): "en_attente",
}
EVERY = [(status, action) for status in ("en_attente", "en_cours", "eteinte", "annulee") for action in BODIES]


@pytest.mark.parametrize(("status", "action"), EVERY, ids=lambda v: v)
async def test_each_transition_is_legal_only_from_the_states_the_spec_names(
        mjpm, world, make, as_role, connection_for, status, action):
    measure = await make.measure(world.lille, world.individual, status=status,
                                 exit_cause="deces" if status == "eteinte" else None)
    response = await mjpm.post(f"/v1/measures/{measure.id}/{action}", json=BODIES[action],
                               headers=as_role(*WHO[action]))
    if (status, action) in LEGAL:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == LEGAL[(status, action)]
        assert (await states_of(connection_for, measure.id))[-1][:2] == (action, LEGAL[(status, action)])
        assert (await audit_actions(connection_for, measure.id))[-1] == action
    else:
        assert response.status_code == 409, response.text
        assert (await mjpm.get(f"/v1/measures/{measure.id}", headers=as_role(*WHO[action]))).json()["status"] == status


async def test_a_state_row_is_dated_by_the_event_it_records(mjpm, world, make, as_role, connection_for):
    measure = await make.measure(world.lille, world.individual, status="en_attente")
    await mjpm.post(f"/v1/measures/{measure.id}/accept", json={"nomination_date": "2024-02-01"},
                    headers=as_role(*MANAGER))
    await mjpm.post(f"/v1/measures/{measure.id}/close", json={"exit_cause": "mainlevee", "end_date": "2025-01-31"},
                    headers=as_role(*MANAGER))
    dates = [(a, str(d)) for a, _, d in await states_of(connection_for, measure.id)][1:]
    assert dates == [("accept", "2024-02-01"), ("close", "2025-01-31")]


async def test_accepting_needs_the_nomination_date(mjpm, world, make, as_role):
    measure = await make.measure(world.lille, world.individual, status="en_attente")
    response = await mjpm.post(f"/v1/measures/{measure.id}/accept", json={}, headers=as_role(*MANAGER))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "nomination_date"]


async def test_closing_needs_an_exit_cause_and_an_end_date(mjpm, world, make, as_role):
    measure = await make.measure(world.lille, world.individual)
    response = await mjpm.post(f"/v1/measures/{measure.id}/close", json={}, headers=as_role(*MANAGER))
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["errors"]} == {("body", "exit_cause"), ("body", "end_date")}


async def test_a_judge_cannot_accept_for_the_manager(mjpm, world, make, as_role):
    measure = await make.measure(world.lille, world.individual, status="en_attente")
    response = await mjpm.post(f"/v1/measures/{measure.id}/accept", json=BODIES["accept"], headers=as_role(*JUDGE))
    assert response.status_code == 403


async def test_a_stale_if_match_is_refused(mjpm, world, make, as_role):
    measure = await make.measure(world.lille, world.individual, status="en_attente")
    response = await mjpm.post(f"/v1/measures/{measure.id}/withdraw", json={}, headers={**as_role(*JUDGE),
                                                                                         "If-Match": '"99"'})
    assert response.status_code == 412


# --- Who sees what ----------------------------------------------------------------------------


async def test_a_judge_cannot_see_or_change_another_courts_measure(mjpm, world, make, as_role):
    theirs = await make.measure(world.douai, world.individual, status="en_attente")
    judge = as_role(*JUDGE)
    assert (await mjpm.get(f"/v1/measures/{theirs.id}", headers=judge)).status_code == 404
    assert (await mjpm.patch(f"/v1/measures/{theirs.id}", json={"cabinet": "3"}, headers=judge)).status_code == 404
    assert (await mjpm.post(f"/v1/measures/{theirs.id}/withdraw", json={}, headers=judge)).status_code == 404
    assert (await mjpm.delete(f"/v1/measures/{theirs.id}", headers=judge)).status_code == 404
    listed = (await mjpm.get("/v1/measures", headers=judge)).json()["items"]
    assert theirs.id not in [m["id"] for m in listed]


async def test_a_judge_sees_but_cannot_change_a_running_measure_of_their_court(mjpm, world, make, as_role):
    running = await make.measure(world.lille, world.individual, status="en_cours")
    judge = as_role(*JUDGE)
    assert (await mjpm.get(f"/v1/measures/{running.id}", headers=judge)).status_code == 200
    assert (await mjpm.patch(f"/v1/measures/{running.id}", json={"cabinet": "3"}, headers=judge)).status_code == 409
    assert (await mjpm.delete(f"/v1/measures/{running.id}", headers=judge)).status_code == 409


async def test_a_judge_changes_a_waiting_measure_of_their_court(mjpm, world, make, as_role):
    waiting = await make.measure(world.lille, world.individual, status="en_attente")
    response = await mjpm.patch(f"/v1/measures/{waiting.id}", json={"cabinet": "3", "urgent": True},
                                headers=as_role("clerk-lille", "clerk"))
    assert response.status_code == 200
    assert (response.json()["cabinet"], response.json()["urgent"]) == ("3", True)
    assert response.headers["etag"] == f'"{response.json()["version"]}"'


async def test_a_judge_sees_the_measures_of_a_court_merged_into_theirs(mjpm, world, make, as_role):
    merged = await make.court(successor_id=world.lille.id)
    old = await make.measure(merged, world.individual)
    assert (await mjpm.get(f"/v1/measures/{old.id}", headers=as_role(*JUDGE))).status_code == 200


async def test_a_manager_sees_only_their_measures(mjpm, world, make, as_role):
    mine = await make.measure(world.lille, world.individual)
    other = await make.measure(world.lille, world.service)
    response = await mjpm.get("/v1/measures", headers=as_role(*MANAGER))
    assert [m["id"] for m in response.json()["items"]] == [mine.id]
    assert (await mjpm.get(f"/v1/measures/{other.id}", headers=as_role(*MANAGER))).status_code == 404


async def test_a_state_agent_reads_no_measure(mjpm, world, make, as_role):
    measure = await make.measure(world.lille, world.individual)
    headers = as_role("agent-nord", "state_agent")
    assert (await mjpm.get("/v1/measures", headers=headers)).status_code == 403
    assert (await mjpm.get(f"/v1/measures/{measure.id}", headers=headers)).status_code == 403


async def test_reading_a_measure_shows_its_history_and_is_audited(mjpm, world, make, as_role, connection_for):
    measure = await make.measure(world.lille, world.individual)
    response = await mjpm.get(f"/v1/measures/{measure.id}", headers=as_role(*MANAGER))
    assert [s["action"] for s in response.json()["states"]] == ["record"]
    assert await audit_actions(connection_for, measure.id) == ["read"]


async def test_the_list_filters_by_status(mjpm, world, make, as_role):
    waiting = await make.measure(world.lille, world.individual, status="en_attente")
    await make.measure(world.lille, world.individual, status="en_cours")
    response = await mjpm.get("/v1/measures", params={"status": "en_attente"}, headers=as_role(*JUDGE))
    assert [m["id"] for m in response.json()["items"]] == [waiting.id]

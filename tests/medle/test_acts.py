import datetime as dt

import pytest
from dateutil.easter import easter
from sqlalchemy import text

from tests.medle.conftest import (
    ADMIN,
    MINISTRY,
    OPERATOR_A,
    OPERATOR_B,
    REGIONAL_HDF,
    create,
    custody_act,
    last_weekday,
    paris,
    today,
    victim_act,
)

PERSON = {"person_age_band": "18-plus", "person_gender": "feminin"}

# One complete act per profile (required fields only) ...
COMPLETE = {
    "victime_vivante": victim_act("X")
    | {},
    "garde_a_vue": custody_act("X"),
    "age_osseux": {"act_types": ["somatique"], "examinations": ["radiographie"], "person_gender": "masculin"},
    "examen_ofpra": {"act_types": ["somatique"], **PERSON},
    "personne_decedee": {"act_types": ["examen_externe"], **PERSON},
    "autre:personne_retenue": {"act_types": ["somatique"], "location": "centre_de_retention", **PERSON},
    "autre:examen_route": {"act_types": ["somatique"], "location": "lieu_de_controle", **PERSON},
    "autre:ipm": {"act_types": ["somatique"], "location": "commissariat", **PERSON},
    "autre:assises": {"duration_band": "4_8_h", "distance_band": "visio"},
    "autre:reconstitution": {"duration_band": "moins_2_h", "distance_band": "moins_50_km"},
    "autre:etude_dossier": {"duration_band": "2_4_h"},
}
# ... and, per profile, a field it does not allow and a field it requires.
BROKEN = {
    "victime_vivante": (("death_cause", "autre"), "violence_contexts"),
    "garde_a_vue": (("itt_days", 3), "location"),
    "age_osseux": (("person_age_band", "15-17"), "examinations"),
    "examen_ofpra": (("distance_band", "moins_50_km"), "person_gender"),
    "personne_decedee": (("itt_days", 0), "person_age_band"),
    "autre:personne_retenue": (("death_cause", "suicide"), "location"),
    "autre:examen_route": (("violence_contexts", ["voie_publique"]), "act_types"),
    "autre:ipm": (("itt_days", 1), "location"),
    "autre:assises": (("act_types", ["somatique"]), "distance_band"),
    "autre:reconstitution": (("location", "tribunal"), "duration_band"),
    "autre:etude_dossier": (("person_present", True), "duration_band"),
}


def act_of(profile: str, number: str, asker_id: int, **fields) -> dict:
    body = {k: v for k, v in COMPLETE[profile].items() if k not in ("internal_number", "examined_at", "profile")}
    return {"internal_number": number, "examined_at": paris(last_weekday(2)), "profile": profile,
            "asker_id": asker_id, **body, **fields}


def locs(response) -> set[tuple]:
    return {tuple(e["loc"]) for e in response.json()["errors"]}


async def test_an_operator_records_an_act_for_their_hospital(medle, auth, world):
    r = await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"], pv_number="PV 12"))
    assert r.status_code == 201, r.text
    act = r.json()
    assert act["hospital_id"] == world.lille["id"]
    assert act["added_by"] == OPERATOR_A["sub"]
    assert r.headers["location"] == f"/v1/acts/{act['id']}"
    got = await medle.get(f"/v1/acts/{act['id']}", headers=auth(**OPERATOR_A))
    assert got.status_code == 200 and got.json() == act
    assert got.headers["etag"] == r.headers["etag"]


async def test_creating_and_reading_an_act_are_audited(medle, auth, world, connection_for):
    act = (await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"]))).json()
    await medle.get(f"/v1/acts/{act['id']}", headers=auth(**REGIONAL_HDF))
    conn = await connection_for("medle")
    rows = (await conn.execute(text(
        "SELECT actor, action FROM audit_log WHERE resource = 'act' AND resource_id = :id ORDER BY id"),
        {"id": str(act["id"])})).all()
    assert [tuple(r) for r in rows] == [(OPERATOR_A["sub"], "create"), (REGIONAL_HDF["sub"], "read")]


@pytest.mark.parametrize("profile", list(COMPLETE))
async def test_each_profile_accepts_its_complete_act(medle, auth, world, profile):
    r = await create(medle, auth, OPERATOR_A, act_of(profile, "N-1", world.police["id"]))
    assert r.status_code == 201, r.text
    assert r.json()["profile"] == profile


@pytest.mark.parametrize("profile", list(BROKEN))
async def test_each_profile_names_the_field_it_forbids_and_the_field_it_requires(medle, auth, world, profile):
    (forbidden, value), required = BROKEN[profile]
    body = act_of(profile, "N-1", world.police["id"], **{forbidden: value})
    del body[required]
    r = await create(medle, auth, OPERATOR_A, body)
    assert r.status_code == 422, r.text
    assert locs(r) == {("body", forbidden), ("body", required)}
    assert (await medle.get("/v1/acts", headers=auth(**OPERATOR_A))).json()["items"] == []


async def test_an_unknown_enumeration_value_is_named(medle, auth, world):
    r = await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"], location="garage"))
    assert r.status_code == 422
    assert locs(r) == {("body", "location")}


async def test_a_value_given_twice_in_a_list_is_refused(medle, auth, world):
    body = custody_act("L-1", asker_id=world.police["id"], examinations=["biologie", "biologie"])
    r = await create(medle, auth, OPERATOR_A, body)
    assert r.status_code == 422 and locs(r) == {("body", "examinations", 1)}


async def test_the_examination_date_runs_from_1_january_two_years_back_to_today(medle, auth, world):
    first_day = dt.date(today().year - 2, 1, 1)
    ok = await create(medle, auth, OPERATOR_A, custody_act("L-1", first_day, asker_id=world.police["id"]))
    assert ok.status_code == 201, ok.text
    too_old = await create(medle, auth, OPERATOR_A,
                           custody_act("L-2", first_day - dt.timedelta(days=1), asker_id=world.police["id"]))
    assert too_old.status_code == 422
    assert [(e["loc"], e["type"]) for e in too_old.json()["errors"]] == [(["body", "examined_at"], "date_too_old")]
    future = await create(medle, auth, OPERATOR_A,
                          custody_act("L-3", today() + dt.timedelta(days=1), asker_id=world.police["id"]))
    assert [e["type"] for e in future.json()["errors"]] == ["date_in_future"]


def _last(month: int, day: int) -> dt.date:
    year = today().year if dt.date(today().year, month, day) < today() else today().year - 1
    return dt.date(year, month, day)


def _last_easter_monday() -> dt.date:
    year = today().year
    while (monday := easter(year) + dt.timedelta(days=1)) >= today():
        year -= 1
    return monday


@pytest.mark.parametrize(
    ("when", "period"),
    [
        (lambda: paris(last_weekday(1), 10), "jour_ouvrable"),
        (lambda: paris(last_weekday(2), 20, 15), "soiree"),
        (lambda: paris(last_weekday(3), 3), "nuit_profonde"),
        (lambda: paris(last_weekday(5), 11), "samedi"),
        (lambda: paris(_last(7, 14), 10), "dimanche_ferie"),
        (lambda: paris(_last_easter_monday(), 15), "dimanche_ferie"),
    ],
    ids=["weekday", "weekday_evening", "night", "saturday", "14_july", "easter_monday"],
)
async def test_the_period_of_day_follows_the_clock_and_the_french_calendar(medle, auth, world, when, period):
    body = custody_act("L-1", asker_id=world.police["id"]) | {"examined_at": when()}
    r = await create(medle, auth, OPERATOR_A, body)
    assert r.status_code == 201, r.text
    assert r.json()["period_of_day"] == period


async def test_a_period_of_day_sent_by_the_client_is_refused(medle, auth, world):
    body = custody_act("L-1", asker_id=world.police["id"], period_of_day="jour_ouvrable")
    r = await create(medle, auth, OPERATOR_A, body)
    assert r.status_code == 422 and locs(r) == {("body", "period_of_day")}


async def test_an_internal_number_is_unique_within_a_hospital(medle, auth, world):
    first = await create(medle, auth, OPERATOR_A, custody_act("2026-0042", asker_id=world.police["id"]))
    again = await create(medle, auth, OPERATOR_A, custody_act("2026-0042", asker_id=world.police["id"]))
    elsewhere = await create(medle, auth, OPERATOR_B, custody_act("2026-0042", asker_id=world.police["id"]))
    assert (first.status_code, again.status_code, elsewhere.status_code) == (201, 409, 201)
    assert "2026-0042" in again.json()["detail"]


async def test_a_requisitioned_act_needs_a_known_asker(medle, auth, world):
    missing = await create(medle, auth, OPERATOR_A, custody_act("L-1"))
    unknown = await create(medle, auth, OPERATOR_A, custody_act("L-2", asker_id=999_999))
    assert missing.status_code == unknown.status_code == 422
    assert locs(missing) == locs(unknown) == {("body", "asker_id")}


async def test_evidence_without_complaint_needs_no_asker(medle, auth, world):
    r = await create(medle, auth, OPERATOR_A, victim_act("L-1", sans_plainte=True))
    assert r.status_code == 201, r.text
    assert r.json()["asker_id"] is None and r.json()["sans_plainte"] is True


async def test_post_mortem_act_types_only_where_the_hospital_can_do_them(medle, auth, world):
    autopsy = act_of("personne_decedee", "D-1", world.police["id"], act_types=["autopsie"])
    umj = await create(medle, auth, OPERATOR_A, autopsy)
    iml = await create(medle, auth, OPERATOR_B, autopsy)
    assert umj.status_code == 422
    assert [(e["loc"], e["type"]) for e in umj.json()["errors"]] == [
        (["body", "act_types", 0], "post_mortem_not_allowed")]
    assert iml.status_code == 201, iml.text


@pytest.mark.parametrize("field", ["hospital_id", "added_by", "id", "version"])
async def test_the_hospital_and_the_author_of_an_act_cannot_be_assigned(medle, auth, world, field):
    body = custody_act("L-1", asker_id=world.police["id"]) | {field: world.bordeaux["id"]}
    r = await create(medle, auth, OPERATOR_A, body)
    assert r.status_code == 422
    assert locs(r) == {("body", field)}
    assert (await medle.get("/v1/acts", headers=auth(**ADMIN))).json()["items"] == []


async def test_an_update_cannot_move_an_act_to_another_hospital(medle, auth, world):
    act = (await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"]))).json()
    for field, value in (("hospital_id", world.bordeaux["id"]), ("added_by", "someone-else")):
        r = await medle.patch(f"/v1/acts/{act['id']}", json={field: value}, headers=auth(**OPERATOR_A))
        assert r.status_code == 422 and locs(r) == {("body", field)}
    got = (await medle.get(f"/v1/acts/{act['id']}", headers=auth(**OPERATOR_A))).json()
    assert (got["hospital_id"], got["added_by"]) == (world.lille["id"], OPERATOR_A["sub"])


async def test_another_hospitals_act_is_not_found_for_read_update_and_delete(medle, auth, world):
    act = (await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"]))).json()
    url, other = f"/v1/acts/{act['id']}", auth(**OPERATOR_B)
    assert (await medle.get(url, headers=other)).status_code == 404
    assert (await medle.patch(url, json={"pv_number": "stolen"}, headers=other)).status_code == 404
    assert (await medle.delete(url, headers=other)).status_code == 404
    still = (await medle.get(url, headers=auth(**OPERATOR_A))).json()
    assert still["pv_number"] is None and still["version"] == 1


async def test_a_regional_supervisor_reads_the_acts_of_their_regions_only(medle, auth, world):
    lille = (await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"]))).json()
    bordeaux = (await create(medle, auth, OPERATOR_B, custody_act("B-1", asker_id=world.police["id"]))).json()
    supervisor = auth(**REGIONAL_HDF)
    assert (await medle.get(f"/v1/acts/{lille['id']}", headers=supervisor)).status_code == 200
    assert (await medle.get(f"/v1/acts/{bordeaux['id']}", headers=supervisor)).status_code == 404
    listed = (await medle.get("/v1/acts", headers=supervisor)).json()["items"]
    assert [a["id"] for a in listed] == [lille["id"]]


async def test_a_regional_supervisor_cannot_change_an_act(medle, auth, world):
    act = (await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"]))).json()
    supervisor = auth(sub=REGIONAL_HDF["sub"], scopes=["medle:read", "medle:write"], roles=REGIONAL_HDF["roles"])
    r = await medle.patch(f"/v1/acts/{act['id']}", json={"pv_number": "x"}, headers=supervisor)
    assert r.status_code == 403


async def test_ministries_read_reports_not_acts(medle, auth, world):
    assert (await medle.get("/v1/acts", headers=auth(**MINISTRY))).status_code == 403
    ministry_with_read = auth(sub="ministry-2", scopes=["medle:read", "medle:report"], roles=["medle:report"])
    assert (await medle.get("/v1/acts", headers=ministry_with_read)).json()["items"] == []


async def test_acts_need_a_token(medle, world):
    assert (await medle.get("/v1/acts")).status_code == 401
    assert (await medle.post("/v1/acts", json=custody_act("L-1"))).status_code == 401
    assert (await medle.get("/v1/acts/1")).status_code == 401


async def test_recording_an_act_needs_the_write_scope(medle, auth, world):
    reader = auth(sub=OPERATOR_A["sub"], scopes=["medle:read"], roles=OPERATOR_A["roles"])
    r = await create(medle, auth, {"sub": OPERATOR_A["sub"], "scopes": ["medle:read"], "roles": ["medle:operator"]},
                     custody_act("L-1", asker_id=world.police["id"]))
    assert r.status_code == 403
    assert (await medle.get("/v1/acts", headers=reader)).status_code == 200


async def test_someone_of_no_hospital_cannot_record_acts(medle, auth, world):
    stranger = {"sub": "nobody", "scopes": ["medle:read", "medle:write"], "roles": ["medle:operator"]}
    r = await create(medle, auth, stranger, custody_act("L-1", asker_id=world.police["id"]))
    assert r.status_code == 403


async def test_a_member_of_two_hospitals_says_which_one(medle, auth, world):
    await medle.post(f"/v1/hospitals/{world.bordeaux['id']}/members", json={"sub": OPERATOR_A["sub"],
                     "role": "operator"}, headers=auth(**ADMIN))
    body = custody_act("L-1", asker_id=world.police["id"])
    unsaid = await create(medle, auth, OPERATOR_A, body)
    assert unsaid.status_code == 422 and locs(unsaid) == {("query", "hospital_id")}
    said = await create(medle, auth, OPERATOR_A, body, hospital_id=world.bordeaux["id"])
    assert said.status_code == 201 and said.json()["hospital_id"] == world.bordeaux["id"]


async def test_naming_a_hospital_one_does_not_belong_to_is_not_found(medle, auth, world):
    r = await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"]),
                     hospital_id=world.bordeaux["id"])
    assert r.status_code == 404


async def test_an_update_needs_the_current_etag_and_checks_the_whole_act_again(medle, auth, world):
    created = await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"]))
    url, etag = f"/v1/acts/{created.json()['id']}", created.headers["etag"]
    headers = auth(**OPERATOR_A)
    ok = await medle.patch(url, json={"pv_number": "PV-7", "examinations": ["toxicologie"]},
                           headers=headers | {"If-Match": etag})
    assert ok.status_code == 200, ok.text
    assert ok.json()["pv_number"] == "PV-7" and ok.headers["etag"] == '"2"'
    stale = await medle.patch(url, json={"pv_number": "PV-8"}, headers=headers | {"If-Match": etag})
    assert stale.status_code == 412
    # Becoming a deceased person's act: the custody fields no longer fit, the deceased's are missing.
    wrong = await medle.patch(url, json={"profile": "personne_decedee"}, headers=headers)
    assert wrong.status_code == 422
    assert locs(wrong) == {("body", "location"), ("body", "act_types", 0)}
    assert (await medle.get(url, headers=headers)).json()["pv_number"] == "PV-7"


async def test_an_update_may_not_clear_a_required_field(medle, auth, world):
    act = (await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"]))).json()
    r = await medle.patch(f"/v1/acts/{act['id']}", json={"profile": None}, headers=auth(**OPERATOR_A))
    assert r.status_code == 422 and locs(r) == {("body", "profile")}


async def test_an_update_keeps_the_internal_number_unique(medle, auth, world):
    await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"]))
    second = (await create(medle, auth, OPERATOR_A, custody_act("L-2", asker_id=world.police["id"]))).json()
    r = await medle.patch(f"/v1/acts/{second['id']}", json={"internal_number": "L-1"}, headers=auth(**OPERATOR_A))
    assert r.status_code == 409


async def test_an_update_recomputes_the_period_of_day(medle, auth, world):
    act = (await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"]))).json()
    r = await medle.patch(f"/v1/acts/{act['id']}", json={"examined_at": paris(last_weekday(5), 21)},
                          headers=auth(**OPERATOR_A))
    assert r.json()["period_of_day"] == "soiree"


async def test_a_deleted_act_leaves_the_lists_and_frees_its_number(medle, auth, world):
    created = await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"]))
    url, headers = f"/v1/acts/{created.json()['id']}", auth(**OPERATOR_A)
    assert (await medle.delete(url, headers=headers | {"If-Match": '"7"'})).status_code == 412
    assert (await medle.delete(url, headers=headers | {"If-Match": created.headers["etag"]})).status_code == 204
    assert (await medle.get(url, headers=headers)).status_code == 404
    assert (await medle.delete(url, headers=headers)).status_code == 404
    assert (await medle.get("/v1/acts", headers=headers)).json()["items"] == []
    again = await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"]))
    assert again.status_code == 201


async def test_a_deleted_act_is_kept_with_its_deletion_date(medle, auth, world, connection_for):
    act = (await create(medle, auth, OPERATOR_A, custody_act("L-1", asker_id=world.police["id"]))).json()
    await medle.delete(f"/v1/acts/{act['id']}", headers=auth(**OPERATOR_A))
    conn = await connection_for("medle")
    deleted_at = await conn.scalar(text("SELECT deleted_at FROM acts WHERE id = :id"), {"id": act["id"]})
    assert deleted_at is not None

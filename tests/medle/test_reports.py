"""Report figures on a hand-made dataset of ten acts (minutes computed by hand in the comments)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from services.medle.domain.calendar import working_days
from tests.medle.conftest import (
    ADMIN,
    HOSPITAL_ADMIN_A,
    MINISTRY,
    OPERATOR_A,
    OPERATOR_B,
    REGIONAL_HDF,
    create,
    custody_act,
    paris,
    today,
    victim_act,
)

ADULT = {"person_age_band": "18-plus", "person_gender": "feminin"}


def _month(offset: int) -> dt.date:
    """First day of the month `offset` months before the current one."""
    index = today().year * 12 + today().month - 1 - offset
    return dt.date(index // 12, index % 12 + 1, 1)


def _weekday(month: dt.date, weekday: int, n: int = 1) -> dt.date:
    day = month + dt.timedelta(days=(weekday - month.weekday()) % 7)
    return day + dt.timedelta(days=7 * (n - 1))


def _is_holiday_free(day: dt.date) -> dt.date:
    from services.medle.domain.calendar import is_public_holiday

    while is_public_holiday(day) or day.weekday() >= 5:
        day += dt.timedelta(days=7) if day.weekday() < 5 else dt.timedelta(days=1)
    return day


FIRST, SECOND = _month(2), _month(1)
PERIOD = {"from": FIRST.isoformat(), "to": (_month(0) - dt.timedelta(days=1)).isoformat()}


def _day(month: dt.date, n: int) -> dt.date:
    return _is_holiday_free(_weekday(month, 1, n))  # the n-th Tuesday, moved off public holidays


@pytest.fixture
async def dataset(medle, auth, world):
    police, prosecutor = world.police["id"], world.prosecutor["id"]
    lille = [
        # 29 min × 1.5 (police premises) + 2 × 10 min = 63.5
        custody_act("L1", _day(FIRST, 1), asker_id=police, pv_number="PV-1", examinations=["biologie", "toxicologie"]),
        # 29 min at the UMJ
        custody_act("L2", _day(FIRST, 1), asker_id=police, pv_number="PV-1", location="umj"),
        # max(49, 50) × 1.5 (two natures) = 75; in the evening
        victim_act("L3", asker_id=police, pv_number="PV-2", violence_natures=["sexuelle", "coups_blessures"],
                   itt_days=10) | {"examined_at": paris(_day(FIRST, 2), 20)},
        # 50 × 0.9 (a minor) = 45; the psychiatric examination is not in the table
        victim_act("L4", _day(FIRST, 2), sans_plainte=True, act_types=["somatique", "psychiatrique"],
                   person_age_band="6-10", itt_days=0),
        # 60 × 8 (more than 8 hours) = 480
        {"internal_number": "L5", "examined_at": paris(_day(FIRST, 3)), "profile": "autre:etude_dossier",
         "duration_band": "plus_8_h", "asker_id": prosecutor, "pv_number": "PV-3"},
        # second month: 43.5, on a Saturday
        custody_act("L6", asker_id=police, pv_number="PV-4") | {
            "examined_at": paris(_weekday(SECOND, 5, 2), 11)},
        # not weighed: psychiatric custody examination
        custody_act("L7", _day(SECOND, 3), asker_id=police, act_types=["psychiatrique"], location="umj"),
    ]
    bordeaux = [
        # 213
        {"internal_number": "B1", "examined_at": paris(_day(FIRST, 1)), "profile": "personne_decedee",
         "act_types": ["autopsie"], "asker_id": prosecutor, "pv_number": "PV-9", **ADULT},
        # 128 + 106 = 234
        {"internal_number": "B2", "examined_at": paris(_day(FIRST, 2)), "profile": "personne_decedee",
         "act_types": ["levee_de_corps", "examen_externe"], "distance_band": "moins_50_km",
         "asker_id": prosecutor, **ADULT},
        # 50
        victim_act("B3", _day(FIRST, 3), asker_id=prosecutor, itt_days=3),
    ]
    for body in lille:
        r = await create(medle, auth, OPERATOR_A, body)
        assert r.status_code == 201, r.text
    for body in bordeaux:
        r = await create(medle, auth, OPERATOR_B, body)
        assert r.status_code == 201, r.text
    # a deleted act counts nowhere
    gone = (await create(medle, auth, OPERATOR_A, custody_act("L8", _day(FIRST, 1), asker_id=police))).json()
    await medle.delete(f"/v1/acts/{gone['id']}", headers=auth(**OPERATOR_A))
    staffing = await medle.put(f"/v1/hospitals/{world.lille['id']}/staffing/{FIRST:%Y-%m}",
                               json={"doctors": "0.5"}, headers=auth(**HOSPITAL_ADMIN_A))
    assert staffing.status_code == 201, staffing.text
    return world


async def _report(medle, auth, account=ADMIN, **params):
    r = await medle.get("/v1/reports/activity", params=PERIOD | params, headers=auth(**account))
    assert r.status_code == 200, r.text
    return r.json()


def _by(rows, key, value="acts"):
    return {row[key]: row[value] for row in rows}


async def test_the_national_report_counts_the_hand_made_dataset(medle, auth, dataset):
    tables = (await _report(medle, auth))["tables"]
    assert _by(tables["living_deceased"], "subject") == {"living": 7, "deceased": 2, "no_person": 1}
    assert _by(tables["requisition"], "requisition") == {"requisition": 9, "sans_plainte": 1}
    assert _by(tables["period_of_day"], "period_of_day") == {
        "jour_ouvrable": 8, "soiree": 1, "nuit_profonde": 0, "samedi": 1, "dimanche_ferie": 0}
    assert {k: v for k, v in _by(tables["examinations"], "examination").items() if v} == {
        "biologie": 1, "toxicologie": 1}
    assert _by(tables["itt"], "itt_days") == {"0": 1, "1-8": 1, "9-30": 1, "31-90": 0, "91-365": 0}
    assert _by(tables["acts_per_pv"], "acts_per_pv", "pv_numbers") == {"1": 4, "2": 1, "3": 0, "4": 0, "5+": 0}
    assert [(r["month"], r["acts"], r["living"], r["deceased"], r["no_person"], r["sans_plainte"])
            for r in tables["monthly"]] == [(f"{FIRST:%Y-%m}", 8, 5, 2, 1, 1), (f"{SECOND:%Y-%m}", 2, 2, 0, 0, 0)]


async def test_the_acts_table_crosses_period_hospital_profile_and_act_type(medle, auth, dataset):
    rows = (await _report(medle, auth, step="month"))["tables"]["acts"]
    lille, bordeaux = dataset.lille["id"], dataset.bordeaux["id"]
    got = {(r["period"], r["hospital_id"], r["profile"]):
           (r["acts"], {k: r[k] for k in ("somatique", "psychiatrique", "autopsie", "levee_de_corps",
                                           "examen_externe", "no_act_type") if r[k]}) for r in rows}
    first, second = f"{FIRST:%Y-%m}", f"{SECOND:%Y-%m}"
    assert got == {
        (first, lille, "garde_a_vue"): (2, {"somatique": 2}),
        (first, lille, "victime_vivante"): (2, {"somatique": 2, "psychiatrique": 1}),
        (first, lille, "autre:etude_dossier"): (1, {"no_act_type": 1}),
        (second, lille, "garde_a_vue"): (2, {"somatique": 1, "psychiatrique": 1}),
        (first, bordeaux, "personne_decedee"): (2, {"autopsie": 1, "levee_de_corps": 1, "examen_externe": 1}),
        (first, bordeaux, "victime_vivante"): (1, {"somatique": 1}),
    }


async def test_the_acts_table_by_region_and_year(medle, auth, dataset):
    rows = (await _report(medle, auth, by="region", step="year"))["tables"]["acts"]
    assert {r["period"] for r in rows} == {f"{FIRST:%Y}", f"{SECOND:%Y}"}
    acts = {}
    for r in rows:  # the two months may fall in two years
        acts[(r["region"], r["profile"])] = acts.get((r["region"], r["profile"]), 0) + r["acts"]
    assert acts == {
        ("32", "garde_a_vue"): 4, ("32", "victime_vivante"): 2, ("32", "autre:etude_dossier"): 1,
        ("75", "personne_decedee"): 2, ("75", "victime_vivante"): 1}
    assert {r["region_name"] for r in rows} == {"Hauts-de-France", "Nouvelle-Aquitaine"}


async def test_the_weighted_activity_multiplies_every_factor(medle, auth, dataset):
    rows = (await _report(medle, auth))["tables"]["weighted_activity"]
    got = {(r["month"], r["hospital"]): (r["minutes"], r["day_equivalents"], r["unweighted_acts"]) for r in rows}
    assert got == {
        (f"{FIRST:%Y-%m}", "CHU de Lille — UMJ"): (692.5, 1.443, 0),  # 63.5 + 29 + 75 + 45 + 480
        (f"{SECOND:%Y-%m}", "CHU de Lille — UMJ"): (43.5, 0.091, 1),
        (f"{FIRST:%Y-%m}", "CHU de Bordeaux — IML"): (497.0, 1.035, 0),  # 213 + 234 + 50
    }


async def test_staffing_is_set_against_the_activity_of_the_staffed_months(medle, auth, dataset):
    rows = {r["hospital"]: r for r in (await _report(medle, auth))["tables"]["staffing_vs_activity"]}
    lille = rows["CHU de Lille — UMJ"]
    days = working_days(FIRST.year, FIRST.month)
    assert lille["staffed_months"] == 1 and lille["doctors_etp"] == 0.5
    assert lille["staffed_days"] == float(Decimal("0.5") * days)
    assert lille["ratio"] == float((Decimal("692.5") / 480 / (Decimal("0.5") * days)).quantize(Decimal("0.001")))
    assert rows["CHU de Bordeaux — IML"]["ratio"] is None  # no staffing: no ratio, not "infinitely busy"


async def test_ministries_see_small_counts_hidden(medle, auth, dataset):
    report = await _report(medle, auth, MINISTRY)
    tables = report["tables"]
    assert _by(tables["living_deceased"], "subject") == {"living": 7, "deceased": None, "no_person": None}
    assert _by(tables["period_of_day"], "period_of_day") == {
        "jour_ouvrable": 8, "soiree": None, "nuit_profonde": 0, "samedi": None, "dimanche_ferie": 0}
    assert [(r["acts"], r["living"]) for r in tables["monthly"]] == [(8, 5), (None, None)]
    assert report["small_cells_hidden"] is True and report["suppressed_cells"] > 0
    assert (await _report(medle, auth, ADMIN))["suppressed_cells"] == 0


async def test_a_regional_supervisor_reports_on_their_regions_in_full(medle, auth, dataset):
    report = await _report(medle, auth, REGIONAL_HDF)
    assert report["hospitals"] == 1 and report["small_cells_hidden"] is False
    assert _by(report["tables"]["living_deceased"], "subject") == {"living": 6, "deceased": 0, "no_person": 1}
    # asking for another région gives nothing of it
    other = await _report(medle, auth, REGIONAL_HDF, region="75")
    assert other["hospitals"] == 0 and other["tables"]["monthly"] == []


async def test_hospital_staff_report_on_their_own_hospital(medle, auth, dataset):
    report = await _report(medle, auth, OPERATOR_B)
    assert _by(report["tables"]["living_deceased"], "subject") == {"living": 1, "deceased": 2, "no_person": 0}


async def test_the_report_can_be_narrowed_to_a_territory_or_a_hospital(medle, auth, dataset):
    by_departement = await _report(medle, auth, MINISTRY, departement="33")
    assert by_departement["hospitals"] == 1
    by_hospital = await _report(medle, auth, ADMIN, hospital_id=dataset.lille["id"])
    assert sum(r["acts"] for r in by_hospital["tables"]["monthly"]) == 7


async def test_one_table_as_csv_for_french_excel_and_as_xlsx(medle, auth, dataset):
    r = await medle.get("/v1/reports/activity/period_of_day", params=PERIOD | {"format": "csv", "excel": "true"},
                        headers=auth(**MINISTRY))
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["period_of_day", "acts"] and rows[1] == ["jour_ouvrable", "8"] and rows[2] == ["soiree", ""]
    x = await medle.get("/v1/reports/activity/itt", params=PERIOD | {"format": "xlsx"}, headers=auth(**ADMIN))
    sheet = list(load_workbook(io.BytesIO(x.content)).active.iter_rows(values_only=True))
    assert sheet[:3] == [("itt_days", "acts"), ("0", 1), ("1-8", 1)]
    j = await medle.get("/v1/reports/activity/acts_per_pv", params=PERIOD, headers=auth(**MINISTRY))
    assert j.json()["items"][1] == {"acts_per_pv": "2", "pv_numbers": None} and j.json()["suppressed_cells"] == 2


async def test_reports_need_a_medle_role_and_a_sensible_period(medle, auth, dataset):
    assert (await medle.get("/v1/reports/activity")).status_code == 401
    no_role = auth(sub="someone", scopes=["medle:report"])
    assert (await medle.get("/v1/reports/activity", headers=no_role)).status_code == 403
    other_scope = auth(sub="someone", scopes=["fce:read"], roles=["medle:report"])
    assert (await medle.get("/v1/reports/activity", headers=other_scope)).status_code == 403
    backwards = await medle.get("/v1/reports/activity", params={"from": "2026-05-01", "to": "2026-04-01"},
                                headers=auth(**MINISTRY))
    assert backwards.status_code == 422
    unknown = await medle.get("/v1/reports/activity/everything", headers=auth(**MINISTRY))
    assert unknown.status_code == 422


async def test_a_new_weighting_table_weighs_every_act_again(medle, auth, dataset):
    table = {"weightings": [{"profile": "garde_a_vue", "act_type": "somatique", "minutes": 60}],
             "minutes_per_day": 420}
    r = await medle.put("/v1/weighting", json=table, headers=auth(**ADMIN))
    assert r.status_code == 200, r.text
    # every act takes a new weight but L7, which neither table weighs
    assert r.json()["version"] >= 1 and r.json()["reweighed_acts"] == 9
    rows = (await _report(medle, auth))["tables"]["weighted_activity"]
    lille_first = next(r for r in rows if r["month"] == f"{FIRST:%Y-%m}" and r["hospital_id"] == dataset.lille["id"])
    # 60 + 2 × 10 (L1) + 60 (L2); the three other acts are not weighed by this table
    assert (lille_first["minutes"], lille_first["unweighted_acts"]) == (140.0, 3)
    assert lille_first["day_equivalents"] == float((Decimal(140) / 420).quantize(Decimal("0.001")))
    current = await medle.get("/v1/weighting", headers=auth(**MINISTRY))
    assert current.json()["minutes_per_day"] == "420"


async def test_only_admins_change_the_weighting_table(medle, auth, dataset):
    table = {"weightings": [{"profile": "garde_a_vue", "act_type": "somatique", "minutes": 60}]}
    assert (await medle.put("/v1/weighting", json=table, headers=auth(**HOSPITAL_ADMIN_A))).status_code == 403
    twice = {"weightings": table["weightings"] * 2}
    r = await medle.put("/v1/weighting", json=twice, headers=auth(**ADMIN))
    assert r.status_code == 422


async def test_the_anchor_weighting_is_in_force_until_one_is_set(medle, auth, world):
    r = await medle.get("/v1/weighting", headers=auth(**OPERATOR_A))
    assert r.json()["version"] == 0 and r.json()["minutes_per_day"] == "480"
    assert len(r.json()["weightings"]) == 22

"""Mémoire de frais on a hand-computed example."""

import csv
import datetime as dt
import io

import pytest

from tests.medle.conftest import (
    ADMIN,
    HOSPITAL_ADMIN_A,
    MINISTRY,
    OPERATOR_A,
    OPERATOR_B,
    create,
    custody_act,
    paris,
    today,
    victim_act,
)
from tests.medle.test_reports import FIRST, SECOND, _is_holiday_free

MONTH = f"{FIRST:%Y-%m}"
CHANGE = FIRST + dt.timedelta(days=10)  # the custody tariff rises on the 11th
EARLY, LATE = _is_holiday_free(FIRST + dt.timedelta(days=2)), _is_holiday_free(CHANGE + dt.timedelta(days=1))


async def _tariff(medle, auth, **body):
    r = await medle.post("/v1/tariffs", json=body, headers=auth(**ADMIN))
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
async def billed(medle, auth, world):
    start = dt.date(today().year - 2, 1, 1).isoformat()
    await _tariff(medle, auth, act_type="somatique", profile="garde_a_vue", amount="50.40", valid_from=start,
                  valid_to=(CHANGE - dt.timedelta(days=1)).isoformat())
    await _tariff(medle, auth, act_type="somatique", profile="garde_a_vue", amount="55.00",
                  valid_from=CHANGE.isoformat())
    await _tariff(medle, auth, act_type="somatique", amount="40.00", valid_from=start)
    await _tariff(medle, auth, act_type="autopsie", amount="400.00", valid_from=start)
    await _tariff(medle, auth, profile="autre:etude_dossier", amount="150.00", valid_from=start)
    police, prosecutor = world.police["id"], world.prosecutor["id"]
    bodies = [
        custody_act("F1", EARLY, asker_id=police, pv_number="PV-1"),  # 50.40
        custody_act("F2", LATE, asker_id=police, pv_number="PV-2"),  # 55.00
        victim_act("F3", EARLY, asker_id=police, act_types=["somatique", "psychiatrique"]),  # 40.00 + unpriced
        {"internal_number": "F4", "examined_at": paris(LATE), "profile": "autre:etude_dossier",
         "duration_band": "2_4_h", "asker_id": prosecutor},  # 150.00
        victim_act("F5", EARLY, sans_plainte=True),  # billed to no one
        custody_act("F6", _is_holiday_free(SECOND + dt.timedelta(days=2)), asker_id=police),  # another month
    ]
    for body in bodies:
        assert (await create(medle, auth, OPERATOR_A, body)).status_code == 201
    await create(medle, auth, OPERATOR_B, {"internal_number": "B1", "examined_at": paris(EARLY),
                                           "profile": "personne_decedee", "act_types": ["autopsie"],
                                           "asker_id": police, "person_age_band": "18-plus",
                                           "person_gender": "masculin"})
    return world


async def test_the_memoire_de_frais_prices_each_act_at_the_tariff_of_its_day(medle, auth, billed):
    r = await medle.get(f"/v1/hospitals/{billed.lille['id']}/fees", params={"month": MONTH},
                        headers=auth(**HOSPITAL_ADMIN_A))
    assert r.status_code == 200, r.text
    statement = r.json()
    by_asker = {a["asker"]["name"]: a for a in statement["askers"]}
    police = by_asker["Commissariat de Lille-Sud"]
    assert [(line["internal_number"], line["act_type"], line["amount"]) for line in police["lines"]] == [
        ("F1", "somatique", "50.40"), ("F3", "somatique", "40.00"), ("F2", "somatique", "55.00")]
    assert police["total"] == "145.40"
    assert [(line["internal_number"], line["amount"]) for line in by_asker["Parquet de Bordeaux"]["lines"]] == [
        ("F4", "150.00")]
    assert statement["total"] == "295.40"
    assert [(u["internal_number"], u["act_type"]) for u in statement["unpriced"]] == [("F3", "psychiatrique")]
    assert statement["hospital"]["id"] == billed.lille["id"] and statement["month"] == MONTH


async def test_the_memoire_de_frais_as_csv_and_pdf(medle, auth, billed):
    url = f"/v1/hospitals/{billed.lille['id']}/fees"
    r = await medle.get(url, params={"month": MONTH, "format": "csv"}, headers=auth(**OPERATOR_A))
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(row["asker"], row["internal_number"], row["amount"]) for row in rows] == [
        ("Commissariat de Lille-Sud", "F1", "50.40"), ("Commissariat de Lille-Sud", "F3", "40.00"),
        ("Commissariat de Lille-Sud", "F2", "55.00"), ("Parquet de Bordeaux", "F4", "150.00")]
    pdf = await medle.get(url, params={"month": MONTH, "format": "pdf"}, headers=auth(**OPERATOR_A))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and f"memoire-de-frais-{billed.lille['finess']}" in pdf.headers[
        "content-disposition"]


async def test_another_hospitals_fees_are_not_found(medle, auth, billed):
    url = f"/v1/hospitals/{billed.bordeaux['id']}/fees"
    assert (await medle.get(url, params={"month": MONTH}, headers=auth(**OPERATOR_A))).status_code == 404
    assert (await medle.get(url, params={"month": MONTH}, headers=auth(**MINISTRY))).status_code == 403
    assert (await medle.get(url, params={"month": MONTH})).status_code == 401
    bad = await medle.get(url, params={"month": "2026-13"}, headers=auth(**OPERATOR_B))
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "month"]


async def test_tariffs_of_one_act_type_and_profile_never_overlap(medle, auth, billed):
    overlapping = await medle.post("/v1/tariffs", json={"act_type": "somatique", "profile": "garde_a_vue",
                                                        "amount": "60.00", "valid_from": LATE.isoformat()},
                                   headers=auth(**ADMIN))
    assert overlapping.status_code == 409
    current = [t for t in (await medle.get("/v1/tariffs", headers=auth(**OPERATOR_A))).json()
               if t["amount"] == "55.00"][0]
    ended = await medle.patch(f"/v1/tariffs/{current['id']}", json={"valid_to": LATE.isoformat()},
                              headers=auth(**ADMIN) | {"If-Match": f'"{current["version"]}"'})
    assert ended.status_code == 200 and ended.json()["valid_to"] == LATE.isoformat()
    later = (LATE + dt.timedelta(days=1)).isoformat()
    new = await medle.post("/v1/tariffs", json={"act_type": "somatique", "profile": "garde_a_vue",
                                                "amount": "60.00", "valid_from": later}, headers=auth(**ADMIN))
    assert new.status_code == 201
    in_force = (await medle.get("/v1/tariffs", params={"in_force_on": later}, headers=auth(**OPERATOR_A))).json()
    assert {(t["profile"], t["act_type"], t["amount"]) for t in in_force} >= {("garde_a_vue", "somatique", "60.00")}


async def test_only_admins_write_the_fee_schedule(medle, auth, world):
    body = {"act_type": "somatique", "amount": "40.00", "valid_from": "2026-01-01"}
    assert (await medle.post("/v1/tariffs", json=body, headers=auth(**HOSPITAL_ADMIN_A))).status_code == 403
    backwards = body | {"valid_to": "2025-01-01"}
    assert (await medle.post("/v1/tariffs", json=backwards, headers=auth(**ADMIN))).status_code == 422
    negative = body | {"amount": "-1"}
    r = await medle.post("/v1/tariffs", json=negative, headers=auth(**ADMIN))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "amount"]

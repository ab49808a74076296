import datetime as dt

from tests.medle.conftest import ADMIN, HOSPITAL_ADMIN_A, MINISTRY, OPERATOR_A, OPERATOR_B, REGIONAL_HDF
from tests.medle.test_reports import _month

LAST, BEFORE, OLDER = (f"{_month(n):%Y-%m}" for n in (1, 2, 3))
ETP = {"doctors": "2.5", "secretaries": "1", "nurses": "0.8", "doctors_target": "3"}


async def test_a_hospital_admin_enters_a_month_and_corrects_it_with_if_match(medle, auth, world):
    url = f"/v1/hospitals/{world.lille['id']}/staffing/{LAST}"
    created = await medle.put(url, json=ETP, headers=auth(**HOSPITAL_ADMIN_A))
    assert created.status_code == 201, created.text
    assert created.json()["doctors"] == "2.50" and created.json()["others"] == "0.00"
    assert created.headers["location"] == url
    stale = created.headers["etag"]
    fixed = await medle.put(url, json=ETP | {"doctors": "2.0"}, headers=auth(**HOSPITAL_ADMIN_A) | {"If-Match": stale})
    assert fixed.status_code == 200 and fixed.json()["version"] == 2
    again = await medle.put(url, json=ETP, headers=auth(**HOSPITAL_ADMIN_A) | {"If-Match": stale})
    assert again.status_code == 412
    history = (await medle.get(f"{url}/history", headers=auth(**REGIONAL_HDF))).json()
    assert [(h["version"], h["etp"]["doctors"]) for h in history] == [(2, "2.0"), (1, "2.5")]
    assert {h["changed_by"] for h in history} == {HOSPITAL_ADMIN_A["sub"]}


async def test_the_months_of_a_hospital_are_listed_most_recent_first(medle, auth, world):
    base = f"/v1/hospitals/{world.lille['id']}/staffing"
    for month in (OLDER, LAST, BEFORE):
        await medle.put(f"{base}/{month}", json=ETP, headers=auth(**HOSPITAL_ADMIN_A))
    listed = (await medle.get(base, headers=auth(**OPERATOR_A))).json()
    assert [m["month"] for m in listed] == [LAST, BEFORE, OLDER]
    since = (await medle.get(base, params={"from": f"{BEFORE}-15"}, headers=auth(**OPERATOR_A))).json()
    assert [m["month"] for m in since] == [LAST, BEFORE]
    assert (await medle.get(f"{base}/{LAST}", headers=auth(**OPERATOR_A))).json()["doctors_target"] == "3.00"


async def test_only_the_hospitals_admins_enter_its_staffing(medle, auth, world):
    url = f"/v1/hospitals/{world.lille['id']}/staffing/{LAST}"
    assert (await medle.put(url, json=ETP, headers=auth(**OPERATOR_A))).status_code == 403
    assert (await medle.put(url, json=ETP, headers=auth(**OPERATOR_B))).status_code == 404
    assert (await medle.get(url, headers=auth(**OPERATOR_B))).status_code == 404
    assert (await medle.put(url, json=ETP, headers=auth(**ADMIN))).status_code == 201
    assert (await medle.put(url, json=ETP)).status_code == 401


async def test_staffing_values_are_checked(medle, auth, world):
    base = f"/v1/hospitals/{world.lille['id']}/staffing"
    negative = await medle.put(f"{base}/{LAST}", json={"doctors": "-1"}, headers=auth(**HOSPITAL_ADMIN_A))
    assert negative.status_code == 422 and negative.json()["errors"][0]["loc"] == ["body", "doctors"]
    bad_month = await medle.put(f"{base}/2026-13", json=ETP, headers=auth(**HOSPITAL_ADMIN_A))
    assert bad_month.status_code == 422 and bad_month.json()["errors"][0]["loc"] == ["path", "month"]
    stray = await medle.put(f"{base}/{LAST}", json=ETP | {"hospital_id": 1}, headers=auth(**HOSPITAL_ADMIN_A))
    assert stray.status_code == 422


async def test_hospitals_without_staffing_for_two_months_are_listed(medle, auth, world):
    # Lille entered last month; Bordeaux only three months ago.
    await medle.put(f"/v1/hospitals/{world.lille['id']}/staffing/{BEFORE}", json=ETP, headers=auth(**ADMIN))
    await medle.put(f"/v1/hospitals/{world.bordeaux['id']}/staffing/{OLDER}", json=ETP, headers=auth(**ADMIN))
    r = await medle.get("/v1/staffing/missing", headers=auth(**MINISTRY))
    assert r.status_code == 200, r.text
    assert [(h["hospital_id"], h["last_staffed_month"], h["months_missing"]) for h in r.json()] == [
        (world.bordeaux["id"], OLDER, sorted([LAST, BEFORE]))]
    # A regional supervisor sees the alerts of their régions only.
    assert (await medle.get("/v1/staffing/missing", headers=auth(**REGIONAL_HDF))).json() == []
    assert (await medle.get("/v1/staffing/missing")).status_code == 401


async def test_a_hospital_that_never_entered_staffing_is_listed(medle, auth, world):
    r = (await medle.get("/v1/staffing/missing", headers=auth(**ADMIN))).json()
    assert {(h["hospital_id"], h["last_staffed_month"]) for h in r} == {
        (world.lille["id"], None), (world.bordeaux["id"], None)}


async def test_an_unknown_month_is_not_found(medle, auth, world):
    url = f"/v1/hospitals/{world.lille['id']}/staffing/{LAST}"
    assert (await medle.get(url, headers=auth(**OPERATOR_A))).status_code == 404
    assert (await medle.get(f"{url}/history", headers=auth(**OPERATOR_A))).status_code == 404
    assert dt.date.fromisoformat(f"{LAST}-01") < dt.date.today()

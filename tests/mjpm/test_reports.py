"""Report figures on a hand-made dataset, with small cells hidden from the ministries."""

import datetime as dt

import pytest

from tests.mjpm.conftest import ARRAS


@pytest.fixture
async def dataset(make, world):
    """In the Nord: A (capacity 10: 3 running + 1 waiting), B (capacity 2: 3 running, one over),
    C (no capacity set), D (suspended, capacity 5: 1 running). In the Pas-de-Calais: E (capacity 4)."""
    court = world.lille
    a = await make.manager(approved_capacity=10)
    b = await make.manager(approved_capacity=2, kind="service")
    await make.manager(approved_capacity=None)
    d = await make.manager(approved_capacity=5, suspended=True, suspension_reason="inquiry")
    await make.manager(approved_capacity=4, departement="62", commune_code=ARRAS)
    opened_2024 = dt.date(2024, 3, 1)
    for _ in range(3):
        await make.measure(court, a, nomination_date=opened_2024, sex="F", birth_year=1940)
    await make.measure(court, a, status="en_attente")
    for _ in range(3):
        await make.measure(court, b, nomination_date=opened_2024, nature="curatelle_renforcee", sex="H",
                           birth_year=1990)
    await make.measure(court, d, nomination_date=opened_2024, sex="F", birth_year=1940)
    for _ in range(6):
        await make.measure(court, a, status="eteinte", nomination_date=dt.date(2020, 1, 1),
                           end_date=dt.date(2024, 6, 1), exit_cause="deces")
    return world


async def test_availability_by_departement_adds_up_the_managers_capacities(mjpm, dataset, as_role):
    response = await mjpm.get("/v1/reports/availability", params={"departement": ["59", "62"]},
                              headers=as_role("admin", "admin"))
    assert response.status_code == 200, response.text
    rows = {r["code"]: r for r in response.json()["items"]}
    nord = rows["59"]
    # The world's two managers (capacities 10 and 50, nothing running) are in the Nord too.
    assert (nord["managers"], nord["managers_without_capacity"], nord["managers_suspended"]) == (6, 1, 1)
    assert (nord["capacity"], nord["in_progress"], nord["reserved"]) == (77, 7, 1)
    assert nord["available_global"] == 77 - 8
    assert nord["available_real"] == 6 + 0 + 0 + 10 + 50  # A, B, C, then the world's; D is suspended
    assert (nord["over_capacity"], nord["managers_over_capacity"]) == (1, 1)
    assert nord["latitude"] and nord["name"] == "Nord"
    assert (rows["62"]["capacity"], rows["62"]["available_real"]) == (4, 4)


async def test_availability_by_region(mjpm, dataset, as_role):
    response = await mjpm.get("/v1/reports/availability", params={"by": "region", "region": "32"},
                              headers=as_role("admin", "admin"))
    assert [(r["code"], r["managers"]) for r in response.json()["items"]] == [("32", 7)]


async def test_a_state_agent_reports_on_their_territory_only(mjpm, dataset, as_role):
    agent = as_role("agent-nord", "state_agent")
    own = await mjpm.get("/v1/reports/availability", headers=agent)
    assert [r["code"] for r in own.json()["items"]] == ["59"]
    assert (await mjpm.get("/v1/reports/availability", params={"departement": "62"}, headers=agent)).status_code == 403


async def test_measures_opened_and_closed_hide_small_cells_from_ministries(mjpm, dataset, as_role):
    params = {"from": "2024-01-01", "to": "2024-12-31", "group_by": "nature"}
    exact = (await mjpm.get("/v1/reports/measures", params=params, headers=as_role("agent-nord", "state_agent"))).json()
    assert {r["nature"]: (r["opened"], r["closed"]) for r in exact["items"]} == {
        "curatelle_renforcee": (3, 0), "tutelle": (4, 6)}
    ministry = (await mjpm.get("/v1/reports/measures", params=params, headers=as_role("dgcs", "report",
                                                                                     scopes=["mjpm:report"]))).json()
    assert {r["nature"]: (r["opened"], r["closed"]) for r in ministry["items"]} == {
        "curatelle_renforcee": (None, 0), "tutelle": (None, 6)}
    assert ministry["suppressed_cells"] == 2


async def test_population_by_age_band_sex_and_nature(mjpm, dataset, as_role):
    response = await mjpm.get("/v1/reports/population", params={"year": 2025}, headers=as_role("admin", "admin"))
    rows = {(r["age_band"], r["sex"], r["nature"]): r["measures"] for r in response.json()["items"]}
    assert rows == {("75_plus", "F", "tutelle"): 4, ("25_39", "H", "curatelle_renforcee"): 3}


async def test_reports_come_as_csv_for_french_excel(mjpm, dataset, as_role):
    response = await mjpm.get("/v1/reports/availability", params={"format": "csv", "excel": "true"},
                              headers=as_role("admin", "admin"))
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeffcode;name;managers".encode())


async def test_reports_are_not_for_judges_or_anonymous_callers(mjpm, dataset, as_role):
    assert (await mjpm.get("/v1/reports/availability")).status_code == 401
    assert (await mjpm.get("/v1/reports/availability", headers=as_role("judge-lille", "judge"))).status_code == 403
    bad = await mjpm.get("/v1/reports/measures", params={"from": "2025-01-01", "to": "2024-01-01"},
                         headers=as_role("admin", "admin"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "to"]

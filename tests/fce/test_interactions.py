"""GET /v1/interactions: what fce itself holds about a company, as counts and dates."""

from services.fce.domain.identifiers import make_siren
from tests.fce.conftest import Named


async def test_a_company_has_its_registry_entry_establishments_and_successions(fce, agent):
    response = await fce.get("/v1/interactions", params={"siren": Named.dupont}, headers=agent)
    assert response.status_code == 200
    body = response.json()
    assert (body["source"], body["siren"]) == ("fce", Named.dupont)
    items = {item["kind"]: item for item in body["items"]}
    assert items["registry"]["details"]["state"] == "A"
    assert items["establishments"]["count"] == 3
    assert items["establishments"]["details"] == {"open": 2, "closed": 1, "head_offices": 1, "employers": 3}
    assert items["successions"]["count"] == 1 and items["successions"]["last_at"] == "2019-06-30"
    assert "VERMANDOIS" not in response.text  # counts and dates, no names


async def test_an_establishment_has_its_own_counts(fce, partner):
    response = await fce.get("/v1/interactions", params={"siret": Named.dupont_lyon}, headers=partner)
    items = {item["kind"]: item for item in response.json()["items"]}
    assert items["establishments"]["count"] == 1 and items["establishments"]["siret"] == Named.dupont_lyon
    assert items["establishments"]["details"]["closed"] == 1
    assert items["successions"]["count"] == 1


async def test_an_unknown_company_has_nothing(fce, agent):
    response = await fce.get("/v1/interactions", params={"siren": make_siren("98765432")}, headers=agent)
    assert response.status_code == 200 and response.json()["items"] == []


async def test_an_invalid_siret_is_a_422_and_a_token_is_needed(fce, agent, reporter):
    response = await fce.get("/v1/interactions", params={"siret": "73282932000075"}, headers=agent)
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["query", "siret"]
    assert (await fce.get("/v1/interactions", params={"siren": Named.dupont})).status_code == 401
    assert (await fce.get("/v1/interactions", params={"siren": Named.dupont}, headers=reporter)).status_code == 403

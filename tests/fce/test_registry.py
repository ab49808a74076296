"""One company, one establishment, a company's establishments: ETag, source and as-of date,
422 on an invalid identifier with the reason."""

from services.fce.domain.identifiers import LA_POSTE_SIREN, make_siren, make_siret
from tests.fce.conftest import Named


async def test_a_company_is_given_with_its_head_office_source_and_etag(fce, agent, registry):
    response = await fce.get(f"/v1/companies/{Named.dupont}", headers=agent)
    assert response.status_code == 200
    body = response.json()
    assert (body["denomination"], body["state"], body["head_office_siret"]) == (
        "BOULANGERIE VERMANDOIS", "A", Named.dupont_paris)
    assert (body["head_office"]["departement"], body["head_office"]["region"]) == ("75", "11")
    assert body["headcount"] == {"band": "12", "label": "20 à 49 salariés", "year": 2023}
    assert body["activity"]["naf_section"] == "C"
    assert body["source"]["file_name"] == "StockUniteLegale_utf8.csv"
    assert body["source"]["as_of"] is not None and body["source"]["imported_at"] is not None
    assert response.headers["ETag"]


async def test_an_unchanged_company_is_a_304_for_its_etag(fce, agent):
    first = await fce.get(f"/v1/companies/{Named.dupont}", headers=agent)
    again = await fce.get(f"/v1/companies/{Named.dupont}", headers={**agent, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    other = await fce.get(f"/v1/companies/{Named.fils}", headers={**agent, "If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200


async def test_a_sole_trader_is_named_after_the_person(fce, partner):
    body = (await fce.get(f"/v1/companies/{Named.durand}", headers=partner)).json()
    assert (body["denomination"], body["is_natural_person"], body["employer"]) == (
        "MARIELLE DURANTAYE (MARTINVAL)", True, False)


async def test_an_invalid_siren_is_a_422_saying_why(fce, agent):
    response = await fce.get("/v1/companies/732829321", headers=agent)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["path", "siren"] and "check digit" in error["msg"]
    response = await fce.get("/v1/companies/12345", headers=agent)
    assert response.json()["errors"][0]["msg"].endswith("a SIREN has 9 digits")


async def test_an_unknown_company_is_a_404(fce, agent):
    response = await fce.get(f"/v1/companies/{make_siren('98765432')}", headers=agent)
    assert response.status_code == 404


async def test_the_registry_needs_a_token_the_scope_and_an_agent_or_client_role(fce, reporter, auth):
    path = f"/v1/companies/{Named.dupont}"
    assert (await fce.get(path)).status_code == 401
    assert (await fce.get(path, headers=reporter)).status_code == 403
    assert (await fce.get(path, headers=auth("agent-2", roles=["fce:agent"]))).status_code == 403
    assert (await fce.get(path, headers=auth("someone", scopes=["fce:read"]))).status_code == 403


async def test_an_establishment_is_given_with_its_address_successions_and_source(fce, agent):
    response = await fce.get(f"/v1/establishments/{Named.dupont_marseille}", headers=agent)
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["company_name"], body["head_office"]) == (
        "BOULANGERIE VERMANDOIS", "BOULANGERIE VERMANDOIS", False)
    assert (body["address"]["commune_name"], body["departement"], body["region"]) == ("MARSEILLE 1", "13", "93")
    assert body["latitude"] is not None
    assert body["successions"] == [{"predecessor_siret": Named.dupont_lyon, "successor_siret": Named.dupont_marseille,
                                    "succeeded_on": "2019-06-30", "head_office_transfer": False,
                                    "economic_continuity": True}]
    assert body["source"]["file_name"] == "StockEtablissement_utf8.csv"
    assert response.headers["ETag"]


async def test_an_establishment_with_an_enseigne_is_named_by_it(fce, agent):
    body = (await fce.get(f"/v1/establishments/{Named.dupont_paris}", headers=agent)).json()
    assert (body["name"], body["enseigne"]) == ("AU BON PAIN", "AU BON PAIN")


async def test_a_la_poste_siret_follows_its_own_rule(fce, agent):
    response = await fce.get(f"/v1/establishments/{Named.la_poste_office}", headers=agent)
    assert response.status_code == 200
    assert response.json()["address"]["commune_code"] == "2A004"
    # Luhn-valid but not La Poste's rule (digits adding up to a multiple of 5): not a SIRET.
    wrong = next(s for s in (f"{LA_POSTE_SIREN}{n:05d}" for n in range(100, 200))
                 if sum(map(int, s)) % 5 and s != Named.la_poste_office)
    response = await fce.get(f"/v1/establishments/{wrong}", headers=agent)
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["path", "siret"]


async def test_an_invalid_siret_is_a_422_and_an_unknown_one_a_404(fce, agent):
    response = await fce.get("/v1/establishments/73282932000075", headers=agent)
    assert response.status_code == 422
    assert "check digit" in response.json()["errors"][0]["msg"]
    unknown = make_siret(make_siren("98765432"), "0001")
    assert (await fce.get(f"/v1/establishments/{unknown}", headers=agent)).status_code == 404


async def test_a_companys_establishments_come_head_office_first_then_open_then_closed(fce, agent):
    response = await fce.get(f"/v1/companies/{Named.dupont}/establishments", headers=agent)
    assert response.status_code == 200
    assert [e["siret"] for e in response.json()["items"]] == [
        Named.dupont_paris, Named.dupont_marseille, Named.dupont_lyon]
    closed = await fce.get(f"/v1/companies/{Named.dupont}/establishments", params={"state": "F"}, headers=agent)
    assert [e["siret"] for e in closed.json()["items"]] == [Named.dupont_lyon]


async def test_a_companys_establishments_are_paged(fce, agent):
    first = await fce.get(f"/v1/companies/{Named.dupont}/establishments", params={"limit": 2}, headers=agent)
    assert 'rel="next"' in first.headers["Link"]
    second = await fce.get(f"/v1/companies/{Named.dupont}/establishments",
                           params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=agent)
    assert [e["siret"] for e in second.json()["items"]] == [Named.dupont_lyon]
    assert second.json()["next_cursor"] is None


async def test_the_establishments_of_an_unknown_or_invalid_company(fce, agent):
    assert (await fce.get(f"/v1/companies/{make_siren('98765432')}/establishments", headers=agent)).status_code == 404
    response = await fce.get("/v1/companies/732829321/establishments", headers=agent)
    assert response.status_code == 422
    response = await fce.get(f"/v1/companies/{Named.dupont}/establishments", params={"state": "X"}, headers=agent)
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["query", "state"]

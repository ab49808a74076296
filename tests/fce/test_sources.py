"""What was imported and when, and the rows each file could not give."""

import pytest

from tests.fce.stock import company, establishment, new_siren, write_stock


async def test_sources_list_each_file_imported_newest_first(fce, agent, registry):
    response = await fce.get("/v1/sources", headers=agent)
    assert response.status_code == 200
    items = response.json()["items"]
    latest = {item["dataset"]: item for item in reversed(items)}
    assert set(latest) == {"companies", "establishments", "successions"}
    establishments = latest["establishments"]
    assert establishments["file_name"] == "StockEtablissement_utf8.csv"
    assert establishments["rows_read"] == establishments["inserted"] + establishments["updated"] \
        + establishments["unchanged"] + establishments["rejected"]
    assert establishments["as_of"] and establishments["finished_at"]
    assert establishments["method"] == "rebuild"  # the session's registry is the first import
    assert [item["id"] for item in items] == sorted((item["id"] for item in items), reverse=True)


async def test_ministries_see_the_sources_too(fce, reporter):
    assert (await fce.get("/v1/sources", params={"dataset": "companies"}, headers=reporter)).status_code == 200


async def test_an_unknown_dataset_is_refused(fce, agent):
    response = await fce.get("/v1/sources", params={"dataset": "people"}, headers=agent)
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["query", "dataset"]


@pytest.fixture
async def rejected_source(raw, tmp_path):
    from services.fce.repository.imports import import_stock

    siren = new_siren()
    good = establishment(siren, "0002", head_office=False)
    # The last digit moved by one: a wrong Luhn key whatever the SIREN (siren + "00000" is right one time in ten).
    broken = {**good, "siret": good["siret"][:-1] + str((int(good["siret"][-1]) + 1) % 10)}
    paths = write_stock(tmp_path, [company(siren, "REJETS")], [establishment(siren), broken])
    summary = await import_stock(raw, companies=paths[0], establishments=paths[1])
    return summary.datasets[1].source_id, broken["siret"]


async def test_administrators_read_the_rejected_rows_with_their_line_and_reason(fce, admin, rejected_source):
    source_id, siret = rejected_source
    response = await fce.get(f"/v1/sources/{source_id}/rejections", headers=admin)
    assert response.status_code == 200
    [rejection] = response.json()["items"]
    assert (rejection["line"], rejection["key"]) == (3, siret)
    assert "wrong check digit" in rejection["reason"]


async def test_only_administrators_read_rejections(fce, agent, rejected_source):
    source_id, _ = rejected_source
    assert (await fce.get(f"/v1/sources/{source_id}/rejections")).status_code == 401
    assert (await fce.get(f"/v1/sources/{source_id}/rejections", headers=agent)).status_code == 403


async def test_rejections_of_an_unknown_source_are_a_404(fce, admin):
    assert (await fce.get("/v1/sources/999999999/rejections", headers=admin)).status_code == 404

"""Export of a search: every match, streamed, as CSV or XLSX."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

from openpyxl import load_workbook


async def total(client, headers, path, **params):
    response = await client.get(path, params={**params, "facets": "state", "limit": 1}, headers=headers)
    return response.json()["total"]


async def test_a_csv_export_has_as_many_rows_as_the_search(fce, agent):
    params = {"departement": ["75", "13", "69"], "state": "A"}
    expected = await total(fce, agent, "/v1/establishments/search", **params)
    asked_on = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    response = await fce.get("/v1/establishments/export", params={**params, "format": "csv"}, headers=agent)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    dated = {f'attachment; filename="etablissements-{day}.csv"'
             for day in (asked_on, dt.datetime.now(ZoneInfo("Europe/Paris")).date())}  # midnight may pass
    assert response.headers["content-disposition"] in dated
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert expected > 50 and len(rows) == expected
    assert {row["departement"] for row in rows} <= {"75", "13", "69"}
    assert len({row["siret"] for row in rows}) == expected


async def test_a_name_search_exported_to_excel_has_every_match(fce, agent):
    expected = await total(fce, agent, "/v1/establishments/search", q="boulangerie")
    response = await fce.get("/v1/establishments/export", params={"q": "boulangerie", "format": "xlsx"},
                             headers=agent)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "siret"
    assert expected > 1 and len(rows) - 1 == expected


async def test_a_company_export_in_french_excel_csv(fce, agent):
    expected = await total(fce, agent, "/v1/companies/search", state="C")
    response = await fce.get("/v1/companies/export", params={"state": "C", "format": "csv", "excel": "true"},
                             headers=agent)
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "siren" and len(rows) - 1 == expected


async def test_an_export_is_csv_or_xlsx(fce, agent):
    response = await fce.get("/v1/establishments/export", params={"format": "json"}, headers=agent)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "format"]


async def test_only_agents_export(fce, partner, reporter):
    assert (await fce.get("/v1/establishments/export", params={"format": "csv"})).status_code == 401
    assert (await fce.get("/v1/establishments/export", params={"format": "csv"}, headers=partner)).status_code == 403
    assert (await fce.get("/v1/companies/export", params={"format": "csv"}, headers=reporter)).status_code == 403

"""The demo seed of `fabrique run` and the `fabrique fce` commands."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from services.fce.cli import app
from services.fce.domain.sirene import company_from_row, establishment_from_row, read_stock_file
from services.fce.seed import DEMO_ACCOUNTS, seed


async def test_the_seed_loads_a_generated_registry_searchable_at_once(conn, fce, agent):
    session = AsyncSession(bind=conn, join_transaction_mode="create_savepoint")
    await seed(session, establishments=2000)
    assert (await conn.execute(text("SELECT count(*) FROM establishments"))).scalar() == 2000
    response = await fce.get("/v1/establishments/search", params={"q": "la poste", "limit": 1}, headers=agent)
    assert response.json()["items"][0]["company_name"] == "LA POSTE"


def test_demo_accounts_cover_the_people_roles():
    assert {role for account in DEMO_ACCOUNTS for role in account["roles"]} == {"fce:agent", "fce:admin", "fce:report"}
    assert all(account["sub"] and "fce:read" in account["scopes"] for account in DEMO_ACCOUNTS)


def test_generate_writes_the_three_files_in_insees_format(tmp_path):
    result = CliRunner().invoke(app, ["generate", "--establishments", "500", "--out", str(tmp_path), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "500 establishments" in result.output
    establishments = list(read_stock_file(tmp_path / "StockEtablissement_utf8.csv", establishment_from_row))
    companies = list(read_stock_file(tmp_path / "StockUniteLegale_utf8.csv", company_from_row))
    assert len(establishments) == 500 and all(hasattr(e, "siret") for e in establishments)
    assert all(hasattr(c, "siren") for c in companies)


def test_import_refuses_missing_files(tmp_path):
    result = CliRunner().invoke(app, ["import-sirene", "--unites", str(tmp_path / "none.csv"),
                                      "--etablissements", str(tmp_path / "none.csv")])
    assert result.exit_code != 0

"""fce test fixtures: a registry loaded once per session (committed; each test still runs in its own
rolled-back transaction), clients, principals of every role."""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.fce.cli import generate_files
from services.fce.domain.identifiers import LA_POSTE_HEAD_OFFICE_SIRET, LA_POSTE_SIREN, make_siret
from services.fce.repository.imports import ImportSummary, import_stock
from shared.testing import engine_for
from tests.fce.stock import company, establishment, new_siren, succession, write_stock

GENERATED = 1500  # synthetic establishments around the named ones


class Named:
    """Companies the tests search for by name, with their SIREN and SIRETs."""

    dupont = new_siren()  # BOULANGERIE VERMANDOIS: Paris head office, Lyon (closed), Marseille
    eclair = new_siren()  # PÂTISSERIE ÉCLAIR DE LUMIÈRE, Lille
    fils = new_siren()  # VERMANDOIS ET FILS, Toulouse
    moreau = new_siren()  # CARROSSERIE TOLOSANE, Toulouse
    tilleuls = new_siren()  # ASSOCIATION SOLIDARITE GARONNE, ESS, Lille
    durand = new_siren()  # a sole trader, MARIELLE DURANTAYE (MARTINVAL)
    abroad = new_siren()  # an establishment in London

    dupont_paris = make_siret(dupont, "0001")
    dupont_lyon = make_siret(dupont, "0002")
    dupont_marseille = make_siret(dupont, "0003")
    la_poste_head_office = LA_POSTE_HEAD_OFFICE_SIRET
    la_poste_office = make_siret(LA_POSTE_SIREN, "1234")


def named_stock() -> tuple[list[dict], list[dict], list[dict]]:
    n = Named
    companies = [
        company(n.dupont, "BOULANGERIE VERMANDOIS", nicSiegeUniteLegale=n.dupont_paris[9:],
                trancheEffectifsUniteLegale="12"),
        company(n.eclair, "PÂTISSERIE ÉCLAIR DE LUMIÈRE", nicSiegeUniteLegale=make_siret(n.eclair, "0001")[9:],
                activitePrincipaleUniteLegale="10.71D"),
        company(n.fils, "VERMANDOIS ET FILS", nicSiegeUniteLegale=make_siret(n.fils, "0001")[9:],
                activitePrincipaleUniteLegale="43.22A"),
        company(n.moreau, "CARROSSERIE TOLOSANE", nicSiegeUniteLegale=make_siret(n.moreau, "0001")[9:],
                activitePrincipaleUniteLegale="45.20A", trancheEffectifsUniteLegale="03"),
        company(n.tilleuls, "ASSOCIATION SOLIDARITE GARONNE", nicSiegeUniteLegale=make_siret(n.tilleuls, "0001")[9:],
                categorieJuridiqueUniteLegale="9220", economieSocialeSolidaireUniteLegale="O",
                activitePrincipaleUniteLegale="94.99Z"),
        company(n.durand, None, categorieJuridiqueUniteLegale="1000", prenom1UniteLegale="MARIELLE",
                prenomUsuelUniteLegale="MARIELLE", nomUniteLegale="MARTINVAL", nomUsageUniteLegale="DURANTAYE",
                sexeUniteLegale="F", nicSiegeUniteLegale=make_siret(n.durand, "0001")[9:],
                activitePrincipaleUniteLegale="96.02A", trancheEffectifsUniteLegale="NN",
                caractereEmployeurUniteLegale="N"),
        company(n.abroad, "EXPORT CONSEIL", nicSiegeUniteLegale=make_siret(n.abroad, "0001")[9:],
                activitePrincipaleUniteLegale="70.22Z"),
        company(LA_POSTE_SIREN, "LA POSTE", nicSiegeUniteLegale="00048", categorieJuridiqueUniteLegale="5599",
                activitePrincipaleUniteLegale="53.10Z", trancheEffectifsUniteLegale="53"),
    ]
    establishments = [
        establishment(n.dupont, "0001", enseigne1Etablissement="AU BON PAIN", trancheEffectifsEtablissement="12"),
        establishment(n.dupont, "0002", head_office=False, commune="69383", postcode="69003", commune_name="LYON 3",
                      etatAdministratifEtablissement="F", dateDebut="2019-06-30"),
        establishment(n.dupont, "0003", head_office=False, commune="13201", postcode="13001",
                      commune_name="MARSEILLE 1", trancheEffectifsEtablissement="02"),
        establishment(n.eclair, "0001", commune="59350", postcode="59000", commune_name="LILLE",
                      activitePrincipaleEtablissement="10.71D"),
        establishment(n.fils, "0001", commune="31555", postcode="31000", commune_name="TOULOUSE",
                      activitePrincipaleEtablissement="43.22A"),
        establishment(n.moreau, "0001", commune="31555", postcode="31000", commune_name="TOULOUSE",
                      activitePrincipaleEtablissement="45.20A", trancheEffectifsEtablissement="03"),
        establishment(n.tilleuls, "0001", commune="59350", postcode="59000", commune_name="LILLE",
                      activitePrincipaleEtablissement="94.99Z"),
        establishment(n.durand, "0001", commune="69383", postcode="69003", commune_name="LYON 3",
                      activitePrincipaleEtablissement="96.02A", trancheEffectifsEtablissement="NN",
                      caractereEmployeurEtablissement="N"),
        establishment(n.abroad, "0001", commune="", postcode="", commune_name="",
                      libelleCommuneEtrangerEtablissement="LONDRES", codePaysEtrangerEtablissement="99132",
                      libellePaysEtrangerEtablissement="ROYAUME-UNI", libelleVoieEtablissement="OXFORD STREET",
                      activitePrincipaleEtablissement="70.22Z"),
        establishment(LA_POSTE_SIREN, "0004", commune="75115", postcode="75015", commune_name="PARIS 15",
                      activitePrincipaleEtablissement="53.10Z", trancheEffectifsEtablissement="53",
                      nic="00048", siret=LA_POSTE_HEAD_OFFICE_SIRET),
        establishment(LA_POSTE_SIREN, "1234", head_office=False, commune="2A004", postcode="20000",
                      commune_name="AJACCIO", enseigne1Etablissement="BUREAU DE POSTE AJACCIO",
                      activitePrincipaleEtablissement="53.10Z"),
    ]
    successions = [succession(n.dupont_lyon, n.dupont_marseille, "2019-06-30")]
    return companies, establishments, successions


@pytest.fixture(scope="session")
def stock_files(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A small synthetic stock (the generator) plus the named companies, in INSEE's format."""
    directory = tmp_path_factory.mktemp("stock")
    generate_files(directory, GENERATED, seed=7, workers=1)
    return write_stock(directory, *named_stock(), append=True)


@pytest.fixture(scope="session")
async def registry(prepared_database, stock_files, _dispose_engines) -> ImportSummary:
    """The session's registry, committed once (an import replaces all of it)."""
    engine = await engine_for("fce")
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        summary = await import_stock(raw.driver_connection, companies=stock_files[0], establishments=stock_files[1],
                                     successions=stock_files[2], actor="tests")
        await conn.commit()
    return summary


@pytest.fixture
async def conn(connection_for) -> AsyncConnection:
    return await connection_for("fce")


@pytest.fixture
async def raw(conn):
    """The test connection's asyncpg connection, inside the test's transaction (which SQLAlchemy
    only opens on the server with a first statement: without it an import would commit)."""
    await conn.execute(text("SELECT 1"))
    return (await conn.get_raw_connection()).driver_connection


@pytest.fixture
async def fce(client_for, registry):
    return await client_for("fce")


@pytest.fixture
def agent(auth):
    return auth("agent-1", scopes=["fce:read", "fce:write"], roles=["fce:agent"])


@pytest.fixture
def admin(auth):
    return auth("admin-1", scopes=["fce:read", "fce:write"], roles=["fce:admin"])


@pytest.fixture
def reporter(auth):
    return auth("ministry-1", scopes=["fce:read"], roles=["fce:report"])


@pytest.fixture
def partner(auth):
    return auth("partner-platform", scopes=["fce:read"], extra={"client": True})

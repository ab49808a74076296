"""Import of INSEE's stock files: every quirk of the real format, rejections with reasons, the SQL
checks agreeing with the domain's normalisers, idempotent re-import, atomic replacement."""
# ruff: noqa: E501 (rows are CSV lines as INSEE writes them)

import asyncio
import csv
import dataclasses
import datetime as dt
import io

import pytest

from services.fce.cli import generate_files, load
from services.fce.domain.identifiers import make_siret
from services.fce.domain.sirene import (
    ETABLISSEMENT_COLUMNS,
    Rejection,
    company_from_row,
    establishment_from_row,
    read_stock_file,
    succession_from_row,
)
from services.fce.repository import imports
from services.fce.repository.imports import IMPORT_LOCK, ImportBusy, import_stock
from shared.testing import engine_for
from tests.fce.stock import company, establishment, new_siren, write_stock
from tests.fce.test_domain_sirene import (
    COMPANY_ROWS,
    ESTABLISHMENT_ROWS,
    ETABLISSEMENT_HEADER,
    LIEN_SUCCESSION_HEADER,
    SUCCESSION_ROWS,
    UNITE_LEGALE_HEADER,
)

# The domain's hand-written rows, and two more quirks: a row cut short (PostgreSQL refuses the
# whole COPY: the file is read again row by row) and a date that does not exist (the fast checks
# raise: the careful ones run).
BAD_DATE_SIRET = make_siret("732829320", "0010")


def extra_establishment_rows() -> str:
    short = "732829320,00090,73282932000090,O,2005-01-01\n"
    bad_date = establishment("732829320", "0010", head_office=False, dateCreationEtablissement="2019-02-30")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([bad_date.get(c, "") for c in ETABLISSEMENT_COLUMNS])
    return short + buffer.getvalue()


@pytest.fixture
def quirks(tmp_path):
    (tmp_path / "StockUniteLegale_utf8.csv").write_text(f"{UNITE_LEGALE_HEADER}\n{COMPANY_ROWS}", encoding="utf-8")
    (tmp_path / "StockEtablissement_utf8.csv").write_text(
        f"{ETABLISSEMENT_HEADER}\n{ESTABLISHMENT_ROWS}{extra_establishment_rows()}", encoding="utf-8")
    (tmp_path / "StockEtablissementLiensSuccession_utf8.csv").write_text(
        f"{LIEN_SUCCESSION_HEADER}\n{SUCCESSION_ROWS}", encoding="utf-8")
    return tmp_path


async def run(raw, directory, **kwargs):
    return await import_stock(raw, companies=directory / "StockUniteLegale_utf8.csv",
                              establishments=directory / "StockEtablissement_utf8.csv",
                              successions=directory / "StockEtablissementLiensSuccession_utf8.csv", **kwargs)


async def rows(raw, table, key):
    return {r[key]: dict(r) for r in await raw.fetch(f"SELECT * FROM fce.{table}")}


async def rejections(raw, dataset):
    return await raw.fetch(
        "SELECT r.line, r.key, r.reason FROM fce.import_rejections r JOIN fce.import_sources s ON s.id = r.source_id "
        "WHERE s.id = (SELECT max(id) FROM fce.import_sources WHERE dataset = $1) ORDER BY r.line", dataset)


async def test_a_file_with_every_quirk_stores_what_is_right_and_rejects_the_rest_saying_why(raw, quirks):
    summary = await run(raw, quirks)

    companies = await rows(raw, "companies", "siren")
    assert set(companies) == {"732829320", "404833048", "812345676", "552008443", "775612344"}
    dupont = companies["732829320"]
    assert (dupont["denomination"], dupont["sigle"], dupont["naf_section"]) == ("DUPONT, FILS ET CIE", "DFC", "J")
    assert (dupont["departement"], dupont["region"], dupont["commune_code"]) == ("75", "11", "75102")
    assert companies["404833048"]["denomination"] == "MARIE DURAND (MARTIN)"
    hidden = companies["812345676"]
    assert (hidden["diffusion_status"], hidden["denomination"], hidden["name_norm"]) == ("P", None, None)
    old = companies["552008443"]
    assert (old["naf"], old["naf_nomenclature"], old["naf_is_current"], old["naf_section"]) == (
        "52.4H", "NAF1993", False, None)
    assert (old["state"], old["ceased_on"]) == ("C", dt.date(2001, 6, 30))

    establishments = await rows(raw, "establishments", "siret")
    head = establishments["73282932000074"]
    assert (head["head_office"], head["enseigne"], head["company_name"]) == (True, "CHEZ DUPONT", "DUPONT, FILS ET CIE")
    assert (head["latitude"] is not None, head["epci"]) == (True, "200054781")  # Paris arrondissement: the city's EPCI
    cedex = establishments["73282932000082"]
    assert (cedex["cedex_code"], cedex["cedex_name"], cedex["state"]) == ("69441", "LYON CEDEX 03", "F")
    assert (cedex["naf_nomenclature"], cedex["naf_is_current"]) == ("NAFRev1", False)
    abroad = establishments["40483304800014"]
    assert (abroad["country_name"], abroad["foreign_city"], abroad["commune_code"], abroad["departement"]) == (
        "ROYAUME-UNI", "LONDRES", None, None)
    masked = establishments["81234567600017"]
    assert (masked["street_name"], masked["street_number"], masked["postcode"]) == (None, None, "13001")
    assert establishments["35600000012341"]["departement"] == "2A"  # La Poste's rule for its SIRETs
    assert establishments["35600000000048"]["head_office"] is True

    assert [tuple(r) for r in await rejections(raw, "companies")] == [
        (7, "732829321", "siren: SIREN 732829321 has a wrong check digit (Luhn)")]
    assert [tuple(r) for r in await rejections(raw, "establishments")] == [
        (8, "73282932000075", "siret: SIRET 73282932000075 has a wrong check digit (Luhn)"),
        (9, "73282932000074", "siret 73282932000074 is not siren '404833048' followed by nic '00014'"),
        (10, None, "row has 5 fields, the header has 54"),
        (11, BAD_DATE_SIRET, "dateCreationEtablissement '2019-02-30' is not a date (YYYY-MM-DD)"),
    ]
    [succession_rejection] = await rejections(raw, "successions")
    assert succession_rejection["line"] == 4 and "La Poste" in succession_rejection["reason"]

    by_dataset = {d.dataset: d for d in summary.datasets}
    assert (by_dataset["establishments"].rows_read, by_dataset["establishments"].rejected) == (10, 4)
    assert (by_dataset["companies"].rows_read, by_dataset["companies"].rejected) == (6, 1)
    assert by_dataset["successions"].reasons[0][1] == 1


def _expected(path, normaliser):
    records, rejected = {}, []
    for record in read_stock_file(path, normaliser):
        if isinstance(record, Rejection):
            rejected.append((record.line, record.key, record.reason))
        else:
            records[tuple(dataclasses.astuple(record)[:3])] = dataclasses.asdict(record)
    return records, rejected


@pytest.mark.parametrize("dataset", ["companies", "establishments", "successions"])
async def test_the_sql_checks_agree_with_the_domain_normalisers_row_for_row(raw, tmp_path, quirks, dataset):
    # A synthetic stock (every proportion of the real one) with the quirks appended.
    files = generate_files(tmp_path / "gen", 3000, seed=11, workers=1)
    for generated, extra in zip((files.companies, files.establishments, files.successions),
                                ("StockUniteLegale_utf8.csv", "StockEtablissement_utf8.csv",
                                 "StockEtablissementLiensSuccession_utf8.csv"), strict=True):
        lines = (quirks / extra).read_text(encoding="utf-8").splitlines(keepends=True)[1:]
        with open(generated, "a", encoding="utf-8") as out:  # noqa: ASYNC230 - La Poste is in the synthetic files already
            out.writelines(line for line in lines if not line.startswith("356000000,"))
    await import_stock(raw, companies=files.companies, establishments=files.establishments,
                       successions=files.successions)
    path, normaliser, table, key = {
        "companies": (files.companies, company_from_row, "companies", "siren"),
        "establishments": (files.establishments, establishment_from_row, "establishments", "siret"),
        "successions": (files.successions, succession_from_row, "successions", "predecessor_siret"),
    }[dataset]
    expected, expected_rejections = _expected(path, normaliser)
    stored = await raw.fetch(f"SELECT * FROM fce.{table}")
    got = {}
    for row in stored:
        fields = {name: row[name] for name in next(iter(expected.values()))}
        got[tuple(fields.values())[:3]] = fields
    assert len(got) == len(expected) > 20
    assert got == expected
    assert [tuple(r) for r in await rejections(raw, dataset)] == expected_rejections


async def test_importing_the_same_files_again_changes_nothing(raw, quirks):
    await run(raw, quirks)
    before = await rows(raw, "establishments", "siret")
    summary = await run(raw, quirks)
    assert await rows(raw, "establishments", "siret") == before
    for d in summary.datasets:
        assert (d.inserted, d.updated, d.removed) == (0, 0, 0), d.dataset
        assert d.unchanged == d.rows_read - d.rejected


async def test_a_new_file_replaces_the_registry_counting_inserted_updated_and_removed(raw, tmp_path):
    kept, gone, changed = new_siren(), new_siren(), new_siren()
    write_stock(tmp_path / "one", [company(kept, "GARDEE"), company(gone, "PARTIE"), company(changed, "CHANGEE")],
                [establishment(kept), establishment(gone), establishment(changed)])
    await run(raw, tmp_path / "one")
    arrived = new_siren()
    write_stock(tmp_path / "two", [company(kept, "GARDEE"), company(arrived, "ARRIVEE"),
                                   company(changed, "CHANGEE ET RENOMMEE",
                                           dateDernierTraitementUniteLegale="2025-12-01T09:00:00")],
                [establishment(kept), establishment(arrived), establishment(changed)])
    summary = await run(raw, tmp_path / "two")
    companies = summary.datasets[0]
    assert (companies.inserted, companies.updated, companies.unchanged, companies.removed) == (1, 1, 1, 1)
    names = {r["siren"]: r["denomination"] for r in await raw.fetch("SELECT siren, denomination FROM fce.companies")}
    assert names == {kept: "GARDEE", arrived: "ARRIVEE", changed: "CHANGEE ET RENOMMEE"}
    # Establishments carry their company's new name.
    assert await raw.fetchval("SELECT company_name FROM fce.establishments WHERE siren = $1", changed) == \
        "CHANGEE ET RENOMMEE"


async def test_a_commune_the_referential_does_not_list_gets_its_departement_and_region_by_the_codes_rule(
        raw, tmp_path):
    siren = new_siren()
    merged = "01999"  # shaped like an Ain commune, absent from the referential (merged since, say)
    assert not await raw.fetchval("SELECT count(*) FROM ref.communes WHERE code = $1", merged)
    head = establishment(siren, commune=merged, postcode="01000", commune_name="ANCIENNE COMMUNE")
    write_stock(tmp_path, [company(siren, "FUSIONNEE", nicSiegeUniteLegale=head["nic"])],
                [head, establishment(siren, "0002", head_office=False)])
    await run(raw, tmp_path)
    assert [tuple(r) for r in await raw.fetch(
        "SELECT commune_code, departement, region, latitude IS NULL FROM fce.establishments WHERE siren = $1 "
        "ORDER BY siret", siren)] == [(merged, "01", "84", True), ("75102", "75", "11", False)]
    company_row = await raw.fetchrow("SELECT commune_code, departement, region FROM fce.companies WHERE siren = $1",
                                     siren)
    assert tuple(company_row) == (merged, "01", "84")


async def test_a_key_twice_in_a_file_keeps_the_first_row_and_rejects_the_other(raw, tmp_path):
    siren = new_siren()
    first = establishment(siren, enseigne1Etablissement="PREMIERE")
    write_stock(tmp_path, [company(siren, "DOUBLONS")], [first, {**first, "enseigne1Etablissement": "SECONDE"}])
    summary = await run(raw, tmp_path)
    assert await raw.fetchval("SELECT enseigne FROM fce.establishments WHERE siren = $1", siren) == "PREMIERE"
    assert [tuple(r) for r in await rejections(raw, "establishments")] == [
        (3, first["siret"], f"siret {first['siret']} is also on line 2: the first is kept")]
    assert summary.datasets[1].rejected == 1


async def test_the_registry_is_stored_by_departement_then_rank_as_searches_read_it(raw, tmp_path):
    generate_files(tmp_path, 300, seed=5)
    await run(raw, tmp_path)
    for table in ("companies", "establishments"):
        stored = [tuple(r) for r in await raw.fetch(f"SELECT departement, rank_key FROM fce.{table} ORDER BY ctid")]
        assert len(stored) > 100 and stored == sorted(stored, key=lambda r: (r[0] is None, r[0] or "", r[1]))


async def test_the_registry_keeps_its_indexes_and_matches_the_migrations_after_an_import(raw, quirks):
    await run(raw, quirks)
    indexes = {r["indexname"] for r in await raw.fetch("SELECT indexname FROM pg_indexes WHERE schemaname = 'fce'")}
    assert {"pk_establishments", "ix_establishments_search_vector", "ix_name_words_word_trgm"} <= indexes
    assert not [name for name in indexes if name.endswith("__next")]
    assert not await raw.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'fce' "
                                  "AND (tablename LIKE '\\_stage%' OR tablename LIKE '\\_next%')")


async def test_a_second_import_at_the_same_time_is_refused(raw, quirks):
    engine = await engine_for("fce")
    async with engine.connect() as other:
        holder = (await other.get_raw_connection()).driver_connection
        await holder.execute("SELECT pg_advisory_lock($1)", IMPORT_LOCK)
        try:
            with pytest.raises(ImportBusy):
                await run(raw, quirks)
        finally:
            await holder.execute("SELECT pg_advisory_unlock($1)", IMPORT_LOCK)


async def test_a_rebuild_waits_for_a_long_reader_without_holding_up_the_searches(raw, quirks, monkeypatch):
    monkeypatch.setattr(imports, "SWAP_PAUSE_SECONDS", 0.1)
    engine = await engine_for("fce")
    async with engine.connect() as exporting, engine.connect() as searching:
        export = (await exporting.get_raw_connection()).driver_connection
        search = (await searching.get_raw_connection()).driver_connection
        await export.execute("BEGIN; SELECT count(*) FROM fce.establishments")  # a long export's share lock
        waiting = asyncio.Event()

        def progress(step, done, total):
            if step.startswith("waiting for the registry's readers"):
                waiting.set()

        rebuild = asyncio.create_task(run(raw, quirks, rebuild=True, progress=progress))
        try:
            await asyncio.wait_for(waiting.wait(), 60)
            await search.execute("SET statement_timeout = '5s'")
            for _ in range(5):  # searches keep being answered while the rebuild waits
                await search.fetchval("SELECT count(*) FROM fce.establishments")
                await asyncio.sleep(0.1)
            assert not rebuild.done()
        finally:
            await export.execute("COMMIT")
        summary = await asyncio.wait_for(rebuild, 60)
    assert summary.datasets[1].method == "rebuild" and await raw.fetchval(
        "SELECT count(*) FROM fce.establishments") == summary.datasets[1].rows_read - summary.datasets[1].rejected


async def test_a_rebuild_out_of_patience_waits_for_the_reader_rather_than_fail(raw, quirks, monkeypatch):
    monkeypatch.setattr(imports, "SWAP_PATIENCE_SECONDS", 0.0)
    engine = await engine_for("fce")
    async with engine.connect() as exporting:
        export = (await exporting.get_raw_connection()).driver_connection
        await export.execute("BEGIN; SELECT count(*) FROM fce.companies")
        rebuild = asyncio.create_task(run(raw, quirks, rebuild=True))
        try:
            for _ in range(300):  # until the rebuild waits for its lock on the companies
                if await export.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted "
                                         "AND relation = 'fce.companies'::regclass") or rebuild.done():
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)
            assert not rebuild.done()
        finally:
            await export.execute("COMMIT")
        summary = await asyncio.wait_for(rebuild, 60)
    assert await raw.fetchval("SELECT count(*) FROM fce.companies") == summary.datasets[0].rows_read - \
        summary.datasets[0].rejected


async def test_a_file_that_is_not_a_stock_file_is_refused_before_anything_changes(raw, tmp_path, quirks):
    (tmp_path / "bad.csv").write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="is not a SIRENE stock file"):
        await import_stock(raw, companies=tmp_path / "bad.csv", establishments=quirks / "StockEtablissement_utf8.csv")


async def test_the_command_shows_progress_and_a_summary(raw, quirks):
    from rich.console import Console

    console = Console(record=True, width=140)
    await load(raw, quirks / "StockUniteLegale_utf8.csv", quirks / "StockEtablissement_utf8.csv",
               quirks / "StockEtablissementLiensSuccession_utf8.csv", console)
    text = console.export_text()
    assert "SIRENE import (rebuild)" in text and "StockEtablissement_utf8.csv" in text
    assert "rejected 1 × siret: SIRET 73282932000075 has a wrong check digit (Luhn)" in text

"""A month's files imported as changes (only the changed lines reach the database) give exactly the
registry, counts and rejections that a rebuild from the same files gives."""

import csv
import io
from pathlib import Path

from services.fce.cli import generate_files
from services.fce.domain.identifiers import make_siret
from services.fce.domain.sirene import COMPANIES_FILE, ESTABLISHMENTS_FILE, ETABLISSEMENT_COLUMNS, SUCCESSIONS_FILE
from services.fce.repository.imports import import_stock
from tests.fce.stock import company, establishment, new_siren, succession, write_stock

KEYS = {"companies": "siren", "establishments": "siret", "successions": "predecessor_siret, successor_siret",
        "name_words": "word"}
NEW_DATE = "2025-12-01T08:00:00"


def _line(row: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row)
    return buffer.getvalue()


def _edit(path: Path, edit) -> None:
    """Rewrite a stock file line by line: `edit(fields)` returns the new fields, or None to drop the
    line; lines it leaves alone stay byte for byte."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out = [lines[0]]
    for line in lines[1:]:
        fields = next(csv.reader([line]))
        changed = edit(list(fields))
        if changed == fields:
            out.append(line)
        elif changed is not None:
            out.append(_line(changed))
    path.write_text("".join(out), encoding="utf-8")


def two_months(tmp_path: Path) -> tuple[Path, Path, tuple[str, str, str]]:
    """A synthetic stock with a few hand-made units, then the same stock a month later with one of
    each kind of change."""
    one, two = tmp_path / "one", tmp_path / "two"
    generate_files(one, 1500, seed=3, workers=1)
    renamed, closing, leaving, orphan, moving, demoted = (new_siren() for _ in range(6))
    units = [company(siren, name, nicSiegeUniteLegale=make_siret(siren, "0001")[9:]) for siren, name in (
        (renamed, "BOULANGERIE ANCIENNE"), (closing, "GARAGE DU PONT"), (leaving, "PARTIE SANS LAISSER"),
        (orphan, "MAISON MERE"), (moving, "DEMENAGEMENTS RAPIDES"), (demoted, "SIEGE DISCUTE"))]
    places = [establishment(renamed, enseigne1Etablissement="AU PAIN"),
              establishment(renamed, "0002", head_office=False),
              establishment(closing), establishment(closing, "0002", head_office=False),
              establishment(leaving), establishment(orphan), establishment(orphan, "0002", head_office=False),
              establishment(moving), establishment(demoted)]
    bad_siret = {**establishment(renamed, "0003", head_office=False), "siret": "12345678901234"}
    write_stock(one, units, [*places, bad_siret], [succession(places[2]["siret"], places[3]["siret"])], append=True)
    for name in (COMPANIES_FILE, ESTABLISHMENTS_FILE, SUCCESSIONS_FILE):
        two.mkdir(exist_ok=True)
        (two / name).write_bytes((one / name).read_bytes())

    header = (one / COMPANIES_FILE).read_text(encoding="utf-8").splitlines()[0].split(",")
    at = {column: header.index(column) for column in header}

    def companies(fields):
        if fields[0] == renamed:  # a new name: its establishments carry it, the vocabulary learns it
            fields[at["denominationUniteLegale"]] = "BOULANGERIE ZORGLUB"
            fields[at["dateDernierTraitementUniteLegale"]] = NEW_DATE
        if fields[0] == leaving:  # gone from the file (its establishment stays, without a company)
            return None
        if not fields[0].startswith("99") and int(fields[0]) % 37 == 0:  # a few generated ones: more employees
            fields[at["trancheEffectifsUniteLegale"]] = "53"
            fields[at["dateDernierTraitementUniteLegale"]] = NEW_DATE
        return fields

    columns = {column: ETABLISSEMENT_COLUMNS.index(column) for column in ETABLISSEMENT_COLUMNS}

    def establishments(fields):
        siret = fields[columns["siret"]]
        if siret == make_siret(closing, "0002"):  # closed this month
            fields[columns["etatAdministratifEtablissement"]] = "F"
            fields[columns["dateDebut"]] = "2025-11-30"
            fields[columns["dateDernierTraitementEtablissement"]] = NEW_DATE
        if siret == make_siret(orphan, "0001"):  # the head office is gone: the company loses its place
            return None
        if siret == make_siret(moving, "0001"):  # the head office moved: so does its company
            fields[columns["codeCommuneEtablissement"]] = "69383"
            fields[columns["codePostalEtablissement"]] = "69003"
            fields[columns["libelleCommuneEtablissement"]] = "LYON 3"
        if siret == make_siret(demoted, "0001"):  # no longer says it is the head office: the company loses its place
            fields[columns["etablissementSiege"]] = "false"
        if siret == make_siret(renamed, "0002"):  # a line now wrong: rejected, and out of the registry
            fields[columns["dateCreationEtablissement"]] = "2019-02-30"
        if not siret.startswith("99") and int(siret) % 53 == 0:  # a few generated ones: a new sign
            fields[columns["enseigne1Etablissement"]] = "CHEZ NOUS"
            fields[columns["dateDernierTraitementEtablissement"]] = NEW_DATE
        return fields

    _edit(two / COMPANIES_FILE, companies)
    _edit(two / ESTABLISHMENTS_FILE, establishments)
    arrived = new_siren()
    write_stock(two, [company(arrived, "NOUVELLE ARRIVEE", dateDernierTraitementUniteLegale=NEW_DATE)],
                [establishment(arrived, dateDernierTraitementEtablissement=NEW_DATE),
                 establishment(closing, "0003", head_office=False)], append=True)
    return one, two, (moving, orphan, demoted)


async def run(raw, directory: Path, rebuild: bool = False):
    return await import_stock(raw, companies=directory / COMPANIES_FILE, establishments=directory / ESTABLISHMENTS_FILE,
                              successions=directory / SUCCESSIONS_FILE, rebuild=rebuild)


async def registry(raw) -> dict[str, list[dict]]:
    return {table: [dict(row) for row in await raw.fetch(f"SELECT * FROM fce.{table} ORDER BY {key}")]
            for table, key in KEYS.items()}


async def rejections(raw) -> list[tuple]:
    return [tuple(row) for row in await raw.fetch(
        "SELECT s.dataset, r.line, r.key, r.reason FROM fce.import_rejections r "
        "JOIN fce.import_sources s ON s.id = r.source_id "
        "WHERE s.id IN (SELECT max(id) FROM fce.import_sources GROUP BY dataset) ORDER BY 1, 2")]


def counts(summary) -> dict[str, tuple]:
    return {d.dataset: (d.rows_read, d.inserted, d.updated, d.unchanged, d.removed, d.rejected, d.as_of)
            for d in summary.datasets}


async def test_next_months_files_imported_as_changes_give_what_a_rebuild_gives(raw, tmp_path):
    one, two, (moving, orphan, demoted) = two_months(tmp_path)
    await run(raw, one, rebuild=True)
    as_changes = await run(raw, two)
    assert {d.method for d in as_changes.datasets} == {"changes"}
    changed_registry, changed_rejections = await registry(raw), await rejections(raw)

    await run(raw, one, rebuild=True)
    rebuilt = await run(raw, two, rebuild=True)
    assert {d.method for d in rebuilt.datasets} == {"rebuild"}

    assert counts(as_changes) == counts(rebuilt)
    assert changed_rejections == await rejections(raw)
    rebuilt_registry = await registry(raw)
    for table in KEYS:
        assert changed_registry[table] == rebuilt_registry[table], table
    # The month's changes are there (not only equal: present).
    by_siren = {row["siren"]: row for row in rebuilt_registry["companies"]}
    words = {row["word"] for row in rebuilt_registry["name_words"]}
    assert "zorglub" in words and "ancienne" not in words
    assert [by_siren[siren]["commune_code"] for siren in (moving, orphan, demoted)] == ["69383", None, None]
    assert by_siren[next(iter(by_siren))]["source_digest"] is not None
    read, inserted, updated, _, removed, rejected, _ = counts(as_changes)["establishments"]
    assert (inserted, removed, rejected) == (2, 2, 2) and updated > 10 and read > 1500


async def test_the_same_files_again_are_all_unchanged_and_read_as_changes(raw, tmp_path):
    one, _, _ = two_months(tmp_path)
    await run(raw, one, rebuild=True)
    before = await registry(raw)
    again = await run(raw, one)
    assert {d.method for d in again.datasets} == {"changes"}
    for d in again.datasets:
        assert (d.inserted, d.updated, d.removed) == (0, 0, 0), d.dataset
    assert await registry(raw) == before


async def test_a_registry_made_with_other_statements_or_referentials_is_rebuilt(raw, tmp_path):
    one, two, _ = two_months(tmp_path)
    await run(raw, one, rebuild=True)
    await raw.execute("UPDATE fce.import_sources SET shaped_with = 'communes of last year'")
    summary = await run(raw, two)
    assert {d.method for d in summary.datasets} == {"rebuild"}


async def test_a_month_that_changed_most_lines_is_rebuilt(raw, tmp_path):
    one, _, _ = two_months(tmp_path)
    await run(raw, one, rebuild=True)
    other = tmp_path / "other"
    generate_files(other, 1500, seed=4, workers=1)  # another stock altogether
    summary = await run(raw, other)
    assert {d.method for d in summary.datasets} == {"rebuild"}
    assert await raw.fetchval("SELECT count(*) FROM fce.establishments") == 1500


async def test_a_key_on_two_lines_is_rebuilt_and_the_second_line_rejected(raw, tmp_path):
    one, two, _ = two_months(tmp_path)
    await run(raw, one, rebuild=True)
    first = (two / ESTABLISHMENTS_FILE).read_text(encoding="utf-8").splitlines(keepends=True)[1]
    with open(two / ESTABLISHMENTS_FILE, "a", encoding="utf-8") as out:  # noqa: ASYNC230 - a test file
        out.write(first)
    summary = await run(raw, two)
    assert {d.method for d in summary.datasets} == {"rebuild"}
    assert any("is also on line 2" in reason for reason, _ in summary.datasets[1].reasons)

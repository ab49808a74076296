"""Synthetic SIRENE files: INSEE's format, valid identifiers, the real stock's proportions."""

import csv
import io
from collections import Counter

import pytest
from stdnum import luhn
from stdnum.fr import siret as stdnum_siret

from services.fce.domain import generator
from services.fce.domain.generator import write_next_month, write_sirene_files
from services.fce.domain.identifiers import LA_POSTE_SIREN
from services.fce.domain.sirene import (
    ETABLISSEMENT_COLUMNS,
    LIEN_SUCCESSION_COLUMNS,
    UNITE_LEGALE_COLUMNS,
    Company,
    Establishment,
    Rejection,
    Succession,
    company_from_row,
    establishment_from_row,
    read_stock_file,
    succession_from_row,
)

# Real communes (code INSEE, name, first postcode), Paris and Marseille by arrondissement as in SIRENE.
COMMUNES = [
    ("75102", "Paris 2e Arrondissement", "75002"),
    ("75115", "Paris 15e Arrondissement", "75015"),
    ("13201", "Marseille 1er Arrondissement", "13001"),
    ("69383", "Lyon 3e Arrondissement", "69003"),
    ("31555", "Toulouse", "31000"),
    ("76351", "Le Havre", "76600"),
    ("84007", "Avignon", "84000"),
    ("21231", "Dijon", "21000"),
    ("2A004", "Ajaccio", "20000"),
    ("2B033", "Bastia", "20200"),
    ("97411", "Saint-Denis", "97400"),
    ("97105", "Basse-Terre", "97100"),
    ("01001", "L'Abergement-Clémenciat", "01400"),
    ("59350", "Lille", "59000"),
]
WEIGHTS = [21, 23, 4, 10, 50, 17, 9, 16, 7, 5, 15, 1, 0.1, 24]
NAF_CODES = [
    "10.71C",
    "47.11B",
    "47.73Z",
    "56.10A",
    "56.30Z",
    "96.02A",
    "45.20A",
    "49.41A",
    "43.22A",
    "43.21A",
    "62.01Z",
    "62.02A",
    "68.20B",
    "68.31Z",
    "69.20Z",
    "70.22Z",
    "85.59A",
    "86.90D",
    "94.99Z",
    "81.21Z",
    "53.10Z",
    "84.11Z",
]
TOTAL = 20_000


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return write_sirene_files(
        tmp_path_factory.mktemp("sirene"), TOTAL, 2026, COMMUNES, NAF_CODES, commune_weights=WEIGHTS, workers=1
    )


@pytest.fixture(scope="module")
def companies(generated):
    return list(read_stock_file(generated.companies, company_from_row))


@pytest.fixture(scope="module")
def establishments(generated):
    return list(read_stock_file(generated.establishments, establishment_from_row))


@pytest.fixture(scope="module")
def successions(generated):
    return list(read_stock_file(generated.successions, succession_from_row))


def test_generated_files_have_insees_names_and_headers(generated):
    assert generated.companies.name == "StockUniteLegale_utf8.csv"
    assert generated.establishments.name == "StockEtablissement_utf8.csv"
    assert generated.successions.name == "StockEtablissementLiensSuccession_utf8.csv"
    for path, columns in (
        (generated.companies, UNITE_LEGALE_COLUMNS),
        (generated.establishments, ETABLISSEMENT_COLUMNS),
        (generated.successions, LIEN_SUCCESSION_COLUMNS),
    ):
        with open(path, encoding="utf-8") as stock:
            assert stock.readline() == ",".join(columns) + "\n"


def test_generated_files_are_byte_for_byte_what_csv_writer_writes(generated):
    for path in (generated.companies, generated.establishments, generated.successions):
        text = path.read_text(encoding="utf-8")
        rewritten = io.StringIO()
        csv.writer(rewritten, lineterminator="\n").writerows(csv.reader(io.StringIO(text)))
        assert rewritten.getvalue() == text, path.name


def test_generated_files_parse_back_with_no_rejection(generated, companies, establishments, successions):
    records = companies + establishments + successions
    assert [record for record in records if isinstance(record, Rejection)] == []
    assert (len(companies), len(establishments), len(successions)) == (
        generated.company_count,
        TOTAL,
        generated.succession_count,
    )
    assert all(isinstance(company, Company) for company in companies)


def test_every_siret_is_valid_for_stdnum_including_la_postes(establishments):
    assert all(stdnum_siret.is_valid(establishment.siret) for establishment in establishments)
    la_poste = [e.siret for e in establishments if e.siren == LA_POSTE_SIREN]
    assert len(la_poste) >= 10
    assert "35600000000048" in la_poste
    assert any(not luhn.is_valid(siret) for siret in la_poste)  # valid by the sum-of-digits rule only


def test_companies_have_about_2_7_establishments_and_exactly_one_head_office(companies, establishments):
    assert 2.4 < len(establishments) / len(companies) < 3.0
    head_offices = Counter(e.siren for e in establishments if e.head_office)
    assert set(head_offices.values()) == {1}
    head_office_nic = {e.siren: e.nic for e in establishments if e.head_office}
    assert {c.siren: c.head_office_nic for c in companies} == head_office_nic


def test_sirens_are_unique_and_ascend_through_the_files(companies, establishments):
    sirens = [company.siren for company in companies]
    assert sirens == sorted(sirens) and len(set(sirens)) == len(sirens)
    sirets = [establishment.siret for establishment in establishments]
    assert sirets == sorted(sirets) and len(set(sirets)) == len(sirets)


def test_about_fifteen_percent_of_units_are_closed(companies, establishments):
    closed = sum(e.state == "F" for e in establishments) / len(establishments)
    ceased = sum(c.state == "C" for c in companies) / len(companies)
    assert 0.11 < closed < 0.20 and 0.09 < ceased < 0.16
    assert all(e.closed_on is not None and e.closed_on >= e.created_on for e in establishments if e.state == "F")
    ceased_sirens = {c.siren for c in companies if c.state == "C"}
    assert all(e.state == "F" for e in establishments if e.siren in ceased_sirens)


def test_some_units_are_partially_diffusible_with_masked_fields(companies, establishments):
    hidden = [c for c in companies if c.diffusion_status == "P"]
    assert 0.002 < len(hidden) / len(companies) < 0.03
    assert all(c.is_natural_person and c.denomination is None for c in hidden)
    hidden_places = [e for e in establishments if e.diffusion_status == "P"]
    assert hidden_places and all(e.street_name is None and e.commune_code for e in hidden_places)


def test_some_addresses_are_abroad_and_some_have_a_cedex(establishments):
    abroad = [e for e in establishments if e.country_code]
    assert 10 <= len(abroad) <= 200
    assert all(e.commune_code is None and e.foreign_city and e.country_code.startswith("99") for e in abroad)
    cedex = [e for e in establishments if e.cedex_code]
    assert 0.005 < len(cedex) / len(establishments) < 0.02
    assert all(e.cedex_name.startswith(e.commune_name) and "CEDEX" in e.cedex_name for e in cedex)


def test_units_closed_long_ago_keep_some_old_naf_codes_flagged(companies, establishments):
    old = [e for e in establishments if not e.naf_is_current]
    assert old and {e.naf_nomenclature for e in old} <= {"NAFRev1", "NAF1993", "NAP"}
    assert all(e.state == "F" for e in old)
    assert all(e.naf in NAF_CODES for e in establishments if e.naf_is_current)


def test_communes_are_the_callers_in_sirenes_spelling(establishments):
    names = {e.commune_code: e.commune_name for e in establishments if e.commune_code}
    assert names["75102"] == "PARIS 2" and names["13201"] == "MARSEILLE 1" and names["2A004"] == "AJACCIO"
    assert set(names) <= {code for code, _, _ in COMMUNES}


def test_company_names_are_french_looking_and_varied(companies):
    legal_persons = [c.denomination for c in companies if not c.is_natural_person]
    assert all(name and name == name.upper() for name in legal_persons)
    assert len(set(legal_persons)) / len(legal_persons) > 0.6
    people = [c for c in companies if c.is_natural_person and c.diffusion_status == "O"]
    assert 0.3 < len(people) / len(companies) < 0.5
    assert all(len(c.denomination.split()) >= 2 for c in people)


def test_successions_link_existing_establishments_and_include_head_office_transfers(successions, establishments):
    by_siret = {e.siret: e for e in establishments}
    assert successions and all(isinstance(s, Succession) for s in successions)
    assert all(s.predecessor_siret in by_siret and s.successor_siret in by_siret for s in successions)
    transfers = [s for s in successions if s.head_office_transfer]
    assert transfers and all(by_siret[s.successor_siret].head_office for s in transfers)
    assert all(by_siret[s.predecessor_siret].state == "F" for s in successions)


def test_the_same_seed_writes_the_same_files_and_another_seed_other_files(tmp_path):
    first = write_sirene_files(tmp_path / "a", 600, 7, COMMUNES, NAF_CODES, workers=1)
    again = write_sirene_files(tmp_path / "b", 600, 7, COMMUNES, NAF_CODES, workers=1)
    other = write_sirene_files(tmp_path / "c", 600, 8, COMMUNES, NAF_CODES, workers=1)
    assert first.establishments.read_bytes() == again.establishments.read_bytes()
    assert first.companies.read_bytes() == again.companies.read_bytes()
    assert first.establishments.read_bytes() != other.establishments.read_bytes()


def test_files_do_not_depend_on_the_number_of_worker_processes(tmp_path, monkeypatch):
    monkeypatch.setattr(generator, "CHUNK", 700)
    progress: list[int] = []
    alone = write_sirene_files(tmp_path / "alone", 3_000, 3, COMMUNES, NAF_CODES, workers=1)
    shared = write_sirene_files(
        tmp_path / "shared", 3_000, 3, COMMUNES, NAF_CODES, workers=2, on_progress=progress.append
    )
    for mine, theirs in (
        (alone.companies, shared.companies),
        (alone.establishments, shared.establishments),
        (alone.successions, shared.successions),
    ):
        assert mine.read_bytes() == theirs.read_bytes()
    assert progress == [700, 1400, 2100, 2800, 3000]
    sirets = [e.siret for e in read_stock_file(shared.establishments, establishment_from_row)]
    assert len(set(sirets)) == 3_000 and sirets == sorted(sirets)


def test_a_single_establishment_makes_one_company_with_its_head_office(tmp_path):
    files = write_sirene_files(tmp_path, 1, 1, COMMUNES[:1], NAF_CODES[:1])
    [company] = read_stock_file(files.companies, company_from_row)
    [establishment] = read_stock_file(files.establishments, establishment_from_row)
    assert isinstance(establishment, Establishment) and establishment.head_office
    assert company.head_office_nic == establishment.nic


def test_generation_refuses_nothing_to_generate_from():
    with pytest.raises(ValueError):
        write_sirene_files("unused", 0, 1, COMMUNES, NAF_CODES)
    with pytest.raises(ValueError):
        write_sirene_files("unused", 10, 1, [], NAF_CODES)


# The same stock a month later (write_next_month). Shares well above the defaults, so that 3,000 rows show them.
MONTH_SHARES = {"changed": 0.1, "closed": 0.1, "removed": 0.03, "created": 0.05}
ET = {column: index for index, column in enumerate(ETABLISSEMENT_COLUMNS)}
UL = {column: index for index, column in enumerate(UNITE_LEGALE_COLUMNS)}


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    root = tmp_path_factory.mktemp("months")
    october = write_sirene_files(root / "october", 3_000, 11, COMMUNES, NAF_CODES, commune_weights=WEIGHTS, workers=1)
    november = write_next_month(
        october, root / "november", 11, COMMUNES, NAF_CODES, commune_weights=WEIGHTS, **MONTH_SHARES
    )
    return october, november


def lines_by_key(path, key):
    """{key: (raw line, fields)} of a stock file; a key seen twice fails the test."""
    with open(path, encoding="utf-8", newline="") as stock:
        lines = stock.readlines()
    index = lines[0].rstrip("\n").split(",").index(key)
    rows = {}
    for line, fields in zip(lines[1:], csv.reader(lines[1:]), strict=True):
        assert fields[index] not in rows, f"{key} {fields[index]} twice in {path.name}"
        rows[fields[index]] = (line, fields)
    return rows


def test_a_month_later_copies_most_rows_and_changes_about_the_asked_shares(months):
    october, november = months
    before = lines_by_key(october.establishments, "siret")
    after = lines_by_key(november.establishments, "siret")
    state, head = ET["etatAdministratifEtablissement"], ET["etablissementSiege"]
    secondary = {key for key, (_, fields) in before.items() if fields[head] == "false"}
    active = {key for key, (_, fields) in before.items() if fields[state] == "A"}
    removed = before.keys() - after.keys()
    closed = {key for key in (active & secondary) - removed if after[key][1][state] == "F"}
    updated = {key for key in before.keys() - removed - closed if after[key][0] != before[key][0]}
    assert removed <= secondary and 0.02 < len(removed) / len(secondary) < 0.04
    assert 0.07 < len(closed) / len(active & secondary) < 0.13
    assert updated <= active and 0.07 < len(updated) / len(active) < 0.13
    assert any(
        after[key][1][ET["enseigne1Etablissement"]] != before[key][1][ET["enseigne1Etablissement"]] for key in updated
    )
    band = ET["trancheEffectifsEtablissement"]
    assert any(after[key][1][band] != before[key][1][band] for key in updated)
    assert 0.04 < len(after.keys() - before.keys()) / len(before) < 0.06
    assert november.establishment_count == len(after)

    companies_before = lines_by_key(october.companies, "siren")
    companies_after = lines_by_key(november.companies, "siren")
    assert companies_before.keys() <= companies_after.keys()  # no company leaves the stock
    active_companies = {
        key for key, (_, fields) in companies_before.items() if fields[UL["etatAdministratifUniteLegale"]] == "A"
    }
    changed = {key for key, (line, _) in companies_before.items() if companies_after[key][0] != line}
    assert changed <= active_companies and 0.07 < len(changed) / len(active_companies) < 0.13
    name = UL["denominationUniteLegale"]
    renamed = {key for key in changed if companies_after[key][1][name] != companies_before[key][1][name]}
    assert 0.2 < len(renamed) / len(changed) < 0.6  # the others change headcount
    assert all(not companies_before[key][1][UL["nomUniteLegale"]] for key in renamed)  # sole traders keep their name


def test_by_default_a_month_later_touches_about_two_percent_of_rows(months, tmp_path):
    october, _ = months
    november = write_next_month(october, tmp_path, 5, COMMUNES, NAF_CODES, commune_weights=WEIGHTS)
    before = lines_by_key(october.establishments, "siret")
    after = lines_by_key(november.establishments, "siret")
    same = sum(after.get(key, ("",))[0] == line for key, (line, _) in before.items())
    assert 0.96 < same / len(before) < 0.995
    assert 0.007 < (len(after) - len(before)) / len(before) < 0.013
    companies_before = lines_by_key(october.companies, "siren")
    companies_after = lines_by_key(november.companies, "siren")
    same = sum(companies_after[key][0] == line for key, (line, _) in companies_before.items())
    assert 0.97 < same / len(companies_before) < 0.995


def test_a_month_later_keys_are_valid_and_unique_and_every_company_keeps_one_head_office(months):
    october, november = months
    companies = list(read_stock_file(november.companies, company_from_row))
    establishments = list(read_stock_file(november.establishments, establishment_from_row))
    successions = list(read_stock_file(november.successions, succession_from_row))
    assert [record for record in companies + establishments + successions if isinstance(record, Rejection)] == []
    assert (len(companies), len(establishments), len(successions)) == (
        november.company_count,
        november.establishment_count,
        november.succession_count,
    )
    sirens = [company.siren for company in companies]
    sirets = [establishment.siret for establishment in establishments]
    assert len(set(sirens)) == len(sirens) and len(set(sirets)) == len(sirets)
    assert all(stdnum_siret.is_valid(siret) for siret in sirets)
    head_offices = Counter(e.siren for e in establishments if e.head_office)
    assert set(head_offices.values()) == {1} and head_offices.keys() == set(sirens)
    assert {c.siren: c.head_office_nic for c in companies} == {e.siren: e.nic for e in establishments if e.head_office}
    assert all(e.closed_on >= e.created_on for e in establishments if e.state == "F")
    assert all(s.predecessor_siret in set(sirets) and s.successor_siret in set(sirets) for s in successions)

    # New units come after the previous ones, with SIRENs the previous stock did not hold.
    previous = [c.siren for c in read_stock_file(october.companies, company_from_row)]
    assert sirens[: len(previous)] == previous
    assert len(sirens) > len(previous) and LA_POSTE_SIREN not in sirens[len(previous) :]
    assert {s.predecessor_siret[:9] for s in successions} & set(sirens[len(previous) :])


def test_a_month_later_files_are_byte_for_byte_what_csv_writer_writes(months):
    _, november = months
    for path in (november.companies, november.establishments, november.successions):
        text = path.read_text(encoding="utf-8")
        rewritten = io.StringIO()
        csv.writer(rewritten, lineterminator="\n").writerows(csv.reader(io.StringIO(text)))
        assert rewritten.getvalue() == text, path.name


def test_touched_and_new_rows_are_processed_on_one_date_a_month_after_the_latest(months):
    october, november = months
    latest = ""
    stamps = set()
    for before_path, after_path, key, processed in (
        (october.companies, november.companies, "siren", UL["dateDernierTraitementUniteLegale"]),
        (october.establishments, november.establishments, "siret", ET["dateDernierTraitementEtablissement"]),
        (october.successions, november.successions, "siretEtablissementPredecesseur", 5),
    ):
        before, after = lines_by_key(before_path, key), lines_by_key(after_path, key)
        latest = max(latest, *(fields[processed] for _, fields in before.values()))
        touched = [fields for row, (line, fields) in after.items() if before.get(row, ("",))[0] != line]
        assert touched
        stamps |= {fields[processed] for fields in touched}
    [month] = stamps
    assert month > latest and (int(month[:4]) * 12 + int(month[5:7])) - (int(latest[:4]) * 12 + int(latest[5:7])) == 1
    before = lines_by_key(october.establishments, "siret")
    closed = [
        fields
        for key, (_, fields) in lines_by_key(november.establishments, "siret").items()
        if key in before
        and fields[ET["etatAdministratifEtablissement"]] != before[key][1][ET["etatAdministratifEtablissement"]]
    ]
    assert closed and {fields[ET["dateDebut"]] for fields in closed} == {month[:10]}


def test_a_month_later_depends_on_the_seed_only_and_chains_into_the_next(months, tmp_path):
    october, november = months
    again = write_next_month(
        october, tmp_path / "again", 11, COMMUNES, NAF_CODES, commune_weights=WEIGHTS, **MONTH_SHARES
    )
    other = write_next_month(
        october, tmp_path / "other", 12, COMMUNES, NAF_CODES, commune_weights=WEIGHTS, **MONTH_SHARES
    )
    for mine, theirs in (
        (november.companies, again.companies),
        (november.establishments, again.establishments),
        (november.successions, again.successions),
    ):
        assert mine.read_bytes() == theirs.read_bytes()
    assert other.establishments.read_bytes() != november.establishments.read_bytes()

    december = write_next_month(november, tmp_path / "december", 11, COMMUNES, NAF_CODES, commune_weights=WEIGHTS)
    sirets = lines_by_key(december.establishments, "siret")  # fails on a SIRET twice
    assert len(sirets) == december.establishment_count > november.establishment_count
    processed = ET["dateDernierTraitementEtablissement"]
    assert max(fields[processed] for _, fields in sirets.values())[:7] == "2026-12"


def test_a_month_later_refuses_to_write_over_the_previous_files_and_odd_shares(months):
    october, _ = months
    with pytest.raises(ValueError):
        write_next_month(october, october.companies.parent, 1, COMMUNES, NAF_CODES)
    with pytest.raises(ValueError):
        write_next_month(october, "unused", 1, COMMUNES, NAF_CODES, changed=1.5)
    assert october.companies.read_bytes().count(b"\n") == october.company_count + 1


def test_new_units_never_take_a_siren_the_stock_holds(tmp_path, monkeypatch):
    monkeypatch.setattr(generator, "_SIREN_PREFIXES", 2_000)  # crowded: new units draw SIRENs the stock holds
    october = write_sirene_files(tmp_path / "october", 1_000, 3, COMMUNES, NAF_CODES, workers=1)
    november = write_next_month(october, tmp_path / "november", 3, COMMUNES, NAF_CODES, created=0.2)
    companies = lines_by_key(november.companies, "siren")  # fails on a SIREN twice
    establishments = lines_by_key(november.establishments, "siret")
    assert len(companies) == november.company_count > october.company_count
    assert {siret[:9] for siret in establishments} == companies.keys()

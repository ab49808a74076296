"""The stock-file normalisers, on a small hand-written file in INSEE's real format."""
# ruff: noqa: E501 (the rows are CSV lines as INSEE writes them, one per line)

from datetime import date

import pytest

from services.fce.domain.sirene import (
    COMPANIES_FILE,
    ESTABLISHMENTS_FILE,
    ETABLISSEMENT_COLUMNS,
    LIEN_SUCCESSION_COLUMNS,
    SUCCESSIONS_FILE,
    UNITE_LEGALE_COLUMNS,
    Company,
    Establishment,
    Rejection,
    Succession,
    company_from_row,
    departement_of_commune,
    establishment_from_row,
    read_stock_file,
    succession_from_row,
)

# Headers as INSEE publishes them (stock of December 2025 onwards).
UNITE_LEGALE_HEADER = (
    "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,sigleUniteLegale,"
    "sexeUniteLegale,prenom1UniteLegale,prenom2UniteLegale,prenom3UniteLegale,prenom4UniteLegale,"
    "prenomUsuelUniteLegale,pseudonymeUniteLegale,identifiantAssociationUniteLegale,"
    "trancheEffectifsUniteLegale,anneeEffectifsUniteLegale,dateDernierTraitementUniteLegale,"
    "nombrePeriodesUniteLegale,categorieEntreprise,anneeCategorieEntreprise,dateDebut,"
    "etatAdministratifUniteLegale,nomUniteLegale,nomUsageUniteLegale,denominationUniteLegale,"
    "denominationUsuelle1UniteLegale,denominationUsuelle2UniteLegale,denominationUsuelle3UniteLegale,"
    "categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,nomenclatureActivitePrincipaleUniteLegale,"
    "nicSiegeUniteLegale,economieSocialeSolidaireUniteLegale,societeMissionUniteLegale,"
    "caractereEmployeurUniteLegale,activitePrincipaleNAF25UniteLegale"
)
ETABLISSEMENT_HEADER = (
    "siren,nic,siret,statutDiffusionEtablissement,dateCreationEtablissement,trancheEffectifsEtablissement,"
    "anneeEffectifsEtablissement,activitePrincipaleRegistreMetiersEtablissement,"
    "dateDernierTraitementEtablissement,etablissementSiege,nombrePeriodesEtablissement,"
    "complementAdresseEtablissement,numeroVoieEtablissement,indiceRepetitionEtablissement,"
    "dernierNumeroVoieEtablissement,indiceRepetitionDernierNumeroVoieEtablissement,typeVoieEtablissement,"
    "libelleVoieEtablissement,codePostalEtablissement,libelleCommuneEtablissement,"
    "libelleCommuneEtrangerEtablissement,distributionSpecialeEtablissement,codeCommuneEtablissement,"
    "codeCedexEtablissement,libelleCedexEtablissement,codePaysEtrangerEtablissement,"
    "libellePaysEtrangerEtablissement,identifiantAdresseEtablissement,coordonneeLambertAbscisseEtablissement,"
    "coordonneeLambertOrdonneeEtablissement,complementAdresse2Etablissement,numeroVoie2Etablissement,"
    "indiceRepetition2Etablissement,typeVoie2Etablissement,libelleVoie2Etablissement,codePostal2Etablissement,"
    "libelleCommune2Etablissement,libelleCommuneEtranger2Etablissement,distributionSpeciale2Etablissement,"
    "codeCommune2Etablissement,codeCedex2Etablissement,libelleCedex2Etablissement,"
    "codePaysEtranger2Etablissement,libellePaysEtranger2Etablissement,dateDebut,"
    "etatAdministratifEtablissement,enseigne1Etablissement,enseigne2Etablissement,enseigne3Etablissement,"
    "denominationUsuelleEtablissement,activitePrincipaleEtablissement,"
    "nomenclatureActivitePrincipaleEtablissement,caractereEmployeurEtablissement,"
    "activitePrincipaleNAF25Etablissement"
)
LIEN_SUCCESSION_HEADER = (
    "siretEtablissementPredecesseur,siretEtablissementSuccesseur,dateLienSuccession,transfertSiege,"
    "continuiteEconomique,dateDernierTraitementLienSuccession"
)

COMPANY_ROWS = """\
732829320,O,,1994-03-15,DFC,,,,,,,,,11,2023,2025-12-06T08:35:21,3,PME,2023,2008-01-01,A,,,"DUPONT, FILS ET CIE",DUPONT INFORMATIQUE,,,5710,62.01Z,NAFRev2,00074,N,,O,62.10Y
404833048,O,,2012-09-01,,F,MARIE,LOUISE,,,MARIE,,,NN,,2024-03-22T14:26:06,1,,,2012-09-01,A,MARTIN,DURAND,,,,,1000,96.02A,NAFRev2,00014,,,N,
812345676,P,,2016-05-02,,[ND],[ND],,,,[ND],,,NN,,2024-01-15T10:30:00,1,,,2016-05-02,A,[ND],,,,,,1000,49.32Z,NAFRev2,00017,,,N,
552008443,O,true,1955-01-01,,,,,,,,,,,,2010-01-01T00:00:00,2,,,2001-06-30,C,,,QUINCAILLERIE DU VIEUX PORT,,,,5499,52.4H,NAF1993,00038,N,,N,
775612344,O,,1960-04-01,,,,,,,,,,,,2009-03-01T00:00:00,1,,,1985-12-31,C,,,COOPERATIVE LAITIERE DE LA VALLEE,,,,5560,4110,NAP,00011,O,,,
732829321,O,,2001-01-01,,,,,,,,,,,,,,,,2001-01-01,A,,,MAUVAISE CLE,,,,5499,,,,,,,
"""
ESTABLISHMENT_ROWS = """\
732829320,00074,73282932000074,O,1994-03-15,11,2023,,2025-12-06T08:35:21,true,2,,12,B,,,RUE,DE LA PAIX,75002,PARIS 2,,,75102,,,,,,,,,,,,,,,,,,,,,,2008-01-01,A,CHEZ DUPONT,,,DUPONT INFORMATIQUE,62.01Z,NAFRev2,O,62.10Y
732829320,00082,73282932000082,O,1998-06-01,,,,2010-02-01T00:00:00,false,2,IMMEUBLE LE PARC,5,,,,AV,FELIX FAURE,69003,LYON 3,,CS 30001,69383,69441,LYON CEDEX 03,,,,,,,,,,,,,,,,,,,,2006-12-31,F,,,,,72.2C,NAFRev1,N,
404833048,00014,40483304800014,O,2012-09-01,NN,,,2024-03-22T14:26:06,true,1,,,,,,,OXFORD STREET,,,LONDRES,,,,,99132,ROYAUME-UNI,,,,,,,,,,,,,,,,,,2012-09-01,A,SALON MARIE,,,,96.02A,NAFRev2,N,
812345676,00017,81234567600017,P,2016-05-02,NN,,,2024-01-15T10:30:00,true,1,[ND],[ND],,,,[ND],[ND],13001,MARSEILLE 1,,,13201,,,,,[ND],[ND],[ND],,,,,,,,,,,,,,,2016-05-02,A,,,,,49.32Z,NAFRev2,N,
356000000,00048,35600000000048,O,1991-01-01,53,2023,,,true,,,9,,,,RUE,DU COLONEL PIERRE AVIA,75015,PARIS 15,,,75115,,,,,,,,,,,,,,,,,,,,,,2010-03-01,A,,,,,53.10Z,NAFRev2,O,
356000000,12341,35600000012341,O,1991-01-01,,,,,false,,,,,,,PL,DE LA MAIRIE,20000,AJACCIO,,,2A004,,,,,,,,,,,,,,,,,,,,,,1991-01-01,A,BUREAU DE POSTE AJACCIO,,,,53.10Z,NAFRev2,,
732829320,00075,73282932000075,O,,,,,,false,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,2001-01-01,A,,,,,,,,
404833048,00014,73282932000074,O,,,,,,false,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,2001-01-01,A,,,,,,,,
"""
SUCCESSION_ROWS = """\
73282932000082,73282932000074,2006-12-31,false,true,2007-01-15T09:12:44
55200844300038,73282932000082,1998-06-01,true,false,1998-07-01T00:00:00
35600000000049,35600000012341,2000-01-01,false,true,2000-02-01T00:00:00
"""


@pytest.fixture
def stock(tmp_path):
    (tmp_path / COMPANIES_FILE).write_text(f"{UNITE_LEGALE_HEADER}\n{COMPANY_ROWS}", encoding="utf-8")
    (tmp_path / ESTABLISHMENTS_FILE).write_text(f"{ETABLISSEMENT_HEADER}\n{ESTABLISHMENT_ROWS}", encoding="utf-8")
    (tmp_path / SUCCESSIONS_FILE).write_text(f"{LIEN_SUCCESSION_HEADER}\n{SUCCESSION_ROWS}", encoding="utf-8")
    return tmp_path


@pytest.fixture
def companies(stock):
    return list(read_stock_file(stock / COMPANIES_FILE, company_from_row))


@pytest.fixture
def establishments(stock):
    return list(read_stock_file(stock / ESTABLISHMENTS_FILE, establishment_from_row))


def test_column_constants_are_insees_headers_in_order():
    assert UNITE_LEGALE_COLUMNS == tuple(UNITE_LEGALE_HEADER.split(","))
    assert ETABLISSEMENT_COLUMNS == tuple(ETABLISSEMENT_HEADER.split(","))
    assert LIEN_SUCCESSION_COLUMNS == tuple(LIEN_SUCCESSION_HEADER.split(","))
    assert (len(UNITE_LEGALE_COLUMNS), len(ETABLISSEMENT_COLUMNS)) == (35, 54)


def test_hand_written_rows_have_as_many_fields_as_the_header(companies, establishments):
    assert not [r for r in companies + establishments if isinstance(r, Rejection) and "fields" in r.reason]
    assert len(companies) == 6 and len(establishments) == 8


def test_company_with_a_quoted_comma_in_its_name_is_read_field_by_field(companies):
    assert companies[0] == Company(
        siren="732829320",
        denomination="DUPONT, FILS ET CIE",
        sigle="DFC",
        usual_name="DUPONT INFORMATIQUE",
        legal_category="5710",
        is_natural_person=False,
        naf="62.01Z",
        naf_nomenclature="NAFRev2",
        naf_is_current=True,
        naf_2025="62.10Y",
        headcount_band="11",
        headcount_year=2023,
        state="A",
        ess=False,
        employer=True,
        created_on=date(1994, 3, 15),
        ceased_on=None,
        head_office_nic="00074",
        diffusion_status="O",
        purged=False,
    )


def test_sole_trader_is_named_first_name_usage_name_and_birth_name(companies):
    sole_trader = companies[1]
    assert sole_trader.denomination == "MARIE DURAND (MARTIN)"
    assert sole_trader.is_natural_person
    assert (sole_trader.legal_category, sole_trader.headcount_band, sole_trader.headcount_year) == ("1000", "NN", None)
    assert (sole_trader.ess, sole_trader.employer, sole_trader.sigle) == (None, False, None)


def test_partially_diffusible_sole_trader_has_its_masked_name_as_none_and_keeps_its_status(companies):
    hidden = companies[2]
    assert hidden.siren == "812345676"
    assert hidden.diffusion_status == "P"
    assert hidden.denomination is None
    assert hidden.is_natural_person
    assert (hidden.naf, hidden.created_on, hidden.head_office_nic) == ("49.32Z", date(2016, 5, 2), "00017")


def test_ceased_company_with_an_old_nomenclature_keeps_its_code_flagged_not_current(companies):
    ceased, very_old = companies[3], companies[4]
    assert (ceased.state, ceased.ceased_on, ceased.purged) == ("C", date(2001, 6, 30), True)
    assert (ceased.naf, ceased.naf_nomenclature, ceased.naf_is_current) == ("52.4H", "NAF1993", False)
    assert (ceased.headcount_band, ceased.naf_2025, ceased.employer) == (None, None, False)
    assert (very_old.naf, very_old.naf_nomenclature, very_old.naf_is_current) == ("4110", "NAP", False)
    assert (very_old.ess, very_old.employer, very_old.ceased_on) == (True, None, date(1985, 12, 31))


def test_company_with_a_wrong_siren_check_digit_is_rejected_with_its_line_and_reason(companies):
    rejection = companies[5]
    assert isinstance(rejection, Rejection)
    assert (rejection.line, rejection.key) == (7, "732829321")
    assert "siren" in rejection.reason and "check digit" in rejection.reason


def test_head_office_in_paris_is_read_field_by_field(establishments):
    assert establishments[0] == Establishment(
        siret="73282932000074",
        siren="732829320",
        nic="00074",
        head_office=True,
        enseigne="CHEZ DUPONT",
        usual_name="DUPONT INFORMATIQUE",
        address_complement=None,
        street_number="12",
        street_number_suffix="B",
        street_type="RUE",
        street_name="DE LA PAIX",
        special_distribution=None,
        postcode="75002",
        commune_code="75102",
        commune_name="PARIS 2",
        cedex_code=None,
        cedex_name=None,
        foreign_city=None,
        country_code=None,
        country_name=None,
        naf="62.01Z",
        naf_nomenclature="NAFRev2",
        naf_is_current=True,
        naf_2025="62.10Y",
        headcount_band="11",
        headcount_year=2023,
        state="A",
        employer=True,
        created_on=date(1994, 3, 15),
        closed_on=None,
        diffusion_status="O",
    )


def test_closed_establishment_keeps_its_cedex_and_old_naf_and_closing_date(establishments):
    closed = establishments[1]
    assert (closed.head_office, closed.state, closed.closed_on) == (False, "F", date(2006, 12, 31))
    assert (closed.cedex_code, closed.cedex_name) == ("69441", "LYON CEDEX 03")
    assert (closed.postcode, closed.commune_code, closed.commune_name) == ("69003", "69383", "LYON 3")
    assert (closed.special_distribution, closed.address_complement) == ("CS 30001", "IMMEUBLE LE PARC")
    assert (closed.naf, closed.naf_nomenclature, closed.naf_is_current) == ("72.2C", "NAFRev1", False)
    assert (closed.headcount_band, closed.headcount_year) == (None, None)
    assert (closed.enseigne, closed.usual_name) == (None, None)


def test_foreign_address_keeps_its_country_and_city_with_no_commune(establishments):
    abroad = establishments[2]
    assert (abroad.country_code, abroad.country_name, abroad.foreign_city) == ("99132", "ROYAUME-UNI", "LONDRES")
    assert (abroad.commune_code, abroad.commune_name, abroad.postcode) == (None, None, None)
    assert (abroad.street_name, abroad.enseigne) == ("OXFORD STREET", "SALON MARIE")


def test_partially_diffusible_establishment_has_its_masked_address_as_none(establishments):
    hidden = establishments[3]
    assert hidden.diffusion_status == "P"
    assert (hidden.address_complement, hidden.street_number, hidden.street_type, hidden.street_name) == (
        None,
        None,
        None,
        None,
    )
    assert (hidden.postcode, hidden.commune_code, hidden.commune_name) == ("13001", "13201", "MARSEILLE 1")


def test_la_poste_head_office_and_a_la_poste_office_in_corsica_are_accepted(establishments):
    head_office, office = establishments[4], establishments[5]
    assert (head_office.siret, head_office.head_office) == ("35600000000048", True)
    assert (office.siret, office.head_office, office.commune_code) == ("35600000012341", False, "2A004")
    assert (office.enseigne, office.employer, office.headcount_band) == ("BUREAU DE POSTE AJACCIO", None, None)


def test_establishment_with_a_wrong_check_digit_is_rejected_saying_so(establishments):
    rejection = establishments[6]
    assert isinstance(rejection, Rejection)
    assert (rejection.line, rejection.key) == (8, "73282932000075")
    assert "wrong check digit" in rejection.reason


def test_establishment_whose_siret_is_not_its_siren_and_nic_is_rejected(establishments):
    rejection = establishments[7]
    assert isinstance(rejection, Rejection)
    assert "not siren '404833048' followed by nic '00014'" in rejection.reason


def test_successions_are_read_and_a_bad_la_poste_siret_is_rejected(stock):
    successions = list(read_stock_file(stock / SUCCESSIONS_FILE, succession_from_row))
    assert successions[:2] == [
        Succession("73282932000082", "73282932000074", date(2006, 12, 31), False, True),
        Succession("55200844300038", "73282932000082", date(1998, 6, 1), True, False),
    ]
    rejection = successions[2]
    assert isinstance(rejection, Rejection)
    assert rejection.line == 4 and "siretEtablissementPredecesseur" in rejection.reason
    assert "La Poste" in rejection.reason


def test_normalisers_take_a_row_as_a_dict_of_column_values():
    row = dict(zip(LIEN_SUCCESSION_COLUMNS, SUCCESSION_ROWS.splitlines()[0].split(","), strict=True))
    assert succession_from_row(row, 12) == Succession(
        "73282932000082", "73282932000074", date(2006, 12, 31), False, True
    )
    company = company_from_row({"siren": "732829320", "etatAdministratifUniteLegale": "A"})
    assert isinstance(company, Company) and company.denomination is None and company.diffusion_status == "O"


def test_row_with_an_unknown_state_or_a_bad_date_is_rejected_naming_the_column():
    unknown_state = company_from_row({"siren": "732829320", "etatAdministratifUniteLegale": "X"}, 3)
    assert unknown_state == Rejection(3, "etatAdministratifUniteLegale is 'X', not A or C", "732829320")
    bad_date = establishment_from_row(
        {
            "siren": "732829320",
            "nic": "00074",
            "siret": "73282932000074",
            "etablissementSiege": "true",
            "etatAdministratifEtablissement": "A",
            "dateCreationEtablissement": "1994-13-45",
        }
    )
    assert isinstance(bad_date, Rejection) and "dateCreationEtablissement '1994-13-45'" in bad_date.reason
    no_siret = establishment_from_row({})
    assert isinstance(no_siret, Rejection) and no_siret.reason == "siret is empty"


def test_row_with_a_missing_field_is_rejected_and_the_rest_of_the_file_is_read(tmp_path):
    path = tmp_path / SUCCESSIONS_FILE
    path.write_text(f"{LIEN_SUCCESSION_HEADER}\n73282932000082,73282932000074\n{SUCCESSION_ROWS}", encoding="utf-8")
    records = list(read_stock_file(path, succession_from_row))
    assert records[0] == Rejection(2, "row has 2 fields, the header has 6")
    assert isinstance(records[1], Succession)


def test_file_lacking_a_column_the_normaliser_reads_is_refused_before_any_row(tmp_path):
    path = tmp_path / "StockEtablissement_utf8.csv"
    path.write_text(ETABLISSEMENT_HEADER.replace("etablissementSiege,", "") + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no column etablissementSiege"):
        next(read_stock_file(path, establishment_from_row))


def test_file_from_before_the_naf_2025_columns_is_read(tmp_path):
    path = tmp_path / COMPANIES_FILE
    old_header = UNITE_LEGALE_HEADER.removesuffix(",activitePrincipaleNAF25UniteLegale")
    old_row = COMPANY_ROWS.splitlines()[0].removesuffix(",62.10Y")
    path.write_text(f"{old_header}\n{old_row}\n", encoding="utf-8")
    [company] = read_stock_file(path, company_from_row)
    assert isinstance(company, Company)
    assert (company.denomination, company.naf, company.naf_2025) == ("DUPONT, FILS ET CIE", "62.01Z", None)


@pytest.mark.parametrize(
    ("commune", "departement"),
    [
        ("01001", "01"),
        ("75102", "75"),
        ("13201", "13"),
        ("69383", "69"),
        ("2A004", "2A"),
        ("2B033", "2B"),
        ("97105", "971"),
        ("97411", "974"),
        ("97608", "976"),
        ("97501", "975"),
        ("98818", "988"),
        ("98735", "987"),
    ],
)
def test_departement_of_a_commune_follows_corsica_and_overseas_rules(commune, departement):
    assert departement_of_commune(commune) == departement


@pytest.mark.parametrize("code", ["99132", "20004", "7510", "751020", "2C004", "ABCDE", ""])
def test_departement_of_something_that_is_not_a_commune_code_is_refused(code):
    with pytest.raises(ValueError):
        departement_of_commune(code)

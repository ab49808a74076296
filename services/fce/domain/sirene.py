"""The INSEE SIRENE stock files, as published, and the rows of FCE's registry made from them.

The three files of the monthly "Base Sirene des entreprises et de leurs établissements" stock:
StockUniteLegale_utf8.csv (companies), StockEtablissement_utf8.csv (establishments) and
StockEtablissementLiensSuccession_utf8.csv (successions). UTF-8, comma-separated, a header line,
quoted only where a value holds a comma or a quote. Columns are read by name, so the normalisers
also take the files published before the NAF 2025 columns were appended (16 December 2025).

Values FCE keeps as INSEE gives them: NAF codes of every nomenclature, headcount bands ("NN",
"00" ... "53"), legal categories, état (A/C for companies, A/F for establishments), diffusion
status (O: diffusible, P: partially diffusible; the masked fields of P units read "[ND]").
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import TypeVar

from services.fce.domain.identifiers import (
    InvalidIdentifier,
    normalise_siren,
    normalise_siret,
    siren_is_valid,
    siret_is_valid,
)

COMPANIES_FILE = "StockUniteLegale_utf8.csv"
ESTABLISHMENTS_FILE = "StockEtablissement_utf8.csv"
SUCCESSIONS_FILE = "StockEtablissementLiensSuccession_utf8.csv"

# Header of StockUniteLegale_utf8.csv, in INSEE's order (API Sirene 3.11 stock, December 2025 on).
UNITE_LEGALE_COLUMNS: tuple[str, ...] = (
    "siren",
    "statutDiffusionUniteLegale",
    "unitePurgeeUniteLegale",
    "dateCreationUniteLegale",
    "sigleUniteLegale",
    "sexeUniteLegale",
    "prenom1UniteLegale",
    "prenom2UniteLegale",
    "prenom3UniteLegale",
    "prenom4UniteLegale",
    "prenomUsuelUniteLegale",
    "pseudonymeUniteLegale",
    "identifiantAssociationUniteLegale",
    "trancheEffectifsUniteLegale",
    "anneeEffectifsUniteLegale",
    "dateDernierTraitementUniteLegale",
    "nombrePeriodesUniteLegale",
    "categorieEntreprise",
    "anneeCategorieEntreprise",
    "dateDebut",
    "etatAdministratifUniteLegale",
    "nomUniteLegale",
    "nomUsageUniteLegale",
    "denominationUniteLegale",
    "denominationUsuelle1UniteLegale",
    "denominationUsuelle2UniteLegale",
    "denominationUsuelle3UniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "societeMissionUniteLegale",
    "caractereEmployeurUniteLegale",
    "activitePrincipaleNAF25UniteLegale",
)

# Header of StockEtablissement_utf8.csv, in INSEE's order (API Sirene 3.11 stock, December 2025 on).
ETABLISSEMENT_COLUMNS: tuple[str, ...] = (
    "siren",
    "nic",
    "siret",
    "statutDiffusionEtablissement",
    "dateCreationEtablissement",
    "trancheEffectifsEtablissement",
    "anneeEffectifsEtablissement",
    "activitePrincipaleRegistreMetiersEtablissement",
    "dateDernierTraitementEtablissement",
    "etablissementSiege",
    "nombrePeriodesEtablissement",
    "complementAdresseEtablissement",
    "numeroVoieEtablissement",
    "indiceRepetitionEtablissement",
    "dernierNumeroVoieEtablissement",
    "indiceRepetitionDernierNumeroVoieEtablissement",
    "typeVoieEtablissement",
    "libelleVoieEtablissement",
    "codePostalEtablissement",
    "libelleCommuneEtablissement",
    "libelleCommuneEtrangerEtablissement",
    "distributionSpecialeEtablissement",
    "codeCommuneEtablissement",
    "codeCedexEtablissement",
    "libelleCedexEtablissement",
    "codePaysEtrangerEtablissement",
    "libellePaysEtrangerEtablissement",
    "identifiantAdresseEtablissement",
    "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement",
    "complementAdresse2Etablissement",
    "numeroVoie2Etablissement",
    "indiceRepetition2Etablissement",
    "typeVoie2Etablissement",
    "libelleVoie2Etablissement",
    "codePostal2Etablissement",
    "libelleCommune2Etablissement",
    "libelleCommuneEtranger2Etablissement",
    "distributionSpeciale2Etablissement",
    "codeCommune2Etablissement",
    "codeCedex2Etablissement",
    "libelleCedex2Etablissement",
    "codePaysEtranger2Etablissement",
    "libellePaysEtranger2Etablissement",
    "dateDebut",
    "etatAdministratifEtablissement",
    "enseigne1Etablissement",
    "enseigne2Etablissement",
    "enseigne3Etablissement",
    "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
    "activitePrincipaleNAF25Etablissement",
)

# Header of StockEtablissementLiensSuccession_utf8.csv, in INSEE's order.
LIEN_SUCCESSION_COLUMNS: tuple[str, ...] = (
    "siretEtablissementPredecesseur",
    "siretEtablissementSuccesseur",
    "dateLienSuccession",
    "transfertSiege",
    "continuiteEconomique",
    "dateDernierTraitementLienSuccession",
)

# Columns appended after the first stock files: a file without them is still a stock file.
_LATER_COLUMNS = frozenset({"activitePrincipaleNAF25UniteLegale", "activitePrincipaleNAF25Etablissement"})

MASKED = "[ND]"  # a field hidden by a partially diffusible unit (statut de diffusion "P")
DIFFUSIBLE = "O"
PARTIALLY_DIFFUSIBLE = "P"

# SIRENE keeps each unit's activity in the nomenclature of its last change: NAFRev2 since 2008,
# NAFRev1 (2003-2007), NAF1993 (1993-2002), NAP (before 1993). Only NAFRev2 maps to naf.csv.
CURRENT_NAF_NOMENCLATURE = "NAFRev2"
OLDER_NAF_NOMENCLATURES = ("NAFRev1", "NAF1993", "NAP")

NATURAL_PERSON_LEGAL_CATEGORY = "1000"  # entrepreneur individuel

_COMPANY_STATES = frozenset({"A", "C"})  # active, ceased (cessée)
_ESTABLISHMENT_STATES = frozenset({"A", "F"})  # active, closed (fermé)
_YES_NO = {"O": True, "N": False}
_TRUE_FALSE = {"true": True, "false": False}


@dataclass(slots=True)
class Company:
    """One unité légale. Not frozen: a frozen dataclass is twice as slow to build, at 4 M rows."""

    siren: str
    denomination: str | None  # company name, or "first name surname" for a natural person
    sigle: str | None
    usual_name: str | None  # denominationUsuelle1UniteLegale
    legal_category: str | None  # catégorie juridique, e.g. "5710" for an SAS
    is_natural_person: bool
    naf: str | None
    naf_nomenclature: str | None
    naf_is_current: bool
    naf_2025: str | None  # NAF 2025 code INSEE publishes ahead of its use (1 January 2027)
    headcount_band: str | None  # tranche d'effectifs: "NN", "00", "01" ... "53"
    headcount_year: int | None
    state: str  # "A" active, "C" ceased
    ess: bool | None  # économie sociale et solidaire
    employer: bool | None
    created_on: date | None
    ceased_on: date | None  # start of the ceased period
    head_office_nic: str | None
    diffusion_status: str  # "O" or "P"
    purged: bool  # unitePurgeeUniteLegale: INSEE removed the unit's history


@dataclass(slots=True)
class Establishment:
    """One établissement. Département, région and coordinates come later from the commune."""

    siret: str
    siren: str
    nic: str
    head_office: bool
    enseigne: str | None
    usual_name: str | None  # denominationUsuelleEtablissement
    address_complement: str | None
    street_number: str | None
    street_number_suffix: str | None  # indice de répétition: B (bis), T (ter), Q...
    street_type: str | None  # RUE, AV, BD, CHE...
    street_name: str | None
    special_distribution: str | None  # BP 123...
    postcode: str | None
    commune_code: str | None  # code INSEE (arrondissement code in Paris, Lyon, Marseille)
    commune_name: str | None
    cedex_code: str | None
    cedex_name: str | None
    foreign_city: str | None
    country_code: str | None  # code pays INSEE (99xxx) of a foreign address
    country_name: str | None
    naf: str | None
    naf_nomenclature: str | None
    naf_is_current: bool
    naf_2025: str | None
    headcount_band: str | None
    headcount_year: int | None
    state: str  # "A" active, "F" closed
    employer: bool | None
    created_on: date | None
    closed_on: date | None  # start of the closed period
    diffusion_status: str


@dataclass(slots=True)
class Succession:
    predecessor_siret: str
    successor_siret: str
    succeeded_on: date
    head_office_transfer: bool
    economic_continuity: bool | None


@dataclass(slots=True, frozen=True)
class Rejection:
    """A row that cannot enter the registry, with the file line and why (for the import summary)."""

    line: int | None
    reason: str
    key: str | None = None  # the siren or siret as found, when there is one


def departement_of_commune(code: str) -> str:
    """Département of a commune code INSEE: 2A/2B in Corsica, three characters overseas (971...989)."""
    if len(code) != 5:
        raise ValueError(f"a commune code has 5 characters, not {code!r}")
    prefix = code[:2]
    if prefix in ("2A", "2B"):
        department = prefix
    elif not code.isascii() or not code.isdigit():
        raise ValueError(f"{code!r} is not a commune code")
    elif prefix == "99":
        raise ValueError(f"{code} is a foreign country code, not a commune")
    elif prefix == "20":
        # Corsica was split in 1976; SIRENE and the COG only use 2A/2B since.
        raise ValueError(f"{code} is an old Corsican code: 2A or 2B expected")
    elif prefix in ("97", "98"):
        department = code[:3]
    else:
        department = prefix
    return department


# The columns each normaliser reads, in the order it unpacks them. Reading a file, one
# itemgetter pulls them from the csv row at C speed: 11 million rows leave no room for a dict
# lookup and a function call per field.
_COMPANY_FIELDS = (
    "siren",
    "statutDiffusionUniteLegale",
    "unitePurgeeUniteLegale",
    "dateCreationUniteLegale",
    "sigleUniteLegale",
    "prenom1UniteLegale",
    "prenomUsuelUniteLegale",
    "trancheEffectifsUniteLegale",
    "anneeEffectifsUniteLegale",
    "dateDebut",
    "etatAdministratifUniteLegale",
    "nomUniteLegale",
    "nomUsageUniteLegale",
    "denominationUniteLegale",
    "denominationUsuelle1UniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "caractereEmployeurUniteLegale",
    "activitePrincipaleNAF25UniteLegale",
)
_ESTABLISHMENT_FIELDS = (
    "siren",
    "nic",
    "siret",
    "statutDiffusionEtablissement",
    "dateCreationEtablissement",
    "trancheEffectifsEtablissement",
    "anneeEffectifsEtablissement",
    "etablissementSiege",
    "complementAdresseEtablissement",
    "numeroVoieEtablissement",
    "indiceRepetitionEtablissement",
    "typeVoieEtablissement",
    "libelleVoieEtablissement",
    "codePostalEtablissement",
    "libelleCommuneEtablissement",
    "libelleCommuneEtrangerEtablissement",
    "distributionSpecialeEtablissement",
    "codeCommuneEtablissement",
    "codeCedexEtablissement",
    "libelleCedexEtablissement",
    "codePaysEtrangerEtablissement",
    "libellePaysEtrangerEtablissement",
    "dateDebut",
    "etatAdministratifEtablissement",
    "enseigne1Etablissement",
    "enseigne2Etablissement",
    "enseigne3Etablissement",
    "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
    "activitePrincipaleNAF25Etablissement",
)
_SUCCESSION_FIELDS = LIEN_SUCCESSION_COLUMNS[:5]


def company_from_row(row: Mapping[str, str], line: int | None = None) -> Company | Rejection:
    """A Company from one row of StockUniteLegale_utf8.csv (column name → value), or why not."""
    return _company(tuple(row.get(column) or "" for column in _COMPANY_FIELDS), line)


def establishment_from_row(row: Mapping[str, str], line: int | None = None) -> Establishment | Rejection:
    """An Establishment from one row of StockEtablissement_utf8.csv (column name → value), or why not."""
    return _establishment(tuple(row.get(column) or "" for column in _ESTABLISHMENT_FIELDS), line)


def succession_from_row(row: Mapping[str, str], line: int | None = None) -> Succession | Rejection:
    """A Succession from one row of StockEtablissementLiensSuccession_utf8.csv, or why not."""
    return _succession(tuple(row.get(column) or "" for column in _SUCCESSION_FIELDS), line)


Record = TypeVar("Record", Company, Establishment, Succession)


def read_stock_file(
    path: Path | str,
    from_row: Callable[[Mapping[str, str], int | None], Record | Rejection],
) -> Iterator[Record | Rejection]:
    """Stream one stock file through a normaliser (company_from_row...): one record or rejection
    per data line, with its line number.

    Raises ValueError before the first row when the header lacks a column the normaliser reads
    (the NAF 2025 columns excepted: files before December 2025 have none).
    """
    fields, normalise = _FIELDS_AND_NORMALISER[from_row]
    with open(path, encoding="utf-8-sig", newline="") as stock:  # tolerate a byte-order mark
        rows = csv.reader(stock)
        header = next(rows, [])
        width = len(header)
        check_header(Path(path).name, header, from_row)
        # A column the file lacks reads as the empty value appended to every row.
        pick = itemgetter(*(header.index(column) if column in header else width for column in fields))
        for values in rows:
            if len(values) != width:
                yield Rejection(rows.line_num, f"row has {len(values)} fields, the header has {width}")
                continue
            values.append("")
            yield normalise(pick(values), rows.line_num)


def columns_read(from_row: Callable) -> tuple[str, ...]:
    """The columns a normaliser (company_from_row...) reads, in its order."""
    return _FIELDS_AND_NORMALISER[from_row][0]


def check_header(file_name: str, header: list[str], from_row: Callable) -> list[str]:
    """The columns of `header` the normaliser reads but the file lacks (only the later NAF 2025
    columns may be missing); ValueError naming the others."""
    absent = [column for column in columns_read(from_row) if column not in header]
    missing = [column for column in absent if column not in _LATER_COLUMNS]
    if missing:
        raise ValueError(f"{file_name} is not a SIRENE stock file: no column {', '.join(missing)}")
    return absent


def _company(fields: tuple[str, ...], line: int | None) -> Company | Rejection:
    if MASKED in fields:  # only partially diffusible units have masked fields
        fields = _unmasked(fields)
    (
        siren,
        diffusion,
        purged,
        created,
        sigle,
        first_name,
        usual_first_name,
        band,
        band_year,
        period_start,
        state,
        surname,
        usage_name,
        denomination,
        usual_name,
        legal_category,
        naf,
        nomenclature,
        head_office_nic,
        ess,
        employer,
        naf_2025,
    ) = fields
    if not siren_is_valid(siren):
        return Rejection(line, _identifier_problem(normalise_siren, "siren", siren), siren or None)
    if state not in _COMPANY_STATES:
        return Rejection(line, f"etatAdministratifUniteLegale is {state!r}, not A or C", siren)
    try:
        created_on = _date(created, "dateCreationUniteLegale")
        ceased_on = _date(period_start, "dateDebut") if state == "C" else None
        headcount_year = _year(band_year, "anneeEffectifsUniteLegale")
    except ValueError as problem:
        return Rejection(line, str(problem), siren)
    is_natural_person = legal_category == NATURAL_PERSON_LEGAL_CATEGORY or (not legal_category and bool(surname))
    if is_natural_person:
        denomination = _natural_person_name(usual_first_name or first_name, surname, usage_name)
    return Company(
        siren=siren,
        denomination=denomination or None,
        sigle=sigle or None,
        usual_name=usual_name or None,
        legal_category=legal_category or None,
        is_natural_person=is_natural_person,
        naf=naf or None,
        naf_nomenclature=nomenclature or None,
        naf_is_current=bool(naf) and nomenclature == CURRENT_NAF_NOMENCLATURE,
        naf_2025=naf_2025 or None,
        headcount_band=band or None,
        headcount_year=headcount_year,
        state=state,
        ess=_YES_NO.get(ess),
        employer=_YES_NO.get(employer),
        created_on=created_on,
        ceased_on=ceased_on,
        head_office_nic=head_office_nic or None,
        diffusion_status=diffusion or DIFFUSIBLE,
        purged=purged == "true",
    )


def _establishment(fields: tuple[str, ...], line: int | None) -> Establishment | Rejection:
    if MASKED in fields:  # only partially diffusible units have masked fields
        fields = _unmasked(fields)
    (
        siren,
        nic,
        siret,
        diffusion,
        created,
        band,
        band_year,
        head_office,
        address_complement,
        street_number,
        street_number_suffix,
        street_type,
        street_name,
        postcode,
        commune_name,
        foreign_city,
        special_distribution,
        commune_code,
        cedex_code,
        cedex_name,
        country_code,
        country_name,
        period_start,
        state,
        enseigne1,
        enseigne2,
        enseigne3,
        usual_name,
        naf,
        nomenclature,
        employer,
        naf_2025,
    ) = fields
    if not siret_is_valid(siret):
        return Rejection(line, _identifier_problem(normalise_siret, "siret", siret), siret or None)
    if siren + nic != siret:
        return Rejection(line, f"siret {siret} is not siren {siren!r} followed by nic {nic!r}", siret)
    if state not in _ESTABLISHMENT_STATES:
        return Rejection(line, f"etatAdministratifEtablissement is {state!r}, not A or F", siret)
    is_head_office = _TRUE_FALSE.get(head_office)
    if is_head_office is None:
        return Rejection(line, f"etablissementSiege is {head_office!r}, not true or false", siret)
    try:
        created_on = _date(created, "dateCreationEtablissement")
        closed_on = _date(period_start, "dateDebut") if state == "F" else None
        headcount_year = _year(band_year, "anneeEffectifsEtablissement")
    except ValueError as problem:
        return Rejection(line, str(problem), siret)
    if country_code:  # a foreign address has no commune in France, whatever the file holds there
        commune_code = commune_name = ""
    return Establishment(
        siret=siret,
        siren=siren,
        nic=nic,
        head_office=is_head_office,
        enseigne=enseigne1 or enseigne2 or enseigne3 or None,
        usual_name=usual_name or None,
        address_complement=address_complement or None,
        street_number=street_number or None,
        street_number_suffix=street_number_suffix or None,
        street_type=street_type or None,
        street_name=street_name or None,
        special_distribution=special_distribution or None,
        postcode=postcode or None,
        commune_code=commune_code or None,
        commune_name=commune_name or None,
        cedex_code=cedex_code or None,
        cedex_name=cedex_name or None,
        foreign_city=foreign_city or None,
        country_code=country_code or None,
        country_name=country_name or None,
        naf=naf or None,
        naf_nomenclature=nomenclature or None,
        naf_is_current=bool(naf) and nomenclature == CURRENT_NAF_NOMENCLATURE,
        naf_2025=naf_2025 or None,
        headcount_band=band or None,
        headcount_year=headcount_year,
        state=state,
        employer=_YES_NO.get(employer),
        created_on=created_on,
        closed_on=closed_on,
        diffusion_status=diffusion or DIFFUSIBLE,
    )


def _succession(fields: tuple[str, ...], line: int | None) -> Succession | Rejection:
    predecessor, successor, succeeded, head_office_transfer, economic_continuity = fields
    for column, siret in (("siretEtablissementPredecesseur", predecessor), ("siretEtablissementSuccesseur", successor)):
        if not siret_is_valid(siret):
            return Rejection(line, _identifier_problem(normalise_siret, column, siret), siret or None)
    is_transfer = _TRUE_FALSE.get(head_office_transfer)
    if is_transfer is None:
        return Rejection(line, f"transfertSiege is {head_office_transfer!r}, not true or false", predecessor)
    try:
        succeeded_on = _date(succeeded, "dateLienSuccession")
    except ValueError as problem:
        return Rejection(line, str(problem), predecessor)
    if succeeded_on is None:
        return Rejection(line, "dateLienSuccession is empty", predecessor)
    return Succession(
        predecessor_siret=predecessor,
        successor_siret=successor,
        succeeded_on=succeeded_on,
        head_office_transfer=is_transfer,
        economic_continuity=_TRUE_FALSE.get(economic_continuity),
    )


# What read_stock_file does for each public normaliser: pick these fields, call this function.
_FIELDS_AND_NORMALISER: dict[Callable, tuple[tuple[str, ...], Callable]] = {
    company_from_row: (_COMPANY_FIELDS, _company),
    establishment_from_row: (_ESTABLISHMENT_FIELDS, _establishment),
    succession_from_row: (_SUCCESSION_FIELDS, _succession),
}


def _unmasked(fields: tuple[str, ...]) -> tuple[str, ...]:
    """The fields of a partially diffusible unit, its "[ND]" masks read as empty."""
    return tuple("" if value == MASKED else value for value in fields)


def _date(raw: str, column: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{column} {raw!r} is not a date (YYYY-MM-DD)") from None


def _year(raw: str, column: str) -> int | None:
    if not raw:
        return None
    if len(raw) != 4 or not raw.isascii() or not raw.isdigit():
        raise ValueError(f"{column} {raw!r} is not a year")
    return int(raw)


def _natural_person_name(first_name: str, surname: str, usage_name: str) -> str:
    """ "FIRST USAGE-NAME (BIRTH-NAME)", the way the public directory shows a sole trader."""
    name = " ".join(part for part in (first_name, usage_name or surname) if part)
    if usage_name and surname and usage_name != surname:
        name = f"{name} ({surname})"
    return name


def _identifier_problem(normalise: Callable[[str], str], column: str, raw: str) -> str:
    if not raw:
        return f"{column} is empty"
    try:
        normalise(raw)
    except InvalidIdentifier as problem:
        return f"{column}: {problem}"
    return f"{column} {raw!r} holds spaces: the stock files have bare digits"

"""What leaves fce: the registry's companies and establishments, search pages, import sources."""

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from services.fce.domain.search import HEADCOUNT_BANDS
from services.fce.models import ImportRejection, ImportSource

SIRENE = "INSEE, base Sirene des entreprises et de leurs établissements (stock)"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Source(BaseModel):
    """Where a record comes from: the stock file last imported, INSEE's date for it, when loaded."""

    name: str = SIRENE
    file_name: str | None = None
    as_of: dt.date | None = None
    imported_at: dt.datetime | None = None


def source_of(row) -> Source:
    """From a lookup's row (its source_* columns from the dataset's last import)."""
    if row is None:
        return Source()
    return Source(file_name=row["source_file_name"], as_of=row["source_as_of"], imported_at=row["source_imported_at"])


class Place(BaseModel):
    postcode: str | None
    commune_code: str | None
    commune_name: str | None
    departement: str | None
    region: str | None
    epci: str | None
    latitude: float | None  # the commune's centre
    longitude: float | None


class Activity(BaseModel):
    naf: str | None
    naf_nomenclature: str | None  # NAFRev2, or an older one kept as INSEE gives it
    naf_is_current: bool
    naf_section: str | None
    naf_2025: str | None


class Headcount(BaseModel):
    band: str | None
    label: str | None
    year: int | None


def headcount(band: str | None, year: int | None) -> Headcount:
    return Headcount(band=band, label=HEADCOUNT_BANDS.get(band) if band else None, year=year)


class CompanyOut(BaseModel):
    siren: str
    denomination: str | None
    sigle: str | None
    usual_name: str | None
    legal_category: str | None
    is_natural_person: bool
    activity: Activity
    headcount: Headcount
    state: str  # A active, C ceased
    ess: bool | None
    employer: bool | None
    created_on: dt.date | None
    ceased_on: dt.date | None
    head_office_siret: str | None
    head_office: Place
    diffusion_status: str  # O diffusible, P partially diffusible (masked fields are null)
    purged: bool
    last_processed_at: dt.datetime | None  # by INSEE, Paris time
    source: Source | None = None  # on the detail only


def activity_of(row) -> Activity:
    return Activity(naf=row.naf, naf_nomenclature=row.naf_nomenclature, naf_is_current=row.naf_is_current,
                    naf_section=row.naf_section, naf_2025=row.naf_2025)


def place_of(row) -> Place:
    return Place(postcode=row.postcode, commune_code=row.commune_code, commune_name=row.commune_name,
                 departement=row.departement, region=row.region, epci=row.epci, latitude=row.latitude,
                 longitude=row.longitude)


def company_out(company, source=None, with_source: bool = False, model: type[CompanyOut] = CompanyOut,
                **extra) -> CompanyOut:
    """The company as `model` shows it (CompanyOut, or CompanyHit with `match` in `extra`)."""
    return model(
        siren=company.siren, denomination=company.denomination, sigle=company.sigle, usual_name=company.usual_name,
        legal_category=company.legal_category, is_natural_person=company.is_natural_person,
        activity=activity_of(company), headcount=headcount(company.headcount_band, company.headcount_year),
        state=company.state, ess=company.ess, employer=company.employer, created_on=company.created_on,
        ceased_on=company.ceased_on,
        head_office_siret=company.siren + company.head_office_nic if company.head_office_nic else None,
        head_office=place_of(company), diffusion_status=company.diffusion_status, purged=company.purged,
        last_processed_at=company.last_processed_at, source=source_of(source) if with_source else None, **extra,
    )


class Address(BaseModel):
    complement: str | None
    street_number: str | None
    street_number_suffix: str | None
    street_type: str | None
    street_name: str | None
    special_distribution: str | None
    postcode: str | None
    commune_code: str | None
    commune_name: str | None
    cedex_code: str | None
    cedex_name: str | None
    foreign_city: str | None
    country_code: str | None
    country_name: str | None


class SuccessionOut(BaseModel):
    predecessor_siret: str
    successor_siret: str
    succeeded_on: dt.date
    head_office_transfer: bool
    economic_continuity: bool | None


class EstablishmentOut(BaseModel):
    siret: str
    siren: str
    nic: str
    name: str | None  # enseigne, else usual name, else the company's name
    enseigne: str | None
    usual_name: str | None
    company_name: str | None
    company_sigle: str | None
    legal_category: str | None
    head_office: bool
    address: Address
    departement: str | None
    region: str | None
    epci: str | None
    latitude: float | None
    longitude: float | None
    activity: Activity
    headcount: Headcount
    state: str  # A active, F closed
    employer: bool | None
    ess: bool | None  # the company's
    created_on: dt.date | None
    closed_on: dt.date | None
    diffusion_status: str
    last_processed_at: dt.datetime | None
    successions: list[SuccessionOut] | None = None  # on the detail only
    source: Source | None = None


def display_name(row) -> str | None:
    return row.enseigne or row.usual_name or row.company_name


def address_of(row) -> Address:
    return Address(
        complement=row.address_complement, street_number=row.street_number,
        street_number_suffix=row.street_number_suffix, street_type=row.street_type, street_name=row.street_name,
        special_distribution=row.special_distribution, postcode=row.postcode, commune_code=row.commune_code,
        commune_name=row.commune_name, cedex_code=row.cedex_code, cedex_name=row.cedex_name,
        foreign_city=row.foreign_city, country_code=row.country_code, country_name=row.country_name,
    )


def establishment_out(row, source=None, successions: list[dict] | None = None, with_source: bool = False,
                      model: type[EstablishmentOut] = EstablishmentOut, **extra) -> EstablishmentOut:
    """The establishment as `model` shows it (EstablishmentOut, or EstablishmentHit with `match` in `extra`)."""
    return model(
        siret=row.siret, siren=row.siren, nic=row.nic, name=display_name(row), enseigne=row.enseigne,
        usual_name=row.usual_name, company_name=row.company_name, company_sigle=row.company_sigle,
        legal_category=row.legal_category, head_office=row.head_office, address=address_of(row),
        departement=row.departement, region=row.region, epci=row.epci, latitude=row.latitude,
        longitude=row.longitude, activity=activity_of(row), headcount=headcount(row.headcount_band, row.headcount_year),
        state=row.state, employer=row.employer, ess=row.ess, created_on=row.created_on, closed_on=row.closed_on,
        diffusion_status=row.diffusion_status, last_processed_at=row.last_processed_at,
        successions=None if successions is None else [SuccessionOut.model_validate(s) for s in successions],
        source=source_of(source) if with_source else None, **extra,
    )


class EstablishmentPage(BaseModel):
    items: list[EstablishmentOut]
    next_cursor: str | None = None


class FacetValue(BaseModel):
    value: str | bool | None
    label: str | None = Field(None, description="the value's name: département, région, NAF code or section, "
                                                "headcount band, state")
    count: int


class EstablishmentHit(EstablishmentOut):
    match: str | None  # siret, siren, exact_name, name_prefix, words; none without q


class CompanyHit(CompanyOut):
    match: str | None


class SearchPage(BaseModel):
    items: list
    next_cursor: str | None = None
    total: int | None = None  # with facets
    facets: dict[str, list[FacetValue]] | None = None


class EstablishmentSearchPage(SearchPage):
    items: list[EstablishmentHit]


class CompanySearchPage(SearchPage):
    items: list[CompanyHit]


class SourceOut(BaseModel):
    id: int
    dataset: str
    file_name: str
    file_bytes: int
    as_of: dt.date | None
    started_at: dt.datetime
    finished_at: dt.datetime
    imported_by: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    removed: int
    rejected: int
    # rebuild: every row and index made again; changes: only the lines that changed since the last import
    method: Literal["rebuild", "changes"] | None = Field(
        description="rebuild (every row made again) or changes (only the file's changed lines applied)")


def source_out(source: ImportSource) -> SourceOut:
    return SourceOut.model_validate(source, from_attributes=True)


class SourcePage(BaseModel):
    items: list[SourceOut]
    next_cursor: str | None = None


class RejectionOut(BaseModel):
    line: int | None
    key: str | None
    reason: str


def rejection_out(rejection: ImportRejection) -> RejectionOut:
    return RejectionOut(line=rejection.line, key=rejection.key, reason=rejection.reason)


class RejectionPage(BaseModel):
    items: list[RejectionOut]
    next_cursor: str | None = None


# Columns of an export of establishments (CSV/XLSX), flat.
ESTABLISHMENT_EXPORT_COLUMNS = (
    "siret", "siren", "name", "company_name", "enseigne", "head_office", "state", "address", "postcode",
    "commune_code", "commune_name", "departement", "region", "epci", "naf", "naf_section", "headcount_band",
    "employer", "ess", "created_on", "closed_on", "latitude", "longitude",
)
COMPANY_EXPORT_COLUMNS = (
    "siren", "denomination", "sigle", "legal_category", "state", "naf", "naf_section", "headcount_band", "employer",
    "ess", "created_on", "ceased_on", "head_office_siret", "postcode", "commune_code", "commune_name", "departement",
    "region",
)


def street_line(row) -> str:
    parts = [row.get("street_number"), row.get("street_number_suffix"), row.get("street_type"), row.get("street_name")]
    line = " ".join(p for p in parts if p)
    return ", ".join(p for p in (row.get("address_complement"), line, row.get("special_distribution")) if p)


def establishment_export_row(row: dict) -> dict:
    return {**row, "name": row.get("enseigne") or row.get("usual_name") or row.get("company_name"),
            "address": street_line(row)}


def company_export_row(row: dict) -> dict:
    nic = row.get("head_office_nic")
    return {**row, "head_office_siret": row["siren"] + nic if nic else None}

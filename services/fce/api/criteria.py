"""The parameters of a search, parsed and checked once for the search and its export: a wrong
value is a 422 naming the parameter and saying why."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query

from services.fce.domain.search import (
    COMPANY_FACETS,
    ESTABLISHMENT_FACETS,
    CompanySort,
    EstablishmentSort,
    Filters,
    QueryKind,
    code_problem,
    interpret,
    parse_near,
)
from services.fce.domain.search import Query as SearchQuery
from shared.errors import field_error, invalid
from shared.ids import compact, siren_problem, siret_problem

# Codes typed in lower case are read in upper case: "2a", "62.01z".
_UPPER = {"naf", "naf_section", "commune", "departement"}


@dataclass
class Criteria:
    query: SearchQuery
    filters: Filters
    sort: str
    facets: list[str]


def _query(q: str | None, errors: list) -> SearchQuery:
    """The box; a wrong SIRET or SIREN in it is reported with the other parameters' problems."""
    query = interpret(q)
    problem = {QueryKind.SIRET: siret_problem, QueryKind.SIREN: siren_problem}.get(query.kind)
    if problem and (reason := problem(query.text)):
        errors.append(field_error(["query", "q"], f"{query.text} looks like a {query.kind.upper()}, but {reason}"))
    return query


def _criteria(query: SearchQuery, filters: Filters, sort: str, facets: list[str], errors: list) -> Criteria:
    if errors:
        raise invalid(errors)
    return Criteria(query, filters, sort, facets)


def _codes(name: str, values: list[str] | None, errors: list) -> list[str]:
    """Repeated parameters and comma-separated lists alike: naf=62.01Z&naf=62.02A or naf=62.01Z,62.02A."""
    codes = []
    for value in values or []:
        for code in (part.strip() for part in value.split(",")):
            if not code:
                continue
            code = code.upper() if name in _UPPER else code
            if problem := code_problem(name, code):
                errors.append(field_error(["query", name], problem))
            codes.append(code)
    return codes


def _facets(facets: str | None, allowed: tuple[str, ...], errors: list) -> list[str]:
    names = [name.strip() for name in (facets or "").split(",") if name.strip()]
    for name in names:
        if name not in allowed:
            errors.append(field_error(["query", "facets"],
                                      f"{name!r} is not a facet; choose among {', '.join(allowed)}"))
    return list(dict.fromkeys(names))


def _filters(errors: list, *, state, naf, naf_section, commune, postcode, departement, region, epci, headcount_band,
             employer, ess, near, radius_km, head_office=None) -> Filters:
    filters = Filters(
        state=state, head_office=head_office, employer=employer, ess=ess,
        **{name: _codes(name, values, errors) for name, values in (
            ("naf", naf), ("naf_section", naf_section), ("commune", commune), ("postcode", postcode),
            ("departement", departement), ("region", region), ("epci", epci), ("headcount_band", headcount_band))},
    )
    if near is not None:
        try:
            filters.near = parse_near(near, radius_km)
        except ValueError as problem:
            errors.append(field_error(["query", "radius_km" if "radius" in str(problem) else "near"], str(problem)))
    elif radius_km is not None:
        errors.append(field_error(["query", "radius_km"], "radius_km goes with near=latitude,longitude"))
    return filters


Codes = Annotated[list[str] | None, Query()]


async def establishment_criteria(
    q: Annotated[str | None, Query(description="a SIRET or SIREN (spaces allowed), or a name, even mistyped")] = None,
    state: Annotated[str | None, Query(pattern="^[AF]$", description="A active, F closed")] = None,
    head_office: Annotated[bool | None, Query(description="head offices only (true) or none (false)")] = None,
    naf: Annotated[list[str] | None, Query(description="NAF rev. 2 code(s), e.g. 62.01Z")] = None,
    naf_section: Annotated[list[str] | None, Query(description="NAF section letter(s), A to U")] = None,
    commune: Annotated[list[str] | None, Query(description="commune code(s) INSEE")] = None,
    postcode: Codes = None,
    departement: Codes = None,
    region: Annotated[list[str] | None, Query(description="région code(s): all their départements")] = None,
    epci: Annotated[list[str] | None, Query(description="EPCI SIREN(s)")] = None,
    headcount_band: Annotated[list[str] | None, Query(description="INSEE headcount band(s), e.g. 11, 12")] = None,
    employer: bool | None = None,
    ess: Annotated[bool | None, Query(description="the company belongs to the social and solidarity economy")] = None,
    near: Annotated[str | None, Query(description="latitude,longitude: within radius_km of commune centres")] = None,
    radius_km: Annotated[float | None, Query(description="with near, 10 km when not given, at most 200")] = None,
    sort: EstablishmentSort = EstablishmentSort.RELEVANCE,
    facets: Annotated[str | None, Query(description="comma list among " + ", ".join(ESTABLISHMENT_FACETS))] = None,
) -> Criteria:
    errors: list = []
    query = _query(q, errors)
    filters = _filters(errors, state=state, head_office=head_office, naf=naf, naf_section=naf_section,
                       commune=commune, postcode=postcode, departement=departement, region=region, epci=epci,
                       headcount_band=headcount_band, employer=employer, ess=ess, near=near, radius_km=radius_km)
    return _criteria(query, filters, sort.value, _facets(facets, ESTABLISHMENT_FACETS, errors), errors)


async def company_criteria(
    q: Annotated[str | None, Query(description="a SIREN or SIRET (spaces allowed), or a name, even mistyped")] = None,
    state: Annotated[str | None, Query(pattern="^[AC]$", description="A active, C ceased")] = None,
    naf: Codes = None,
    naf_section: Codes = None,
    commune: Annotated[list[str] | None, Query(description="the head office's commune code(s) INSEE")] = None,
    postcode: Codes = None,
    departement: Codes = None,
    region: Codes = None,
    epci: Codes = None,
    headcount_band: Codes = None,
    employer: bool | None = None,
    ess: bool | None = None,
    near: Annotated[str | None, Query(description="latitude,longitude: head office within radius_km")] = None,
    radius_km: float | None = None,
    sort: CompanySort = CompanySort.RELEVANCE,
    facets: Annotated[str | None, Query(description="comma list among " + ", ".join(COMPANY_FACETS))] = None,
) -> Criteria:
    errors: list = []
    query = _query(q, errors)
    filters = _filters(errors, state=state, naf=naf, naf_section=naf_section, commune=commune, postcode=postcode,
                       departement=departement, region=region, epci=epci, headcount_band=headcount_band,
                       employer=employer, ess=ess, near=near, radius_km=radius_km)
    return _criteria(query, filters, sort.value, _facets(facets, COMPANY_FACETS, errors), errors)


EstablishmentCriteria = Annotated[Criteria, Depends(establishment_criteria)]
CompanyCriteria = Annotated[Criteria, Depends(company_criteria)]


async def path_siren(siren: Annotated[str, Path(description="9 digits")]) -> str:
    siren = compact(siren)
    if reason := siren_problem(siren):
        raise invalid([field_error(["path", "siren"], f"{siren}: {reason}")])
    return siren


async def path_siret(siret: Annotated[str, Path(description="14 digits")]) -> str:
    siret = compact(siret)
    if reason := siret_problem(siret):
        raise invalid([field_error(["path", "siret"], f"{siret}: {reason}")])
    return siret


Siren = Annotated[str, Depends(path_siren)]
Siret = Annotated[str, Depends(path_siret)]

"""Companies (unités légales): search, export, one by SIREN, its establishments."""

from types import SimpleNamespace

from fastapi import APIRouter, Request, Response

from services.fce import schemas
from services.fce.api.access import Agent, RegistryReader
from services.fce.api.criteria import CompanyCriteria, Siren
from services.fce.api.etags import represented
from services.fce.api.results import export, facets_out
from services.fce.repository import registry
from services.fce.repository import search as searching
from shared.db import ReadConnection, Session
from shared.errors import field_error, invalid, not_found
from shared.pagination import Pagination, link_next
from shared.reports import Output

router = APIRouter(prefix="/v1/companies", tags=["companies"])


@router.get("/search")
async def search_companies(_: RegistryReader, criteria: CompanyCriteria, page: Pagination, session: Session,
                           request: Request, response: Response) -> schemas.CompanySearchPage:
    """One box (`q`): a SIREN or SIRET, else a name (exact, prefix, then every word in any order,
    typos and accents forgiven), with filters on the head office's place and the company."""
    result = await searching.search(session, searching.COMPANIES, criteria.query, criteria.filters, criteria.sort,
                                     page, criteria.facets)
    link_next(request, response, result.next_cursor)
    return schemas.CompanySearchPage(
        items=[schemas.company_out(SimpleNamespace(**row), model=schemas.CompanyHit, match=row["match"])
               for row in result.rows],
        next_cursor=result.next_cursor, total=result.total, facets=facets_out(result),
    )


@router.get("/export", response_class=Response,
            responses={200: {"content": {"text/csv": {}, schemas.XLSX: {}}, "description": "every match"}})
async def export_companies(_: Agent, criteria: CompanyCriteria, output: Output, request: Request):
    """Every company of a search, streamed as CSV or XLSX, in the search's order."""
    return await export(request, searching.COMPANIES, criteria, output, schemas.COMPANY_EXPORT_COLUMNS,
                        schemas.company_export_row, "entreprises")


@router.get("/{siren}", responses={304: {"description": "unchanged since the ETag given"}})
async def get_company(_: RegistryReader, siren: Siren, connection: ReadConnection,
                      request: Request) -> schemas.CompanyOut:
    found = await registry.company_detail(connection, siren)
    if found is None:
        raise not_found("company")
    out = schemas.company_out(SimpleNamespace(**found), found, with_source=True)
    return represented(request, out)


@router.get("/{siren}/establishments")
async def company_establishments(_: RegistryReader, siren: Siren, page: Pagination, session: Session,
                                 request: Request, response: Response,
                                 state: str | None = None) -> schemas.EstablishmentPage:
    """Head office first, then open before closed, bigger before smaller."""
    if state not in (None, "A", "F"):
        raise invalid([field_error(["query", "state"], "state is A (active) or F (closed)")])
    if await registry.company(session, siren) is None:
        raise not_found("company")
    rows, cursor = await registry.establishments_of(session, siren, page, state)
    link_next(request, response, cursor)
    return schemas.EstablishmentPage(items=[schemas.establishment_out(row) for row in rows], next_cursor=cursor)

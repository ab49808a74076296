"""Establishments (établissements): search, export, one by SIRET."""

from types import SimpleNamespace

from fastapi import APIRouter, Request, Response

from services.fce import schemas
from services.fce.api.access import Agent, RegistryReader
from services.fce.api.criteria import EstablishmentCriteria, Siret
from services.fce.api.etags import represented
from services.fce.api.results import export, facets_out
from services.fce.repository import registry
from services.fce.repository import search as searching
from shared.db import ReadConnection, Session
from shared.errors import not_found
from shared.pagination import Pagination, link_next
from shared.reports import Output

router = APIRouter(prefix="/v1/establishments", tags=["establishments"])


@router.get("/search")
async def search_establishments(_: RegistryReader, criteria: EstablishmentCriteria, page: Pagination, session: Session,
                                request: Request, response: Response) -> schemas.EstablishmentSearchPage:
    """One box (`q`): a SIRET or SIREN, else a name (exact, prefix, then every word in any order,
    typos and accents forgiven), with every filter of the registry; ranked open before closed,
    head office first, bigger first; keyset pages without a ceiling; facets on request."""
    result = await searching.search(session, searching.ESTABLISHMENTS, criteria.query, criteria.filters,
                                     criteria.sort, page, criteria.facets)
    link_next(request, response, result.next_cursor)
    return schemas.EstablishmentSearchPage(
        items=[schemas.establishment_out(SimpleNamespace(**row), model=schemas.EstablishmentHit, match=row["match"])
               for row in result.rows],
        next_cursor=result.next_cursor, total=result.total, facets=facets_out(result),
    )


@router.get("/export", response_class=Response,
            responses={200: {"content": {"text/csv": {}, schemas.XLSX: {}}, "description": "every match"}})
async def export_establishments(_: Agent, criteria: EstablishmentCriteria, output: Output, request: Request):
    """Every establishment of a search, streamed as CSV or XLSX, in the search's order."""
    return await export(request, searching.ESTABLISHMENTS, criteria, output, schemas.ESTABLISHMENT_EXPORT_COLUMNS,
                        schemas.establishment_export_row, "etablissements")


@router.get("/{siret}", responses={304: {"description": "unchanged since the ETag given"}})
async def get_establishment(_: RegistryReader, siret: Siret, connection: ReadConnection,
                            request: Request) -> schemas.EstablishmentOut:
    found = await registry.establishment_detail(connection, siret)
    if found is None:
        raise not_found("establishment")
    out = schemas.establishment_out(SimpleNamespace(**found), found, found["successions"], with_source=True)
    return represented(request, out)

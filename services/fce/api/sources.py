"""What was loaded into the registry and when; the rows each file could not give."""

from fastapi import APIRouter, Request, Response

from services.fce import schemas
from services.fce.api.access import Admin, SourcesReader
from services.fce.repository import registry
from shared.db import Session
from shared.errors import field_error, invalid, not_found
from shared.pagination import Pagination, link_next

router = APIRouter(prefix="/v1/sources", tags=["sources"])
DATASETS = ("companies", "establishments", "successions")


@router.get("")
async def list_sources(_: SourcesReader, page: Pagination, session: Session, request: Request, response: Response,
                       dataset: str | None = None) -> schemas.SourcePage:
    """Every stock file imported, newest first, with what became of its rows."""
    if dataset is not None and dataset not in DATASETS:
        raise invalid([field_error(["query", "dataset"], f"dataset is one of {', '.join(DATASETS)}")])
    rows, cursor = await registry.sources(session, page, dataset)
    link_next(request, response, cursor)
    return schemas.SourcePage(items=[schemas.source_out(s) for s in rows], next_cursor=cursor)


@router.get("/{source_id}/rejections")
async def source_rejections(_: Admin, source_id: int, page: Pagination, session: Session, request: Request,
                            response: Response) -> schemas.RejectionPage:
    """The rows of one file that did not enter the registry, by line, with the reason."""
    if await registry.source(session, source_id) is None:
        raise not_found("source")
    rows, cursor = await registry.rejections(session, source_id, page)
    link_next(request, response, cursor)
    return schemas.RejectionPage(items=[schemas.rejection_out(r) for r in rows], next_cursor=cursor)

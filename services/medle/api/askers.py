"""Askers: the requisitioning authorities, shared by every hospital."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.medle.api.callers import Admin, Reader, Writer
from services.medle.domain.enums import AskerType
from services.medle.models import Asker
from services.medle.repository import hospitals as repo
from services.medle.schemas import AskerIn, AskerOut, AskerPatch
from shared import audit
from shared.concurrency import check_if_match, set_etag
from shared.db import Session
from shared.errors import Problem, field_error, invalid, not_found
from shared.pagination import Page, Pagination, link_next, page_of

router = APIRouter(prefix="/v1", tags=["askers"])


def _out(asker: Asker) -> AskerOut:
    return AskerOut.model_validate(asker, from_attributes=True)


@router.get("/askers", response_model=Page[AskerOut])
async def list_askers(
    _: Reader, session: Session, page: Pagination, request: Request, response: Response,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="name, accents ignored")] = None,
    type: AskerType | None = None,
    departement: Annotated[str | None, Query(max_length=3)] = None,
):
    rows = await repo.list_askers(session, page, q, type.value if type else None, departement)
    rows, cursor = page_of(rows, page, key=lambda a: (a.id,))
    link_next(request, response, cursor)
    return Page[AskerOut](items=[_out(a) for a in rows], next_cursor=cursor)


@router.get("/askers/{asker_id}", response_model=AskerOut)
async def get_asker(asker_id: int, _: Reader, session: Session, response: Response):
    asker = await repo.asker(session, asker_id)
    if asker is None:
        raise not_found("asker")
    set_etag(response, asker.version)
    return _out(asker)


@router.post("/askers", status_code=201, response_model=AskerOut)
async def create_asker(body: AskerIn, caller: Writer, session: Session, request: Request, response: Response):
    """Hospital staff add the authority that requisitioned them when it is not listed yet."""
    if not (caller.is_admin or caller.writable_hospitals()):
        raise Problem(403, "askers are added by hospital staff or the suite's administrators")
    asker = Asker(**body.model_dump(mode="json"))
    session.add(asker)
    await session.flush()
    await audit.record(session, request, caller, "create", "asker", asker.id, after=_out(asker))
    response.headers["Location"] = f"/v1/askers/{asker.id}"
    set_etag(response, asker.version)
    return _out(asker)


@router.patch("/askers/{asker_id}", response_model=AskerOut)
async def update_asker(asker_id: int, body: AskerPatch, caller: Admin, session: Session, request: Request,
                       response: Response):
    asker = await repo.asker(session, asker_id)
    if asker is None:
        raise not_found("asker")
    check_if_match(request, asker.version)
    changes = body.model_dump(mode="json", exclude_unset=True)
    for name in ("name", "type"):
        if name in changes and changes[name] is None:
            raise invalid([field_error(["body", name], "may not be null", "missing")])
    before = _out(asker)
    for name, value in changes.items():
        setattr(asker, name, value)
    await session.flush()
    await audit.record(session, request, caller, "update", "asker", asker.id, before=before, after=_out(asker))
    set_etag(response, asker.version)
    return _out(asker)

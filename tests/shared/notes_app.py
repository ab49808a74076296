"""A tiny service built with the kit only, to test the kit the way services use it."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, Integer, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from shared import audit
from shared.auth import Principal, require_scopes
from shared.components import Component
from shared.concurrency import check_if_match, set_etag
from shared.db import Session, declarative_base
from shared.errors import Problem, not_found
from shared.idempotency import IdempotencyKey
from shared.ids import Siret
from shared.pagination import Page, Pagination, keyset, link_next, page_of
from shared.reports import Output, suppress_small_cells, tabular_response
from shared.service import create_service_app
from shared.settings import PROJECT_ROOT

SCHEMA = "kit_test"
Base = declarative_base(SCHEMA)
COMPONENT = Component("kit_test", SCHEMA, "tests.shared", PROJECT_ROOT / "tests" / "shared",
                      app_module="tests.shared.notes_app")


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    siret: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    siret: Siret | None = None


class NoteOut(BaseModel):
    id: int
    title: str
    siret: str | None
    version: int


Reader = Annotated[Principal, Depends(require_scopes("notes:read"))]
Writer = Annotated[Principal, Depends(require_scopes("notes:write"))]
router = APIRouter(prefix="/v1")


def out(note: Note) -> NoteOut:
    return NoteOut(id=note.id, title=note.title, siret=note.siret, version=note.version)


@router.post("/notes", status_code=201)
async def create_note(body: NoteIn, session: Session, principal: Writer, idem: IdempotencyKey, request: Request):
    if replay := await idem.replay(session):
        return replay
    note = Note(title=body.title, siret=body.siret)
    session.add(note)
    await session.flush()
    await audit.record(session, request, principal, "create", "note", note.id, after=out(note))
    response = JSONResponse(out(note).model_dump(), status_code=201,
                            headers={"Location": f"/v1/notes/{note.id}", "ETag": f'"{note.version}"'})
    return await idem.remember(session, response)


@router.get("/notes")
async def list_notes(session: Session, _: Reader, page: Pagination, request: Request, response: Response
                     ) -> Page[NoteOut]:
    rows = (await session.execute(keyset(select(Note), [(Note.id, False)], page))).scalars().all()
    rows, cursor = page_of(list(rows), page, key=lambda n: (n.id,))
    link_next(request, response, cursor)
    return Page(items=[out(n) for n in rows], next_cursor=cursor)


@router.get("/notes/{note_id}")
async def get_note(note_id: int, session: Session, _: Reader, response: Response) -> NoteOut:
    note = await session.get(Note, note_id)
    if note is None:
        raise not_found("note")
    set_etag(response, note.version)
    return out(note)


@router.patch("/notes/{note_id}")
async def update_note(note_id: int, body: NoteIn, session: Session, principal: Writer, request: Request,
                      response: Response) -> NoteOut:
    note = await session.get(Note, note_id)
    if note is None:
        raise not_found("note")
    check_if_match(request, note.version)
    before = out(note)
    note.title = body.title
    await session.flush()
    await audit.record(session, request, principal, "update", "note", note.id, before=before, after=out(note))
    set_etag(response, note.version)
    return out(note)


@router.post("/notes/{note_id}/archive")
async def archive_note(note_id: int, _: Writer):
    raise Problem(409, "a note cannot be archived twice")


@router.get("/boom")
async def boom():
    raise RuntimeError("secret internal detail /etc/passwd")


@router.get("/report")
async def report(principal: Reader, output: Output):
    rows = [{"departement": "59", "acts": 3}, {"departement": "75", "acts": 12}, {"departement": "13", "acts": 0}]
    rows, hidden = suppress_small_cells(rows, ["acts"], nominative=principal.has_role("admin"))
    return await tabular_response(rows, ["departement", "acts"], output, "report", meta={"suppressed_cells": hidden})


def create_app():
    return create_service_app("kit_test", [router], title="kit test", component=COMPONENT)


async def create_notes_tables() -> None:
    """(Re)create the notes service's schema and tables, with the kit's append-only audit log."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from shared.audit import append_only_sql
    from shared.database import prepare_schemas, service_url

    await prepare_schemas([SCHEMA])
    engine = create_async_engine(service_url(SCHEMA))
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
        for statement in append_only_sql(SCHEMA):
            await conn.execute(text(statement))
    await engine.dispose()

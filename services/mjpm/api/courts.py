"""Courts (tribunaux judiciaires) and the memberships linking accounts to courts, managers and
départements."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from services.mjpm import repository
from services.mjpm.api.access import READ, WRITE, Caller, caller_with
from services.mjpm.domain.enums import Role
from services.mjpm.models import Court, Membership
from services.mjpm.schemas import CourtIn, CourtOut, Me, MembershipIn, MembershipOut
from shared import audit
from shared.db import Session
from shared.errors import field_error, invalid, not_found
from shared.pagination import Page, Pagination, link_next

router = APIRouter(prefix="/v1", tags=["courts"])
Anyone = Annotated[Caller, Depends(caller_with((READ, WRITE)))]
Admin = Annotated[Caller, Depends(caller_with((WRITE,), (Role.ADMIN,)))]
AdminReader = Annotated[Caller, Depends(caller_with((READ, WRITE), (Role.ADMIN,)))]


def court_out(court: Court) -> CourtOut:
    return CourtOut(id=court.id, siret=court.siret, name=court.name, commune_code=court.commune_code,
                    departement=court.departement, successor_id=court.successor_id)


def membership_out(m: Membership) -> MembershipOut:
    return MembershipOut(id=m.id, sub=m.sub, court_id=m.court_id, manager_id=m.manager_id, departement=m.departement)


@router.get("/me")
async def me(caller: Anyone) -> Me:
    """What the caller acts for, as mjpm knows it."""
    return Me(sub=caller.sub, roles=sorted(caller.roles), court_ids=sorted(caller.court_ids),
              manager_ids=sorted(caller.manager_ids), departements=sorted(caller.departements))


@router.get("/courts")
async def list_courts(session: Session, _: Anyone, page: Pagination, request: Request, response: Response,
                      departement: Annotated[str | None, Query(max_length=3)] = None) -> Page[CourtOut]:
    rows, cursor = await repository.courts_page(session, page, departement)
    link_next(request, response, cursor)
    return Page(items=[court_out(c) for c in rows], next_cursor=cursor)


@router.get("/courts/{court_id}")
async def get_court(court_id: int, session: Session, _: Anyone) -> CourtOut:
    court = await repository.court_by_id(session, court_id)
    if court is None:
        raise not_found("court")
    return court_out(court)


@router.post("/courts", status_code=201)
async def create_court(body: CourtIn, session: Session, caller: Admin, request: Request):
    place = await repository.commune_of(session, body.commune_code)
    if place is None or place.departement is None:
        raise invalid([field_error(["body", "commune_code"], "unknown commune")])
    if body.successor_id is not None and await repository.court_by_id(session, body.successor_id) is None:
        raise invalid([field_error(["body", "successor_id"], "no such court")])
    if await repository.courts_by_siret(session, [body.siret]):
        raise invalid([field_error(["body", "siret"], "a court already has this SIRET", "duplicate")])
    court = await repository.add_court(session, siret=body.siret, name=body.name, commune_code=body.commune_code,
                                       departement=place.departement, successor_id=body.successor_id)
    out = court_out(court)
    await audit.record(session, request, caller.principal, "create", "court", court.id, after=out)
    return JSONResponse(out.model_dump(mode="json"), status_code=201, headers={"Location": f"/v1/courts/{court.id}"})


@router.get("/memberships")
async def list_memberships(session: Session, _: AdminReader, page: Pagination, request: Request,
                           response: Response, sub: Annotated[str | None, Query(max_length=200)] = None
                           ) -> Page[MembershipOut]:
    rows, cursor = await repository.memberships_page(session, page, sub)
    link_next(request, response, cursor)
    return Page(items=[membership_out(m) for m in rows], next_cursor=cursor)


@router.post("/memberships", status_code=201)
async def create_membership(body: MembershipIn, session: Session, caller: Admin, request: Request):
    if body.court_id is not None and await repository.court_by_id(session, body.court_id) is None:
        raise invalid([field_error(["body", "court_id"], "no such court")])
    if body.manager_id is not None and await repository.manager_by_id(session, body.manager_id) is None:
        raise invalid([field_error(["body", "manager_id"], "no such manager")])
    if body.departement is not None and not await repository.known_departements(session, [body.departement]):
        raise invalid([field_error(["body", "departement"], "unknown département")])
    existing = await repository.memberships_of(session, body.sub)
    if any((m.court_id, m.manager_id, m.departement) == (body.court_id, body.manager_id, body.departement)
           for m in existing):
        raise invalid([field_error(["body", "sub"], "this membership exists already", "duplicate")])
    membership = await repository.add_membership(session, **body.model_dump())
    out = membership_out(membership)
    await audit.record(session, request, caller.principal, "create", "membership", membership.id, after=out)
    return JSONResponse(out.model_dump(), status_code=201, headers={"Location": f"/v1/memberships/{membership.id}"})


@router.delete("/memberships/{membership_id}", status_code=204)
async def delete_membership(membership_id: int, session: Session, caller: Admin, request: Request) -> Response:
    membership = await repository.membership_by_id(session, membership_id)
    if membership is None:
        raise not_found("membership")
    before = membership_out(membership)
    await repository.delete_membership(session, membership)
    await audit.record(session, request, caller.principal, "delete", "membership", membership_id, before=before)
    return Response(status_code=204)

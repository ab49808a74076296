"""Hospitals (the referential, kept by the suite's admins), their members, regional scopes."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.medle.api.callers import Admin, ManagedHospital, ReadableHospital, Reader, Writer
from services.medle.domain.access import MemberRole
from services.medle.domain.enums import HospitalKind
from services.medle.models import Hospital, HospitalMember
from services.medle.repository import hospitals as repo
from services.medle.schemas import (
    HospitalIn,
    HospitalOut,
    HospitalPatch,
    MemberIn,
    MemberOut,
    SupervisorIn,
    SupervisorOut,
)
from shared import audit
from shared.concurrency import check_if_match, set_etag
from shared.db import Session
from shared.errors import Problem, conflict, field_error, invalid, not_found
from shared.pagination import Page, Pagination, link_next, page_of

router = APIRouter(prefix="/v1", tags=["hospitals"])


def _out(hospital: Hospital) -> HospitalOut:
    return HospitalOut.model_validate(hospital, from_attributes=True)


@router.get("/hospitals", response_model=Page[HospitalOut])
async def list_hospitals(
    caller: Reader, session: Session, page: Pagination, request: Request, response: Response,
    region: Annotated[list[str] | None, Query()] = None,
    departement: Annotated[list[str] | None, Query()] = None,
    kind: HospitalKind | None = None,
):
    """The hospitals the caller may read (all of them for the suite's admins)."""
    rows = await repo.list_hospitals(session, caller.readable_hospitals(), page, region or [], departement or [],
                                     kind.value if kind else None)
    rows, cursor = page_of(rows, page, key=lambda h: (h.id,))
    link_next(request, response, cursor)
    return Page[HospitalOut](items=[_out(h) for h in rows], next_cursor=cursor)


@router.get("/hospitals/{hospital_id}", response_model=HospitalOut)
async def get_hospital(hospital: ReadableHospital, response: Response):
    set_etag(response, hospital.version)
    return _out(hospital)


async def _place(session, commune: str) -> tuple[str, str]:
    place = await repo.commune_place(session, commune)
    if place is None:
        raise invalid([field_error(["body", "commune"], "unknown commune code INSEE")])
    return place


@router.post("/hospitals", status_code=201, response_model=HospitalOut)
async def create_hospital(body: HospitalIn, caller: Admin, session: Session, request: Request,
                          response: Response):
    if await repo.hospital_by_finess(session, body.finess):
        raise conflict(f"a hospital with FINESS {body.finess} exists")
    departement, region = await _place(session, body.commune)
    hospital = Hospital(**body.model_dump(mode="json"), departement=departement, region=region)
    session.add(hospital)
    await session.flush()
    await audit.record(session, request, caller, "create", "hospital", hospital.id, after=_out(hospital))
    response.headers["Location"] = f"/v1/hospitals/{hospital.id}"
    set_etag(response, hospital.version)
    return _out(hospital)


@router.patch("/hospitals/{hospital_id}", response_model=HospitalOut)
async def update_hospital(hospital_id: int, body: HospitalPatch, caller: Admin, session: Session,
                          request: Request, response: Response):
    hospital = await repo.hospital(session, hospital_id)
    if hospital is None:
        raise not_found("hospital")
    check_if_match(request, hospital.version)
    before = _out(hospital)
    changes = body.model_dump(mode="json", exclude_unset=True)
    for name in ("name", "kind", "can_do_post_mortem"):
        if name in changes and changes[name] is None:
            raise invalid([field_error(["body", name], "may not be null", "missing")])
    for name, value in changes.items():
        setattr(hospital, name, value)
    await session.flush()
    await session.refresh(hospital)
    await audit.record(session, request, caller, "update", "hospital", hospital.id, before=before,
                       after=_out(hospital))
    set_etag(response, hospital.version)
    return _out(hospital)


# Members


def _member_out(member: HospitalMember) -> MemberOut:
    return MemberOut.model_validate(member, from_attributes=True)


@router.get("/hospitals/{hospital_id}/members", response_model=list[MemberOut])
async def list_members(hospital: ReadableHospital, caller: Reader, session: Session):
    if not caller.may_manage(hospital.id):
        raise Problem(403, "only this hospital's administrators see its members")
    return [_member_out(m) for m in await repo.members(session, hospital.id)]


@router.post("/hospitals/{hospital_id}/members", status_code=201, response_model=MemberOut)
async def add_member(body: MemberIn, hospital: ManagedHospital, caller: Writer, session: Session,
                     request: Request, response: Response):
    """Make an account (its gateway `sub`) a member of the hospital. Hospital admins manage
    operators; only the suite's admins name hospital admins."""
    if not caller.may_grant(hospital.id, body.role):
        raise Problem(403, "only the suite's administrators name hospital administrators")
    if await repo.member(session, hospital.id, body.sub):
        raise conflict(f"{body.sub} is already a member of this hospital")
    member = HospitalMember(hospital_id=hospital.id, sub=body.sub, role=body.role.value, added_by=caller.sub)
    session.add(member)
    await session.flush()
    await session.refresh(member)
    out = _member_out(member)
    await audit.record(session, request, caller, "create", "hospital_member", member.id, after=out)
    response.headers["Location"] = f"/v1/hospitals/{hospital.id}/members/{member.sub}"
    return out


@router.delete("/hospitals/{hospital_id}/members/{sub}", status_code=204)
async def remove_member(sub: str, hospital: ManagedHospital, caller: Writer, session: Session, request: Request):
    member = await repo.member(session, hospital.id, sub)
    if member is None:
        raise not_found("member")
    if not caller.may_grant(hospital.id, MemberRole(member.role)):
        raise Problem(403, "only the suite's administrators remove hospital administrators")
    before = _member_out(member)
    await repo.remove_member(session, member)
    await audit.record(session, request, caller, "delete", "hospital_member", member.id, before=before)
    return Response(status_code=204)


# Regional scopes


@router.get("/supervisors/{sub}", response_model=SupervisorOut)
async def get_supervisor(sub: str, _: Admin, session: Session):
    return SupervisorOut(sub=sub, regions=await repo.regions_of(session, sub))


@router.put("/supervisors/{sub}", response_model=SupervisorOut)
async def put_supervisor(sub: str, body: SupervisorIn, caller: Admin, session: Session, request: Request):
    """The régions a regional supervisor (`medle:regional`) reads."""
    if unknown := sorted(set(body.regions) - await repo.known_regions(session, body.regions)):
        raise invalid([field_error(["body", "regions", body.regions.index(code)], "unknown région code")
                       for code in unknown])
    before = await repo.regions_of(session, sub)
    await repo.set_regions(session, sub, body.regions)
    out = SupervisorOut(sub=sub, regions=await repo.regions_of(session, sub))
    await audit.record(session, request, caller, "update", "supervisor", sub, before={"regions": before},
                       after=out)
    return out

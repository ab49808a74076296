"""The registry of managers: applying, the State's decisions, capacity, antennas, staff, and the
matching of managers to a person for a judge."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from services.mjpm import repository
from services.mjpm.api.access import COURT, MANAGERS, READ, WRITE, Caller, caller_with, require_role
from services.mjpm.domain.enums import (
    ManagerKind,
    ManagerStanding,
    MeasureNature,
    RegistryAction,
    RegistryStatus,
    Role,
)
from services.mjpm.domain.matching import Point, excluded_candidates, rank_candidates
from services.mjpm.domain.measures import IllegalTransition
from services.mjpm.domain.registry import (
    STATE,
    may_decide,
    next_standing,
    remaining_capacity,
    standing_of,
    suspension_problems,
)
from services.mjpm.models import Antenna, Approval, Manager
from services.mjpm.schemas import (
    AntennaIn,
    AntennaOut,
    AntennaUpdate,
    ApprovalIn,
    ApprovalOut,
    Approve,
    ApprovedCapacity,
    Decision,
    Excluded,
    ManagerApplication,
    ManagerOut,
    ManagerUpdate,
    MatchItem,
    MatchOut,
    MatchPerson,
    MembershipOut,
    StaffIn,
    Suspension,
)
from shared import audit
from shared.concurrency import check_if_match, set_etag
from shared.db import Session
from shared.errors import Problem, conflict, field_error, invalid, not_found
from shared.pagination import Page, Pagination, link_next

router = APIRouter(prefix="/v1", tags=["managers"])
Reader = Annotated[Caller, Depends(caller_with((READ, WRITE)))]
Writer = Annotated[Caller, Depends(caller_with((WRITE,)))]
Applicant = Annotated[Caller, Depends(caller_with((WRITE,), MANAGERS))]
StateWriter = Annotated[Caller, Depends(caller_with((WRITE,), tuple(STATE)))]
Matcher = Annotated[Caller, Depends(caller_with((READ, WRITE), (*COURT, Role.ADMIN)))]


def as_problem(exc: IllegalTransition) -> Problem:
    return conflict(str(exc))


async def managers_out(session, managers: list[Manager]) -> list[ManagerOut]:
    ids = [m.id for m in managers]
    approvals = await repository.approvals_of(session, ids)
    preferred = await repository.preferred_courts_of(session, ids)
    return [
        ManagerOut(
            id=m.id, kind=m.kind, name=m.name, siret=m.siret, finess=m.finess, email=m.email, phone=m.phone,
            address=m.address, commune_code=m.commune_code, departement=m.departement, latitude=m.latitude,
            longitude=m.longitude, capacity=m.capacity, approved_capacity=m.approved_capacity,
            registry_status=m.registry_status,
            standing=standing_of(RegistryStatus(m.registry_status), m.suspended),
            decision_reason=m.decision_reason, suspension_reason=m.suspension_reason,
            in_progress=m.in_progress, reserved=m.reserved,
            remaining=remaining_capacity(m.approved_capacity, m.in_progress, m.reserved, suspended=m.suspended),
            approvals=[approval_out(a) for a in approvals.get(m.id, [])],
            preferred_court_ids=preferred.get(m.id, []),
            version=m.version,
        )
        for m in managers
    ]


def approval_out(a: Approval) -> ApprovalOut:
    return ApprovalOut(departement=a.departement, financing_departement=a.financing_departement,
                       approved_at=a.approved_at, approved_by=a.approved_by)


def antenna_out(a: Antenna) -> AntennaOut:
    return AntennaOut(id=a.id, manager_id=a.manager_id, name=a.name, commune_code=a.commune_code,
                      latitude=a.latitude, longitude=a.longitude, capacity=a.capacity, email=a.email,
                      phone=a.phone, address=a.address, version=a.version)


def reach_of(caller: Caller) -> dict:
    """Which managers a caller sees: admins all; State agents their territory's; managers their
    own; courts (below) the approved ones."""
    return {
        "manager_ids": caller.manager_ids if caller.has(*MANAGERS) else (),
        "departements": caller.departements if caller.has(Role.STATE_AGENT) else (),
        "everything": caller.is_admin,
    }


async def visible_manager(session, caller: Caller, manager_id: int) -> Manager:
    manager = await repository.manager_visible(session, manager_id, **reach_of(caller))
    if manager is None and caller.has(*COURT):
        manager = await repository.manager_by_id(session, manager_id)
        if manager is not None and manager.registry_status != RegistryStatus.APPROVED:
            manager = None
    if manager is None:
        raise not_found("manager")
    return manager


async def own_manager(session, caller: Caller, manager_id: int) -> Manager:
    """A manager the caller acts for (their profile, their service), or an admin."""
    if manager_id not in caller.manager_ids and not caller.is_admin:
        raise not_found("manager")
    manager = await repository.manager_by_id(session, manager_id)
    if manager is None:
        raise not_found("manager")
    return manager


async def place_of(session, commune_code: str, field: str, lat: float | None, lon: float | None):
    """The département of a commune and its centre, unless a geocoded point is given."""
    place = await repository.commune_of(session, commune_code)
    if place is None or place.departement is None:
        raise invalid([field_error(["body", field], "unknown commune")])
    if lat is None or lon is None:
        lat, lon = place.latitude, place.longitude
    return place.departement, lat, lon


# --- Matching (declared before /managers/{id}) ---------------------------------------------------


@router.get("/managers/match")
async def match_managers(
    session: Session,
    caller: Matcher,
    commune: Annotated[str | None, Query(pattern=r"^[0-9][0-9AB][0-9]{3}$", description="person's commune")] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    nature: MeasureNature | None = None,
    court: Annotated[int | None, Query(description="the court asking (preferences); yours by default")] = None,
    max_km: Annotated[float | None, Query(gt=0, le=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    excluded: Annotated[bool, Query(description="also list the managers left out, with why")] = False,
) -> MatchOut:
    """Managers on the list of the person's département, best first: distance to the person (from
    the manager's or antenna's commune centre), places left, the court's preference; each with
    its reasons."""
    if commune is None and (lat is None or lon is None):
        raise invalid([field_error(["query", "commune"], "give the person's commune, or lat and lon")])
    place = (await repository.commune_of(session, commune) if commune
             else await repository.nearest_commune(session, lat, lon))
    if place is None or place.departement is None:
        raise invalid([field_error(["query", "commune" if commune else "lat"], "no commune found there")])
    if lat is None or lon is None:
        lat, lon = place.latitude, place.longitude
    if court is not None and court not in caller.court_ids and not caller.is_admin:
        raise not_found("court")
    court = court if court is not None else (min(caller.court_ids) if len(caller.court_ids) == 1 else None)
    rows = await repository.match_candidates(session, place.departement, court, with_unapproved=excluded,
                                             person=(lat, lon), max_km=max_km)
    names = {r.candidate.id: r.name for r in rows}
    candidates = [r.candidate for r in rows]
    ranked = rank_candidates(Point(lat, lon), candidates, limit=limit)
    return MatchOut(
        person=MatchPerson(commune_code=place.code, departement=place.departement, latitude=lat, longitude=lon),
        court_id=court,
        nature=nature,
        items=[
            MatchItem(manager_id=m.manager_id, name=names[m.manager_id], kind=m.kind, antenna_id=m.antenna_id,
                      distance_km=round(m.distance_km, 2), remaining=m.remaining, preferred=m.preferred,
                      score=round(m.score, 4), reasons=list(m.reasons))
            for m in ranked
        ],
        excluded=[Excluded(manager_id=e.manager_id, name=names[e.manager_id], reason=e.reason)
                  for e in excluded_candidates(candidates)] if excluded else None,
    )


# --- The registry -----------------------------------------------------------------------------


@router.get("/managers")
async def list_managers(
    session: Session, caller: Reader, page: Pagination, request: Request, response: Response,
    registry_status: RegistryStatus | None = None, kind: ManagerKind | None = None,
) -> Page[ManagerOut]:
    reach = reach_of(caller)
    if caller.has(*COURT) and not caller.is_admin:
        reach, registry_status = {**reach, "everything": True}, RegistryStatus.APPROVED
    rows, cursor = await repository.managers_page(session, page, registry_status=registry_status, kind=kind, **reach)
    link_next(request, response, cursor)
    return Page(items=await managers_out(session, rows), next_cursor=cursor)


@router.get("/managers/{manager_id}")
async def get_manager(manager_id: int, session: Session, caller: Reader, response: Response) -> ManagerOut:
    manager = await visible_manager(session, caller, manager_id)
    set_etag(response, manager.version)
    return (await managers_out(session, [manager]))[0]


@router.post("/managers", status_code=201)
async def apply(body: ManagerApplication, session: Session, caller: Applicant, request: Request):
    """A manager applies to the registry (→ `pending`); the State agents of its département decide."""
    next_standing(None, RegistryAction.APPLY)
    problems = []
    if body.kind in (ManagerKind.INDIVIDUEL, ManagerKind.SERVICE) and not body.siret:
        problems.append(field_error(["body", "siret"], f"a manager '{body.kind}' is identified by its SIRET",
                                    "missing"))
    if body.kind == ManagerKind.PREPOSE and not body.finess:
        problems.append(field_error(["body", "finess"], "a préposé is identified by its establishment's FINESS",
                                    "missing"))
    unknown = set(body.preferred_court_ids) - await repository.existing_court_ids(session, body.preferred_court_ids)
    if unknown:
        problems.append(field_error(["body", "preferred_court_ids"], f"no such court: {sorted(unknown)}"))
    if problems:
        raise invalid(problems)
    departement, lat, lon = await place_of(session, body.commune_code, "commune_code", body.latitude, body.longitude)
    manager = await repository.add_manager(
        session, preferred_court_ids=body.preferred_court_ids,
        **body.model_dump(exclude={"preferred_court_ids", "latitude", "longitude"}),
        departement=departement, latitude=lat, longitude=lon, registry_status=RegistryStatus.PENDING)
    await repository.add_membership(session, sub=caller.sub, manager_id=manager.id)
    out = (await managers_out(session, [manager]))[0]
    await audit.record(session, request, caller.principal, "apply", "manager", manager.id, after=out)
    return JSONResponse(out.model_dump(mode="json"), status_code=201,
                        headers={"Location": f"/v1/managers/{manager.id}", "ETag": f'"{manager.version}"'})


@router.patch("/managers/{manager_id}")
async def update_manager(manager_id: int, body: ManagerUpdate, session: Session, caller: Writer, request: Request,
                         response: Response) -> ManagerOut:
    """The manager's own profile: contact, address, declared capacity, preferred courts."""
    require_role(caller, *MANAGERS, Role.ADMIN)
    manager = await own_manager(session, caller, manager_id)
    check_if_match(request, manager.version)
    changes = body.model_dump(exclude_unset=True, exclude={"preferred_court_ids"})
    if "commune_code" in changes:
        departement, lat, lon = await place_of(session, body.commune_code, "commune_code", body.latitude,
                                               body.longitude)
        changes |= {"departement": departement, "latitude": lat, "longitude": lon}
    before = {k: getattr(manager, k) for k in changes}
    for name, value in changes.items():
        setattr(manager, name, value)
    if body.preferred_court_ids is not None:
        unknown = set(body.preferred_court_ids) - await repository.existing_court_ids(session,
                                                                                       body.preferred_court_ids)
        if unknown:
            raise invalid([field_error(["body", "preferred_court_ids"], f"no such court: {sorted(unknown)}")])
        await repository.set_preferred_courts(session, manager.id, body.preferred_court_ids)
        manager.updated_at = repository.now()  # a new version for the ETag
    await session.flush()
    await audit.record(session, request, caller.principal, "update", "manager", manager.id, before=before,
                       after=body.model_dump(exclude_unset=True))
    set_etag(response, manager.version)
    return (await managers_out(session, [manager]))[0]


async def decidable(session, caller: Caller, manager_id: int, action: RegistryAction) -> Manager:
    """A manager of the agent's territory (404 otherwise) that this agent may decide on (403)."""
    manager = await repository.manager_visible(session, manager_id, manager_ids=(),
                                               departements=caller.departements, everything=caller.is_admin)
    if manager is None:
        raise not_found("manager")
    if not may_decide(caller.roles, action, manager.departement, caller.departements):
        raise Problem(403, f"only the State agents of département {manager.departement} decide on this manager")
    return manager


async def registry_action(session, caller: Caller, request: Request, manager: Manager | int,
                          action: RegistryAction, reason: str | None = None, changes: dict | None = None):
    if not isinstance(manager, Manager):
        manager = await decidable(session, caller, manager, action)
    check_if_match(request, manager.version)
    try:
        await repository.apply_registry_action(session, request, caller.principal, manager, action, reason=reason,
                                               changes=changes)
    except IllegalTransition as exc:
        raise as_problem(exc) from None
    return manager


@router.post("/managers/{manager_id}/approve")
async def approve(manager_id: int, body: Approve, session: Session, caller: StateWriter, request: Request,
                  response: Response) -> ManagerOut:
    """`pending` → `approved`, with the capacity approved by the authority; the manager joins the
    lists of the départements given (its own by default), each within the agent's territory."""
    manager = await decidable(session, caller, manager_id, RegistryAction.APPROVE)
    entries = body.departements or [ApprovalIn(departement=manager.departement)]
    await check_territory(session, caller, entries)
    manager = await registry_action(session, caller, request, manager, RegistryAction.APPROVE,
                                    changes={"approved_capacity": body.approved_capacity})
    await repository.add_approvals(session, manager.id, [(e.departement, e.financing_departement or e.departement)
                                                         for e in entries], caller.sub)
    set_etag(response, manager.version)
    return (await managers_out(session, [manager]))[0]


async def check_territory(session, caller: Caller, entries: list[ApprovalIn]) -> None:
    problems = []
    codes = {e.departement for e in entries} | {e.financing_departement for e in entries if e.financing_departement}
    known = await repository.known_departements(session, codes)
    for i, e in enumerate(entries):
        if e.departement not in known:
            problems.append(field_error(["body", "departements", i, "departement"], "unknown département"))
        elif not caller.is_admin and e.departement not in caller.departements:
            problems.append(field_error(["body", "departements", i, "departement"],
                                        "outside your territory: that département's agents decide", "territory"))
        if e.financing_departement and e.financing_departement not in known:
            problems.append(field_error(["body", "departements", i, "financing_departement"], "unknown département"))
    if problems:
        raise invalid(problems)


@router.post("/managers/{manager_id}/reject")
async def reject(manager_id: int, body: Decision, session: Session, caller: StateWriter, request: Request,
                 response: Response) -> ManagerOut:
    manager = await registry_action(session, caller, request, manager_id, RegistryAction.REJECT,
                                    reason=body.reason)
    set_etag(response, manager.version)
    return (await managers_out(session, [manager]))[0]


@router.post("/managers/{manager_id}/suspend")
async def suspend(manager_id: int, body: Suspension, session: Session, caller: StateWriter, request: Request,
                  response: Response) -> ManagerOut:
    """A suspended manager keeps its measures but gets no new one: it leaves the match, with its reason."""
    if problems := suspension_problems(body.reason):
        raise invalid([field_error(p.loc, p.msg, p.type) for p in problems])
    manager = await registry_action(session, caller, request, manager_id, RegistryAction.SUSPEND,
                                    reason=body.reason.strip())
    set_etag(response, manager.version)
    return (await managers_out(session, [manager]))[0]


@router.post("/managers/{manager_id}/reinstate")
async def reinstate(manager_id: int, session: Session, caller: StateWriter, request: Request,
                    response: Response) -> ManagerOut:
    manager = await registry_action(session, caller, request, manager_id, RegistryAction.REINSTATE)
    set_etag(response, manager.version)
    return (await managers_out(session, [manager]))[0]


@router.put("/managers/{manager_id}/approved-capacity")
async def set_approved_capacity(manager_id: int, body: ApprovedCapacity, session: Session, caller: StateWriter,
                                request: Request, response: Response) -> ManagerOut:
    """The authority revises the capacity it approved (an approved or suspended manager)."""
    manager = await decidable(session, caller, manager_id, RegistryAction.SUSPEND)
    check_if_match(request, manager.version)
    standing = standing_of(RegistryStatus(manager.registry_status), manager.suspended)
    if standing not in (ManagerStanding.APPROVED, ManagerStanding.SUSPENDED):
        raise conflict(f"the capacity is approved with the application; this manager is '{standing}'")
    before = {"approved_capacity": manager.approved_capacity}
    manager.approved_capacity = body.approved_capacity
    await session.flush()
    await audit.record(session, request, caller.principal, "approve_capacity", "manager", manager.id, before=before,
                       after=body)
    set_etag(response, manager.version)
    return (await managers_out(session, [manager]))[0]


@router.post("/managers/{manager_id}/approvals", status_code=201)
async def add_approval(manager_id: int, body: ApprovalIn, session: Session, caller: StateWriter,
                       request: Request) -> ApprovalOut:
    """The agents of another département put an approved manager on their list too."""
    await check_territory(session, caller, [body])
    manager = await repository.manager_by_id(session, manager_id)
    if manager is None or manager.registry_status == RegistryStatus.REJECTED:
        raise not_found("manager")
    if manager.registry_status != RegistryStatus.APPROVED:
        raise conflict("the manager's application is not approved yet")
    await repository.add_approvals(session, manager.id, [(body.departement,
                                                          body.financing_departement or body.departement)],
                                   caller.sub)
    await audit.record(session, request, caller.principal, "add_approval", "manager", manager.id, after=body)
    approval = next(a for a in (await repository.approvals_of(session, [manager.id]))[manager.id]
                    if a.departement == body.departement)
    return approval_out(approval)


@router.delete("/managers/{manager_id}/approvals/{departement}", status_code=204)
async def remove_approval(manager_id: int, departement: str, session: Session, caller: StateWriter,
                          request: Request) -> Response:
    if not caller.is_admin and departement not in caller.departements:
        raise not_found("approval")
    if not await repository.remove_approval(session, manager_id, departement):
        raise not_found("approval")
    await audit.record(session, request, caller.principal, "remove_approval", "manager", manager_id,
                       before={"departement": departement})
    return Response(status_code=204)


# --- Antennas and staff of a service ------------------------------------------------------------


async def own_service(session, caller: Caller, manager_id: int) -> Manager:
    require_role(caller, Role.SERVICE_ADMIN, Role.ADMIN)
    manager = await own_manager(session, caller, manager_id)
    if manager.kind != ManagerKind.SERVICE:
        raise conflict("only a service has antennas and staff")
    return manager


@router.get("/managers/{manager_id}/antennas")
async def list_antennas(manager_id: int, session: Session, caller: Reader) -> list[AntennaOut]:
    await visible_manager(session, caller, manager_id)
    return [antenna_out(a) for a in await repository.antennas_of(session, manager_id)]


@router.post("/managers/{manager_id}/antennas", status_code=201)
async def create_antenna(manager_id: int, body: AntennaIn, session: Session, caller: Writer, request: Request):
    manager = await own_service(session, caller, manager_id)
    _, lat, lon = await place_of(session, body.commune_code, "commune_code", body.latitude, body.longitude)
    antenna = await repository.add_antenna(session, manager_id=manager.id,
                                           **body.model_dump(exclude={"latitude", "longitude"}),
                                           latitude=lat, longitude=lon)
    out = antenna_out(antenna)
    await audit.record(session, request, caller.principal, "create", "antenna", antenna.id, after=out)
    return JSONResponse(out.model_dump(), status_code=201,
                        headers={"Location": f"/v1/antennas/{antenna.id}", "ETag": f'"{antenna.version}"'})


async def own_antenna(session, caller: Caller, antenna_id: int) -> Antenna:
    antenna = await repository.antenna_by_id(session, antenna_id)
    if antenna is None:
        raise not_found("antenna")
    try:
        await own_service(session, caller, antenna.manager_id)
    except Problem as problem:
        raise not_found("antenna") if problem.status == 404 else problem from None
    return antenna


@router.patch("/antennas/{antenna_id}")
async def update_antenna(antenna_id: int, body: AntennaUpdate, session: Session, caller: Writer, request: Request,
                         response: Response) -> AntennaOut:
    antenna = await own_antenna(session, caller, antenna_id)
    check_if_match(request, antenna.version)
    changes = body.model_dump(exclude_unset=True)
    if "commune_code" in changes:
        _, changes["latitude"], changes["longitude"] = await place_of(session, body.commune_code, "commune_code",
                                                                      body.latitude, body.longitude)
    before = {k: getattr(antenna, k) for k in changes}
    for name, value in changes.items():
        setattr(antenna, name, value)
    await session.flush()
    await audit.record(session, request, caller.principal, "update", "antenna", antenna.id, before=before,
                       after=changes)
    set_etag(response, antenna.version)
    return antenna_out(antenna)


@router.delete("/antennas/{antenna_id}", status_code=204)
async def delete_antenna(antenna_id: int, session: Session, caller: Writer, request: Request) -> Response:
    antenna = await own_antenna(session, caller, antenna_id)
    check_if_match(request, antenna.version)
    before = antenna_out(antenna)
    await repository.delete_antenna(session, antenna)
    await audit.record(session, request, caller.principal, "delete", "antenna", antenna_id, before=before)
    return Response(status_code=204)


@router.get("/managers/{manager_id}/staff")
async def list_staff(manager_id: int, session: Session, caller: Reader) -> list[MembershipOut]:
    await own_service(session, caller, manager_id)
    return [MembershipOut(id=m.id, sub=m.sub, court_id=m.court_id, manager_id=m.manager_id,
                          departement=m.departement) for m in await repository.staff_of(session, manager_id)]


@router.post("/managers/{manager_id}/staff", status_code=201)
async def add_staff(manager_id: int, body: StaffIn, session: Session, caller: Writer, request: Request):
    """A service's admin links an account (its `sub`) to the service: its staff see its measures."""
    manager = await own_service(session, caller, manager_id)
    if any(m.sub == body.sub for m in await repository.staff_of(session, manager.id)):
        raise invalid([field_error(["body", "sub"], "already on this service's staff", "duplicate")])
    membership = await repository.add_membership(session, sub=body.sub, manager_id=manager.id)
    await audit.record(session, request, caller.principal, "add_staff", "manager", manager.id,
                       after={"sub": body.sub})
    out = MembershipOut(id=membership.id, sub=membership.sub, court_id=None, manager_id=manager.id, departement=None)
    return JSONResponse(out.model_dump(), status_code=201,
                        headers={"Location": f"/v1/managers/{manager.id}/staff/{membership.id}"})


@router.delete("/managers/{manager_id}/staff/{membership_id}", status_code=204)
async def remove_staff(manager_id: int, membership_id: int, session: Session, caller: Writer,
                       request: Request) -> Response:
    manager = await own_service(session, caller, manager_id)
    membership = await repository.membership_by_id(session, membership_id)
    if membership is None or membership.manager_id != manager.id:
        raise not_found("staff membership")
    await repository.delete_membership(session, membership)
    await audit.record(session, request, caller.principal, "remove_staff", "manager", manager.id,
                       before={"sub": membership.sub})
    return Response(status_code=204)

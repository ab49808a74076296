"""Measures: the court reserves, the manager accepts and closes, each transition its own POST;
reading (with the change feed), editing and deleting by whoever the state allows."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from services.mjpm import repository
from services.mjpm.api.access import COURT, MANAGERS, MEASURE_READ, MEASURE_WRITE, WRITE, Caller, caller_with
from services.mjpm.domain import measures as rules
from services.mjpm.domain.enums import MeasureAction, MeasureStatus, RegistryStatus, Role
from services.mjpm.domain.registry import remaining_capacity, reservation_decision
from services.mjpm.models import Court, Manager, Measure
from services.mjpm.schemas import (
    Acceptance,
    Closing,
    MeasureDetail,
    MeasureOut,
    MeasurePage,
    MeasureUpdate,
    Reactivation,
    Reopening,
    Reservation,
    ResourceOut,
    StateOut,
    Withdrawal,
)
from shared import audit
from shared.concurrency import check_if_match, set_etag
from shared.db import Session
from shared.errors import Problem, conflict, field_error, invalid, not_found
from shared.idempotency import IdempotencyKey
from shared.pagination import Pagination, link_next

router = APIRouter(prefix="/v1", tags=["measures"])
MEASURE_ROLES = (*COURT, *MANAGERS, Role.ADMIN)
Reader = Annotated[Caller, Depends(caller_with(MEASURE_READ, MEASURE_ROLES))]
Writer = Annotated[Caller, Depends(caller_with(MEASURE_WRITE, MEASURE_ROLES))]
CourtWriter = Annotated[Caller, Depends(caller_with((WRITE,), COURT))]

OUT_FIELDS = [f for f in MeasureOut.model_fields if f != "deleted"]


def measure_out(m: Measure) -> MeasureOut:
    return MeasureOut(**{f: getattr(m, f) for f in OUT_FIELDS}, deleted=m.deleted_at is not None)


def problems_of(problems: list[rules.FieldProblem]) -> Problem:
    return invalid([field_error(p.loc, p.msg, p.type) for p in problems])


def measure_response(m: Measure, status_code: int = 200, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(measure_out(m).model_dump(mode="json"), status_code=status_code,
                        headers={"ETag": f'"{m.version}"', **(headers or {})})


async def fetch(session, caller: Caller, measure_id: int, request: Request) -> Measure:
    """The caller's measure, locked for the change (someone else's: 404), at the version asked."""
    measure = await repository.measure_for(session, measure_id, caller.reach, lock=True)
    if measure is None:
        raise not_found("measure")
    check_if_match(request, measure.version)
    return measure


async def transition(session, request: Request, caller: Caller, measure: Measure, action: MeasureAction, **kwargs):
    if not rules.may_perform(caller.roles, action):
        raise Problem(403, f"'{action}' is not yours to do")
    try:
        await repository.apply_transition(session, request, caller.principal, measure, action, **kwargs)
    except rules.IllegalTransition as exc:
        raise conflict(str(exc)) from None
    return measure_response(measure)


def reservation_allowed(manager, override_reason: str | None) -> str | None:
    """Whether the manager (its locked row) may take one more measure: approved, not suspended, with
    a place left or an override reason (returned, to record)."""
    if manager is None:
        raise invalid([field_error(["body", "manager_id"], "no such manager")])
    if manager.registry_status != RegistryStatus.APPROVED:
        raise conflict(f"this manager's application is '{manager.registry_status}', not approved")
    if manager.suspended:
        raise conflict(f"this manager is suspended: {manager.suspension_reason}")
    remaining = remaining_capacity(manager.approved_capacity, manager.in_progress, manager.reserved)
    decision = reservation_decision(remaining, override_reason)
    if not decision.allowed:
        raise conflict(decision.refusal)
    return decision.override_reason


async def reservable_manager(session, manager_id: int, override_reason: str | None) -> tuple[Manager, str | None]:
    """The manager, locked until commit, if it may take one more measure (see `reservation_allowed`)."""
    manager = await repository.lock_manager(session, manager_id)
    return manager, reservation_allowed(manager, override_reason)


def court_of(caller: Caller, court_id: int | None) -> int:
    if court_id is not None:
        if court_id not in caller.court_ids:
            raise invalid([field_error(["body", "court_id"], "not a court you sit in")])
        return court_id
    if len(caller.court_ids) != 1:
        raise invalid([field_error(["body", "court_id"], "you sit in several courts: say which", "missing")])
    return next(iter(caller.court_ids))


@router.post("/measures:reserve", status_code=201)
async def reserve(body: Reservation, session: Session, caller: CourtWriter, request: Request,
                  idem: IdempotencyKey):
    """A judge or clerk entrusts a measure to a manager (→ `en_attente`). Beyond the manager's
    capacity only with `override_reason`. The RG of a measure this court closed with the same
    manager reopens it (200); a live one is a 409."""
    if replay := await idem.replay(session):
        return replay
    try:
        rg = rules.normalise_rg(body.rg)
    except rules.InvalidRg as exc:
        raise invalid([field_error(["body", "rg"], str(exc), "rg_format")]) from None
    court_id = court_of(caller, body.court_id)
    # One statement checks and locks (the manager's row, until commit: reservations of one manager
    # queue there); the refusals come in the order: antenna, same RG, then the manager's standing.
    check = await repository.reservation_check(session, rg=rg, court_id=court_id, manager_id=body.manager_id,
                                               antenna_id=body.antenna_id, commune_code=body.commune_code)
    if not check.antenna_ok:
        raise invalid([field_error(["body", "antenna_id"], "not an antenna of this manager")])
    target = rules.reservation_target(check.same_key)
    if isinstance(target, rules.Duplicate):
        raise conflict(f"measure {target.measure_id} with this RG, court and manager is already '{target.status}'")
    override = reservation_allowed(check.manager, body.override_reason)
    if isinstance(target, rules.Reopen):
        measure = await repository.measure_for(session, target.measure_id, caller.reach, lock=True)
        await repository.apply_transition(session, request, caller.principal, measure, MeasureAction.REOPEN,
                                          reason=override, changes={"exit_cause": None, "end_date": None,
                                                                    "override_reason": override})
        response = measure_response(measure, 200, {"Location": f"/v1/measures/{measure.id}"})
        return await idem.remember(session, response)
    fields = body.model_dump(exclude={"rg", "court_id", "manager_id", "override_reason", "residence_country"})
    measure = await repository.create_measure(
        session, request, caller.principal, MeasureAction.RESERVE,
        {**fields, "rg": rg, "court_id": court_id, "manager_id": body.manager_id,
         "status": rules.next_state(rules.NEW, MeasureAction.RESERVE), "judge_sub": caller.sub,
         "judge_name": caller.principal.name, "override_reason": override,
         "residence_country": (body.residence_country or "FR").upper(), "departement": check.departement},
        reason=override)
    response = measure_response(measure, 201, {"Location": f"/v1/measures/{measure.id}"})
    return await idem.remember(session, response)


@router.post("/measures/{measure_id}/accept")
async def accept(measure_id: int, body: Acceptance, session: Session, caller: Writer, request: Request):
    """The manager accepts (`en_attente` → `en_cours`), dated by the nomination judgment."""
    measure = await fetch(session, caller, measure_id, request)
    if problems := rules.acceptance_problems(body.nomination_date, repository.today()):
        raise problems_of(problems)
    if body.antenna_id is not None and body.antenna_id not in (
            await repository.antennas_by_manager(session, [measure.manager_id])).get(measure.manager_id, set()):
        raise invalid([field_error(["body", "antenna_id"], "not an antenna of this manager")])
    changes = {"nomination_date": body.nomination_date,
               "first_measure_date": body.first_measure_date or measure.first_measure_date or body.nomination_date}
    if body.antenna_id is not None:
        changes["antenna_id"] = body.antenna_id
    return await transition(session, request, caller, measure, MeasureAction.ACCEPT, day=body.nomination_date,
                            changes=changes)


@router.post("/measures/{measure_id}/withdraw")
async def withdraw(measure_id: int, body: Withdrawal, session: Session, caller: Writer, request: Request):
    """The court withdraws a reservation not yet accepted (`en_attente` → `annulee`)."""
    measure = await fetch(session, caller, measure_id, request)
    return await transition(session, request, caller, measure, MeasureAction.WITHDRAW, reason=body.reason)


@router.post("/measures/{measure_id}/close")
async def close(measure_id: int, body: Closing, session: Session, caller: Writer, request: Request):
    """The manager closes a running measure (`en_cours` → `eteinte`) with its exit cause and end date."""
    measure = await fetch(session, caller, measure_id, request)
    if problems := rules.closing_problems(body.exit_cause, body.end_date, measure.nomination_date):
        raise problems_of(problems)
    changes = {"exit_cause": body.exit_cause, "end_date": body.end_date}
    if body.review_result is not None:
        changes["review_result"] = body.review_result
    return await transition(session, request, caller, measure, MeasureAction.CLOSE, day=body.end_date,
                            changes=changes)


@router.post("/measures/{measure_id}/reactivate")
async def reactivate(measure_id: int, body: Reactivation, session: Session, caller: Writer, request: Request):
    """The manager reactivates a closed measure (`eteinte` → `en_cours`); it runs without an end."""
    measure = await fetch(session, caller, measure_id, request)
    return await transition(session, request, caller, measure, MeasureAction.REACTIVATE, reason=body.reason,
                            changes={"exit_cause": None, "end_date": None})


@router.post("/measures/{measure_id}/reopen")
async def reopen(measure_id: int, body: Reopening, session: Session, caller: Writer, request: Request):
    """The court entrusts a closed measure (same RG) to its manager again (`eteinte` → `en_attente`),
    within the manager's capacity like any reservation."""
    measure = await repository.measure_for(session, measure_id, caller.reach)
    if measure is None:
        raise not_found("measure")
    if not rules.may_perform(caller.roles, MeasureAction.REOPEN):
        raise Problem(403, "'reopen' is not yours to do")
    try:
        rules.next_state(MeasureStatus(measure.status), MeasureAction.REOPEN)
    except rules.IllegalTransition as exc:
        raise conflict(str(exc)) from None
    # The manager's row first, then the measure's, in the order every reservation takes them.
    _, override = await reservable_manager(session, measure.manager_id, body.override_reason)
    measure = await fetch(session, caller, measure_id, request)
    return await transition(session, request, caller, measure, MeasureAction.REOPEN,
                            reason=override or body.reason,
                            changes={"exit_cause": None, "end_date": None, "override_reason": override})


# --- Reading ----------------------------------------------------------------------------------


@router.get("/measures")
async def list_measures(
    session: Session, caller: Reader, page: Pagination, request: Request, response: Response,
    status: Annotated[list[MeasureStatus] | None, Query()] = None,
    court_id: int | None = None,
    manager_id: int | None = None,
    rg: Annotated[str | None, Query(max_length=40)] = None,
    changed_since: Annotated[dt.datetime | None, Query(description="the change feed: writes after this "
                                                       "instant, deletions included, oldest first")] = None,
) -> MeasurePage:
    """Your measures (a court's, a manager's), newest id last; with `changed_since`, the change feed
    a management software syncs from without downloading everything again."""
    if rg is not None:
        try:
            rg = rules.normalise_rg(rg)
        except rules.InvalidRg as exc:
            raise invalid([field_error(["query", "rg"], str(exc), "rg_format")]) from None
    statuses = [s.value for s in status or []]
    if changed_since is not None:
        if changed_since.tzinfo is None:
            raise invalid([field_error(["query", "changed_since"], "give a time zone (e.g. Z or +01:00)")])
        until = await repository.feed_watermark(session)
        rows, cursor = await repository.measures_changed(session, caller.reach, page, changed_since, until,
                                                         statuses)
    else:
        until = None
        rows, cursor = await repository.measures_page(session, caller.reach, page, statuses=statuses,
                                                      court_id=court_id, manager_id=manager_id, rg=rg)
    link_next(request, response, cursor)
    return MeasurePage(items=[measure_out(m) for m in rows], next_cursor=cursor, changed_until=until)


@router.get("/measures/{measure_id}")
async def get_measure(measure_id: int, session: Session, caller: Reader, request: Request,
                      response: Response) -> MeasureDetail:
    measure = await repository.measure_for(session, measure_id, caller.reach)
    if measure is None:
        raise not_found("measure")
    # A measure describes a vulnerable person: reading it is audited like a write.
    await repository.audit_read(session, request, caller.principal, measure.id)
    set_etag(response, measure.version)
    return MeasureDetail(
        **measure_out(measure).model_dump(),
        states=[StateOut(action=s.action, status=s.status, date=s.date, at=s.at, actor=s.actor, reason=s.reason)
                for s in await repository.states_of(session, measure.id)],
        resources=[ResourceOut(year=r.year, amount=r.amount, social_benefits=r.social_benefits)
                   for r in await repository.resources_of(session, measure.id)],
    )


# --- Editing ----------------------------------------------------------------------------------


def changeable(caller: Caller, measure: Measure) -> None:
    """A court changes a measure only while `en_attente`; its manager once accepted (409 otherwise)."""
    if not rules.may_change(caller.roles, MeasureStatus(measure.status)):
        raise conflict(f"a measure '{measure.status}' cannot be changed by you in this state")


@router.patch("/measures/{measure_id}")
async def update_measure(measure_id: int, body: MeasureUpdate, session: Session, caller: Writer,
                         request: Request):
    measure = await fetch(session, caller, measure_id, request)
    changeable(caller, measure)
    changes = body.model_dump(exclude_unset=True, exclude={"resources"})
    if "rg" in changes:
        try:
            changes["rg"] = rules.normalise_rg(changes["rg"])
        except rules.InvalidRg as exc:
            raise invalid([field_error(["body", "rg"], str(exc), "rg_format")]) from None
    if changes.get("residence_country"):
        changes["residence_country"] = changes["residence_country"].upper()
    court: Court = await repository.court_by_id(session, measure.court_id)
    merged = {**repository.snapshot(measure), **changes}
    facts = rules.MeasureFacts(
        rg=merged["rg"], court_siret=court.siret, court_found=True, status=MeasureStatus(measure.status),
        residence_country=merged["residence_country"], first_measure_date=merged["first_measure_date"],
        nomination_date=merged["nomination_date"], living_place=merged["living_place"],
        establishment_type=merged["establishment_type"], exit_cause=merged["exit_cause"],
        end_date=merged["end_date"])
    if problems := rules.measure_problems(facts):
        raise problems_of(problems)
    if changes.get("antenna_id") is not None and changes["antenna_id"] not in (
            await repository.antennas_by_manager(session, [measure.manager_id])).get(measure.manager_id, set()):
        raise invalid([field_error(["body", "antenna_id"], "not an antenna of this manager")])
    if "rg" in changes and changes["rg"] != measure.rg and measure.status in rules.LIVE_STATUSES:
        same = await repository.same_key_measures(session, changes["rg"], measure.court_id, measure.manager_id)
        if duplicate := rules.live_duplicate(same):
            raise conflict(f"measure {duplicate.measure_id} already has this RG with this court and manager")
    if "commune_code" in changes:
        changes["departement"] = await repository.departement_of_person(session, changes["commune_code"],
                                                                         measure.court_id)
    before = {k: getattr(measure, k) for k in changes}
    for name, value in changes.items():
        setattr(measure, name, value)
    if body.resources is not None:
        await repository.replace_resources(session, measure.id, [r.model_dump() for r in body.resources])
        measure.updated_at = repository.now()  # the change feed must report new resources
    await session.flush()
    await audit.record(session, request, caller.principal, "update", "measure", measure.id, before=before,
                       after=body.model_dump(exclude_unset=True))
    return measure_response(measure)


@router.delete("/measures/{measure_id}", status_code=204)
async def delete_measure(measure_id: int, session: Session, caller: Writer, request: Request) -> Response:
    """Deleted measures leave the lists but stay in the change feed (`deleted: true`)."""
    measure = await fetch(session, caller, measure_id, request)
    changeable(caller, measure)
    await repository.soft_delete(session, request, caller.principal, measure)
    return Response(status_code=204)

"""Staffing per hospital and month: upsert with history, and the hospitals that stopped entering it."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from services.medle.api.callers import ManagedHospital, ReadableHospital, ReportReader, Writer
from services.medle.domain.calendar import PARIS
from services.medle.domain.staffing import months_due, staffing_missing
from services.medle.models import STAFFING_CATEGORIES, Staffing
from services.medle.repository import staffing as repo
from services.medle.schemas import MissingStaffingOut, Month, StaffingIn, StaffingOut, StaffingRevisionOut
from shared import audit
from shared.concurrency import check_if_match, set_etag
from shared.db import Session
from shared.errors import not_found
from shared.reports import PeriodFilter

router = APIRouter(prefix="/v1", tags=["staffing"])

MonthPath = Annotated[Month, Path(description="YYYY-MM")]
FIELDS = [*STAFFING_CATEGORIES, *(f"{c}_target" for c in STAFFING_CATEGORIES)]


def first_day(month: str) -> dt.date:
    return dt.date.fromisoformat(f"{month}-01")


def _out(staffing: Staffing) -> StaffingOut:
    return StaffingOut(hospital_id=staffing.hospital_id, month=f"{staffing.month:%Y-%m}",
                       updated_by=staffing.updated_by, updated_at=staffing.updated_at, version=staffing.version,
                       **{name: getattr(staffing, name) for name in FIELDS})


@router.get("/hospitals/{hospital_id}/staffing", response_model=list[StaffingOut])
async def list_staffing(hospital: ReadableHospital, session: Session, period: PeriodFilter):
    """The hospital's months, most recent first."""
    start = period.start.replace(day=1) if period.start else None
    return [_out(s) for s in await repo.months(session, hospital.id, start, period.end)]


@router.get("/hospitals/{hospital_id}/staffing/{month}", response_model=StaffingOut)
async def get_staffing(month: MonthPath, hospital: ReadableHospital, session: Session, response: Response):
    staffing = await repo.month(session, hospital.id, first_day(month))
    if staffing is None:
        raise not_found("staffing")
    set_etag(response, staffing.version)
    return _out(staffing)


@router.put("/hospitals/{hospital_id}/staffing/{month}", response_model=StaffingOut,
            responses={201: {"description": "the month's first entry"}})
async def put_staffing(month: MonthPath, body: StaffingIn, hospital: ManagedHospital, caller: Writer,
                       session: Session, request: Request, response: Response):
    """Enter or correct a month's ETP (If-Match when correcting). Every value is kept in the history."""
    staffing = await repo.month(session, hospital.id, first_day(month))
    values = body.model_dump()
    if staffing is None:
        staffing = Staffing(hospital_id=hospital.id, month=first_day(month), updated_by=caller.sub, **values)
        session.add(staffing)
        before = None
        response.status_code = 201
        response.headers["Location"] = f"/v1/hospitals/{hospital.id}/staffing/{month}"
    else:
        check_if_match(request, staffing.version)
        before = _out(staffing)
        for name, value in values.items():
            setattr(staffing, name, value)
        staffing.updated_by = caller.sub
        staffing.updated_at = dt.datetime.now(dt.UTC)
    await session.flush()
    await session.refresh(staffing)
    await repo.add_revision(session, staffing, body.model_dump(mode="json"), caller.sub)
    out = _out(staffing)
    await audit.record(session, request, caller, "create" if before is None else "update", "staffing",
                       f"{hospital.id}:{month}", before=before, after=out)
    set_etag(response, staffing.version)
    return out


@router.get("/hospitals/{hospital_id}/staffing/{month}/history", response_model=list[StaffingRevisionOut])
async def staffing_history(month: MonthPath, hospital: ReadableHospital, session: Session):
    """Every value the month has had, most recent first."""
    revisions = await repo.revisions(session, hospital.id, first_day(month))
    if not revisions:
        raise not_found("staffing")
    return [StaffingRevisionOut(version=r.version, etp=r.etp, changed_by=r.changed_by, changed_at=r.changed_at)
            for r in revisions]


@router.get("/staffing/missing", response_model=list[MissingStaffingOut])
async def missing_staffing(caller: ReportReader, session: Session):
    """Hospitals with no staffing for either of the last two complete months (the alert list)."""
    today = dt.datetime.now(PARIS).date()
    due = months_due(today)
    rows = await repo.staffed_months(session, caller.reportable_hospitals(), min(due))
    return [
        MissingStaffingOut(hospital_id=h.id, hospital=h.name, region=h.region,
                           last_staffed_month=f"{last:%Y-%m}" if last else None,
                           months_missing=[f"{m:%Y-%m}" for m in sorted(due)])
        for h, staffed, last in rows
        if staffing_missing(staffed, today)
    ]

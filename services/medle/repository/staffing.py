"""Monthly staffing, its history, and who stopped entering it."""

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.medle.models import Hospital, Staffing, StaffingRevision


async def month(session: AsyncSession, hospital_id: int, first_day: dt.date) -> Staffing | None:
    return (await session.execute(select(Staffing).where(
        Staffing.hospital_id == hospital_id, Staffing.month == first_day))).scalar_one_or_none()


async def months(session: AsyncSession, hospital_id: int, start: dt.date | None, end: dt.date | None
                 ) -> list[Staffing]:
    stmt = select(Staffing).where(Staffing.hospital_id == hospital_id)
    if start:
        stmt = stmt.where(Staffing.month >= start)
    if end:
        stmt = stmt.where(Staffing.month <= end)
    return list((await session.execute(stmt.order_by(Staffing.month.desc()))).scalars())


async def add_revision(session: AsyncSession, staffing: Staffing, etp: dict, by: str) -> None:
    session.add(StaffingRevision(hospital_id=staffing.hospital_id, month=staffing.month,
                                 version=staffing.version, etp=etp, changed_by=by))
    await session.flush()


async def revisions(session: AsyncSession, hospital_id: int, first_day: dt.date) -> list[StaffingRevision]:
    rows = await session.execute(select(StaffingRevision).where(
        StaffingRevision.hospital_id == hospital_id, StaffingRevision.month == first_day)
        .order_by(StaffingRevision.version.desc(), StaffingRevision.id.desc()))
    return list(rows.scalars())


async def staffed_months(session: AsyncSession, readable: frozenset[int] | None, since: dt.date
                         ) -> list[tuple[Hospital, list[dt.date], dt.date | None]]:
    """Each readable hospital, its staffed months since `since`, and its last staffed month ever."""
    staffed = (select(Staffing.hospital_id,
                      func.array_agg(Staffing.month).filter(Staffing.month >= since).label("months"),
                      func.max(Staffing.month).label("last"))
               .group_by(Staffing.hospital_id).subquery())
    stmt = (select(Hospital, staffed.c.months, staffed.c.last)
            .outerjoin(staffed, staffed.c.hospital_id == Hospital.id)
            .order_by(Hospital.region, Hospital.name))
    if readable is not None:
        stmt = stmt.where(Hospital.id.in_(readable))
    rows = await session.execute(stmt)
    return [(h, list(months or []), last) for h, months, last in rows]


async def doctors_etp(session: AsyncSession, hospital_ids: list[int] | None, start: dt.date, end: dt.date
                      ) -> list[tuple[int, dt.date, object]]:
    stmt = select(Staffing.hospital_id, Staffing.month, Staffing.doctors).where(
        Staffing.month >= start, Staffing.month <= end)
    if hospital_ids is not None:
        stmt = stmt.where(Staffing.hospital_id.in_(hospital_ids))
    return [tuple(row) for row in await session.execute(stmt)]

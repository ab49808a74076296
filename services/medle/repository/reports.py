"""The counts behind every report, read from the rollups kept by the triggers on acts."""

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Date, func, literal_column, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.medle.domain.enums import Profile
from services.medle.domain.reports import Cell, Grain, HospitalUnit, Step
from services.medle.models import COUNT_COLUMNS, Hospital, act_counts
from services.medle.models import pv_sizes as pv_sizes_table
from services.medle.repository.hospitals import region_names


async def cells(session: AsyncSession, hospital_ids: frozenset[int] | None, start: dt.date, end: dt.date,
                grains: Iterable[Grain]) -> dict[Grain, list[Cell]]:
    """Acts of the months from `start` to `end`, added up to each of `grains` in one pass (GROUPING
    SETS) over the rollup the triggers keep: a national year is ~6,000 rollup rows, not 250,000 acts."""
    c = act_counts.c
    year = func.date_trunc(literal_column("'year'"), c.month).cast(Date)
    every = {Step.MONTH: c.month, Step.YEAR: year, "hospital": c.hospital_id, "profile": c.profile}

    def used(grain: Grain) -> list:
        return [name for name, wanted in ((grain.step, grain.step is not None), ("hospital", grain.by_hospital),
                                          ("profile", grain.by_profile)) if wanted]

    grains = list(dict.fromkeys(grains))
    if not grains:
        return {}
    # only the dimensions some grain groups by may be named by grouping()
    dimensions = {name: column for name, column in every.items() if any(name in used(g) for g in grains)}
    # grouping() sets a bit for each dimension a row is NOT grouped by: it tells the grains apart.
    order = list(dimensions)
    mask = {g: sum(1 << (len(order) - 1 - order.index(d)) for d in order if d not in used(g)) for g in grains}
    keys = list(COUNT_COLUMNS)
    stmt = (select(func.grouping(*dimensions.values()), *dimensions.values(), func.sum(c.acts),
                   func.sum(c.weighted_minutes), func.sum(c.unweighted_acts),
                   *(func.sum(c[COUNT_COLUMNS[k]]) for k in keys))
            .where(c.month >= start.replace(day=1), c.month <= end)
            .group_by(func.grouping_sets(*(tuple_(*(dimensions[d] for d in used(g))) for g in grains)))
            .having(func.sum(c.acts) > 0))
    if hospital_ids is not None:
        stmt = stmt.where(c.hospital_id.in_(hospital_ids))
    by_mask = {m: g for g, m in mask.items()}
    found: dict[Grain, list[Cell]] = {g: [] for g in grains}
    for row in await session.execute(stmt):
        grain = by_mask[row[0]]
        values = dict(zip(dimensions, row[1:], strict=False))
        acts, minutes, unweighted, *counts = row[1 + len(dimensions):]
        found[grain].append(Cell(
            values[grain.step] if grain.step else start.replace(day=1),
            values.get("hospital"), Profile(values["profile"]) if values.get("profile") else None, int(acts),
            dict(zip(keys, map(int, counts), strict=True)), minutes, int(unweighted),
        ))
    return found


async def pv_sizes(session: AsyncSession, hospital_ids: frozenset[int] | None, start: dt.date, end: dt.date
                   ) -> dict[int, int]:
    """How many PVs have 1, 2, … ACTS_PER_PV_CAP+ acts, a PV counted in the month of its first act."""
    stmt = (select(pv_sizes_table.c.size, func.sum(pv_sizes_table.c.pvs))
            .where(pv_sizes_table.c.month >= start.replace(day=1), pv_sizes_table.c.month <= end)
            .group_by(pv_sizes_table.c.size))
    if hospital_ids is not None:
        stmt = stmt.where(pv_sizes_table.c.hospital_id.in_(hospital_ids))
    return {int(size): int(pvs) for size, pvs in await session.execute(stmt)}


async def hospital_units(session: AsyncSession, hospital_ids: frozenset[int] | None) -> dict[int, HospitalUnit]:
    stmt = select(Hospital.id, Hospital.name, Hospital.departement, Hospital.region)
    if hospital_ids is not None:
        stmt = stmt.where(Hospital.id.in_(hospital_ids))
    names = await region_names(session)
    return {
        id_: HospitalUnit(id_, name, departement, region, names.get(region, region))
        for id_, name, departement, region in await session.execute(stmt)
    }


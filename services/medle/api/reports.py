"""National reporting (medle:report), regional (medle:regional, within scope) and per hospital."""

import datetime as dt
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from services.medle.api.callers import ReportReader
from services.medle.domain import reports as domain
from services.medle.domain.calendar import PARIS
from services.medle.domain.reports import Breakdown, By, Step
from services.medle.domain.staffing import months_between
from services.medle.repository import reports as repo
from services.medle.repository import staffing as staffing_repo
from services.medle.repository import tariffs as tariffs_repo
from services.medle.schemas import WeightingTableIn
from shared.db import Session
from shared.errors import field_error, invalid
from shared.reports import Output, PeriodFilter, TerritoryFilter, jsonable_rows, suppress_small_cells, tabular_response

router = APIRouter(prefix="/v1/reports", tags=["reports"])

MAX_DAYS = 5 * 366


class Table(StrEnum):
    ACTS = "acts"
    LIVING_DECEASED = "living_deceased"
    REQUISITION = "requisition"
    PERIOD_OF_DAY = "period_of_day"
    EXAMINATIONS = "examinations"
    ITT = "itt"
    ACTS_PER_PV = "acts_per_pv"
    WEIGHTED_ACTIVITY = "weighted_activity"
    STAFFING_VS_ACTIVITY = "staffing_vs_activity"
    MONTHLY = "monthly"


@dataclass(frozen=True)
class Scope:
    hospital_ids: frozenset[int] | None
    start: dt.date
    end: dt.date
    breakdown: Breakdown
    nominative: bool


async def report_scope(
    caller: ReportReader,
    session: Session,
    period: PeriodFilter,
    territory: TerritoryFilter,
    hospital_id: Annotated[list[int] | None, Query()] = None,
    by: By = By.HOSPITAL,
    step: Annotated[Step, Query(description="period of the acts table: year (default) or month")] = Step.YEAR,
) -> Scope:
    today = dt.datetime.now(PARIS).date()
    start, end = period.start or dt.date(today.year, 1, 1), period.end or today
    # Reports count whole months (they are read from monthly rollups).
    start, end = start.replace(day=1), end.replace(day=monthrange(end.year, end.month)[1])
    if start > end:
        raise invalid([field_error(["query", "from"], "the period starts after it ends")])
    if (end - start).days > MAX_DAYS:
        raise invalid([field_error(["query", "to"], "a report covers at most 5 years")])
    hospitals = caller.reportable_hospitals()
    if territory.regions or territory.departements or hospital_id:
        units = await repo.hospital_units(session, hospitals)
        hospitals = frozenset(
            h.id for h in units.values()
            if (not territory.regions or h.region in territory.regions)
            and (not territory.departements or h.departement in territory.departements)
            and (not hospital_id or h.id in hospital_id)
        )
    minutes_per_day = await _minutes_per_day(session)
    return Scope(hospitals, start, end, Breakdown(by, step, minutes_per_day), caller.nominative)


async def _minutes_per_day(session) -> Decimal:
    version = await tariffs_repo.current_weighting(session)
    return WeightingTableIn.model_validate(version.table).minutes_per_day if version else Decimal(480)


ReportScope = Annotated[Scope, Depends(report_scope)]


@dataclass
class Data:
    scope: Scope
    hospitals: dict[int, domain.HospitalUnit]
    cells: dict[domain.Grain, list[domain.Cell]]
    pv_sizes: dict[int, int] | None = None
    staffing: list[domain.StaffedMonth] | None = None

    @cached_property
    def totals(self) -> domain.Totals:
        return domain.totals_of(self.cells[domain.TOTALS_GRAIN])


@dataclass(frozen=True)
class Spec:
    build: Callable[[Data], list[dict[str, Any]]]
    columns: Callable[[By], list[str]]
    counts: tuple[str, ...]
    grain: Callable[[Scope], domain.Grain | None]
    needs_pv: bool = False
    needs_staffing: bool = False


def _months(scope: Scope) -> list[dt.date]:
    return months_between(scope.start, scope.end)


def _acts_grain(scope: Scope) -> domain.Grain:
    return domain.acts_grain(scope.breakdown.step)


def _totals(_: Scope) -> domain.Grain:
    return domain.TOTALS_GRAIN


SPECS: dict[Table, Spec] = {
    Table.ACTS: Spec(
        lambda d: domain.acts_table(d.cells[_acts_grain(d.scope)], d.hospitals, d.scope.breakdown),
        lambda by: ["period", *domain.unit_columns(by), "profile", "acts", *domain.ACT_TYPE_COLUMNS],
        ("acts", *domain.ACT_TYPE_COLUMNS),
        _acts_grain,
    ),
    Table.LIVING_DECEASED: Spec(lambda d: domain.living_deceased_table(d.totals), lambda _: ["subject", "acts"],
                                ("acts",), _totals),
    Table.REQUISITION: Spec(lambda d: domain.requisition_table(d.totals), lambda _: ["requisition", "acts"],
                            ("acts",), _totals),
    Table.PERIOD_OF_DAY: Spec(lambda d: domain.period_of_day_table(d.totals), lambda _: ["period_of_day", "acts"],
                              ("acts",), _totals),
    Table.EXAMINATIONS: Spec(lambda d: domain.examinations_table(d.totals), lambda _: ["examination", "acts"],
                             ("acts",), _totals),
    Table.ITT: Spec(lambda d: domain.itt_table(d.totals), lambda _: ["itt_days", "acts"], ("acts",), _totals),
    Table.ACTS_PER_PV: Spec(lambda d: domain.acts_per_pv_table(d.pv_sizes or {}),
                            lambda _: ["acts_per_pv", "pv_numbers"], ("pv_numbers",), lambda _: None,
                            needs_pv=True),
    Table.WEIGHTED_ACTIVITY: Spec(
        lambda d: domain.weighted_activity_table(d.cells[domain.MONTH_BY_HOSPITAL], d.hospitals, d.scope.breakdown),
        lambda by: ["month", *domain.unit_columns(by), "acts", "minutes", "day_equivalents", "unweighted_acts"],
        ("acts", "unweighted_acts"),
        lambda _: domain.MONTH_BY_HOSPITAL,
    ),
    Table.STAFFING_VS_ACTIVITY: Spec(
        lambda d: domain.staffing_vs_activity_table(d.cells[domain.MONTH_BY_HOSPITAL], d.staffing or [],
                                                    d.hospitals, _months(d.scope), d.scope.breakdown.minutes_per_day),
        lambda _: ["hospital_id", "hospital", "region", "day_equivalents", "working_days", "activity_in_etp",
                   "staffed_months", "doctors_etp", "staffed_days", "ratio"],
        (),
        lambda _: domain.MONTH_BY_HOSPITAL,
        needs_staffing=True,
    ),
    Table.MONTHLY: Spec(
        lambda d: domain.monthly_table(d.cells[domain.MONTH_BY_PROFILE], d.scope.breakdown.minutes_per_day),
        lambda _: ["month", "acts", *(str(s) for s in domain.Subject), domain.SANS_PLAINTE, "day_equivalents"],
        ("acts", *(str(s) for s in domain.Subject), domain.SANS_PLAINTE),
        lambda _: domain.MONTH_BY_PROFILE,
    ),
}


async def _data(session, scope: Scope, specs: list[Spec]) -> Data:
    hospitals = await repo.hospital_units(session, scope.hospital_ids)
    ids = frozenset(hospitals) if scope.hospital_ids is not None else None
    grains = {grain for spec in specs if (grain := spec.grain(scope)) is not None}
    data = Data(scope, hospitals, await repo.cells(session, ids, scope.start, scope.end, grains))
    if any(s.needs_pv for s in specs):
        data.pv_sizes = await repo.pv_sizes(session, ids, scope.start, scope.end)
    if any(s.needs_staffing for s in specs):
        rows = await staffing_repo.doctors_etp(session, sorted(ids) if ids is not None else None,
                                               scope.start.replace(day=1), scope.end)
        data.staffing = [domain.StaffedMonth(h, m, etp) for h, m, etp in rows]
    return data


def _table(data: Data, table: Table) -> tuple[list[dict[str, Any]], list[str], int]:
    spec = SPECS[table]
    rows, hidden = suppress_small_cells(spec.build(data), spec.counts, nominative=data.scope.nominative)
    return rows, spec.columns(data.scope.breakdown.by), hidden


def _meta(scope: Scope, data: Data) -> dict[str, Any]:
    return {
        "from": scope.start.isoformat(),
        "to": scope.end.isoformat(),
        "by": scope.breakdown.by.value,
        "step": scope.breakdown.step.value,
        "hospitals": len(data.hospitals),
        "small_cells_hidden": not scope.nominative,
        "minutes_per_day": float(scope.breakdown.minutes_per_day),
    }


@router.get("/activity")
async def activity_report(scope: ReportScope, session: Session):
    """Every table of the report at once (JSON), over whole months (`from` and `to` are widened to
    the months they fall in). Counts from 1 to 4 are hidden (null) for the ministries
    (statistical secrecy); `suppressed_cells` says how many."""
    data = await _data(session, scope, list(SPECS.values()))
    tables, hidden_total = {}, 0
    for table in Table:
        rows, columns, hidden = _table(data, table)
        tables[table.value] = jsonable_rows(rows, columns)
        hidden_total += hidden
    return JSONResponse({**_meta(scope, data), "suppressed_cells": hidden_total, "tables": tables})


@router.get("/activity/{table}")
async def activity_table(table: Table, scope: ReportScope, session: Session, output: Output):
    """One table of the report as JSON, CSV (`excel=true` for French Excel) or XLSX."""
    data = await _data(session, scope, [SPECS[table]])
    rows, columns, hidden = _table(data, table)
    return await tabular_response(rows, columns, output, f"medle-{table.value}-{scope.start}-{scope.end}",
                                  meta={**_meta(scope, data), "suppressed_cells": hidden})

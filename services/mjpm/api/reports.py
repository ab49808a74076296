"""Statistics of the spec: availability of managers, measures opened and closed, population.

National for `mjpm:report` (ministries: small cells hidden) and admins; a State agent sees the
figures of their territory only, unhidden (they know the managers by name)."""

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from services.mjpm import repository
from services.mjpm.api.access import READ, Caller, caller_with
from services.mjpm.domain.enums import Role, Scope
from services.mjpm.domain.reports import AGE_BANDS
from shared.db import Session
from shared.errors import Problem, field_error, invalid
from shared.referentials import departements_of_regions
from shared.reports import Output, PeriodFilter, TerritoryFilter, suppress_small_cells, tabular_response

router = APIRouter(prefix="/v1/reports", tags=["reports"])
REPORT_SCOPES = (Scope.REPORT.value, READ)
Reporter = Annotated[Caller, Depends(caller_with(REPORT_SCOPES))]

AVAILABILITY_COLUMNS = ["code", "name", "managers", "managers_without_capacity", "managers_suspended", "capacity",
                        "in_progress", "reserved", "available_global", "available_real", "over_capacity",
                        "managers_over_capacity", "latitude", "longitude"]
GroupBy = Literal["nature", "manager_kind", "departement", "region"]


def may_report(caller: Caller) -> None:
    statistics = caller.has(Role.REPORT, Role.STATE_AGENT, Role.ADMIN) or (
        not caller.roles and Scope.REPORT in caller.principal.scopes)
    if not statistics:
        raise Problem(403, "statistics are for mjpm:report, mjpm:state_agent and mjpm:admin")


def nominative(caller: Caller) -> bool:
    return caller.has(Role.ADMIN, Role.STATE_AGENT)


async def territory_of(session, caller: Caller, territory) -> list[str] | None:
    """The départements a report covers (None: the whole country); a State agent's stays within
    their territory (403 beyond it)."""
    may_report(caller)
    asked: set[str] | None = None
    if territory.departements or territory.regions:
        known = await repository.known_departements(session, territory.departements)
        if unknown := sorted(set(territory.departements) - known):
            raise invalid([field_error(["query", "departement"], f"unknown département: {', '.join(unknown)}")])
        asked = set(territory.departements) | set(await departements_of_regions(session, list(territory.regions)))
    national = caller.has(Role.ADMIN, Role.REPORT) or not caller.roles
    if national:
        return sorted(asked) if asked is not None else None
    own = set(caller.departements)
    if asked is not None and not asked <= own:
        raise Problem(403, "outside your territory: " + ", ".join(sorted(asked - own)))
    return sorted(asked if asked is not None else own)


@router.get("/availability")
async def availability(session: Session, caller: Reporter, territory: TerritoryFilter, output: Output,
                       by: Literal["departement", "region"] = "departement"):
    """Places by département (or région) of the approved managers' seats: global (capacity −
    measures), real (places left, suspended managers aside), over capacity, managers without an
    approved capacity; with the chef-lieu's coordinates for a map."""
    departements = await territory_of(session, caller, territory)
    rows = await repository.availability(session, departements, by)
    return await tabular_response(rows, AVAILABILITY_COLUMNS, output, "mjpm-availability", meta={"by": by})


@router.get("/measures")
async def measures_flow(session: Session, caller: Reporter, territory: TerritoryFilter, period: PeriodFilter,
                        output: Output,
                        group_by: Annotated[list[GroupBy] | None, Query(max_length=4)] = None):
    """Measures opened and closed within the period, by nature, manager kind, département, région."""
    departements = await territory_of(session, caller, territory)
    groups = list(dict.fromkeys(group_by or ["departement"]))
    rows = await repository.measures_flow(session, period.start, period.end, groups, departements)
    rows, hidden = suppress_small_cells(rows, ["opened", "closed"], nominative=nominative(caller))
    return await tabular_response(rows, [*groups, "opened", "closed"], output, "mjpm-measures",
                                  meta={"suppressed_cells": hidden, "from": period.start and period.start.isoformat(),
                                        "to": period.end and period.end.isoformat()})


@router.get("/population")
async def population(session: Session, caller: Reporter, territory: TerritoryFilter, output: Output,
                     year: Annotated[int | None, Query(ge=1990, le=2100)] = None):
    """People under a running measure by age band × sex × nature (age reached in `year`)."""
    departements = await territory_of(session, caller, territory)
    year = year or dt.date.today().year
    rows = await repository.population(session, year, AGE_BANDS, departements)
    rows, hidden = suppress_small_cells(rows, ["measures"], nominative=nominative(caller))
    return await tabular_response(rows, ["age_band", "sex", "nature", "measures"], output, "mjpm-population",
                                  meta={"suppressed_cells": hidden, "year": year})

"""Every query of mjpm. Routers call these; the domain decides, this reads and writes."""

import datetime as dt
import functools
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import Select, delete, false, func, insert, or_, select, text, true
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from services.mjpm.domain import measures as rules
from services.mjpm.domain.enums import MeasureAction, MeasureStatus, RegistryAction, RegistryStatus
from services.mjpm.domain.matching import Candidate, Office
from services.mjpm.domain.registry import next_standing, remaining_capacity, standing_of, stored_as
from services.mjpm.models import (
    Antenna,
    Approval,
    Base,
    Court,
    Manager,
    Measure,
    MeasureState,
    Membership,
    PreferredCourt,
    Resource,
)
from shared import audit
from shared.auth import Principal
from shared.pagination import PageParams, keyset, page_of
from shared.referentials import Commune, commune

AUDIT_LOG = Base.metadata.tables["mjpm.audit_log"]
LIVE_STATUSES = [s.value for s in rules.LIVE_STATUSES]
JOBS = Principal(sub="mjpm:jobs")  # the actor of automatic transitions


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    return rules.paris_day(now())


# --- Who acts for what ------------------------------------------------------------------------


async def memberships_of(session: AsyncSession, sub: str) -> list[Membership]:
    return list((await session.execute(select(Membership).where(Membership.sub == sub))).scalars())


@dataclass(frozen=True)
class Links:
    court_ids: frozenset[int]  # with the courts merged into them (followed through `successor_id`)
    manager_ids: frozenset[int]
    departements: frozenset[str]


async def links_of(session: AsyncSession, sub: str) -> Links:
    """What an account acts for, in one round trip (every request asks)."""
    rows = await session.execute(
        text(
            "WITH RECURSIVE links AS (SELECT court_id, manager_id, departement FROM memberships WHERE sub = :sub), "
            "c(id) AS (SELECT court_id FROM links WHERE court_id IS NOT NULL "
            "UNION SELECT courts.id FROM courts JOIN c ON courts.successor_id = c.id) "
            "SELECT 'c' AS kind, CAST(id AS text) AS value FROM c "
            "UNION ALL SELECT 'm', CAST(manager_id AS text) FROM links WHERE manager_id IS NOT NULL "
            "UNION ALL SELECT 'd', departement FROM links WHERE departement IS NOT NULL"
        ),
        {"sub": sub},
    )
    found: dict[str, set] = {"c": set(), "m": set(), "d": set()}
    for kind, value in rows:
        found[kind].add(value if kind == "d" else int(value))
    return Links(frozenset(found["c"]), frozenset(found["m"]), frozenset(found["d"]))


async def add_membership(session: AsyncSession, **values) -> Membership:
    membership = Membership(**values)
    session.add(membership)
    await session.flush()
    return membership


async def membership_by_id(session: AsyncSession, membership_id: int) -> Membership | None:
    return await session.get(Membership, membership_id)


async def memberships_page(session: AsyncSession, page: PageParams, sub: str | None = None):
    stmt = select(Membership)
    if sub:
        stmt = stmt.where(Membership.sub == sub)
    rows = list((await session.execute(keyset(stmt, [(Membership.id, False)], page))).scalars())
    return page_of(rows, page, key=lambda m: (m.id,))


async def delete_membership(session: AsyncSession, membership: Membership) -> None:
    await session.delete(membership)
    await session.flush()


# --- Places -----------------------------------------------------------------------------------


async def commune_of(session: AsyncSession, code: str) -> Commune | None:
    return await commune(session, code)


async def nearest_commune(session: AsyncSession, lat: float, lon: float) -> Commune | None:
    """The commune whose centre is nearest a point (to know the person's département)."""
    for box in (0.15, 0.6):
        row = (
            await session.execute(
                text(
                    "SELECT code, name, departement, region, epci, postcodes, population, latitude, longitude "
                    "FROM ref.communes, (SELECT CAST(:lat AS float8) AS lat, CAST(:lon AS float8) AS lon, "
                    "CAST(:box AS float8) AS box) p WHERE departement IS NOT NULL AND latitude IS NOT NULL "
                    "AND latitude BETWEEN p.lat - p.box AND p.lat + p.box "
                    "AND longitude BETWEEN p.lon - 1.5 * p.box AND p.lon + 1.5 * p.box "
                    "ORDER BY (latitude - p.lat) ^ 2 + ((longitude - p.lon) * cos(radians(p.lat))) ^ 2 LIMIT 1"
                ),
                {"lat": lat, "lon": lon, "box": box},
            )
        ).one_or_none()
        if row:
            return Commune(*row)
    return None


async def departements_of_communes(session: AsyncSession, codes: Collection[str]) -> dict[str, str | None]:
    if not codes:
        return {}
    rows = await session.execute(text("SELECT code, departement FROM ref.communes WHERE code = ANY(:c)"),
                                 {"c": list(codes)})
    return {r.code: r.departement for r in rows}


async def antennas_by_manager(session: AsyncSession, manager_ids: Collection[int]) -> dict[int, set[int]]:
    rows = await session.execute(select(Antenna.id, Antenna.manager_id)
                                 .where(Antenna.manager_id.in_(list(manager_ids))))
    found: dict[int, set[int]] = {}
    for r in rows:
        found.setdefault(r.manager_id, set()).add(r.id)
    return found


async def known_departements(session: AsyncSession, codes: Collection[str]) -> set[str]:
    rows = await session.execute(text("SELECT code FROM ref.departements WHERE code = ANY(:c)"), {"c": list(codes)})
    return set(rows.scalars())


# --- Courts -----------------------------------------------------------------------------------


async def court_by_id(session: AsyncSession, court_id: int) -> Court | None:
    return await session.get(Court, court_id)


async def courts_by_siret(session: AsyncSession, sirets: Collection[str]) -> dict[str, Court]:
    if not sirets:
        return {}
    rows = await session.execute(select(Court).where(Court.siret.in_(list(sirets))))
    return {c.siret: c for c in rows.scalars()}


async def courts_page(session: AsyncSession, page: PageParams, departement: str | None = None):
    stmt = select(Court)
    if departement:
        stmt = stmt.where(Court.departement == departement)
    rows = list((await session.execute(keyset(stmt, [(Court.id, False)], page))).scalars())
    return page_of(rows, page, key=lambda c: (c.id,))


async def add_court(session: AsyncSession, **values) -> Court:
    court = Court(**values)
    session.add(court)
    await session.flush()
    return court


# --- Managers ---------------------------------------------------------------------------------


async def manager_by_id(session: AsyncSession, manager_id: int) -> Manager | None:
    return await session.get(Manager, manager_id)


async def lock_manager(session: AsyncSession, manager_id: int) -> Manager | None:
    """The manager's row, locked until commit: reservations of one manager queue here, so the
    remaining capacity read is the one the insert relies on (never check-then-write)."""
    stmt = (select(Manager).where(Manager.id == manager_id).with_for_update()
            .execution_options(populate_existing=True))
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_manager(session: AsyncSession, preferred_court_ids: Iterable[int] = (), **values) -> Manager:
    manager = Manager(**values)
    session.add(manager)
    await session.flush()
    await set_preferred_courts(session, manager.id, preferred_court_ids)
    return manager


async def set_preferred_courts(session: AsyncSession, manager_id: int, court_ids: Iterable[int]) -> None:
    await session.execute(delete(PreferredCourt).where(PreferredCourt.manager_id == manager_id))
    court_ids = sorted(set(court_ids))
    if court_ids:
        await session.execute(insert(PreferredCourt), [{"manager_id": manager_id, "court_id": c} for c in court_ids])


async def existing_court_ids(session: AsyncSession, court_ids: Collection[int]) -> set[int]:
    if not court_ids:
        return set()
    return set((await session.execute(select(Court.id).where(Court.id.in_(list(court_ids))))).scalars())


async def preferred_courts_of(session: AsyncSession, manager_ids: Collection[int]) -> dict[int, list[int]]:
    rows = await session.execute(select(PreferredCourt).where(PreferredCourt.manager_id.in_(list(manager_ids)))
                                 .order_by(PreferredCourt.court_id))
    found: dict[int, list[int]] = {}
    for p in rows.scalars():
        found.setdefault(p.manager_id, []).append(p.court_id)
    return found


async def approvals_of(session: AsyncSession, manager_ids: Collection[int]) -> dict[int, list[Approval]]:
    rows = await session.execute(select(Approval).where(Approval.manager_id.in_(list(manager_ids)))
                                 .order_by(Approval.departement))
    found: dict[int, list[Approval]] = {}
    for a in rows.scalars():
        found.setdefault(a.manager_id, []).append(a)
    return found


async def staff_of(session: AsyncSession, manager_id: int) -> list[Membership]:
    rows = await session.execute(select(Membership).where(Membership.manager_id == manager_id)
                                 .order_by(Membership.id))
    return list(rows.scalars())


async def add_approvals(session: AsyncSession, manager_id: int, entries: Iterable[tuple[str, str]], by: str) -> None:
    values = [{"manager_id": manager_id, "departement": d, "financing_departement": f, "approved_by": by}
              for d, f in entries]
    if values:
        stmt = upsert(Approval).values(values)
        await session.execute(stmt.on_conflict_do_update(
            index_elements=["manager_id", "departement"],
            set_={"financing_departement": stmt.excluded.financing_departement, "approved_by": by,
                  "approved_at": func.now()}))


async def apply_registry_action(
    session: AsyncSession,
    request: Request,
    principal: Principal,
    manager: Manager,
    action: RegistryAction,
    *,
    reason: str | None = None,
    changes: dict[str, Any] | None = None,
) -> Manager:
    """The one way a manager's standing changes: the domain's registry table says where `action`
    leads (or raises `IllegalTransition`); the decision is stored with who, when, why, and audited."""
    current = standing_of(RegistryStatus(manager.registry_status), manager.suspended)
    target = next_standing(current, action)
    changes = dict(changes or {})
    status, suspended = stored_as(target)
    changes |= {"registry_status": status.value, "suspended": suspended}
    if action in (RegistryAction.APPROVE, RegistryAction.REJECT):
        changes |= {"decided_at": now(), "decided_by": principal.sub, "decision_reason": reason}
    if action == RegistryAction.SUSPEND:
        changes |= {"suspension_reason": reason, "suspended_at": now()}
    if action == RegistryAction.REINSTATE:
        changes |= {"suspension_reason": None, "suspended_at": None}
    before = {"standing": current.value, **{k: getattr(manager, k) for k in changes}}
    for name, value in changes.items():
        setattr(manager, name, value)
    await session.flush()
    await audit.record(session, request, principal, str(action), "manager", manager.id, before=before,
                       after={"standing": target.value, **changes})
    return manager


async def remove_approval(session: AsyncSession, manager_id: int, departement: str) -> bool:
    result = await session.execute(delete(Approval).where(Approval.manager_id == manager_id,
                                                          Approval.departement == departement))
    return result.rowcount > 0


def _manager_filter(stmt: Select, *, manager_ids: Collection[int] | None, departements: Collection[str] | None,
                    registry_status: str | None, kind: str | None, everything: bool) -> Select:
    if not everything:
        reach = []
        if manager_ids:
            reach.append(Manager.id.in_(list(manager_ids)))
        if departements:
            # A State agent sees the applications of their territory and the managers on its lists.
            listed = select(Approval.manager_id).where(Approval.departement.in_(list(departements)))
            reach += [Manager.departement.in_(list(departements)), Manager.id.in_(listed)]
        stmt = stmt.where(or_(*reach) if reach else false())
    if registry_status:
        stmt = stmt.where(Manager.registry_status == registry_status)
    if kind:
        stmt = stmt.where(Manager.kind == kind)
    return stmt


async def managers_page(session: AsyncSession, page: PageParams, **filters) -> tuple[list[Manager], str | None]:
    stmt = _manager_filter(select(Manager), **filters)
    rows = list((await session.execute(keyset(stmt, [(Manager.id, False)], page))).scalars())
    return page_of(rows, page, key=lambda m: (m.id,))


async def manager_visible(session: AsyncSession, manager_id: int, **filters) -> Manager | None:
    stmt = _manager_filter(select(Manager).where(Manager.id == manager_id), registry_status=None, kind=None,
                           **filters)
    return (await session.execute(stmt)).scalar_one_or_none()


# --- Antennas ---------------------------------------------------------------------------------


async def antennas_of(session: AsyncSession, manager_id: int) -> list[Antenna]:
    rows = await session.execute(select(Antenna).where(Antenna.manager_id == manager_id).order_by(Antenna.id))
    return list(rows.scalars())


async def antenna_by_id(session: AsyncSession, antenna_id: int) -> Antenna | None:
    return await session.get(Antenna, antenna_id)


async def add_antenna(session: AsyncSession, **values) -> Antenna:
    antenna = Antenna(**values)
    session.add(antenna)
    await session.flush()
    return antenna


async def delete_antenna(session: AsyncSession, antenna: Antenna) -> None:
    await session.delete(antenna)
    await session.flush()


# --- Matching ---------------------------------------------------------------------------------


@dataclass
class CandidateRow:
    candidate: Candidate
    name: str


async def match_candidates(
    session: AsyncSession,
    departement: str,
    court_id: int | None,
    *,
    with_unapproved: bool,
    person: tuple[float, float] | None = None,
    max_km: float | None = None,
) -> list[CandidateRow]:
    """The managers on the département's list (and, when asked, those applying or seated there
    without being on it), as the domain's candidates; `max_km` prefilters by straight distance
    from any office (earthdistance) before the domain ranks."""
    # ids first, then the rows by primary key: an OR over a join would scan every manager.
    seated = " UNION SELECT id FROM managers WHERE departement = :dep" if with_unapproved else ""
    near = ""
    params: dict[str, Any] = {"dep": departement, "court": court_id}
    if max_km is not None and person is not None:
        near = (
            " AND (earth_distance(ll_to_earth(m.latitude, m.longitude), ll_to_earth(:lat, :lon)) <= :m"
            " OR EXISTS (SELECT 1 FROM antennas n WHERE n.manager_id = m.id AND"
            " earth_distance(ll_to_earth(n.latitude, n.longitude), ll_to_earth(:lat, :lon)) <= :m))"
        )
        params |= {"lat": person[0], "lon": person[1], "m": max_km * 1000}
    rows = (
        await session.execute(
            text(
                "SELECT m.id, m.kind, m.name, m.latitude, m.longitude, m.approved_capacity, m.in_progress, "
                "m.reserved, m.suspended, m.suspension_reason, (m.registry_status = 'approved' AND EXISTS "
                "(SELECT 1 FROM approvals a WHERE a.manager_id = m.id AND a.departement = :dep)) AS approved, "
                "EXISTS (SELECT 1 FROM preferred_courts p WHERE p.manager_id = m.id AND p.court_id = :court) "
                "AS preferred FROM managers m WHERE m.id = ANY(ARRAY("
                f"SELECT manager_id FROM approvals WHERE departement = :dep{seated})){near}"
            ),
            params,
        )
    ).all()
    services = [r.id for r in rows if r.kind == "service"]
    offices: dict[int, list[Office]] = {}
    if services:
        antennas = await session.execute(
            text("SELECT id, manager_id, latitude, longitude FROM antennas "
                 "WHERE manager_id = ANY(:ids) AND latitude IS NOT NULL"), {"ids": services})
        for a in antennas:
            offices.setdefault(a.manager_id, []).append(Office(a.latitude, a.longitude, a.id))
    result = []
    for r in rows:
        own = offices.get(r.id, [])
        if r.latitude is not None:
            own.insert(0, Office(r.latitude, r.longitude))
        remaining = remaining_capacity(r.approved_capacity, r.in_progress, r.reserved, suspended=r.suspended)
        result.append(CandidateRow(
            Candidate(id=r.id, kind=r.kind, approved=r.approved, remaining=remaining, offices=tuple(own),
                      preferred=r.preferred, suspended=r.suspended, suspension_reason=r.suspension_reason),
            r.name))
    return result


# --- Measures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """Whose measures a caller sees: their courts' (with predecessors), their managers', or all."""

    court_ids: frozenset[int] = frozenset()
    manager_ids: frozenset[int] = frozenset()
    everything: bool = False


def visible(reach: Reach) -> ColumnElement:
    if reach.everything:
        return true()
    clauses = []
    if reach.court_ids:
        clauses.append(Measure.court_id.in_(sorted(reach.court_ids)))
    if reach.manager_ids:
        clauses.append(Measure.manager_id.in_(sorted(reach.manager_ids)))
    return or_(*clauses) if clauses else false()


async def measure_for(session: AsyncSession, measure_id: int, reach: Reach, *, lock: bool = False) -> Measure | None:
    """The measure if this caller may see it (None otherwise: someone else's is a 404)."""
    stmt = select(Measure).where(Measure.id == measure_id, Measure.deleted_at.is_(None), visible(reach))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def same_key_measures(session: AsyncSession, rg: str, court_id: int, manager_id: int
                            ) -> list[rules.SameKeyMeasure]:
    rows = await session.execute(
        select(Measure.id, Measure.status, Measure.end_date).where(
            Measure.rg == rg, Measure.court_id == court_id, Measure.manager_id == manager_id,
            Measure.deleted_at.is_(None)))
    return [rules.SameKeyMeasure(r.id, MeasureStatus(r.status), r.end_date) for r in rows]


async def same_key_measures_many(session: AsyncSession, keys: Collection[tuple[str, int, int]]
                                 ) -> dict[tuple[str, int, int], list[Measure]]:
    """For a batch: the stored measures under each (RG, court, manager), cancelled ones aside."""
    if not keys:
        return {}
    rgs = sorted({k[0] for k in keys})
    rows = await session.execute(
        select(Measure).where(Measure.rg.in_(rgs), Measure.deleted_at.is_(None),
                              Measure.status != MeasureStatus.ANNULEE)
        .order_by(Measure.id))
    found: dict[tuple[str, int, int], list[Measure]] = {}
    for m in rows.scalars():
        key = (m.rg, m.court_id, m.manager_id)
        if key in keys:
            found.setdefault(key, []).append(m)
    return found


async def departement_of_person(session: AsyncSession, commune_code: str | None, court_id: int) -> str | None:
    """The département of the person's commune, else the court's (where the person is presumed)."""
    if commune_code:
        place = await commune(session, commune_code)
        if place and place.departement:
            return place.departement
    return (await session.execute(select(Court.departement).where(Court.id == court_id))).scalar_one_or_none()


async def add_measure(session: AsyncSession, **values) -> Measure:
    measure = Measure(status_changed_at=now(), **values)
    session.add(measure)
    await session.flush()
    return measure


@dataclass(frozen=True)
class ReservationCheck:
    """What a reservation decides on, read in the statement that locks the manager's row."""

    manager: Any | None  # registry_status, suspended, suspension_reason, approved_capacity, in_progress, reserved
    antenna_ok: bool
    departement: str | None
    same_key: list[rules.SameKeyMeasure]


_RESERVATION_CHECK = text(
    """
    SELECT m.registry_status, m.suspended, m.suspension_reason, m.approved_capacity, m.in_progress, m.reserved,
           CAST(:antenna AS bigint) IS NULL
               OR EXISTS (SELECT 1 FROM antennas a WHERE a.id = CAST(:antenna AS bigint) AND a.manager_id = m.id)
               AS antenna_ok,
           coalesce((SELECT c.departement FROM ref.communes c WHERE c.code = CAST(:commune AS text)),
                    (SELECT ct.departement FROM courts ct WHERE ct.id = :court)) AS departement,
           s.id AS same_id, s.status AS same_status, s.end_date AS same_end
      FROM managers m
      LEFT JOIN LATERAL (SELECT id, status, end_date FROM measures
                          WHERE rg = :rg AND court_id = :court AND manager_id = m.id AND deleted_at IS NULL) s ON true
     WHERE m.id = :manager
       FOR UPDATE OF m
    """
)


async def reservation_check(session: AsyncSession, *, rg: str, court_id: int, manager_id: int,
                            antenna_id: int | None, commune_code: str | None) -> ReservationCheck:
    """One round trip for a reservation: the manager's row locked until commit (reservations of one
    manager queue here, so the remaining capacity read is the one the insert relies on), whether the
    antenna is the manager's, the measures under the same RG + court + manager, and the person's
    département (of their commune, else the court's)."""
    rows = (await session.execute(_RESERVATION_CHECK, {
        "antenna": antenna_id, "commune": commune_code, "court": court_id, "rg": rg, "manager": manager_id,
    })).all()
    if not rows:
        return ReservationCheck(None, antenna_id is None, None, [])
    first = rows[0]
    same = [rules.SameKeyMeasure(r.same_id, MeasureStatus(r.same_status), r.same_end)
            for r in rows if r.same_id is not None]
    return ReservationCheck(first, first.antenna_ok, first.departement, same)


@functools.cache
def _creation_sql(columns: tuple[str, ...]):
    names = ", ".join(columns)
    values = ", ".join(f":{c}" for c in columns)
    return text(
        f"""
        WITH m AS (
            INSERT INTO measures ({names}, status_changed_at, version) VALUES ({values}, :status_changed_at, 1)
            RETURNING *
        ), s AS (
            INSERT INTO measure_states (measure_id, action, status, date, actor, reason)
            SELECT id, CAST(:action AS text), status, CAST(:day AS date), CAST(:actor AS text),
                   CAST(:reason AS text) FROM m
        ), a AS (
            INSERT INTO audit_log (actor, action, resource, resource_id, after, request_id)
            SELECT CAST(:actor AS text), CAST(:action AS text), 'measure', CAST(id AS text), to_jsonb(m),
                   CAST(:request_id AS text) FROM m
        )
        SELECT * FROM m
        """
    )


async def create_measure(session: AsyncSession, request: Request | None, principal: Principal,
                         action: MeasureAction, values: dict[str, Any], *, day: dt.date | None = None,
                         reason: str | None = None):
    """A new measure with its state row and audit entry (the whole row), in one statement; returns
    the stored row (database defaults included), not an ORM object."""
    columns = tuple(sorted(values))
    request_id = request.scope.get("state", {}).get("request_id") if request is not None else None
    params = {**values, "status_changed_at": now(), "action": str(action), "day": day or today(),
              "actor": principal.sub, "reason": reason, "request_id": request_id}
    return (await session.execute(_creation_sql(columns), params)).one()


def snapshot(measure: Measure, fields: Iterable[str] | None = None) -> dict[str, Any]:
    names = fields or [c.key for c in Measure.__table__.columns]
    return {name: getattr(measure, name) for name in names}


async def apply_transition(
    session: AsyncSession,
    request: Request | None,
    principal: Principal,
    measure: Measure,
    action: MeasureAction,
    *,
    day: dt.date | None = None,
    reason: str | None = None,
    changes: dict[str, Any] | None = None,
) -> Measure:
    """The one way a measure changes status: the domain's table says where `action` leads (or
    raises `IllegalTransition`), then the measure, its dated state row and an audit entry are
    written together."""
    target = rules.next_state(MeasureStatus(measure.status), action)
    changes = changes or {}
    before = {"status": measure.status, **{k: getattr(measure, k) for k in changes}}
    for name, value in changes.items():
        setattr(measure, name, value)
    measure.status = target
    measure.status_changed_at = now()
    await session.flush()
    session.add(MeasureState(measure_id=measure.id, action=action, status=target, date=day or today(),
                             actor=principal.sub, reason=reason))
    await audit.record(session, request, principal, str(action), "measure", measure.id, before=before,
                       after={"status": target, **changes, **({"reason": reason} if reason else {})})
    return measure


async def record_creation(session: AsyncSession, request: Request | None, principal: Principal, measure: Measure,
                          action: MeasureAction, *, day: dt.date | None = None, reason: str | None = None) -> None:
    """State row and audit entry of a measure that starts existing (reserve, record)."""
    session.add(MeasureState(measure_id=measure.id, action=action, status=measure.status, date=day or today(),
                             actor=principal.sub, reason=reason))
    await audit.record(session, request, principal, str(action), "measure", measure.id, after=snapshot(measure))


async def states_of(session: AsyncSession, measure_id: int) -> list[MeasureState]:
    rows = await session.execute(select(MeasureState).where(MeasureState.measure_id == measure_id)
                                 .order_by(MeasureState.id))
    return list(rows.scalars())


async def resources_of(session: AsyncSession, measure_id: int) -> list[Resource]:
    rows = await session.execute(select(Resource).where(Resource.measure_id == measure_id).order_by(Resource.year))
    return list(rows.scalars())


async def replace_resources(session: AsyncSession, measure_id: int, resources: Sequence[dict[str, Any]]) -> None:
    await session.execute(delete(Resource).where(Resource.measure_id == measure_id))
    if resources:
        await session.execute(insert(Resource), [{"measure_id": measure_id, **r} for r in resources])


async def measures_page(
    session: AsyncSession,
    reach: Reach,
    page: PageParams,
    *,
    statuses: Collection[str] = (),
    court_id: int | None = None,
    manager_id: int | None = None,
    rg: str | None = None,
) -> tuple[list[Measure], str | None]:
    stmt = select(Measure).where(visible(reach), Measure.deleted_at.is_(None))
    if statuses:
        stmt = stmt.where(Measure.status.in_(list(statuses)))
    if court_id is not None:
        stmt = stmt.where(Measure.court_id == court_id)
    if manager_id is not None:
        stmt = stmt.where(Measure.manager_id == manager_id)
    if rg:
        stmt = stmt.where(Measure.rg == rg)
    rows = list((await session.execute(keyset(stmt, [(Measure.id, False)], page))).scalars())
    return page_of(rows, page, key=lambda m: (m.id,))


async def feed_watermark(session: AsyncSession) -> dt.datetime:
    """The instant before which every change to mjpm is committed (or never will be).

    A write is stamped when made but seen when committed, so a feed cut at "now" could later
    gain rows before its end; cutting before the oldest running transaction of the service
    (they all run as its role) never does.
    """
    await session.execute(text("SELECT pg_stat_clear_snapshot()"))
    return (
        await session.execute(
            text(
                "SELECT least(clock_timestamp(), min(xact_start)) FROM pg_stat_activity "
                "WHERE usename = current_user AND datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            )
        )
    ).scalar_one()


async def measures_changed(
    session: AsyncSession,
    reach: Reach,
    page: PageParams,
    changed_since: dt.datetime,
    until: dt.datetime,
    statuses: Collection[str] = (),
) -> tuple[list[Measure], str | None]:
    """The change feed: measures written after `changed_since` (deleted ones too, as tombstones),
    in the order they changed; keyset on (updated_at, id)."""
    stmt = select(Measure).where(visible(reach), Measure.updated_at > changed_since, Measure.updated_at < until)
    if statuses:
        stmt = stmt.where(Measure.status.in_(list(statuses)))
    rows = list((await session.execute(
        keyset(stmt, [(Measure.updated_at, False), (Measure.id, False)], page))).scalars())
    return page_of(rows, page, key=lambda m: (m.updated_at, m.id))


async def soft_delete(session: AsyncSession, request: Request, principal: Principal, measure: Measure) -> None:
    before = snapshot(measure, ["status", "rg", "court_id", "manager_id"])
    measure.deleted_at = now()
    await session.flush()
    await audit.record(session, request, principal, "delete", "measure", measure.id, before=before)


async def audit_read(session: AsyncSession, request: Request, principal: Principal, measure_id: int) -> None:
    await audit.record(session, request, principal, "read", "measure", measure_id)


async def audit_many(session: AsyncSession, request: Request, principal: Principal,
                     entries: Sequence[dict[str, Any]]) -> None:
    """One statement for a batch's audit entries (`action`, `resource_id`, `before`, `after`)."""
    if not entries:
        return
    request_id = request.scope.get("state", {}).get("request_id")
    await session.execute(insert(AUDIT_LOG), [
        {"actor": principal.sub, "resource": "measure", "request_id": request_id, "purpose": None,
         "before": audit.jsonable(e.get("before")), "after": audit.jsonable(e.get("after")),
         "action": e["action"], "resource_id": str(e["resource_id"])}
        for e in entries
    ])


async def add_states(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(MeasureState), list(rows))


# --- Jobs -------------------------------------------------------------------------------------


async def _run_job(session: AsyncSession, sql: str, params: dict[str, Any]) -> int:
    # Replicas may run the jobs at the same moment: one does the work, the others skip.
    locked = (await session.execute(text("SELECT pg_try_advisory_xact_lock(hashtext('mjpm:jobs'))"))).scalar_one()
    if not locked:
        return 0
    return len((await session.execute(text(sql), params)).all())


async def expire_reservations(session: AsyncSession, day: dt.date) -> int:
    """`en_attente` measures unaccepted for 2 calendar months (days in Europe/Paris; 31 Dec → 28/29
    Feb, as `domain.measures.expiry_day`) become `annulee`, each with its state row and audit entry."""
    target = rules.next_state(MeasureStatus.EN_ATTENTE, MeasureAction.EXPIRE)
    return await _run_job(
        session,
        f"""
        WITH expired AS (
            UPDATE measures SET status = :target, status_changed_at = clock_timestamp(),
                   updated_at = clock_timestamp(), version = version + 1
             WHERE status = 'en_attente' AND deleted_at IS NULL
               AND CAST((status_changed_at AT TIME ZONE 'Europe/Paris')::date
                        + interval '{rules.EXPIRY_MONTHS} months' AS date) <= :day
            RETURNING id
        ), states AS (
            INSERT INTO measure_states (measure_id, action, status, date, actor, reason)
            SELECT id, 'expire', :target, :day, :actor, 'not accepted within {rules.EXPIRY_MONTHS} months'
              FROM expired
        )
        INSERT INTO audit_log (actor, action, resource, resource_id, before, after)
        SELECT :actor, 'expire', 'measure', id::text, '{{"status": "en_attente"}}',
               jsonb_build_object('status', CAST(:target AS text))
          FROM expired RETURNING id
        """,
        {"target": target.value, "day": day, "actor": JOBS.sub},
    )


async def close_past_end(session: AsyncSession, day: dt.date) -> int:
    """`en_cours` measures whose end date has passed become `eteinte` (lapsed: `caducite` unless
    an exit cause was given), dated on their end date."""
    target = rules.next_state(MeasureStatus.EN_COURS, MeasureAction.CLOSE)
    return await _run_job(
        session,
        """
        WITH closed AS (
            UPDATE measures SET status = :target, exit_cause = coalesce(exit_cause, :cause),
                   status_changed_at = clock_timestamp(), updated_at = clock_timestamp(),
                   version = version + 1
             WHERE status = 'en_cours' AND deleted_at IS NULL AND end_date < :day
            RETURNING id, end_date, exit_cause
        ), states AS (
            INSERT INTO measure_states (measure_id, action, status, date, actor, reason)
            SELECT id, 'close', :target, end_date, :actor, 'end date passed' FROM closed
        )
        INSERT INTO audit_log (actor, action, resource, resource_id, before, after)
        SELECT :actor, 'close', 'measure', id::text, '{"status": "en_cours"}',
               jsonb_build_object('status', CAST(:target AS text), 'exit_cause', exit_cause)
          FROM closed RETURNING id
        """,
        {"target": target.value, "cause": rules.AUTOMATIC_EXIT_CAUSE.value, "day": day, "actor": JOBS.sub},
    )


# --- Reports ----------------------------------------------------------------------------------


async def availability(session: AsyncSession, departements: Collection[str] | None, by: str) -> list[dict]:
    """Capacity of the approved managers by their seat's département (or région): global
    (capacity − measures, may be negative), real (places actually left, suspended ones aside),
    over capacity, and managers whose capacity the authority has not set; with the chef-lieu's
    coordinates for a map."""
    key = "d.code" if by == "departement" else "d.region"
    label = "d.name" if by == "departement" else "r.name"
    where = "AND m.departement = ANY(:deps)" if departements is not None else ""
    rows = await session.execute(
        text(
            f"""
            SELECT {key} AS code, {label} AS name, count(*) AS managers,
                   count(*) FILTER (WHERE m.approved_capacity IS NULL) AS managers_without_capacity,
                   coalesce(sum(m.approved_capacity), 0) AS capacity,
                   sum(m.in_progress) AS in_progress, sum(m.reserved) AS reserved,
                   coalesce(sum(m.approved_capacity), 0) - sum(m.in_progress + m.reserved) AS available_global,
                   coalesce(sum(greatest(coalesce(m.approved_capacity, 0) - m.in_progress - m.reserved, 0))
                            FILTER (WHERE NOT m.suspended), 0) AS available_real,
                   sum(greatest(m.in_progress + m.reserved - coalesce(m.approved_capacity, 0), 0))
                       AS over_capacity,
                   count(*) FILTER (WHERE m.in_progress + m.reserved > coalesce(m.approved_capacity, 0))
                       AS managers_over_capacity,
                   count(*) FILTER (WHERE m.suspended) AS managers_suspended,
                   avg(c.latitude) AS latitude, avg(c.longitude) AS longitude
              FROM managers m
              JOIN ref.departements d ON d.code = m.departement
              JOIN ref.regions r ON r.code = d.region
              LEFT JOIN ref.communes c ON c.code = {"d.chef_lieu" if by == "departement" else "r.chef_lieu"}
             WHERE m.registry_status = 'approved' {where}
             GROUP BY {key}, {label} ORDER BY {key}
            """
        ),
        {"deps": list(departements or [])},
    )
    return [dict(r._mapping) for r in rows]


MEASURE_DIMENSIONS = {
    "nature": "ms.nature",
    "manager_kind": "m.kind",
    "departement": "ms.departement",
    "region": "d.region",
}


async def measures_flow(session: AsyncSession, start: dt.date | None, end: dt.date | None,
                        group_by: Sequence[str], departements: Collection[str] | None) -> list[dict]:
    """Measures opened (nomination, or creation for a reservation not yet accepted) and closed
    (end date of an `eteinte` one) within the period, by the dimensions asked."""
    keys = [f"{MEASURE_DIMENSIONS[g]} AS {g}" for g in group_by]
    groups = ", ".join(MEASURE_DIMENSIONS[g] for g in group_by)
    opened = "coalesce(ms.nomination_date, CAST(ms.created_at AT TIME ZONE 'Europe/Paris' AS date))"
    params: dict[str, Any] = {"start": start or dt.date.min, "end": end or dt.date.max,
                              "deps": list(departements or [])}
    rows = await session.execute(
        text(
            f"""
            SELECT {", ".join([*keys, ""])}
                   count(*) FILTER (WHERE {opened} BETWEEN :start AND :end) AS opened,
                   count(*) FILTER (WHERE ms.status = 'eteinte' AND ms.end_date BETWEEN :start AND :end)
                       AS closed
              FROM measures ms
              JOIN managers m ON m.id = ms.manager_id
              LEFT JOIN ref.departements d ON d.code = ms.departement
             WHERE ms.deleted_at IS NULL AND ms.status <> 'annulee'
               {"AND ms.departement = ANY(:deps)" if departements is not None else ""}
               AND ({opened} BETWEEN :start AND :end OR ms.end_date BETWEEN :start AND :end)
             {"GROUP BY " + groups if groups else ""}
             {"ORDER BY " + groups if groups else ""}
            """
        ),
        params,
    )
    return [dict(r._mapping) for r in rows]


async def population(session: AsyncSession, year: int, bands: Sequence[tuple[str, int, int | None]],
                     departements: Collection[str] | None) -> list[dict]:
    """People under a running measure by age band (age reached in `year`) × sex × nature."""
    cases = " ".join(
        f"WHEN :year - ms.birth_year >= {low}" + (f" AND :year - ms.birth_year <= {high}" if high is not None else "")
        + f" THEN '{label}'"
        for label, low, high in bands
    )
    rows = await session.execute(
        text(
            f"""
            SELECT CASE WHEN ms.birth_year IS NULL THEN 'unknown' {cases} ELSE 'unknown' END AS age_band,
                   coalesce(ms.sex, 'unknown') AS sex, coalesce(ms.nature, 'unknown') AS nature,
                   count(*) AS measures
              FROM measures ms
             WHERE ms.status = 'en_cours' AND ms.deleted_at IS NULL
               {"AND ms.departement = ANY(:deps)" if departements is not None else ""}
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """
        ),
        {"year": year, "deps": list(departements or [])},
    )
    return [dict(r._mapping) for r in rows]


# --- Interactions -----------------------------------------------------------------------------


async def managers_of_company(session: AsyncSession, siren: str, siret: str | None) -> list[dict]:
    """Services and individual mandataires registered under this SIRET (or any SIRET of this
    SIREN), with counts of their measures."""
    company = Manager.siret == siret if siret else Manager.siret.like(f"{siren}%")
    live = Measure.deleted_at.is_(None)
    rows = await session.execute(
        select(
            Manager.id, Manager.kind, Manager.siret, Manager.registry_status, Manager.suspended,
            Manager.approved_capacity, Manager.in_progress, Manager.reserved, Manager.created_at,
            select(func.count()).where(Measure.manager_id == Manager.id, live,
                                       Measure.status == MeasureStatus.ETEINTE).scalar_subquery().label("closed"),
            select(func.max(Measure.updated_at)).where(Measure.manager_id == Manager.id, live)
            .scalar_subquery().label("last_change"),
            select(func.count()).where(Approval.manager_id == Manager.id).scalar_subquery().label("departements"),
        ).where(company, Manager.kind.in_(["service", "individuel"])).order_by(Manager.id)
    )
    return [dict(r._mapping) for r in rows]


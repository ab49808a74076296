"""Demo data: courts, managers of the three kinds across several départements (services with
antennas), measures in every state, and the demo accounts of every role.

`populate()` is also what bench/mjpm.py uses at 10,000 managers and a million measures: rows are
generated in Python and written with COPY, the live-measure counters recomputed once at the end.
"""

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import luhn

from services.mjpm.domain.enums import (
    EstablishmentType,
    ExitCause,
    LivingPlace,
    MeasureNature,
    MeasureStatus,
    ProtectionScope,
)

DEMO_PASSWORD = "mjpm-demo-2025"
DEMO_DEPARTEMENTS = ("59", "62", "75", "69", "13", "33")
EDITOR_CLIENT_ID = "6d6a706d-0000-4000-8000-000000000001"  # fixed: the editor's token `sub`


def _account(key: str, name: str, roles: list[str], scopes: Sequence[str] = ("mjpm:read", "mjpm:write")) -> dict:
    return {"username": f"mjpm.{key}", "password": DEMO_PASSWORD, "name": name,
            "email": f"mjpm.{key}@demo.fabrique.gouv.fr", "roles": roles, "scopes": list(scopes),
            "sub": f"mjpm-demo-{key}"}


DEMO_ACCOUNTS = [
    _account("judge", "Juge des tutelles (TJ de Lille)", ["mjpm:judge"]),
    _account("clerk", "Greffier (TJ de Lille)", ["mjpm:clerk"]),
    _account("manager", "Mandataire individuel (Nord)", ["mjpm:manager"]),
    _account("prepose", "Mandataire préposé (Nord)", ["mjpm:manager"]),
    _account("service-admin", "Administrateur d'un service mandataire (Nord)", ["mjpm:service_admin"]),
    _account("service-staff", "Délégué d'un service mandataire (Nord)", ["mjpm:manager"]),
    _account("agent", "Agent de l'État (DDETS du Nord)", ["mjpm:state_agent"]),
    _account("ministry", "Ministère (DGCS), statistiques", ["mjpm:report"], ["mjpm:report"]),
    _account("admin", "Administrateur eMJPM", ["mjpm:admin"]),
]
# A management software syncing the demo service's measures (client credentials). The gateway
# seeds clients from here with this id, so its tokens carry `sub` = EDITOR_CLIENT_ID.
DEMO_CLIENTS = [
    {"id": EDITOR_CLIENT_ID, "name": "mjpm-demo-editor", "secret": "mjpm-demo-editor-secret",
     "scopes": ["mjpm:measures:read", "mjpm:measures:write"], "roles": []},
]

NATURES = [n.value for n in MeasureNature]
NATURE_WEIGHTS = [30, 12, 35, 8, 4, 2, 3, 3, 3]
STATUS_WEIGHTS = {MeasureStatus.EN_COURS: 58, MeasureStatus.EN_ATTENTE: 8, MeasureStatus.ETEINTE: 26,
                  MeasureStatus.ANNULEE: 8}
MEASURE_COLUMNS = ["id", "rg", "court_id", "manager_id", "antenna_id", "status", "nature", "champ", "living_place",
                   "establishment_type", "sex", "birth_year", "commune_code", "departement", "residence_country",
                   "judgment_date", "nomination_date", "first_measure_date", "end_date", "urgent", "exit_cause",
                   "status_changed_at", "created_at", "updated_at", "version"]
STATE_COLUMNS = ["measure_id", "action", "status", "date", "at", "actor"]


@dataclass
class Place:
    code: str
    departement: str
    lat: float
    lon: float


async def _next_ids(session: AsyncSession, table: str, n: int) -> list[int]:
    rows = await session.execute(text(f"SELECT nextval(pg_get_serial_sequence('mjpm.{table}', 'id')) "
                                      "FROM generate_series(1, :n)"), {"n": n})
    return list(rows.scalars())


async def _places(session: AsyncSession, departements: Sequence[str], per_departement: int) -> dict[str, list[Place]]:
    rows = await session.execute(text(
        "SELECT code, departement, latitude, longitude FROM (SELECT *, row_number() OVER (PARTITION BY departement "
        "ORDER BY population DESC NULLS LAST) AS rank FROM ref.communes WHERE departement = ANY(:d) "
        "AND latitude IS NOT NULL) c WHERE rank <= :n"), {"d": list(departements), "n": per_departement})
    places: dict[str, list[Place]] = {}
    for r in rows:
        places.setdefault(r.departement, []).append(Place(r.code, r.departement, r.latitude, r.longitude))
    return places


def _with_key(prefix: str) -> str:
    return prefix + luhn.calc_check_digit(prefix)


def _siret(rng: random.Random) -> str:
    """A valid SIRET: a SIREN with its Luhn key, an establishment number, the whole keyed again."""
    return _with_key(_with_key(f"{rng.randrange(10_000_000, 99_999_999)}") + f"{rng.randrange(1, 9999):04d}")


def _finess(rng: random.Random, departement: str) -> str:
    return _with_key((departement if departement.isdigit() else "20")[:2] + f"{rng.randrange(0, 999_999):06d}")


async def populate(session: AsyncSession, *, managers: int, measures: int,
                   departements: Sequence[str] = DEMO_DEPARTEMENTS, seed: int = 6,
                   courts_per_departement: int = 3) -> dict[str, list[int]]:
    """Write courts, `managers` managers spread over `departements`, their antennas and approvals,
    and `measures` measures in every state, with COPY. Returns the ids written by kind."""
    rng = random.Random(seed)
    # A million rows take longer than the service's statement timeout, which guards requests.
    await session.execute(text("SET LOCAL statement_timeout = 0"))
    today = dt.date.today()
    now = dt.datetime.now(dt.UTC)
    places = await _places(session, departements, 60)
    raw = await (await session.connection()).get_raw_connection()
    conn = raw.driver_connection

    court_ids = await _next_ids(session, "courts", courts_per_departement * len(departements))
    courts_of: dict[str, list[int]] = {}
    court_rows = []
    ids = iter(court_ids)
    for dep in departements:
        for n, place in enumerate(places[dep][:courts_per_departement]):
            court_id = next(ids)
            courts_of.setdefault(dep, []).append(court_id)
            court_rows.append((court_id, _siret(rng), f"Tribunal judiciaire {dep}-{n + 1}", place.code, dep))
    await conn.copy_records_to_table("courts", schema_name="mjpm", records=court_rows,
                                     columns=["id", "siret", "name", "commune_code", "departement"])

    manager_ids = await _next_ids(session, "managers", managers)
    manager_rows, approval_rows, antenna_rows, preferred_rows = [], [], [], []
    by_departement: dict[str, list[int]] = {}
    approved: list[tuple[int, str]] = []
    antennas_of: dict[int, list[int]] = {}
    services: list[int] = []
    for n, manager_id in enumerate(manager_ids):
        dep = departements[n % len(departements)]
        place = rng.choice(places[dep])
        kind = rng.choices(["individuel", "prepose", "service"], [60, 15, 25])[0]
        roll = rng.random()
        status, suspended = ("approved", False)
        if roll < 0.05:
            status = "pending"
        elif roll < 0.08:
            status = "rejected"
        elif roll < 0.10:
            suspended = True
        capacity = rng.randrange(15, 90) if kind != "service" else rng.randrange(80, 400)
        approved_capacity = None if status != "approved" or rng.random() < 0.03 else capacity
        name = {"individuel": f"Mandataire {manager_id}", "prepose": f"Préposé {manager_id}",
                "service": f"Service mandataire {manager_id}"}[kind]
        manager_rows.append((
            manager_id, kind, name, _siret(rng) if kind != "prepose" else None,
            _finess(rng, dep) if kind == "prepose" else None, f"contact{manager_id}@demo.fabrique.gouv.fr",
            place.code, dep, place.lat + rng.uniform(-0.01, 0.01), place.lon + rng.uniform(-0.01, 0.01),
            capacity, approved_capacity, status, now if status != "pending" else None,
            "demo" if status != "pending" else None, "dossier incomplet" if status == "rejected" else None,
            suspended, "contrôle en cours" if suspended else None, now, now, 1))
        if status == "approved":
            approval_rows.append((manager_id, dep, dep, "demo"))
            if rng.random() < 0.15:  # also on a neighbouring département's list
                other = departements[(n + 1) % len(departements)]
                approval_rows.append((manager_id, other, dep, "demo"))
            approved.append((manager_id, dep))
            by_departement.setdefault(dep, []).append(manager_id)
        if kind == "service":
            services.append(manager_id)
        if rng.random() < 0.3:
            preferred_rows.append((manager_id, rng.choice(courts_of[dep])))
        if kind == "service":
            for _ in range(rng.randrange(1, 4)):
                antenna = rng.choice(places[dep])
                antenna_rows.append((manager_id, f"Antenne {antenna.code}", antenna.code, antenna.lat, antenna.lon,
                                     rng.randrange(10, 80)))
    await conn.copy_records_to_table("managers", schema_name="mjpm", records=manager_rows, columns=[
        "id", "kind", "name", "siret", "finess", "email", "commune_code", "departement", "latitude", "longitude",
        "capacity", "approved_capacity", "registry_status", "decided_at", "decided_by", "decision_reason",
        "suspended", "suspension_reason", "created_at", "updated_at", "version"])
    await conn.copy_records_to_table("approvals", schema_name="mjpm", records=approval_rows,
                                     columns=["manager_id", "departement", "financing_departement", "approved_by"])
    await conn.copy_records_to_table("preferred_courts", schema_name="mjpm", records=preferred_rows,
                                     columns=["manager_id", "court_id"])
    antenna_ids = await _next_ids(session, "antennas", len(antenna_rows))
    await conn.copy_records_to_table("antennas", schema_name="mjpm",
                                     records=[(i, *row, 1) for i, row in zip(antenna_ids, antenna_rows, strict=True)],
                                     columns=["id", "manager_id", "name", "commune_code", "latitude", "longitude",
                                              "capacity", "version"])
    for i, row in zip(antenna_ids, antenna_rows, strict=True):
        antennas_of.setdefault(row[0], []).append(i)

    # Measures: the live-measure trigger would update a manager row per measure; off during COPY,
    # the counters are recomputed once after.
    await session.execute(text("ALTER TABLE measures DISABLE TRIGGER measures_count_live"))
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    chunk = 50_000
    written = 0
    while written < measures:
        n = min(chunk, measures - written)
        measure_ids = await _next_ids(session, "measures", n)
        rows, states = [], []
        for measure_id in measure_ids:
            manager_id, dep = approved[rng.randrange(len(approved))]
            status = rng.choices(statuses, weights)[0]
            place = rng.choice(places[dep])
            living = rng.choices([p.value for p in LivingPlace], [70, 22, 5, 3])[0]
            establishment = (rng.choice([e.value for e in EstablishmentType])
                             if living in ("etablissement", "etablissement_conservation_domicile") else None)
            judgment = today - dt.timedelta(days=rng.randrange(0, 15 * 365))
            nomination = judgment + dt.timedelta(days=rng.randrange(0, 30))
            if status == MeasureStatus.EN_ATTENTE:
                nomination = None
                changed_at = now - dt.timedelta(days=rng.randrange(0, 55), hours=rng.randrange(0, 24))
            else:
                changed_at = dt.datetime.combine(nomination, dt.time(10), dt.UTC)
            end = None
            exit_cause = None
            if status == MeasureStatus.ETEINTE:
                end = min(today - dt.timedelta(days=1), nomination + dt.timedelta(days=rng.randrange(30, 3650)))
                exit_cause = rng.choice([c.value for c in ExitCause])
                changed_at = dt.datetime.combine(end, dt.time(10), dt.UTC)
            elif status == MeasureStatus.EN_COURS and rng.random() < 0.3:
                end = today + dt.timedelta(days=rng.randrange(1, 3650))
            antenna = rng.choice(antennas_of[manager_id]) if manager_id in antennas_of and rng.random() < 0.6 else None
            rg = f"{(judgment.year % 100):02d}{measure_id:06d}"[-8:].rjust(8, "0")
            rows.append((
                measure_id, rg, rng.choice(courts_of[dep]), manager_id, antenna, status.value,
                rng.choices(NATURES, NATURE_WEIGHTS)[0], rng.choice([c.value for c in ProtectionScope]), living,
                establishment, rng.choice(["F", "H"]), rng.randrange(1925, today.year - 18), place.code, dep, "FR",
                judgment, nomination, nomination, end, rng.random() < 0.05, exit_cause, changed_at, changed_at,
                changed_at, 1))
            reserved_first = status in (MeasureStatus.EN_ATTENTE, MeasureStatus.ANNULEE)
            action, first_status = ("reserve", "en_attente") if reserved_first else ("record", "en_cours")
            states.append((measure_id, action, first_status, nomination or changed_at.date(), changed_at, "seed"))
            if status == MeasureStatus.ETEINTE:
                states.append((measure_id, "close", "eteinte", end, changed_at, "seed"))
            elif status == MeasureStatus.ANNULEE:
                states.append((measure_id, "withdraw", "annulee", changed_at.date(), changed_at, "seed"))
        await conn.copy_records_to_table("measures", schema_name="mjpm", records=rows, columns=MEASURE_COLUMNS)
        await conn.copy_records_to_table("measure_states", schema_name="mjpm", records=states, columns=STATE_COLUMNS)
        written += n
    await session.execute(text("ALTER TABLE measures ENABLE TRIGGER measures_count_live"))
    await recount_live_measures(session)
    return {"courts": court_ids, "managers": manager_ids, "services": services,
            "approved": [m for m, _ in approved]}


async def recount_live_measures(session: AsyncSession) -> None:
    """Set every manager's counters from its measures (after a COPY with the trigger off)."""
    await session.execute(text(
        "UPDATE managers m SET in_progress = coalesce(c.in_progress, 0), reserved = coalesce(c.reserved, 0) "
        "FROM managers m2 LEFT JOIN (SELECT manager_id, count(*) FILTER (WHERE status = 'en_cours') AS in_progress, "
        "count(*) FILTER (WHERE status = 'en_attente') AS reserved FROM measures WHERE deleted_at IS NULL "
        "GROUP BY manager_id) c ON c.manager_id = m2.id WHERE m.id = m2.id"))


async def seed(session: AsyncSession) -> None:
    ids = await populate(session, managers=500, measures=20_000)
    lille = ids["courts"][0]  # the first court of the Nord
    nord = await session.execute(text(
        "SELECT id, kind FROM managers WHERE departement = '59' AND registry_status = 'approved' AND NOT suspended "
        "ORDER BY id"))
    first_of = {}
    for manager_id, kind in nord:
        first_of.setdefault(kind, manager_id)
    links = [
        ("mjpm-demo-judge", lille, None, None),
        ("mjpm-demo-clerk", lille, None, None),
        ("mjpm-demo-manager", None, first_of["individuel"], None),
        ("mjpm-demo-prepose", None, first_of["prepose"], None),
        ("mjpm-demo-service-admin", None, first_of["service"], None),
        ("mjpm-demo-service-staff", None, first_of["service"], None),
        (EDITOR_CLIENT_ID, None, first_of["service"], None),
        ("mjpm-demo-agent", None, None, "59"),
    ]
    await session.execute(text("INSERT INTO memberships (sub, court_id, manager_id, departement) "
                               "VALUES (:sub, :court, :manager, :dep)"),
                          [{"sub": s, "court": c, "manager": m, "dep": d} for s, c, m, d in links])

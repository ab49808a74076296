"""Factories and callers for the mjpm tests: data straight through the ORM on the test's
connection (rolled back after each test), requests through the kit's ASGI client."""

import datetime as dt
import itertools

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import luhn

from services.mjpm.models import Antenna, Approval, Court, Manager, Measure, MeasureState, Membership, PreferredCourt

READ_WRITE = ["mjpm:read", "mjpm:write"]
_numbers = itertools.count(1)

# Commune centres used by the tests (ref.communes): Lille, Roubaix, Dunkerque (59 Nord),
# Arras (62 Pas-de-Calais), Paris 1er (75).
LILLE, ROUBAIX, DUNKERQUE, ARRAS, PARIS = "59350", "59512", "59183", "62041", "75101"


def luhn_complete(prefix: str) -> str:
    return prefix + luhn.calc_check_digit(prefix)


def new_siret() -> str:
    """A valid SIRET: a valid SIREN, then an establishment number, the whole passing Luhn too."""
    n = next(_numbers)
    return luhn_complete(luhn_complete(f"{13000000 + n:08d}") + f"{n % 10000:04d}")


@pytest.fixture
async def db(connection_for):
    session = AsyncSession(bind=await connection_for("mjpm"), join_transaction_mode="create_savepoint",
                           expire_on_commit=False)
    yield session
    await session.close()


@pytest.fixture
async def mjpm(client_for):
    return await client_for("mjpm")


@pytest.fixture
def as_role(auth):
    def headers(sub: str, *roles: str, scopes=READ_WRITE) -> dict[str, str]:
        return auth(sub, scopes=list(scopes), roles=[f"mjpm:{r}" for r in roles])

    return headers


class Factory:
    """Builds rows with sensible defaults; every method flushes so requests see them."""

    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, row):
        self.session.add(row)
        await self.session.flush()
        return row

    async def court(self, departement="59", commune_code=LILLE, **values) -> Court:
        return await self.add(Court(siret=new_siret(), name=f"Tribunal judiciaire {next(_numbers)}",
                                    departement=departement, commune_code=commune_code, **values))

    async def manager(self, *, kind="individuel", departement="59", commune_code=LILLE, lat=50.6311, lon=3.0468,
                      approved_capacity=10, status="approved", approved_in=None, suspended=False,
                      suspension_reason=None, preferred=(), **values) -> Manager:
        manager = await self.add(Manager(
            kind=kind, name=values.pop("name", f"Mandataire {next(_numbers)}"),
            siret=values.pop("siret", new_siret() if kind != "prepose" else None),
            finess=values.pop("finess", None), commune_code=commune_code, departement=departement, latitude=lat,
            longitude=lon, capacity=values.pop("capacity", approved_capacity), approved_capacity=approved_capacity,
            registry_status=status, suspended=suspended, suspension_reason=suspension_reason, **values))
        for dep in ([departement] if approved_in is None and status == "approved" else approved_in or []):
            await self.add(Approval(manager_id=manager.id, departement=dep, financing_departement=dep,
                                    approved_by="agent"))
        for court in preferred:
            await self.add(PreferredCourt(manager_id=manager.id, court_id=court.id))
        return manager

    async def antenna(self, manager: Manager, lat: float, lon: float, commune_code=ROUBAIX, **values) -> Antenna:
        return await self.add(Antenna(manager_id=manager.id, name=values.pop("name", "Antenne"),
                                      commune_code=commune_code, latitude=lat, longitude=lon, **values))

    async def member(self, sub: str, *, court=None, manager=None, departement=None) -> Membership:
        return await self.add(Membership(sub=sub, court_id=court.id if court else None,
                                         manager_id=manager.id if manager else None, departement=departement))

    async def measure(self, court: Court, manager: Manager, status="en_cours", rg=None, **values) -> Measure:
        nomination = values.pop("nomination_date", None if status == "en_attente" else dt.date(2024, 1, 10))
        measure = await self.add(Measure(
            rg=rg or f"{next(_numbers):08d}", court_id=court.id, manager_id=manager.id, status=status,
            nature=values.pop("nature", "tutelle"), nomination_date=nomination,
            status_changed_at=values.pop("status_changed_at", dt.datetime.now(dt.UTC)),
            departement=values.pop("departement", court.departement), **values))
        await self.add(MeasureState(measure_id=measure.id, action="record", status=status,
                                    date=nomination or dt.date.today(), actor="factory"))
        return measure


@pytest.fixture
def make(db) -> Factory:
    return Factory(db)


@pytest.fixture
async def world(make):
    """Two courts of the Nord, a judge and a clerk in the first, a judge in the second; an approved
    individual manager and a service in the Nord, each with its account; a State agent of the Nord."""
    lille, douai = await make.court(), await make.court(commune_code="59178")
    individual = await make.manager(name="Claire Martin")
    service = await make.manager(kind="service", name="ATMP Nord", approved_capacity=50)
    await make.member("judge-lille", court=lille)
    await make.member("clerk-lille", court=lille)
    await make.member("judge-douai", court=douai)
    await make.member("mandataire-martin", manager=individual)
    await make.member("admin-atmp", manager=service)
    await make.member("agent-nord", departement="59")
    return type("World", (), {"lille": lille, "douai": douai, "individual": individual, "service": service})

"""The clocks: reservations expire after 2 calendar months, measures close past their end date."""

import asyncio
import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from services.mjpm import repository
from services.mjpm.app import create_app
from services.mjpm.domain.measures import is_expired
from services.mjpm.jobs import INTERVAL_ENV, run_jobs
from shared.database import service_url
from shared.testing import empty_schema, engine_for
from tests.mjpm.conftest import Factory

PARIS = dt.timezone(dt.timedelta(hours=1))  # winter time in Paris


@pytest.fixture
def jobs(connection_for):
    async def run(day: dt.date) -> dict[str, int]:
        sessionmaker = async_sessionmaker(bind=await connection_for("mjpm"), expire_on_commit=False,
                                          join_transaction_mode="create_savepoint")
        return await run_jobs(sessionmaker, day)

    return run


async def status_of(db, measure) -> tuple[str, str | None]:
    row = (await db.execute(text("SELECT status, exit_cause FROM measures WHERE id = :id"), {"id": measure.id})).one()
    return tuple(row)


@pytest.mark.parametrize(
    ("reserved_at", "last_day_waiting", "first_day_expired"),
    [
        (dt.datetime(2025, 1, 15, 10, 0, tzinfo=PARIS), dt.date(2025, 3, 14), dt.date(2025, 3, 15)),
        # Reserved late on 31 December in Paris (already 1 January? no: 22:30 UTC is 23:30 in Paris).
        (dt.datetime(2024, 12, 31, 23, 30, tzinfo=PARIS), dt.date(2025, 2, 27), dt.date(2025, 2, 28)),
    ],
)
async def test_a_reservation_expires_two_calendar_months_after_it_was_made(
        db, make, world, jobs, reserved_at, last_day_waiting, first_day_expired):
    measure = await make.measure(world.lille, world.individual, status="en_attente", status_changed_at=reserved_at)
    assert await jobs(last_day_waiting) == {"expired": 0, "closed": 0}
    assert await status_of(db, measure) == ("en_attente", None)
    assert not is_expired(measure, last_day_waiting) and is_expired(measure, first_day_expired)

    assert await jobs(first_day_expired) == {"expired": 1, "closed": 0}
    assert await status_of(db, measure) == ("annulee", None)
    state = (await db.execute(text("SELECT action, date, actor FROM measure_states WHERE measure_id = :id "
                                   "ORDER BY id DESC LIMIT 1"), {"id": measure.id})).one()
    assert tuple(state) == ("expire", first_day_expired, "mjpm:jobs")
    audited = await db.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'expire' AND resource_id = :id"),
                              {"id": str(measure.id)})
    assert audited == 1
    reserved = await db.scalar(text("SELECT reserved FROM managers WHERE id = :id"), {"id": world.individual.id})
    assert reserved == 0


async def test_a_measure_closes_the_day_after_its_end_date(db, make, world, jobs):
    lapsing = await make.measure(world.lille, world.individual, end_date=dt.date(2025, 3, 1))
    decided = await make.measure(world.lille, world.individual, end_date=dt.date(2025, 3, 1), exit_cause="deces")
    open_ended = await make.measure(world.lille, world.individual)
    assert await jobs(dt.date(2025, 3, 1)) == {"expired": 0, "closed": 0}
    assert await jobs(dt.date(2025, 3, 2)) == {"expired": 0, "closed": 2}
    assert await status_of(db, lapsing) == ("eteinte", "caducite")
    assert await status_of(db, decided) == ("eteinte", "deces")
    assert await status_of(db, open_ended) == ("en_cours", None)
    dates = (await db.execute(text("SELECT DISTINCT date FROM measure_states WHERE action = 'close'"))).scalars()
    assert list(dates) == [dt.date(2025, 3, 1)]


async def test_the_service_process_runs_the_jobs_on_a_schedule(prepared_database, keyset, monkeypatch):
    monkeypatch.setenv(INTERVAL_ENV, "0.05")
    sessionmaker = async_sessionmaker(await engine_for("mjpm"), expire_on_commit=False)
    try:
        async with AsyncSession(await engine_for("mjpm"), expire_on_commit=False) as session:
            make = Factory(session)
            court, manager = await make.court(), await make.manager()
            old = await make.measure(court, manager, status="en_attente",
                                     status_changed_at=repository.now() - dt.timedelta(days=70))
            await session.commit()
        app = create_app()
        app.state.sessionmaker, app.state.keyset = sessionmaker, keyset
        status = None
        async with app.router.lifespan_context(app):
            for _ in range(200):
                async with sessionmaker() as session:
                    status = await session.scalar(text("SELECT status FROM measures WHERE id = :id"), {"id": old.id})
                if status == "annulee":
                    break
                await asyncio.sleep(0.05)
        assert status == "annulee"
    finally:
        await empty_schema("mjpm")


def test_the_jobs_run_from_the_command_line(prepared_database):
    from typer.testing import CliRunner

    from services.mjpm.cli import app

    async def setup() -> int:
        engine = create_async_engine(service_url("mjpm"))
        async with AsyncSession(engine, expire_on_commit=False) as session:
            make = Factory(session)
            court, manager = await make.court(), await make.manager()
            old = await make.measure(court, manager, status="en_attente",
                                     status_changed_at=dt.datetime(2025, 1, 2, 12, tzinfo=dt.UTC))
            await make.measure(court, manager, end_date=dt.date(2025, 3, 1))
            await session.commit()
        await engine.dispose()
        return old.id

    async def status_now(measure_id: int) -> str:
        engine = create_async_engine(service_url("mjpm"))
        async with engine.connect() as conn:
            status = await conn.scalar(text("SELECT status FROM measures WHERE id = :id"), {"id": measure_id})
        await engine.dispose()
        return status

    try:
        measure_id = asyncio.run(setup())
        result = CliRunner().invoke(app, ["jobs", "run", "--today", "2025-03-02"])
        assert result.exit_code == 0, result.output
        assert "expired 1 reservation(s), closed 1 measure(s)" in result.output
        assert asyncio.run(status_now(measure_id)) == "annulee"
    finally:
        asyncio.run(empty_schema("mjpm"))

"""The clocks of eMJPM: reservations expire after 2 months, measures close past their end date.

Run by `fabrique mjpm jobs run`, and by every service process on a schedule (the SQL takes an
advisory lock, so replicas never do the work twice)."""

import asyncio
import datetime as dt
import os

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.mjpm import repository

log = structlog.get_logger("mjpm.jobs")
INTERVAL_ENV = "FABRIQUE_MJPM_JOBS_INTERVAL_S"
DEFAULT_INTERVAL_S = 3600.0


async def run_jobs(sessionmaker: async_sessionmaker[AsyncSession], day: dt.date | None = None) -> dict[str, int]:
    day = day or repository.today()
    async with sessionmaker() as session, session.begin():
        expired = await repository.expire_reservations(session, day)
        closed = await repository.close_past_end(session, day)
    return {"expired": expired, "closed": closed}


async def run_periodically(app: FastAPI) -> None:
    """Started by the kit for the life of the service process (create_service_app(background=...))."""
    interval_s = float(os.environ.get(INTERVAL_ENV, DEFAULT_INTERVAL_S))
    if interval_s <= 0:
        return
    while True:
        try:
            done = await run_jobs(app.state.sessionmaker)
            if any(done.values()):
                log.info("mjpm jobs", **done)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed run is logged and retried at the next tick
            log.exception("mjpm jobs failed")
        await asyncio.sleep(interval_s)

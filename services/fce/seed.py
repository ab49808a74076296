"""Demo data for `fabrique run`: a synthetic SIRENE stock of 50,000 establishments, imported the
way INSEE's files are, and the demo accounts of each fce role."""

import tempfile
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.fce.cli import generate_files
from services.fce.repository.imports import import_stock

ESTABLISHMENTS = 50_000
SEED = 2026

DEMO_ACCOUNTS = [
    {"username": "agent.fce", "password": "agent-fce-demo", "name": "Claire Agent (DREETS)",
     "email": "agent.fce@example.gouv.fr", "roles": ["fce:agent"], "scopes": ["fce:read", "fce:write"],
     "sub": "fce-demo-agent"},
    {"username": "admin.fce", "password": "admin-fce-demo", "name": "Alain Admin (FCE)",
     "email": "admin.fce@example.gouv.fr", "roles": ["fce:admin"], "scopes": ["fce:read", "fce:write"],
     "sub": "fce-demo-admin"},
    {"username": "report.fce", "password": "report-fce-demo", "name": "Rémi Rapport (ministère)",
     "email": "report.fce@example.gouv.fr", "roles": ["fce:report"], "scopes": ["fce:read"],
     "sub": "fce-demo-report"},
]


async def seed(session: AsyncSession, establishments: int = ESTABLISHMENTS) -> None:
    # One process: the generator's worker pool would fork a service process (see generator.py).
    with tempfile.TemporaryDirectory(prefix="fce-seed-") as directory:
        files = generate_files(Path(directory), establishments, SEED, workers=1)
        # A first statement opens the seeding transaction on the server: the import joins it.
        await session.execute(text("SELECT 1"))
        raw = await (await session.connection()).get_raw_connection()
        await import_stock(raw.driver_connection, companies=files.companies, establishments=files.establishments,
                           successions=files.successions, actor="fabrique seed")

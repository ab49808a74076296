"""`fabrique medle ...`: maintenance of the report rollups."""

import asyncio

import typer
from rich.console import Console
from sqlalchemy import text

app = typer.Typer(help="Medlé: forensic-medicine activity.", no_args_is_help=True)
console = Console()


@app.command("rebuild-rollups")
def rebuild_rollups() -> None:
    """Recount the monthly rollups the reports read (act_counts, pv_counts) from the acts.

    The triggers keep them exact; this is for after a manual repair of the acts table."""
    from shared.database import service_url
    from shared.db import create_engine

    async def run() -> tuple[int, int]:
        engine = create_engine(service_url("medle"), pool_size=1)
        try:
            async with engine.begin() as conn:
                await conn.execute(text("SET LOCAL statement_timeout = '30min'"))
                await conn.execute(text("SELECT medle.rebuild_act_rollups()"))
                cells = await conn.scalar(text("SELECT count(*) FROM medle.act_counts"))
                pvs = await conn.scalar(text("SELECT count(*) FROM medle.pv_counts"))
                return cells, pvs
        finally:
            await engine.dispose()

    with console.status("recounting"):
        cells, pvs = asyncio.run(run())
    console.print(f"[green]rebuilt[/] {cells:,} monthly cells and {pvs:,} PV counts")

"""`fabrique mjpm ...`: the scheduled jobs, by hand."""

import asyncio
import datetime as dt

import typer

app = typer.Typer(help="mjpm: registry of protection mandataires and their measures.", no_args_is_help=True)
jobs_app = typer.Typer(help="The clocks: expire reservations, close measures past their end.",
                       no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("run")
def run(day: str = typer.Option(None, "--today", help="the day to run for (YYYY-MM-DD); today in Paris")) -> None:
    """Expire `en_attente` measures older than 2 months; close `en_cours` ones past their end date."""
    from services.mjpm.jobs import run_jobs
    from shared.database import service_url
    from shared.db import create_engine, sessionmaker_for

    async def main() -> dict[str, int]:
        engine = create_engine(service_url("mjpm"), pool_size=1)
        try:
            return await run_jobs(sessionmaker_for(engine), dt.date.fromisoformat(day) if day else None)
        finally:
            await engine.dispose()

    done = asyncio.run(main())
    typer.echo(f"expired {done['expired']} reservation(s), closed {done['closed']} measure(s)")

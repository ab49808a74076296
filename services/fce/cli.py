"""`fabrique fce ...`: import INSEE's stock files, generate synthetic ones."""

import asyncio
import csv
import time
from pathlib import Path

import asyncpg
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from services.fce.domain.generator import GeneratedFiles, write_next_month, write_sirene_files
from services.fce.repository.imports import ImportBusy, ImportSummary, import_stock
from shared.referentials import DATA_DIR

app = typer.Typer(help="fce: the SIRENE company registry.", no_args_is_help=True)
console = Console()
# Paris, Lyon and Marseille are in SIRENE by arrondissement, never as the whole city.
CITIES_BY_ARRONDISSEMENT = frozenset({"75056", "69123", "13055"})


@app.command("import-sirene")
def import_sirene(
    unites: Path = typer.Option(..., "--unites", exists=True, dir_okay=False, help="StockUniteLegale_utf8.csv"),
    etablissements: Path = typer.Option(..., "--etablissements", exists=True, dir_okay=False,
                                        help="StockEtablissement_utf8.csv"),
    successions: Path | None = typer.Option(None, "--successions", exists=True, dir_okay=False,
                                            help="StockEtablissementLiensSuccession_utf8.csv"),
    rebuild: bool = typer.Option(False, "--rebuild",
                                 help="make every row again, even if only a few lines changed since the last import"),
) -> None:
    """Replace the registry with INSEE's stock files (atomically; safe to repeat). After the first
    import, a month's files go in as changes: only the lines that changed reach the database."""
    from shared.database import asyncpg_dsn, service_url

    async def run() -> ImportSummary:
        conn = await asyncpg.connect(asyncpg_dsn(service_url("fce")))
        try:
            summary = await load(conn, unites, etablissements, successions, console, rebuild=rebuild)
            with console.status("vacuuming the new tables"):
                for table in ("companies", "establishments", "successions", "name_words"):
                    await conn.execute(f"VACUUM fce.{table}")
            return summary
        finally:
            await conn.close()

    try:
        asyncio.run(run())
    except (ImportBusy, ValueError) as problem:
        console.print(f"[red]{problem}[/]")
        raise typer.Exit(1) from None


async def load(conn, unites: Path, etablissements: Path, successions: Path | None, out: Console,
               rebuild: bool = False) -> ImportSummary:
    """The import with a progress bar per file and a summary table; in `conn`'s transaction if any."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  TimeElapsedColumn(), console=out, transient=False) as bars:
        tasks: dict[str, int] = {}
        status = bars.add_task("preparing", total=None)

        def progress(step: str, done: int | None, total: int | None) -> None:
            if done is None:
                bars.update(status, description=step)
                return
            if step not in tasks:
                tasks[step] = bars.add_task(step, total=total)
            bars.update(tasks[step], completed=done)

        summary = await import_stock(conn, companies=unites, establishments=etablissements,
                                     successions=successions, progress=progress, rebuild=rebuild)
        bars.update(status, description="done", total=1, completed=1)
    out.print(summary_table(summary))
    for dataset in summary.datasets:
        for reason, count in dataset.reasons[:5]:
            out.print(f"  [yellow]{dataset.dataset}[/] rejected {count:,} × {reason}")
    out.print(f"{sum(d.rows_read for d in summary.datasets):,} rows in {summary.seconds:.1f} s "
              f"({summary.rows_per_second():,.0f} rows/s)")
    return summary


def summary_table(summary: ImportSummary) -> Table:
    table = Table(title=f"SIRENE import ({summary.datasets[0].method})" if summary.datasets else "SIRENE import")
    for column in ("file", "as of", "read", "inserted", "updated", "unchanged", "removed", "rejected"):
        table.add_column(column, justify="left" if column in ("file", "as of") else "right")
    for d in summary.datasets:
        table.add_row(d.file_name, str(d.as_of or ""), *(f"{n:,}" for n in (
            d.rows_read, d.inserted, d.updated, d.unchanged, d.removed, d.rejected)))
    return table


def referential_inputs() -> tuple[list[tuple[str, str, str]], list[float], list[str]]:
    """Real communes (code, name, first postcode) with their populations, and NAF rev. 2 sub-classes,
    from the referential files of the kit."""
    communes, weights = [], []
    with open(DATA_DIR / "communes.csv", encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            if row["code"] in CITIES_BY_ARRONDISSEMENT or not row["postcodes"]:
                continue
            communes.append((row["code"], row["name"], row["postcodes"].split()[0]))
            weights.append(float(row["population"] or 1))
    with open(DATA_DIR / "naf.csv", encoding="utf-8", newline="") as rows:
        naf_codes = [row["code"] for row in csv.DictReader(rows) if len(row["code"]) == 6]
    return communes, weights, naf_codes


def generate_files(out: Path, establishments: int, seed: int = 2026, workers: int | None = 1, on_progress=None):
    communes, weights, naf_codes = referential_inputs()
    return write_sirene_files(out, establishments, seed, communes, naf_codes, commune_weights=weights,
                              workers=workers, on_progress=on_progress)


def generate_next_month(previous: GeneratedFiles, out: Path, seed: int = 2026) -> GeneratedFiles:
    """The same stock a month later (a few % of lines changed, closed, removed or new)."""
    communes, weights, naf_codes = referential_inputs()
    return write_next_month(previous, out, seed, communes, naf_codes, commune_weights=weights)


@app.command()
def generate(
    establishments: int = typer.Option(..., "--establishments", min=1, help="how many establishments"),
    out: Path = typer.Option(..., "--out", file_okay=False, help="directory for the three files"),
    seed: int = typer.Option(2026, help="same seed, same files"),
    workers: int = typer.Option(0, help="processes (0: one per core)"),
) -> None:
    """Write synthetic SIRENE stock files in INSEE's exact format (valid identifiers, real communes and NAF codes)."""
    started = time.perf_counter()
    with Progress(TextColumn("generating"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
                  TimeElapsedColumn(), console=console) as bars:
        task = bars.add_task("generating", total=establishments)
        files = generate_files(out, establishments, seed, workers or None,
                               on_progress=lambda done: bars.update(task, completed=done))
    elapsed = time.perf_counter() - started
    console.print(f"{files.company_count:,} companies, {files.establishment_count:,} establishments, "
                  f"{files.succession_count:,} successions in {elapsed:.1f} s → {out}")
    for path in (files.companies, files.establishments, files.successions):
        console.print(f"  {path}")

"""Loading INSEE's stock files into the registry, at COPY speed and atomically.

1. Each file is COPYed as it is into an UNLOGGED staging table of text columns (a row of the
   wrong width makes PostgreSQL refuse the whole COPY: the file is then streamed again through
   Python's csv reader, which sets such rows aside with their line).
2. The rows are checked and shaped in SQL (repository/sirene_sql.py, the domain's normalisers in
   SQL) into new tables beside the live ones; rejected rows go to import_rejections with reasons.
3. The new tables get the live ones' indexes, are compared with them (inserted, updated,
   removed), then take their place by renaming, all in the caller's transaction: readers see the
   old registry until the commit and the new one after, never a mix.

Importing the same files again gives the same registry (every row "unchanged").
"""

import asyncio
import csv
import datetime as dt
import io
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from services.fce.domain.sirene import check_header
from services.fce.repository import sirene_sql
from services.fce.repository.sirene_sql import (
    COMPANIES,
    ESTABLISHMENTS,
    SCHEMA,
    SUCCESSIONS,
    VOCABULARY_SELECT,
    Dataset,
    ident,
)

IMPORT_LOCK = 7_270_101  # pg advisory lock: one import at a time
CHUNK_BYTES = 1 << 20
# Per-transaction settings of a bulk load: big sorts in memory (at 11 million rows an index's keys
# take about 1 GB to sort), both cores on index builds,
# hash joins (the planner would otherwise probe the communes' index 11 million times, or sort
# 11 million establishments to merge them with their companies), parallel workers for the
# checks (a CREATE TABLE ... AS runs its SELECT in parallel: the rows are worth shipping).
LOAD_SETTINGS = {
    "statement_timeout": "0",
    "work_mem": "256MB",
    "maintenance_work_mem": "1GB",
    "max_parallel_maintenance_workers": "2",
    "enable_nestloop": "off",
    "enable_mergejoin": "off",
    "parallel_setup_cost": "0",
    "parallel_tuple_cost": "0.001",
    "synchronous_commit": "off",
}

# (step, done, total): bytes while staging a file, None while the database works.
Progress = Callable[[str, int | None, int | None], None]


class ImportBusy(Exception):
    """Another import holds the lock."""


@dataclass
class DatasetSummary:
    dataset: str
    file_name: str
    file_bytes: int
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    rejected: int = 0
    as_of: dt.date | None = None
    source_id: int | None = None
    reasons: list[tuple[str, int]] = field(default_factory=list)  # most frequent first


@dataclass
class ImportSummary:
    datasets: list[DatasetSummary]
    seconds: float

    def rows_per_second(self) -> float:
        return sum(d.rows_read for d in self.datasets) / self.seconds if self.seconds else 0.0


def _quiet(step: str, done: int | None, total: int | None) -> None:
    pass


async def import_stock(
    conn: asyncpg.Connection,
    *,
    companies: Path,
    establishments: Path,
    successions: Path | None = None,
    actor: str = "fabrique fce import-sirene",
    progress: Progress | None = None,
) -> ImportSummary:
    """Replace the registry with these stock files, in the caller's transaction (or its own).

    Raises ImportBusy if another import runs, ValueError if a file is not a SIRENE stock file.
    """
    progress = progress or _quiet
    started_at = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    files = {COMPANIES: Path(companies), ESTABLISHMENTS: Path(establishments)}
    if successions is not None:
        files[SUCCESSIONS] = Path(successions)
    headers = {dataset: _header(dataset, path) for dataset, path in files.items()}
    async with conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", IMPORT_LOCK):
            raise ImportBusy("another import of the registry is running")
        for name, value in LOAD_SETTINGS.items():
            await conn.execute("SELECT set_config($1, $2, true)", name, value)
        summaries = {}
        for dataset, path in files.items():
            summary = DatasetSummary(dataset.name, path.name, path.stat().st_size)
            summary.source_id = await conn.fetchval(
                f"INSERT INTO {SCHEMA}.import_sources (dataset, file_name, file_bytes, started_at, imported_by, "
                "rows_read, inserted, updated, unchanged, removed, rejected) "
                "VALUES ($1, $2, $3, $4, $5, 0, 0, 0, 0, 0, 0) RETURNING id",
                dataset.name, path.name, summary.file_bytes, started_at, actor,
            )
            summaries[dataset] = summary
            await _stage(conn, dataset, path, *headers[dataset], summary, progress)
        await conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}._stage_communes")
        await conn.execute(sirene_sql.COMMUNES_LOOKUP)
        await _build_next_tables(conn, summaries, progress)
        for dataset, summary in summaries.items():
            progress(f"comparing {dataset.name}", None, None)
            await _compare(conn, dataset, summary)
        progress("vocabulary of names", None, None)
        await _build_next(conn, "name_words", VOCABULARY_SELECT)
        progress("statistics", None, None)
        for table in [*(d.table for d in summaries), "name_words"]:
            await conn.execute(f"ANALYZE {SCHEMA}._next_{table}")
        progress("swapping", None, None)
        for table in [*(d.table for d in summaries), "name_words"]:
            await _swap(conn, table)
        for dataset, summary in summaries.items():
            await _record(conn, summary)
            await conn.execute(f"DROP TABLE {SCHEMA}.{dataset.stage}")
        await conn.execute(f"DROP TABLE {SCHEMA}._stage_communes")
        for name in LOAD_SETTINGS:
            await conn.execute(f"RESET {name}")
    return ImportSummary(list(summaries.values()), time.perf_counter() - clock)


def _header(dataset: Dataset, path: Path) -> tuple[list[str], list[str]]:
    """The file's columns, and the columns read that it lacks (ValueError if not a stock file)."""
    with open(path, encoding="utf-8-sig", newline="") as stock:
        header = next(csv.reader(stock), [])
    check_header(path.name, header, dataset.from_row)
    return header, [column for column in dataset.columns if column not in header]


async def _stage(conn, dataset: Dataset, path: Path, header: list[str], absent: list[str],
                 summary: DatasetSummary, progress: Progress) -> None:
    # The columns read first: a row is decoded only up to the last column a statement uses.
    read = [c for c in dataset.columns if c in header or c in absent]
    columns = ", ".join(f"{ident(c)} text" for c in [*read, *(c for c in header if c not in read)])
    await conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{dataset.stage}")
    await conn.execute(
        f"CREATE UNLOGGED TABLE {SCHEMA}.{dataset.stage} "
        f"(line bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 2 CACHE 100000), {columns})"
    )
    step = f"reading {path.name}"
    size = path.stat().st_size  # noqa: ASYNC240 - a batch job: the loop has nothing else to do
    try:
        async with conn.transaction():
            result = await conn.copy_to_table(
                dataset.stage, schema_name=SCHEMA, source=_chunks(path, step, size, progress), columns=header,
                format="csv", header=True, encoding="utf8", force_null=[c for c in read if c in header],
            )
        summary.rows_read = int(result.split()[-1])
        return
    except (asyncpg.BadCopyFileFormatError, asyncpg.CharacterNotInRepertoireError,
            asyncpg.UntranslatableCharacterError):
        pass  # a row PostgreSQL refuses: read again row by row to set it aside
    rejected: list[tuple[int, str]] = []
    counted = _CountingReader(open(path, "rb"))  # noqa: ASYNC230 - read by csv, row by row, as COPY needs them
    with counted:
        text = io.TextIOWrapper(counted, encoding="utf-8-sig", errors="surrogateescape", newline="")
        rows = csv.reader(text)
        next(rows, None)

        async def records() -> AsyncIterator[tuple]:
            width = len(header)
            for number, values in enumerate(rows, start=1):
                if len(values) != width:
                    rejected.append((rows.line_num, f"row has {len(values)} fields, the header has {width}"))
                elif any(_UNREADABLE.search(value) for value in values):
                    rejected.append((rows.line_num, "row is not valid UTF-8 text"))
                else:
                    yield (rows.line_num, *[value or None for value in values])
                if number % 50_000 == 0:
                    progress(step, counted.bytes_read, size)

        await conn.copy_records_to_table(dataset.stage, schema_name=SCHEMA, records=records(),
                                         columns=["line", *header])
        progress(step, size, size)
    staged = await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.{dataset.stage}")
    summary.rows_read = staged + len(rejected)
    await conn.executemany(
        f"INSERT INTO {SCHEMA}.import_rejections (source_id, line, key, reason) VALUES ($1, $2, NULL, $3)",
        [(summary.source_id, line, reason) for line, reason in rejected],
    )


_UNREADABLE = re.compile("[\udc80-\udcff\x00]")  # undecodable bytes (surrogateescape) or NUL


class _CountingReader(io.RawIOBase):
    def __init__(self, raw):
        self.raw, self.bytes_read = raw, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = self.raw.readinto(buffer)
        self.bytes_read += n or 0
        return n

    def close(self):
        self.raw.close()
        super().close()


async def _chunks(path: Path, step: str, size: int, progress: Progress) -> AsyncIterator[bytes]:
    done = 0
    with open(path, "rb") as stock:  # noqa: ASYNC230 - chunks are read in a thread
        while chunk := await asyncio.to_thread(stock.read, CHUNK_BYTES):
            yield chunk
            done += len(chunk)
            progress(step, done, size)


async def _build_next_tables(conn, summaries: dict[Dataset, DatasetSummary], progress: Progress) -> None:
    """Companies (with their head office's place), then establishments (with their company's
    names), then successions, each with its rejections. Duplicated keys are set aside and the
    whole step done again (rare: INSEE's files have unique keys)."""
    for attempt in (1, 2):
        try:
            async with conn.transaction():
                for dataset, summary in summaries.items():
                    progress(f"checking {dataset.name}", None, None)
                    try:
                        async with conn.transaction():
                            kept = await _build_next(conn, dataset.table, sirene_sql.selects(dataset, careful=False),
                                                     progress)
                    except asyncpg.DataError:  # a malformed date or year somewhere: check every field
                        kept = await _build_next(conn, dataset.table, sirene_sql.selects(dataset, careful=True),
                                                 progress)
                    await _reject(conn, dataset, summary, kept)
            return
        except asyncpg.UniqueViolationError:
            if attempt == 2:
                raise
        progress("setting duplicates aside", None, None)
        for dataset, summary in summaries.items():
            await conn.execute(sirene_sql.duplicates_removal(dataset), summary.source_id)


async def _build_next(conn, table: str, select: str, progress: Progress = _quiet) -> int:
    """Make fce._next_<table> from `select` (columns named as the live table's), shaped like the live
    table (its columns' order, types and collations, NOT NULLs, checks and defaults) and with its indexes.

    CREATE TABLE ... AS rather than INSERT ... SELECT: PostgreSQL runs the SELECT with parallel
    workers only for the former, and the checks of the rows are most of the work."""
    await conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}._next_{table}")
    columns = await conn.fetch(
        """
        SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
               CASE WHEN a.attcollation <> t.typcollation THEN co.collname END AS collation,
               pg_get_expr(d.adbin, d.adrelid) AS default
        FROM pg_attribute a
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_collation co ON co.oid = a.attcollation
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
        """,
        f"{SCHEMA}.{table}",
    )
    shaped = ", ".join(
        f"CAST(x.{ident(c['name'])} AS {c['type']})"
        + (f" COLLATE {ident(c['collation'])}" if c["collation"] else "") + f" AS {ident(c['name'])}"
        for c in columns
    )
    status = await conn.execute(f"CREATE TABLE {SCHEMA}._next_{table} AS SELECT {shaped} FROM ({select}) x")
    checks = await conn.fetch(
        "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint "
        "WHERE conrelid = to_regclass($1) AND contype = 'c' ORDER BY conname",
        f"{SCHEMA}.{table}",
    )
    alterations = [
        *(f"ALTER COLUMN {ident(c['name'])} SET NOT NULL" for c in columns if c["not_null"]),
        *(f"ALTER COLUMN {ident(c['name'])} SET DEFAULT {c['default']}" for c in columns if c["default"]),
        *(f"ADD CONSTRAINT {ident(c['conname'])} {c['definition']}" for c in checks),
    ]
    if alterations:  # one scan of the new rows for all the constraints
        await conn.execute(f"ALTER TABLE {SCHEMA}._next_{table} {', '.join(alterations)}")
    progress(f"indexing {table}", None, None)
    for statement in await _index_statements(conn, table):
        await conn.execute(statement)
    return int(status.split()[-1])


_INDEX = re.compile(r"CREATE (UNIQUE )?INDEX (\S+) ON (?:ONLY )?(\S+) (USING .*)", re.S)


async def _index_statements(conn, table: str) -> list[str]:
    """The live table's constraints-with-index and indexes, for the new table, named <name>__next."""
    rows = await conn.fetch(
        """
        SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition,
               c.conname, pg_get_constraintdef(c.oid) AS constraint_definition
        FROM pg_index i
        JOIN pg_class ic ON ic.oid = i.indexrelid
        LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.contype IN ('p', 'u')
        WHERE i.indrelid = to_regclass($1)
        ORDER BY c.contype NULLS LAST, ic.relname
        """,
        f"{SCHEMA}.{table}",
    )
    statements = []
    for row in rows:
        if row["conname"]:
            statements.append(f"ALTER TABLE {SCHEMA}._next_{table} ADD CONSTRAINT {row['conname']}__next "
                              f"{row['constraint_definition']}")
            continue
        match = _INDEX.fullmatch(row["definition"])
        unique, _, _, rest = match.groups()
        statements.append(f"CREATE {unique or ''}INDEX {row['name']}__next ON {SCHEMA}._next_{table} {rest}")
    return statements


async def _reject(conn, dataset: Dataset, summary: DatasetSummary, kept: int) -> None:
    staged = await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.{dataset.stage}")
    if kept < staged:  # only then read the rows again for their reasons
        await conn.execute(sirene_sql.rejections_insert(dataset), summary.source_id)
    rows = await conn.fetch(
        f"SELECT reason, count(*) AS n FROM {SCHEMA}.import_rejections WHERE source_id = $1 "
        "GROUP BY reason ORDER BY n DESC, reason",
        summary.source_id,
    )
    summary.rejected = sum(r["n"] for r in rows)
    summary.reasons = [(r["reason"], r["n"]) for r in rows]


async def _compare(conn, dataset: Dataset, summary: DatasetSummary) -> None:
    """Inserted, updated (INSEE processed the unit again), removed, and the file's as-of date."""
    join = " AND ".join(f"n.{column} = o.{column}" for column in dataset.key)
    first = dataset.key[0]
    row = await conn.fetchrow(
        f"""
        SELECT count(*) FILTER (WHERE o.{first} IS NULL) AS inserted,
               count(*) FILTER (WHERE n.{first} IS NULL) AS removed,
               count(*) FILTER (WHERE o.{first} IS NOT NULL AND n.{first} IS NOT NULL
                                AND o.last_processed_at IS DISTINCT FROM n.last_processed_at) AS updated,
               (max(n.last_processed_at) AT TIME ZONE 'Europe/Paris')::date AS as_of
        FROM {SCHEMA}.{dataset.table} o FULL JOIN {SCHEMA}._next_{dataset.table} n ON {join}
        """
    )
    summary.inserted, summary.removed, summary.updated = row["inserted"], row["removed"], row["updated"]
    summary.as_of = row["as_of"]
    kept = summary.rows_read - summary.rejected
    summary.unchanged = kept - summary.inserted - summary.updated


async def _swap(conn, table: str) -> None:
    names = await conn.fetch(
        """
        SELECT ic.relname AS name, c.conname
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
        LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.contype IN ('p', 'u')
        WHERE i.indrelid = to_regclass($1)
        """,
        f"{SCHEMA}._next_{table}",
    )
    await conn.execute(f"DROP TABLE {SCHEMA}.{table}")
    await conn.execute(f"ALTER TABLE {SCHEMA}._next_{table} RENAME TO {table}")
    for row in names:
        final = row["name"].removesuffix("__next")
        if row["conname"]:
            await conn.execute(f"ALTER TABLE {SCHEMA}.{table} RENAME CONSTRAINT {row['conname']} TO {final}")
        else:
            await conn.execute(f"ALTER INDEX {SCHEMA}.{row['name']} RENAME TO {final}")


async def _record(conn, summary: DatasetSummary) -> None:
    await conn.execute(
        f"UPDATE {SCHEMA}.import_sources SET as_of = $2, finished_at = clock_timestamp(), rows_read = $3, "
        "inserted = $4, updated = $5, unchanged = $6, removed = $7, rejected = $8 WHERE id = $1",
        summary.source_id, summary.as_of, summary.rows_read, summary.inserted, summary.updated,
        summary.unchanged, summary.removed, summary.rejected,
    )

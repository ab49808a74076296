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

That is a rebuild: every row and index made again. Once the registry has been built, the next
month's files are imported as changes instead (repository/changes.py): only the lines whose
digest differs reach the database, and the live tables are changed in place.
"""

import asyncio
import csv
import datetime as dt
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import numpy as np

from services.fce.domain.sirene import check_header
from services.fce.repository import changes, sirene_sql
from services.fce.repository.sirene_sql import (
    COMPANIES,
    ESTABLISHMENTS,
    SCHEMA,
    SUCCESSIONS,
    VOCABULARY_SELECT,
    Dataset,
    ident,
)
from services.fce.repository.stock_lines import Batch, UnreadableRecord, digests_of, parse, record_batches

IMPORT_LOCK = 7_270_101  # pg advisory lock: one import at a time
REBUILD, CHANGES = "rebuild", "changes"
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

# Replacing the live tables waits for their readers to finish: each attempt at most SWAP_LOCK_WAIT
# (the searches arriving meanwhile wait that long), then a pause, for SWAP_PATIENCE_SECONDS.
SWAP_LOCK_WAIT = "200ms"
SWAP_PAUSE_SECONDS = 1.0
SWAP_PATIENCE_SECONDS = 900.0

# An import of changes joins a few thousand rows to the registry by key: index probes, never a
# hash of the registry (at 11 million establishments, 3.5 GB read for each join).
CHANGES_SETTINGS = {"enable_nestloop": "on", "enable_mergejoin": "on", "enable_hashjoin": "off"}

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
    method: str = REBUILD
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


async def _set_locally(conn, settings: dict[str, str]) -> None:
    """Planner and load settings until the end of the current transaction (or savepoint)."""
    for name, value in settings.items():
        await conn.execute("SELECT set_config($1, $2, true)", name, value)


async def import_stock(
    conn: asyncpg.Connection,
    *,
    companies: Path,
    establishments: Path,
    successions: Path | None = None,
    actor: str = "fabrique fce import-sirene",
    progress: Progress | None = None,
    rebuild: bool = False,
) -> ImportSummary:
    """Replace the registry with these stock files, in the caller's transaction (or its own): as
    changes when the registry was built from earlier files with the same statements and
    referentials, else (or when asked) by a rebuild.

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
        await _set_locally(conn, LOAD_SETTINGS)
        shaped_with = await conn.fetchval(sirene_sql.SHAPED_WITH, sirene_sql.shaping_statements())
        summaries = {dataset: await _source(conn, dataset, path, started_at, actor) for dataset, path in files.items()}
        method = REBUILD if rebuild else await _method(conn, shaped_with)
        found: dict[Dataset, changes.StagedChanges] = {}
        if method == CHANGES:
            try:
                async with conn.transaction():
                    found = await _stage_changes(conn, files, headers, summaries, progress)
            except changes.Rebuild as reason:
                progress(f"rebuilding: {reason}", None, None)
                method = REBUILD
        for dataset, path in files.items():
            summaries[dataset].method = method
            if dataset not in found:
                await _stage(conn, dataset, path, *headers[dataset], summaries[dataset], progress)
        await conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}._stage_communes")
        await conn.execute(sirene_sql.COMMUNES_LOOKUP)
        await conn.execute(f"ANALYZE {SCHEMA}._stage_communes")  # joined to a million rows: its size matters
        if method == CHANGES:
            await _apply_changes(conn, summaries, found, progress)
        else:
            await _rebuild(conn, summaries, progress)
        for dataset, summary in summaries.items():
            await _record(conn, summary, shaped_with)
            await conn.execute(f"DROP TABLE {SCHEMA}.{dataset.stage}")
        for table in ("_stage_communes", *changes.WORK_TABLES):
            await conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{table}")
        for name in LOAD_SETTINGS:
            await conn.execute(f"RESET {name}")
    return ImportSummary(list(summaries.values()), time.perf_counter() - clock)


async def _source(conn, dataset: Dataset, path: Path, started_at: dt.datetime, actor: str) -> DatasetSummary:
    summary = DatasetSummary(dataset.name, path.name, path.stat().st_size)  # noqa: ASYNC240 - a batch job
    summary.source_id = await conn.fetchval(
        f"INSERT INTO {SCHEMA}.import_sources (dataset, file_name, file_bytes, started_at, imported_by, "
        "rows_read, inserted, updated, unchanged, removed, rejected) "
        "VALUES ($1, $2, $3, $4, $5, 0, 0, 0, 0, 0, 0) RETURNING id",
        dataset.name, path.name, summary.file_bytes, started_at, actor,
    )
    return summary


async def _method(conn, shaped_with: str) -> str:
    """Changes if the live registry was made by an import shaped as this one would (same statements,
    same referentials), since it keeps the rows of unchanged lines; else a rebuild."""
    last = await conn.fetch(
        f"SELECT DISTINCT ON (dataset) dataset, shaped_with FROM {SCHEMA}.import_sources "
        "WHERE dataset IN ('companies', 'establishments') AND finished_at IS NOT NULL AND rows_read > 0 "
        "ORDER BY dataset, id DESC"
    )
    return CHANGES if len(last) == 2 and all(row["shaped_with"] == shaped_with for row in last) else REBUILD


async def _rebuild(conn, summaries: dict[Dataset, DatasetSummary], progress: Progress) -> None:
    """New tables beside the live ones, compared with them, then put in their place (with the
    vocabulary of the names, when the companies' and establishments' are new)."""
    await _build_next_tables(conn, summaries, progress)
    for dataset, summary in summaries.items():
        progress(f"comparing {dataset.name}", None, None)
        await _compare(conn, dataset, summary)
    tables = [dataset.table for dataset in summaries]
    if COMPANIES in summaries:
        progress("vocabulary of names", None, None)
        await _build_next(conn, "name_words", VOCABULARY_SELECT)
        tables.append("name_words")
    await _lock_for_swap(conn, tables, progress)
    progress("swapping", None, None)
    for table in tables:
        await _swap(conn, table)


async def _lock_for_swap(conn, tables: list[str], progress: Progress) -> None:
    """The live tables, locked to be replaced. A reader may hold one for minutes (an export), and a
    lock request waiting behind it makes every new search wait behind it too: so the locks are asked
    for a short while at a time, the searches going on in between; after a while, for as long as it
    takes (the import is not thrown away)."""
    names = ", ".join(f"{SCHEMA}.{table}" for table in tables)
    deadline = time.monotonic() + SWAP_PATIENCE_SECONDS
    while True:
        patient = time.monotonic() < deadline
        try:
            async with conn.transaction():
                await _set_locally(conn, {"lock_timeout": SWAP_LOCK_WAIT if patient else "0"})
                await conn.execute(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
            break
        except asyncpg.LockNotAvailableError:
            progress("waiting for the registry's readers (an export?)", None, None)
            await asyncio.sleep(SWAP_PAUSE_SECONDS)
    await conn.execute("SET LOCAL lock_timeout TO DEFAULT")


def _header(dataset: Dataset, path: Path) -> tuple[list[str], list[str]]:
    """The file's columns, and the columns read that it lacks (ValueError if not a stock file)."""
    with open(path, encoding="utf-8-sig", newline="") as stock:
        header = next(csv.reader(stock), [])
    check_header(path.name, header, dataset.from_row)
    return header, [column for column in dataset.columns if column not in header]


async def _create_stage(conn, dataset: Dataset, header: list[str], absent: list[str]) -> list[str]:
    """An UNLOGGED table of text columns for the file's rows, with their line and digest; the columns
    read first (a row is decoded only up to the last column a statement uses). Returns those."""
    read = [c for c in dataset.columns if c in header or c in absent]
    columns = ", ".join(f"{ident(c)} text" for c in [*read, *(c for c in header if c not in read)])
    await conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{dataset.stage}")
    await conn.execute(f"CREATE UNLOGGED TABLE {SCHEMA}.{dataset.stage} (line bigint, {columns}, _digest bigint)")
    return read


async def _stage(conn, dataset: Dataset, path: Path, header: list[str], absent: list[str],
                 summary: DatasetSummary, progress: Progress) -> None:
    """Every line of the file, by COPY; if PostgreSQL refuses a line, read again row by row in
    Python to set the unreadable ones aside."""
    read = await _create_stage(conn, dataset, header, absent)
    step = f"reading {path.name}"
    size = path.stat().st_size  # noqa: ASYNC240 - a batch job: the loop has nothing else to do
    try:
        async with conn.transaction():
            result = await conn.copy_to_table(
                dataset.stage, schema_name=SCHEMA, source=_digested_lines(path, step, size, progress),
                columns=["line", *header, "_digest"], format="csv", encoding="utf8",
                force_null=[c for c in read if c in header],
            )
        summary.rows_read = int(result.split()[-1])
        return
    except (asyncpg.BadCopyFileFormatError, asyncpg.CharacterNotInRepertoireError,
            asyncpg.UntranslatableCharacterError):
        pass  # a row PostgreSQL refuses: read again row by row to set it aside
    rejected: list[tuple[int, str]] = []
    width = len(header)

    async def records() -> AsyncIterator[tuple]:
        async for numbers, records in _batches(path, step, size, progress):
            for number, record, line_digest in zip(numbers, records, digests_of(records).tolist(), strict=True):
                try:
                    yield (number, *parse(record, width), line_digest)
                except UnreadableRecord as problem:
                    rejected.append((number, str(problem)))

    await conn.copy_records_to_table(dataset.stage, schema_name=SCHEMA, records=records(),
                                     columns=["line", *header, "_digest"])
    staged = await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.{dataset.stage}")
    summary.rows_read = staged + len(rejected)
    await _reject_unreadable(conn, summary, rejected)


async def _reject_unreadable(conn, summary: DatasetSummary, rejected: list[tuple[int, str]]) -> None:
    await conn.executemany(
        f"INSERT INTO {SCHEMA}.import_rejections (source_id, line, key, reason) VALUES ($1, $2, NULL, $3)",
        [(summary.source_id, line, reason) for line, reason in rejected],
    )


async def _batches(path: Path, step: str, size: int, progress: Progress) -> AsyncIterator[Batch]:
    with open(path, "rb") as stock:  # noqa: ASYNC230 - read (and split into records) in a thread
        batches = record_batches(stock)
        while (batch := await asyncio.to_thread(next, batches, None)) is not None:
            yield batch
            progress(step, stock.tell(), size)


async def _digested_lines(path: Path, step: str, size: int, progress: Progress) -> AsyncIterator[bytes]:
    """The file's records as CSV for COPY, each with its line number first and its digest last:
    Python does this while PostgreSQL parses the previous chunk."""
    async for numbers, records in _batches(path, step, size, progress):
        yield b"".join([b"%d,%s,%d\n" % line
                        for line in zip(numbers, records, digests_of(records).tolist(), strict=True)])


async def _stage_changes(conn, files: dict[Dataset, Path], headers, summaries: dict[Dataset, DatasetSummary],
                         progress: Progress) -> dict[Dataset, changes.StagedChanges]:
    """Stage the changed lines of the companies' and establishments' files. Establishments first:
    a company one of whose establishments changed is shaped again (its head office places it)."""
    await _set_locally(conn, CHANGES_SETTINGS)  # until the end of the import, or of the savepoint if it rebuilds
    found: dict[Dataset, changes.StagedChanges] = {}
    for dataset in (ESTABLISHMENTS, COMPANIES):
        header, absent = headers[dataset]
        await _create_stage(conn, dataset, header, absent)
        live = await changes.live_digests(conn, dataset)
        path = files[dataset]
        batches = _batches(path, f"reading {path.name} (changes)", path.stat().st_size, progress)  # noqa: ASYNC240
        also = found[ESTABLISHMENTS].head_offices if dataset is COMPANIES else np.zeros(0, dtype=np.int64)
        found[dataset] = result = await changes.stage_changes(conn, dataset, batches, header, live, also)
        del live
        summaries[dataset].rows_read = result.rows
        await _reject_unreadable(conn, summaries[dataset], result.rejected)
        share = (result.staged + len(result.removed)) / max(result.rows, 1)
        if share > changes.MOST_CHANGED_SHARE:
            raise changes.Rebuild(f"{share:.0%} of the lines of {files[dataset].name} changed")
    return found


async def _apply_changes(conn, summaries: dict[Dataset, DatasetSummary],
                         found: dict[Dataset, changes.StagedChanges], progress: Progress) -> None:
    """Shape the staged lines, then change the live tables in place: companies, their
    establishments, the vocabulary; the successions (a small file) are rebuilt."""
    await conn.execute(f"CREATE UNLOGGED TABLE {SCHEMA}._word_changes (word text, change integer)")
    for dataset in (COMPANIES, ESTABLISHMENTS):
        await conn.execute(changes.replaced_keys(dataset), found[dataset].removed)
        await conn.execute(f"ANALYZE {SCHEMA}._replaced_{dataset.table}")  # few rows: then index probes
    for dataset in (COMPANIES, ESTABLISHMENTS):
        summary, table = summaries[dataset], dataset.table
        changed = f"_changed_{table}"
        progress(f"checking {dataset.name} (changes)", None, None)
        try:
            async with conn.transaction():
                kept = await _create_like(conn, changed, table, sirene_sql.change_selects(dataset, False).select())
        except asyncpg.DataError:  # a malformed date or year somewhere: check every field
            kept = await _create_like(conn, changed, table, sirene_sql.change_selects(dataset, True).select())
        await _reject(conn, dataset, summary, kept)
        await conn.execute(changes.compared(dataset))
        await conn.execute(f"ANALYZE {SCHEMA}._compared_{table}")
        counted = await conn.fetchrow(changes.counts(dataset))
        summary.inserted, summary.updated, summary.removed = counted["inserted"], counted["updated"], counted["removed"]
        await conn.execute(changes.same_rows_out(dataset))
        summary.unchanged = summary.rows_read - summary.rejected - summary.inserted - summary.updated
        progress(f"applying {dataset.name}", None, None)
        if dataset is COMPANIES:
            await conn.execute(changes.renamed_companies())
            await conn.execute(f"ANALYZE {SCHEMA}._renamed_companies")
        await conn.execute(changes.take_out(dataset))
        if dataset is ESTABLISHMENTS:  # by ranges of the primary key: no plan may read the whole registry
            await _set_locally(conn, {"enable_seqscan": "off"})
            await conn.execute(changes.establishments_renamed())
            await _set_locally(conn, {"enable_seqscan": "on"})
            await conn.execute(f"ANALYZE {SCHEMA}._renamed_establishments")
            await conn.execute(changes.company_names_again())
        for statement in changes.put_in(dataset):
            await conn.execute(statement)
        summary.as_of = await _as_of(conn, dataset, summary)
    progress("vocabulary of names", None, None)
    for statement in changes.VOCABULARY_CHANGES:
        await conn.execute(statement)
    if SUCCESSIONS in summaries:
        await _rebuild(conn, {SUCCESSIONS: summaries[SUCCESSIONS]}, progress)


async def _as_of(conn, dataset: Dataset, summary: DatasetSummary) -> dt.date | None:
    """The registry's latest processing date. The rows kept unchanged are no later than the previous
    import's; so when the changed rows reach that date, theirs is the answer (no scan of the table)."""
    changed = await conn.fetchval(changes.as_of(f"_changed_{dataset.table}"))
    previous = await conn.fetchval(changes.PREVIOUS_AS_OF, dataset.name, summary.source_id)
    if changed is not None and previous is not None and changed >= previous:
        return changed
    return await conn.fetchval(changes.as_of(dataset.table))


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


async def _build_next(conn, table: str, rows: str | sirene_sql.Shaping, progress: Progress = _quiet) -> int:
    """Make fce._next_<table> from `rows` (a SELECT or a shaping, columns named as the live table's),
    shaped like the live table, with its statistics (the next tables are shaped from it, and the
    searches read it once it is live) and its indexes."""
    if isinstance(rows, sirene_sql.Shaping):
        kept = await _shape(conn, f"_next_{table}", table, rows)
    else:
        kept = await _create_like(conn, f"_next_{table}", table, rows)
    await conn.execute(f"ANALYZE {SCHEMA}._next_{table}")
    progress(f"indexing {table}", None, None)
    for statement in await _index_statements(conn, table):
        await conn.execute(statement)
    return kept


async def _shape(conn, name: str, table: str, shaping: sirene_sql.Shaping) -> int:
    """Make fce.<name> like fce.<table> from `shaping`: each staging row's own fields into a work
    table first, analysed, so that the planner shares the joins and the sort out between workers."""
    fields = f"{SCHEMA}._fields_{table}"
    await conn.execute(f"DROP TABLE IF EXISTS {fields}")
    await conn.execute(f"CREATE UNLOGGED TABLE {fields} AS {shaping.fields}")
    await conn.execute(f"ANALYZE {fields}")
    kept = await _create_like(conn, name, table, shaping.rows(fields))
    await conn.execute(f"DROP TABLE {fields}")
    return kept


async def _create_like(conn, name: str, table: str, select: str) -> int:
    """Make fce.<name> from `select` (columns named as the live table's), shaped like the live table
    (its columns' order, types and collations, NOT NULLs, checks and defaults); its row count.

    CREATE TABLE ... AS rather than INSERT ... SELECT: PostgreSQL runs the SELECT with parallel
    workers only for the former, and the checks of the rows are most of the work."""
    await conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{name}")
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
    status = await conn.execute(f"CREATE TABLE {SCHEMA}.{name} AS SELECT {shaped} FROM ({select}) x")
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
        await conn.execute(f"ALTER TABLE {SCHEMA}.{name} {', '.join(alterations)}")
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


async def _record(conn, summary: DatasetSummary, shaped_with: str) -> None:
    await conn.execute(
        f"UPDATE {SCHEMA}.import_sources SET as_of = $2, finished_at = clock_timestamp(), rows_read = $3, "
        "inserted = $4, updated = $5, unchanged = $6, removed = $7, rejected = $8, method = $9, shaped_with = $10 "
        "WHERE id = $1",
        summary.source_id, summary.as_of, summary.rows_read, summary.inserted, summary.updated,
        summary.unchanged, summary.removed, summary.rejected, summary.method, shaped_with,
    )

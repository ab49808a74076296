"""A monthly import: only the lines that changed since the last import reach the database.

INSEE publishes the whole stock each month; a month changes a few % of its lines. So the import
reads each line's key and digest (repository/stock_lines.py) and compares them with the digests
the registry keeps (source_digest): an unchanged line is skipped, a changed or new one is staged
and shaped by the same statements as a rebuild (repository/sirene_sql.py), a live key the file
lacks is removed. The live tables are then changed in place, in the caller's transaction: their
indexes stay, and so do the pages in memory that the searches use.

A company is shaped again when its own line changed or its head office's did (which gives its
place); an establishment is given its company's names again when they changed; a shaped row equal
to the live one is left alone. The result is the registry a rebuild would make from the same files
(a test compares both), except for the order the rows are stored in, which a rebuild restores.

Anything unusual (a key on two lines, a quoted key, too many changes to be worth it) makes the
caller rebuild instead: `Rebuild` says why.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import numpy as np

from services.fce.repository import sirene_sql
from services.fce.repository.sirene_sql import ESTABLISHMENTS, SCHEMA, Dataset
from services.fce.repository.stock_lines import Batch, UnreadableRecord, digests_of, parse

# Above this share of changed lines, rebuilding costs less than changing rows in place (each one
# updates a dozen indexes), and it puts the rows back in their stored order.
MOST_CHANGED_SHARE = 0.2


class Rebuild(Exception):  # noqa: N818 - an instruction to the caller, not an error
    """The files are better imported by a rebuild; the message says why."""


@dataclass
class StagedChanges:
    """What the reading of one file found."""

    rows: int = 0
    staged: int = 0  # changed, new or to shape again
    removed: list[str] = field(default_factory=list)  # live keys the file no longer has
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason): not a row of the file
    # Of establishments: the SIRENs of the companies whose head office's line changed, came or went
    # (a staged line that says it is a head office, or whose live row was one, or a removed head office).
    head_offices: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass
class LiveDigests:
    """The key and digest of every live row (0: made before rows had digests, which no line has),
    and whether it is a head office (establishments), as sorted arrays: 17 bytes a row, 190 MB at
    11 million establishments."""

    keys: np.ndarray
    digests: np.ndarray
    head_office: np.ndarray
    digits: int  # of a key: 9 for a SIREN, 14 for a SIRET


KEY_DIGITS = {"companies": 9, "establishments": 14}


# PostgreSQL's binary COPY of (bigint, bigint, boolean) rows: a header, then per row its field
# count and each field's length and value, then -1.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_LIVE_ROW = np.dtype([("fields", ">i2"), ("key_length", ">i4"), ("key", ">i8"), ("digest_length", ">i4"),
                      ("digest", ">i8"), ("head_office_length", ">i4"), ("head_office", "u1")])


async def live_digests(conn, dataset: Dataset) -> LiveDigests:
    """Read in one binary COPY, parsed by numpy (0.9 s for a million establishments; 1.4 s as text)."""
    copied = bytearray()

    async def take(chunk: bytes) -> None:
        copied.extend(chunk)

    await conn.copy_from_query(
        f"SELECT {dataset.key[0]}::bigint, coalesce(source_digest, 0), "
        f"{'coalesce(head_office, false)' if dataset is ESTABLISHMENTS else 'false'} FROM {SCHEMA}.{dataset.table}",
        output=take, format="binary")
    if not copied.startswith(_COPY_HEADER) or not copied.endswith(b"\xff\xff"):
        raise Rebuild("the registry's digests could not be read")
    rows = np.frombuffer(memoryview(copied)[len(_COPY_HEADER):-2], dtype=_LIVE_ROW)
    if len(rows) and not ((rows["fields"] == 3) & (rows["key_length"] == 8) & (rows["digest_length"] == 8)
                          & (rows["head_office_length"] == 1)).all():
        raise Rebuild("the registry's digests could not be read")
    order = np.argsort(rows["key"])
    return LiveDigests(rows["key"][order].astype(np.int64), rows["digest"][order].astype(np.int64),
                       rows["head_office"][order] == 1, KEY_DIGITS[dataset.name])


async def stage_changes(conn, dataset: Dataset, batches: AsyncIterator[Batch], header: list[str],
                        live: LiveDigests, also: np.ndarray) -> StagedChanges:
    """Stage the records (stock_lines.record_batches) whose digest differs from the live row's (or
    that are new), and those whose key is in `also` (shaped again). Each batch is compared at once
    (numpy): Python only splits out the keys and hashes the lines, 0.4 µs a line. Raises Rebuild."""
    found = StagedChanges()
    position, width, digits = header.index(dataset.key[0]), len(header), live.digits
    of_establishments = dataset is ESTABLISHMENTS
    says_head_office = header.index("etablissementSiege") if "etablissementSiege" in header else None
    seen = np.zeros(len(live.keys), dtype=bool)
    keys_read: list[np.ndarray] = []
    head_offices: list[int] = []  # the SIRENs whose head office changed, from the lines
    # A key the live rows lack is looked up past their end: one more key that matches nothing.
    live_keys, live_digests_ = np.append(live.keys, -1), np.append(live.digests, 0)
    live_head_offices = np.append(live.head_office, False)
    also = np.append(np.sort(also), -1)  # the same for the keys to shape again (a batch never sorts them)

    async def changed_records() -> AsyncIterator[tuple]:
        async for numbers, records in batches:
            found.rows += len(records)
            keys = keys_of(records, position, digits)
            digests = digests_of(records)
            at = np.searchsorted(live.keys, keys)
            is_live = live_keys[at] == keys
            seen[at[is_live]] = True
            unchanged = is_live & (live_digests_[at] == digests)
            if len(also) > 1:
                unchanged &= also[np.searchsorted(also[:-1], keys)] != keys
            keys_read.append(keys)
            for i in np.flatnonzero(~unchanged):
                number, record = numbers[i], records[i]
                if keys[i] < 0 and _raw_field(record, position).startswith(b'"'):
                    raise Rebuild(f"a {dataset.key[0]} is quoted (line {number})")
                try:
                    fields = parse(record, width)
                except UnreadableRecord as problem:
                    found.rejected.append((number, str(problem)))
                    continue
                found.staged += 1
                if of_establishments:
                    siren = (fields[position] or "")[:9]  # of the SIRET
                    if siren.isdigit() and ((is_live[i] and live_head_offices[at[i]])
                                            or (says_head_office is not None and fields[says_head_office] == "true")):
                        head_offices.append(int(siren))
                yield (number, *fields, int(digests[i]))

    await conn.copy_records_to_table(dataset.stage, schema_name=SCHEMA, records=changed_records(),
                                     columns=["line", *header, "_digest"])
    read = np.sort(np.concatenate(keys_read)) if keys_read else np.zeros(0, dtype=np.int64)
    read = read[read >= 0]
    twice = read[1:][read[1:] == read[:-1]]
    if len(twice):
        raise Rebuild(f"{dataset.key[0]} {int(twice[0]):0{digits}d} is on two lines")
    found.removed = [f"{key:0{digits}d}" for key in live.keys[~seen].tolist()]
    found.head_offices = np.unique(np.concatenate([np.array(head_offices, dtype=np.int64),
                                                   live.keys[~seen & live.head_office] // 100_000]))
    return found


def keys_of(records: list[bytes], position: int, digits: int) -> np.ndarray:
    """The key (field `position`, a SIREN or SIRET) of each record as a number to compare with the
    live ones; -1 for anything else, which is never live. Where the fields before it are as wide
    as in the first record (INSEE's files: always), it is read from the same bytes of every record
    at once; the other records are split one by one."""
    start = sum(len(field) + 1 for field in records[0].split(b",", position)[:position]) if records else 0
    width = start + digits + 1  # up to the comma after the key
    table = np.array(records, dtype=f"S{width}").view(np.uint8).reshape(len(records), width)
    values = table[:, start:start + digits].astype(np.int64) - ord("0")
    in_place = ((table[:, :start] == ord(",")).sum(axis=1) == position) & (table[:, width - 1] == ord(",")) \
        & ((values >= 0) & (values <= 9)).all(axis=1)
    if position:
        in_place &= table[:, start - 1] == ord(",")
    keys = np.where(in_place, values @ 10 ** np.arange(digits - 1, -1, -1, dtype=np.int64), -1)
    for i in np.flatnonzero(~in_place):
        field = _raw_field(records[i], position)
        keys[i] = int(field) if len(field) == digits and field.isdigit() else -1
    return keys


def _raw_field(record: bytes, position: int) -> bytes:
    """The bytes of field `position` as written (quotes included), b"" if the record is shorter."""
    fields = record.split(b",", position + 1)
    return fields[position] if len(fields) > position else b""


# The statements below run after the changed lines are shaped into fce._changed_<table> (like the
# live table) and their keys, with the removed ones, listed in fce._replaced_<table>.

def replaced_keys(dataset: Dataset) -> str:
    """The live rows to take out ($1: the removed keys): those of the file's changed lines too,
    whether their new line is kept or rejected."""
    return (f"CREATE UNLOGGED TABLE {SCHEMA}._replaced_{dataset.table} AS "
            f'SELECT unnest($1::text[]) COLLATE "C" AS key '
            f'UNION SELECT s.{dataset.key[0]} COLLATE "C" FROM {SCHEMA}.{dataset.stage} s '
            f"WHERE s.{dataset.key[0]} IS NOT NULL")  # the registry's collation: its keys' index serves the joins


def compared(dataset: Dataset) -> str:
    """Each shaped row against the live row of its key, in one pass over the live table's index (the
    statements below read this instead of joining the live table again): whether there is one,
    whether it is the same, whether INSEE processed the unit again."""
    table, key = dataset.table, dataset.key[0]
    return f"""
        CREATE UNLOGGED TABLE {SCHEMA}._compared_{table} AS
        SELECT n.{key} AS key, o.{key} IS NOT NULL AS live, (n.*) IS NOT DISTINCT FROM (o.*) AS same,
               o.{key} IS NOT NULL AND o.last_processed_at IS DISTINCT FROM n.last_processed_at AS processed_again
        FROM {SCHEMA}._changed_{table} n LEFT JOIN {SCHEMA}.{table} o ON o.{key} = n.{key}
    """


def same_rows_out(dataset: Dataset) -> str:
    """Shaped rows equal to the live ones stay as they are (a line changed only in a column the
    registry does not keep, a company placed again in the same place): no index to update."""
    table, key = dataset.table, dataset.key[0]
    return f"""
        WITH same AS (
            DELETE FROM {SCHEMA}._changed_{table} n USING {SCHEMA}._compared_{table} c
            WHERE c.key = n.{key} AND c.same
            RETURNING n.{key}
        )
        DELETE FROM {SCHEMA}._replaced_{table} r USING same WHERE r.key = same.{key}
    """


def counts(dataset: Dataset) -> str:
    """Inserted, updated (INSEE processed the unit again) and removed rows, as a rebuild counts them.
    Removed: the live rows replaced by no shaped row (gone from the file, or rejected)."""
    table, key = dataset.table, dataset.key[0]
    comparison, replaced, live = f"{SCHEMA}._compared_{table}", f"{SCHEMA}._replaced_{table}", f"{SCHEMA}.{table}"
    return f"""
        SELECT count(*) FILTER (WHERE NOT c.live) AS inserted,
               count(*) FILTER (WHERE c.processed_again AND NOT c.same) AS updated,
               (SELECT count(*) FROM {replaced} r
                WHERE NOT EXISTS (SELECT FROM {comparison} x WHERE x.key = r.key)
                  AND EXISTS (SELECT FROM {live} o WHERE o.{key} = r.key)) AS removed
        FROM {comparison} c
    """


def renamed_companies() -> str:
    """The companies whose columns their establishments carry changed or came (a shaped row unlike
    the live one), or went (a replaced row not shaped again)."""
    n = ", ".join(f"n.{column}" for column in sirene_sql.COMPANY_FIELDS)
    o = ", ".join(f"o.{column}" for column in sirene_sql.COMPANY_FIELDS)
    return f"""
        CREATE UNLOGGED TABLE {SCHEMA}._renamed_companies AS
        SELECT n.siren FROM {SCHEMA}._changed_companies n LEFT JOIN {SCHEMA}.companies o ON o.siren = n.siren
        WHERE ({n}) IS DISTINCT FROM ({o})
        UNION ALL
        SELECT r.key FROM {SCHEMA}._replaced_companies r JOIN {SCHEMA}.companies o ON o.siren = r.key
        WHERE NOT EXISTS (SELECT FROM {SCHEMA}._changed_companies n WHERE n.siren = r.key)
    """


def take_out(dataset: Dataset) -> str:
    """Delete the replaced rows; their words leave the vocabulary."""
    table, key = dataset.table, dataset.key[0]
    return f"""
        WITH gone AS (
            DELETE FROM {SCHEMA}.{table} o USING {SCHEMA}._replaced_{table} r WHERE o.{key} = r.key RETURNING o.*
        )
        INSERT INTO {SCHEMA}._word_changes (word, change) SELECT {sirene_sql.words_of(table, 'gone')}, -1 FROM gone
    """


def establishments_renamed() -> str:
    """The establishments of the renamed companies: one range of the primary key per SIREN
    (SIRET = SIREN + NIC)."""
    return f"""
        CREATE UNLOGGED TABLE {SCHEMA}._renamed_establishments AS
        SELECT e.siret FROM {SCHEMA}._renamed_companies r
        CROSS JOIN LATERAL (
            SELECT x.siret FROM {SCHEMA}.establishments x
            WHERE x.siret BETWEEN r.siren || '00000' AND r.siren || '99999'
            OFFSET 0  -- kept apart: else the planner merges it with the whole registry, sorted
        ) e
    """  # the primary key alone (an index-only scan): a SIRET of 14 digits in that range is one of the SIREN


def company_names_again() -> str:
    """Those establishments (their own lines unchanged) take their company's new columns."""
    fields = sirene_sql.company_fields("c", sirene_sql.own_words("e.enseigne", "e.usual_name"))
    return f"""
        UPDATE {SCHEMA}.establishments e SET {', '.join(f'{name} = {value}' for name, value in fields.items())}
        FROM {SCHEMA}._renamed_establishments n LEFT JOIN {SCHEMA}.companies c ON c.siren = left(n.siret, 9)
        WHERE e.siret = n.siret
    """


def put_in(dataset: Dataset) -> list[str]:
    """Insert the changed rows; their words join the vocabulary."""
    table = dataset.table
    return [
        f"INSERT INTO {SCHEMA}.{table} SELECT * FROM {SCHEMA}._changed_{table}",
        f"INSERT INTO {SCHEMA}._word_changes (word, change) "
        f"SELECT {sirene_sql.words_of(table, 'n')}, 1 FROM {SCHEMA}._changed_{table} n",
    ]


VOCABULARY_CHANGES = [
    f"""
    INSERT INTO {SCHEMA}.name_words (word, frequency)
    SELECT word, sum(change) FROM {SCHEMA}._word_changes GROUP BY word HAVING sum(change) <> 0
    ON CONFLICT (word) DO UPDATE SET frequency = name_words.frequency + EXCLUDED.frequency
    """,
    f"""
    DELETE FROM {SCHEMA}.name_words w USING (SELECT DISTINCT word FROM {SCHEMA}._word_changes) c
    WHERE w.word = c.word AND w.frequency <= 0
    """,
]


def as_of(table: str) -> str:
    """The latest processing date of `table`'s rows (the live table, or only its changed rows)."""
    return f"SELECT (max(last_processed_at) AT TIME ZONE 'Europe/Paris')::date FROM {SCHEMA}.{table}"


# The as-of date of a dataset's previous import ($1: the dataset, $2: this import's source).
PREVIOUS_AS_OF = f"SELECT as_of FROM {SCHEMA}.import_sources WHERE dataset = $1 AND id < $2 ORDER BY id DESC LIMIT 1"


WORK_TABLES = ("_changed_companies", "_changed_establishments", "_compared_companies", "_compared_establishments",
               "_replaced_companies", "_replaced_establishments",
               "_renamed_companies", "_renamed_establishments", "_word_changes")

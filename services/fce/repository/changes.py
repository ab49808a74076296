"""A monthly import: only the lines that changed since the last import reach the database.

INSEE publishes the whole stock each month; a month changes a few % of its lines. So the import
reads each line's key and digest (repository/stock_lines.py) and compares them with the digests
the registry keeps (source_digest): an unchanged line is skipped, a changed or new one is staged
and shaped by the same statements as a rebuild (repository/sirene_sql.py), a live key the file
lacks is removed. The live tables are then changed in place, in the caller's transaction: their
indexes stay, and so do the pages in memory that the searches use.

A company is shaped again when its own line changed or one of its establishments' did (its head
office gives its place); an establishment is given its company's names again when they changed.
The result is the registry a rebuild would make from the same files (a test compares both), except
for the order the rows are stored in, which a rebuild restores.

Anything unusual (a key twice in a file, too many changes to be worth it) makes the caller
rebuild instead: `Rebuild` says why.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from hashlib import blake2b

from services.fce.repository import sirene_sql
from services.fce.repository.sirene_sql import SCHEMA, Dataset
from services.fce.repository.stock_lines import UnreadableRecord, parse

# Above this share of changed lines, rebuilding costs less than changing rows in place (each one
# updates a dozen indexes), and it puts the rows back in their stored order.
MOST_CHANGED_SHARE = 0.2
_ABSENT = object()  # a key with no live row


class Rebuild(Exception):  # noqa: N818 - an instruction to the caller, not an error
    """The files are better imported by a rebuild; the message says why."""


@dataclass
class StagedChanges:
    """What the reading of one file found."""

    rows: int = 0
    staged: int = 0  # changed, new or to shape again
    removed: list[str] = field(default_factory=list)  # live keys the file no longer has
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason): not a row of the file


async def live_digests(conn, dataset: Dataset) -> dict[bytes, object]:
    """key -> digest of every live row (0: a row made before rows had digests, which no line has).
    About 100 bytes a row: 1.1 GB at 11 million establishments."""
    known: dict[bytes, object] = {}
    rest = b""

    async def take(chunk: bytes) -> None:  # lines of "key,digest": split by C loops, not row by row
        nonlocal rest
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        fields = b",".join(lines).split(b",")
        known.update(zip(fields[0::2], map(int, fields[1::2]), strict=True))

    await conn.copy_from_query(f"SELECT {dataset.key[0]}, coalesce(source_digest, 0) FROM {SCHEMA}.{dataset.table}",
                               output=take, format="csv")
    return known


async def stage_changes(conn, dataset: Dataset, batches: AsyncIterator[list[tuple[int, bytes]]], header: list[str],
                        known: dict[bytes, object], also: set[bytes]) -> StagedChanges:
    """Stage the records (stock_lines.record_batches) whose digest differs from the live row's (or
    that are new), and those whose key is in `also` (shaped again); `known` is consumed.
    Raises Rebuild."""
    found = StagedChanges()
    position = header.index(dataset.key[0])
    width = len(header)

    async def changed_records() -> AsyncIterator[tuple]:
        async for batch in batches:
            found.rows += len(batch)
            for number, record in batch:  # the import's hot loop: about 1.5 µs a line
                key = record.split(b",", position + 1)[position]
                previous = known.get(key, _ABSENT)
                if previous is None:
                    raise Rebuild(f"{dataset.key[0]} {key.decode(errors='replace')} is on two lines")
                known[key] = None  # seen
                line_digest = int.from_bytes(blake2b(record, digest_size=8).digest(), "big", signed=True) or 1
                if previous == line_digest and key not in also:
                    continue
                if previous is _ABSENT and key.startswith(b'"'):  # a quoted key is never a live one
                    raise Rebuild(f"a {dataset.key[0]} is quoted")
                try:
                    fields = parse(record, width)
                except UnreadableRecord as problem:
                    found.rejected.append((number, str(problem)))
                    continue
                found.staged += 1
                yield (number, *fields, line_digest)

    await conn.copy_records_to_table(dataset.stage, schema_name=SCHEMA, records=changed_records(),
                                     columns=["line", *header, "_digest"])
    found.removed = [key.decode() for key, seen in known.items() if seen is not None]
    return found


# The statements below run after the changed lines are shaped into fce._changed_<table> (like the
# live table) and their keys, with the removed ones, listed in fce._replaced_<table>.

def replaced_keys(dataset: Dataset) -> str:
    """The live rows to take out ($1: the removed keys): those of the file's changed lines too,
    whether their new line is kept or rejected."""
    return (f"CREATE UNLOGGED TABLE {SCHEMA}._replaced_{dataset.table} AS "
            f"SELECT unnest($1::text[]) AS key UNION SELECT s.{dataset.key[0]} FROM {SCHEMA}.{dataset.stage} s "
            f"WHERE s.{dataset.key[0]} IS NOT NULL")


def counts(dataset: Dataset) -> str:
    """Inserted, updated (INSEE processed the unit again) and removed rows, as a rebuild counts them."""
    table, key = dataset.table, dataset.key[0]
    changed, replaced, live = f"{SCHEMA}._changed_{table}", f"{SCHEMA}._replaced_{table}", f"{SCHEMA}.{table}"
    return f"""
        SELECT (SELECT count(*) FROM {changed} n WHERE NOT EXISTS (SELECT FROM {live} o WHERE o.{key} = n.{key}))
                   AS inserted,
               (SELECT count(*) FROM {changed} n JOIN {live} o ON o.{key} = n.{key}
                WHERE o.last_processed_at IS DISTINCT FROM n.last_processed_at) AS updated,
               (SELECT count(*) FROM {replaced} r JOIN {live} o ON o.{key} = r.key
                WHERE NOT EXISTS (SELECT FROM {changed} n WHERE n.{key} = r.key)) AS removed
    """


def renamed_companies() -> str:
    """The companies whose columns their establishments carry changed, came or went."""
    return f"""
        CREATE UNLOGGED TABLE {SCHEMA}._renamed_companies AS
        SELECT coalesce(n.siren, o.siren) AS siren
        FROM {SCHEMA}._changed_companies n
        FULL JOIN (SELECT o.* FROM {SCHEMA}.companies o JOIN {SCHEMA}._replaced_companies r ON o.siren = r.key) o
            ON o.siren = n.siren
        WHERE ({', '.join(f'n.{f}' for f in sirene_sql.COMPANY_FIELDS)})
              IS DISTINCT FROM ({', '.join(f'o.{f}' for f in sirene_sql.COMPANY_FIELDS)})
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


def company_names_again() -> str:
    """The establishments of renamed companies (their own lines unchanged) take their company's new columns."""
    fields = sirene_sql.company_fields("c", sirene_sql.own_words("e.enseigne", "e.usual_name"))
    return f"""
        UPDATE {SCHEMA}.establishments e SET {', '.join(f'{name} = {value}' for name, value in fields.items())}
        FROM {SCHEMA}._renamed_companies r LEFT JOIN {SCHEMA}.companies c ON c.siren = r.siren
        WHERE e.siren = r.siren
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


def as_of(dataset: Dataset) -> str:
    return f"SELECT (max(last_processed_at) AT TIME ZONE 'Europe/Paris')::date FROM {SCHEMA}.{dataset.table}"


WORK_TABLES = ("_changed_companies", "_changed_establishments", "_replaced_companies", "_replaced_establishments",
               "_renamed_companies", "_word_changes")

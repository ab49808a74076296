"""Acts: lookups for the rules, writes, the filtered list and the streamed export."""

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, Numeric, Select, Text, case, func, insert, literal, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.medle.domain.calendar import PARIS
from services.medle.models import Act, Asker, Hospital
from services.medle.repository.search import contains_text, folded
from shared.pagination import PageParams, keyset

LIVE = Act.deleted_at.is_(None)


@dataclass(frozen=True)
class ActFilters:
    hospital_ids: Sequence[int] = ()
    start: dt.date | None = None  # examined on, inclusive, in the hospital's calendar
    end: dt.date | None = None
    internal_number: str | None = None
    pv_number: str | None = None
    asker_ids: Sequence[int] = ()
    profiles: Sequence[str] = ()
    act_types: Sequence[str] = ()
    periods_of_day: Sequence[str] = ()
    sans_plainte: bool | None = None
    q: str | None = None
    readable: frozenset[int] | None = field(default=None)  # None: every hospital


async def act(session: AsyncSession, act_id: int, readable: frozenset[int] | None) -> Act | None:
    """A live act, if the caller may read its hospital (else None: the caller gets a 404)."""
    stmt = select(Act).where(Act.id == act_id, LIVE)
    if readable is not None:
        stmt = stmt.where(Act.hospital_id.in_(readable))
    return (await session.execute(stmt)).scalar_one_or_none()


async def taken_internal_numbers(
    session: AsyncSession, hospital_id: int, numbers: set[str], except_id: int | None = None
) -> set[str]:
    if not numbers:
        return set()
    stmt = select(Act.internal_number).where(Act.hospital_id == hospital_id, LIVE,
                                             Act.internal_number.in_(numbers))
    if except_id is not None:
        stmt = stmt.where(Act.id != except_id)
    return set((await session.execute(stmt)).scalars())


async def insert_acts(session: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
    """One multi-row INSERT for a batch; ids in the order of `rows`."""
    result = await session.execute(insert(Act).returning(Act.id, sort_by_parameter_order=True),
                                   [{**row, "version": 1} for row in rows])
    return list(result.scalars())


def _filtered(stmt: Select, filters: ActFilters) -> Select:
    stmt = stmt.where(LIVE)
    if filters.readable is not None:
        stmt = stmt.where(Act.hospital_id.in_(filters.readable))
    if filters.hospital_ids:
        stmt = stmt.where(Act.hospital_id.in_(filters.hospital_ids))
    # examined_on is exact; the examined_at bounds (a day wider for overseas clocks) let the
    # (hospital_id, examined_at) index seek instead of scanning every row of the order.
    if filters.start:
        stmt = stmt.where(Act.examined_on >= filters.start,
                          Act.examined_at >= _paris_midnight(filters.start - dt.timedelta(days=1)))
    if filters.end:
        stmt = stmt.where(Act.examined_on <= filters.end,
                          Act.examined_at < _paris_midnight(filters.end + dt.timedelta(days=2)))
    if filters.internal_number:
        stmt = stmt.where(Act.internal_number == filters.internal_number)
    if filters.pv_number:
        stmt = stmt.where(Act.pv_number == filters.pv_number)
    if filters.asker_ids:
        stmt = stmt.where(Act.asker_id.in_(filters.asker_ids))
    if filters.profiles:
        stmt = stmt.where(Act.profile.in_(filters.profiles))
    if filters.act_types:
        stmt = stmt.where(Act.act_types.overlap(list(filters.act_types)))
    if filters.periods_of_day:
        stmt = stmt.where(Act.period_of_day.in_(filters.periods_of_day))
    if filters.sans_plainte is not None:
        stmt = stmt.where(Act.sans_plainte.is_(filters.sans_plainte))
    if filters.q:
        # A union, not an OR: each side uses its own index (trigram, asker) instead of the planner
        # walking the whole hospital in date order to test both.
        askers = select(Asker.id).where(contains_text(folded(Asker.name), filters.q))
        matching = union(select(Act.id).where(contains_text(Act.search_text, filters.q)),
                         select(Act.id).where(Act.asker_id.in_(askers)))
        stmt = stmt.where(Act.id.in_(matching))
    return stmt


def _paris_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), PARIS)


async def list_acts(session: AsyncSession, filters: ActFilters, page: PageParams, columns: Sequence[str],
                    descending: bool = True) -> list[Any]:
    """Rows (not ORM objects: a page is only read) of `columns`, in examination order."""
    order = [(Act.examined_at, descending), (Act.id, descending)]
    stmt = keyset(_filtered(select(*(Act.__table__.c[name] for name in columns)), filters), order, page)
    return list(await session.execute(stmt))


EXPORT_COLUMNS = [
    "id", "hospital_id", "hospital_finess", "internal_number", "pv_number", "asker_id", "asker",
    "requisition_date", "sans_plainte", "examined_at", "examined_on", "period_of_day", "profile",
    "act_types", "examinations", "violence_natures", "attack", "violence_contexts", "location",
    "person_age_band", "person_gender", "person_present", "itt_days", "death_cause", "distance_band",
    "duration_band", "added_by", "created_at", "updated_at",
]
_LISTS = {"act_types", "examinations", "violence_natures", "violence_contexts"}
_TIMES = {"examined_at", "created_at", "updated_at"}
_BOOLEANS = {"sans_plainte", "person_present"}


def _export_statement(filters: ActFilters, *, as_text: bool) -> Select:
    """The export's rows in examination order; `as_text`: every value formatted by PostgreSQL the
    way the CSV shows it (lists joined by ", ", times in UTC ISO 8601)."""
    def column(name: str):
        if name == "hospital_finess":
            return Hospital.finess.label(name)
        if name == "asker":
            return Asker.name.label(name)
        value = Act.__table__.c[name]
        if as_text and name in _LISTS:
            return func.array_to_string(value, ", ").label(name)
        if as_text and name in _TIMES:
            return func.to_char(func.timezone("UTC", value), 'YYYY-MM-DD"T"HH24:MI:SS"Z"').label(name)
        if as_text and name in _BOOLEANS:
            return case((value.is_(True), "true"), (value.is_(False), "false")).label(name)
        return value

    stmt = (select(*(column(name) for name in EXPORT_COLUMNS)).select_from(Act)
            .join(Hospital, Hospital.id == Act.hospital_id)
            .outerjoin(Asker, Asker.id == Act.asker_id))
    return _filtered(stmt, filters).order_by(Act.examined_at, Act.id)


async def _export_connection(session: AsyncSession):
    """The driver connection of `session`, its statement timeout raised: an export of a million
    acts legitimately outlasts the 15 s given to a request's statements."""
    connection = await session.connection()
    await connection.exec_driver_sql("SET LOCAL statement_timeout = '30min'")
    return connection, (await connection.get_raw_connection()).driver_connection


def _sql(connection, stmt: Select) -> tuple[str, list]:
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    return compiled.string, [compiled.params[name] for name in compiled.positiontup]


async def export_csv(sessionmaker: async_sessionmaker, filters: ActFilters, delimiter: str = ","
                     ) -> AsyncIterator[bytes]:
    """Every matching act as CSV written by PostgreSQL (COPY), relayed through a small queue:
    memory stays flat, and Python never formats a row (it cost ~40 µs a row, 10 s per 250,000)."""
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=32)

    async def copy() -> None:
        try:
            async with sessionmaker() as session, session.begin():
                connection, driver = await _export_connection(session)
                sql, params = _sql(connection, _export_statement(filters, as_text=True))
                await driver.copy_from_query(sql, *params, output=lambda data: chunks.put(bytes(data)),
                                             format="csv", header=True, delimiter=delimiter)
        finally:
            await chunks.put(None)

    task = asyncio.create_task(copy())
    try:
        while (chunk := await chunks.get()) is not None:
            yield chunk
        await task  # an error of the copy ends the stream with it
    finally:
        if not task.done():
            task.cancel()


async def export_rows(sessionmaker: async_sessionmaker, filters: ActFilters, prefetch: int = 2000
                      ) -> AsyncIterator[Any]:
    """Every matching act (a mapping per row) for the XLSX export, read through a driver cursor in
    its own transaction: the request's session is closed by the time a streamed response is written."""
    async with sessionmaker() as session, session.begin():
        connection, driver = await _export_connection(session)
        sql, params = _sql(connection, _export_statement(filters, as_text=False))
        async for record in driver.cursor(sql, *params, prefetch=prefetch):
            yield record


# Reweighing after a change of the weighting table


def _signature_key():
    """What weighing reads of an act, as one text: acts with the same key weigh the same."""
    return func.concat_ws(
        "|", Act.profile, func.array_to_string(Act.act_types, ","), func.array_to_string(Act.violence_natures, ","),
        func.cardinality(Act.examinations), Act.person_age_band, Act.location, Act.duration_band,
        func.cast(Act.person_present, Text),
    )


async def weighing_signatures(session: AsyncSession) -> list[tuple]:
    """(key, profile, act_types, violence_natures, examinations count, age band, location, duration
    band, person present) of every distinct signature: a few thousand, against a million acts."""
    key = _signature_key()
    stmt = (select(key, Act.profile, Act.act_types, Act.violence_natures, func.cardinality(Act.examinations),
                   Act.person_age_band, Act.location, Act.duration_band, Act.person_present)
            .where(LIVE).distinct(key))
    return [tuple(row) for row in await session.execute(stmt)]


async def set_weighted_minutes(session: AsyncSession, minutes_by_key: dict[str, Decimal | None]) -> int:
    """One UPDATE joining the acts to their signature's minutes."""
    weights = select(
        func.unnest(literal(list(minutes_by_key), ARRAY(Text))).label("key"),
        func.unnest(literal(list(minutes_by_key.values()), ARRAY(Numeric))).label("minutes"),
    ).subquery("weights")
    result = await session.execute(
        update(Act).where(LIVE, _signature_key() == weights.c.key,
                          # an act whose weight does not change is not rewritten (nor its indexes)
                          Act.weighted_minutes.is_distinct_from(weights.c.minutes))
        .values(weighted_minutes=weights.c.minutes)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


async def act_counts(session: AsyncSession, hospital_id: int, since: dt.date) -> tuple[int, int, dt.date | None,
                                                                                          dt.date | None]:
    """(acts, acts since `since`, first and last examination day) of a hospital: counts only."""
    row = (await session.execute(
        select(func.count(), func.count().filter(Act.examined_on >= since), func.min(Act.examined_on),
               func.max(Act.examined_on)).where(Act.hospital_id == hospital_id, LIVE))).one()
    return row[0], row[1], row[2], row[3]

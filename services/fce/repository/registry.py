"""Reading the registry: one company or establishment, a company's establishments, successions,
what was imported, and the counts FCE gives other services about a company."""

from dataclasses import dataclass

from sqlalchemy import Row, bindparam, func, literal_column, or_, select, text, true
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.fce.models import Company, Establishment, ImportRejection, ImportSource, Succession
from shared.db import Lookup
from shared.pagination import PageParams, keyset, page_of


def sirets_of(siren: str):
    """All SIRETs of a SIREN, as one range of the primary key (SIRET = SIREN + 5-digit NIC)."""
    return Establishment.siret.between(f"{siren}00000", f"{siren}99999")


async def company(session: AsyncSession, siren: str) -> Company | None:
    return await session.get(Company, siren)


def _source(dataset: str):
    """The last import of a dataset, as columns source_* of a lookup's row. Its LIMIT is written
    into the SQL: as a parameter, PostgreSQL planned the establishment's lookup again at every call
    rather than keep one plan (0.54 ms a lookup at 1 M, against 0.26 ms)."""
    s = ImportSource.__table__
    return (select(s.c.file_name.label("source_file_name"), s.c.as_of.label("source_as_of"),
                   s.c.finished_at.label("source_imported_at"))
            .where(s.c.dataset == dataset).order_by(s.c.id.desc()).limit(literal_column("1")).lateral("source"))


def _columns(table):
    return [column for column in table.c if column.name != "search_vector"]


def _company_detail():
    company, source = Company.__table__, _source("companies")
    return (select(*_columns(company), *source.c).select_from(company.outerjoin(source, true()))
            .where(company.c.siren == bindparam("siren")))


def _establishment_detail():
    establishment, source = Establishment.__table__, _source("establishments")
    link = func.json_build_object(
        "predecessor_siret", Succession.predecessor_siret, "successor_siret", Succession.successor_siret,
        "succeeded_on", Succession.succeeded_on, "head_office_transfer", Succession.head_office_transfer,
        "economic_continuity", Succession.economic_continuity)
    involved = or_(Succession.predecessor_siret == establishment.c.siret,
                   Succession.successor_siret == establishment.c.siret)
    links = (select(func.coalesce(func.json_agg(aggregate_order_by(link, Succession.succeeded_on)),
                                  text("'[]'::json")))
             .where(involved).scalar_subquery().label("successions"))
    return (select(*_columns(establishment), *source.c, links)
            .select_from(establishment.outerjoin(source, true()))
            .where(establishment.c.siret == bindparam("siret")))


# Built once: a lookup is one prepared query run by the driver, its Python share kept small
# (target: p95 <= 5 ms).
COMPANY_DETAIL = Lookup(_company_detail())
ESTABLISHMENT_DETAIL = Lookup(_establishment_detail())


async def company_detail(connection: AsyncConnection, siren: str) -> dict | None:
    """The company and the import it comes from (source_*), in one query."""
    return await COMPANY_DETAIL.one_or_none(connection, siren=siren)


async def establishment_detail(connection: AsyncConnection, siret: str) -> dict | None:
    """The establishment, the import it comes from (source_*) and its successions, in one query."""
    return await ESTABLISHMENT_DETAIL.one_or_none(connection, siret=siret)


async def establishments_of(session: AsyncSession, siren: str, page: PageParams, state: str | None = None
                            ) -> tuple[list[Establishment], str | None]:
    """Head office first, then open before closed and bigger before smaller (the rank)."""
    stmt = select(Establishment).where(sirets_of(siren))
    if state:
        stmt = stmt.where(Establishment.state == state)
    stmt = keyset(stmt, [(Establishment.rank_key, False), (Establishment.siret, False)], page)
    rows = list((await session.execute(stmt)).scalars())
    return page_of(rows, page, key=lambda e: (e.rank_key, e.siret))


async def latest_sources(session: AsyncSession) -> dict[str, ImportSource]:
    """The last import of each dataset: where the registry's rows come from, and as of when."""
    stmt = (select(ImportSource).distinct(ImportSource.dataset)
            .order_by(ImportSource.dataset, ImportSource.id.desc()))
    return {source.dataset: source for source in (await session.execute(stmt)).scalars()}


async def sources(session: AsyncSession, page: PageParams, dataset: str | None = None
                  ) -> tuple[list[ImportSource], str | None]:
    stmt = select(ImportSource)
    if dataset:
        stmt = stmt.where(ImportSource.dataset == dataset)
    stmt = keyset(stmt, [(ImportSource.id, True)], page)
    return page_of(list((await session.execute(stmt)).scalars()), page, key=lambda s: (s.id,))


async def source(session: AsyncSession, source_id: int) -> ImportSource | None:
    return await session.get(ImportSource, source_id)


async def rejections(session: AsyncSession, source_id: int, page: PageParams
                     ) -> tuple[list[ImportRejection], str | None]:
    stmt = keyset(select(ImportRejection).where(ImportRejection.source_id == source_id),
                  [(ImportRejection.id, False)], page)
    return page_of(list((await session.execute(stmt)).scalars()), page, key=lambda r: (r.id,))


@dataclass(frozen=True)
class EstablishmentCounts:
    total: int
    open: int
    head_offices: int
    employers: int
    first_created_on: object
    last_created_on: object
    last_closed_on: object


async def establishment_counts(session: AsyncSession, siren: str, siret: str | None = None) -> EstablishmentCounts:
    condition = Establishment.siret == siret if siret else sirets_of(siren)
    row: Row = (await session.execute(
        select(
            func.count(),
            func.count().filter(Establishment.state == "A"),
            func.count().filter(Establishment.head_office),
            func.count().filter(Establishment.employer),
            func.min(Establishment.created_on),
            func.max(Establishment.created_on),
            func.max(Establishment.closed_on),
        ).where(condition)
    )).one()
    return EstablishmentCounts(*row)


async def succession_counts(session: AsyncSession, siren: str, siret: str | None = None) -> tuple:
    """(links, head-office transfers, last date, first date) involving the company's (or one) establishments."""
    if siret:
        involved = or_(Succession.predecessor_siret == siret, Succession.successor_siret == siret)
    else:
        involved = or_(Succession.predecessor_siret.between(f"{siren}00000", f"{siren}99999"),
                       Succession.successor_siret.between(f"{siren}00000", f"{siren}99999"))
    row = (await session.execute(
        select(func.count(), func.count().filter(Succession.head_office_transfer), func.max(Succession.succeeded_on),
               func.min(Succession.succeeded_on)).where(involved)
    )).one()
    return row[0], row[1], row[2], row[3]

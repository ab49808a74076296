"""Hospitals, their members, regional scopes and askers."""

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.medle.models import Asker, Hospital, HospitalMember, SupervisorRegion
from services.medle.repository.search import contains_text, folded
from shared.pagination import PageParams, keyset


async def hospital(session: AsyncSession, hospital_id: int) -> Hospital | None:
    return await session.get(Hospital, hospital_id)


async def hospital_by_finess(session: AsyncSession, finess: str) -> Hospital | None:
    return (await session.execute(select(Hospital).where(Hospital.finess == finess))).scalar_one_or_none()


async def list_hospitals(
    session: AsyncSession,
    readable: frozenset[int] | None,
    page: PageParams,
    regions: list[str],
    departements: list[str],
    kind: str | None,
) -> list[Hospital]:
    stmt = select(Hospital)
    if readable is not None:
        stmt = stmt.where(Hospital.id.in_(readable))
    if regions:
        stmt = stmt.where(Hospital.region.in_(regions))
    if departements:
        stmt = stmt.where(Hospital.departement.in_(departements))
    if kind:
        stmt = stmt.where(Hospital.kind == kind)
    return list((await session.execute(keyset(stmt, [(Hospital.id, False)], page))).scalars())


async def commune_place(session: AsyncSession, code: str) -> tuple[str, str] | None:
    """(département, région) of a commune of the `ref` referential."""
    row = (await session.execute(text("SELECT departement, region FROM ref.communes WHERE code = :c"),
                                 {"c": code})).one_or_none()
    return (row[0], row[1]) if row and row[0] and row[1] else None


async def hospital_ids_in_regions(session: AsyncSession, regions: list[str]) -> frozenset[int]:
    if not regions:
        return frozenset()
    rows = await session.execute(select(Hospital.id).where(Hospital.region.in_(regions)))
    return frozenset(rows.scalars())


async def memberships_of(session: AsyncSession, sub: str) -> dict[int, str]:
    rows = await session.execute(select(HospitalMember.hospital_id, HospitalMember.role)
                                 .where(HospitalMember.sub == sub))
    return {hospital_id: role for hospital_id, role in rows}


async def members(session: AsyncSession, hospital_id: int) -> list[HospitalMember]:
    rows = await session.execute(select(HospitalMember).where(HospitalMember.hospital_id == hospital_id)
                                 .order_by(HospitalMember.sub))
    return list(rows.scalars())


async def member(session: AsyncSession, hospital_id: int, sub: str) -> HospitalMember | None:
    return (await session.execute(select(HospitalMember).where(
        HospitalMember.hospital_id == hospital_id, HospitalMember.sub == sub))).scalar_one_or_none()


async def remove_member(session: AsyncSession, member: HospitalMember) -> None:
    await session.delete(member)
    await session.flush()


async def regions_of(session: AsyncSession, sub: str) -> list[str]:
    rows = await session.execute(select(SupervisorRegion.region).where(SupervisorRegion.sub == sub)
                                 .order_by(SupervisorRegion.region))
    return list(rows.scalars())


async def set_regions(session: AsyncSession, sub: str, regions: list[str]) -> None:
    await session.execute(delete(SupervisorRegion).where(SupervisorRegion.sub == sub))
    session.add_all(SupervisorRegion(sub=sub, region=r) for r in sorted(set(regions)))
    await session.flush()


async def known_regions(session: AsyncSession, codes: list[str]) -> set[str]:
    rows = await session.execute(text("SELECT code FROM ref.regions WHERE code = ANY(:c)"), {"c": codes})
    return set(rows.scalars())


async def region_names(session: AsyncSession) -> dict[str, str]:
    return dict((await session.execute(text("SELECT code, name FROM ref.regions"))).tuples().all())


# Askers


async def asker(session: AsyncSession, asker_id: int) -> Asker | None:
    return await session.get(Asker, asker_id)


async def askers_by_id(session: AsyncSession, ids: set[int]) -> dict[int, Asker]:
    if not ids:
        return {}
    rows = await session.execute(select(Asker).where(Asker.id.in_(ids)))
    return {a.id: a for a in rows.scalars()}


async def existing_asker_ids(session: AsyncSession, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set((await session.execute(select(Asker.id).where(Asker.id.in_(ids)))).scalars())


async def list_askers(
    session: AsyncSession, page: PageParams, q: str | None, type_: str | None, departement: str | None
) -> list[Asker]:
    stmt = select(Asker)
    if q:
        stmt = stmt.where(contains_text(folded(Asker.name), q))
    if type_:
        stmt = stmt.where(Asker.type == type_)
    if departement:
        stmt = stmt.where(Asker.departement == departement)
    return list((await session.execute(keyset(stmt, [(Asker.id, False)], page))).scalars())


async def hospitals_with_siret(session: AsyncSession, siren: str, siret: str | None) -> list[Hospital]:
    stmt = select(Hospital).where(Hospital.siret == siret) if siret else select(Hospital).where(
        Hospital.siret.like(f"{siren}%"))
    return list((await session.execute(stmt.order_by(Hospital.siret))).scalars())

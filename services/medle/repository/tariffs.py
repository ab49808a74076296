"""The fee schedule and the weighting table in force."""

import datetime as dt

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.medle.domain.enums import ActType, Profile
from services.medle.domain.fees import Tariff as TariffRule
from services.medle.models import Tariff, WeightingVersion


async def tariffs(session: AsyncSession, in_force_on: dt.date | None = None) -> list[Tariff]:
    stmt = select(Tariff).order_by(Tariff.act_type.nulls_first(), Tariff.profile.nulls_first(), Tariff.valid_from)
    if in_force_on is not None:
        stmt = stmt.where(Tariff.valid_from <= in_force_on,
                          (Tariff.valid_to.is_(None)) | (Tariff.valid_to >= in_force_on))
    return list((await session.execute(stmt)).scalars())


def as_rule(tariff: Tariff) -> TariffRule:
    return TariffRule(ActType(tariff.act_type) if tariff.act_type else None,
                      Profile(tariff.profile) if tariff.profile else None,
                      tariff.amount, tariff.valid_from, tariff.valid_to)


async def schedule(session: AsyncSession) -> list[TariffRule]:
    """The whole fee schedule, as the domain prices acts with it."""
    return [as_rule(t) for t in await tariffs(session)]


async def tariff(session: AsyncSession, tariff_id: int) -> Tariff | None:
    return await session.get(Tariff, tariff_id)


async def current_weighting(session: AsyncSession) -> WeightingVersion | None:
    return (await session.execute(select(WeightingVersion).order_by(WeightingVersion.id.desc()).limit(1))
            ).scalar_one_or_none()


async def weighting_for_writing_acts(session: AsyncSession) -> WeightingVersion | None:
    """The table in force, held (SHARE) until the transaction ends: a change of table waits for
    the acts being written, and they for it, so that no act keeps a replaced table's minutes."""
    await session.execute(text("LOCK TABLE weighting_versions IN SHARE MODE"))
    return await current_weighting(session)


async def lock_weighting_for_change(session: AsyncSession) -> None:
    await session.execute(text("LOCK TABLE weighting_versions IN EXCLUSIVE MODE"))
    # Every act is weighed again in this transaction: a million acts outlast a request's 15 s.
    await session.execute(text("SET LOCAL statement_timeout = '30min'"))

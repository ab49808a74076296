"""The acts of a hospital's month, as the mémoire de frais reads them."""

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.medle.domain.enums import ActType, Profile
from services.medle.domain.fees import BilledAct
from services.medle.models import Act


async def billed_acts(session: AsyncSession, hospital_id: int, start: dt.date, end: dt.date) -> list[BilledAct]:
    rows = await session.execute(
        select(Act.id, Act.internal_number, Act.examined_on, Act.profile, Act.act_types, Act.asker_id,
               Act.pv_number)
        .where(Act.hospital_id == hospital_id, Act.deleted_at.is_(None), Act.asker_id.is_not(None),
               Act.examined_on >= start, Act.examined_on <= end)
    )
    return [
        BilledAct(id_, number, day, Profile(profile), [ActType(t) for t in act_types], asker_id, pv)
        for id_, number, day, profile, act_types, asker_id, pv in rows
    ]

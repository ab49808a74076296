"""The fee schedule (versioned by validity dates) and the weighting table of the activity."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from fastapi import APIRouter, Request, Response

from services.medle.api.callers import Admin, Reader, ReportReader
from services.medle.domain.activity import ANCHOR_WEIGHTING, act_minutes
from services.medle.domain.acts import ActFacts
from services.medle.domain.enums import ActType, AgeBand, DurationBand, Examination, Location, Profile, ViolenceNature
from services.medle.domain.fees import Tariff as TariffRule
from services.medle.domain.fees import overlapping_tariffs
from services.medle.models import Tariff, WeightingVersion
from services.medle.repository import acts as acts_repo
from services.medle.repository import tariffs as repo
from services.medle.schemas import TariffIn, TariffOut, TariffPatch, WeightingTableIn, WeightingTableOut
from shared import audit
from shared.concurrency import check_if_match, set_etag
from shared.db import Session
from shared.errors import conflict, field_error, invalid, not_found

router = APIRouter(prefix="/v1", tags=["tariffs and weighting"])

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _out(tariff: Tariff) -> TariffOut:
    return TariffOut.model_validate(tariff, from_attributes=True)


async def _refuse_overlap(session, candidate: TariffRule, except_id: int | None = None) -> None:
    others = [repo.as_rule(t) for t in await repo.tariffs(session) if t.id != except_id]
    for first, _second in overlapping_tariffs([candidate, *others]):
        if first is candidate:
            raise conflict("another tariff of this act type and profile is in force on some of these days; "
                           "end it first (valid_to)")


@router.get("/tariffs", response_model=list[TariffOut])
async def list_tariffs(_: Reader, session: Session, in_force_on: dt.date | None = None):
    return [_out(t) for t in await repo.tariffs(session, in_force_on)]


@router.post("/tariffs", status_code=201, response_model=TariffOut)
async def create_tariff(body: TariffIn, caller: Admin, session: Session, request: Request, response: Response):
    """A new price. Periods of the same act type and profile must not overlap (409)."""
    await _refuse_overlap(session, TariffRule(body.act_type, body.profile, body.amount, body.valid_from,
                                              body.valid_to))
    tariff = Tariff(**body.model_dump(), created_by=caller.sub)
    session.add(tariff)
    await session.flush()
    await audit.record(session, request, caller, "create", "tariff", tariff.id, after=_out(tariff))
    response.headers["Location"] = f"/v1/tariffs/{tariff.id}"
    set_etag(response, tariff.version)
    return _out(tariff)


@router.patch("/tariffs/{tariff_id}", response_model=TariffOut)
async def end_tariff(tariff_id: int, body: TariffPatch, caller: Admin, session: Session, request: Request,
                     response: Response):
    """Set or move the last day of a tariff (If-Match); a price itself is never changed."""
    tariff = await repo.tariff(session, tariff_id)
    if tariff is None:
        raise not_found("tariff")
    check_if_match(request, tariff.version)
    if body.valid_to is not None and body.valid_to < tariff.valid_from:
        raise invalid([field_error(["body", "valid_to"], "before the tariff's valid_from")])
    candidate = replace(repo.as_rule(tariff), valid_to=body.valid_to)
    await _refuse_overlap(session, candidate, except_id=tariff.id)
    before = _out(tariff)
    tariff.valid_to = body.valid_to
    await session.flush()
    await audit.record(session, request, caller, "update", "tariff", tariff.id, before=before, after=_out(tariff))
    set_etag(response, tariff.version)
    return _out(tariff)


def _weighting_out(version: WeightingVersion | None, reweighed: int | None = None) -> WeightingTableOut:
    if version is None:
        return WeightingTableOut(**WeightingTableIn.from_domain(ANCHOR_WEIGHTING).model_dump(), version=0,
                                 created_by="anchor", created_at=EPOCH)
    return WeightingTableOut(**version.table, version=version.id, created_by=version.created_by,
                             created_at=version.created_at, reweighed_acts=reweighed)


@router.get("/weighting", response_model=WeightingTableOut)
async def get_weighting(_: ReportReader, session: Session):
    """The weighting table in force (the anchor's until an administrator sets one)."""
    return _weighting_out(await repo.current_weighting(session))


@router.put("/weighting", response_model=WeightingTableOut)
async def put_weighting(body: WeightingTableIn, caller: Admin, session: Session, request: Request):
    """A new version of the weighting table. Every act is weighed again with it, in the same
    transaction, so that reports never mix two tables."""
    await repo.lock_weighting_for_change(session)
    before = await repo.current_weighting(session)
    version = WeightingVersion(table=body.model_dump(mode="json"), created_by=caller.sub)
    session.add(version)
    await session.flush()
    await session.refresh(version)
    table = body.to_domain()
    minutes_by_key = {}
    for key, profile, act_types, natures, n_examinations, age, location, duration, present in (
        await acts_repo.weighing_signatures(session)
    ):
        facts = ActFacts(
            Profile(profile), EPOCH, act_types=[ActType(t) for t in act_types],
            violence_natures=[ViolenceNature(n) for n in natures],
            # only how many examinations weighs, not which
            examinations=[Examination.AUTRE] * n_examinations,
            person_age_band=AgeBand(age) if age else None, location=Location(location) if location else None,
            duration_band=DurationBand(duration) if duration else None, person_present=present,
        )
        minutes = act_minutes(facts, table)
        minutes_by_key[key] = minutes.quantize(Decimal("0.001")) if minutes is not None else None
    reweighed = await acts_repo.set_weighted_minutes(session, minutes_by_key) if minutes_by_key else 0
    await audit.record(session, request, caller, "update", "weighting", version.id,
                       before={"version": before.id if before else 0}, after={"version": version.id,
                                                                            "reweighed_acts": reweighed})
    return _weighting_out(version, reweighed)

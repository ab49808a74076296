"""What medle knows about a company (FCE's aggregation contract): acts counted, nothing personal."""

import datetime as dt

from fastapi import APIRouter, Depends

from services.medle.api.callers import READ
from services.medle.domain.calendar import PARIS
from services.medle.repository import acts as acts_repo
from services.medle.repository import hospitals as repo
from shared.auth import require_scopes
from shared.db import Session
from shared.interactions import CompanyQuery, Interaction, InteractionsResponse

router = APIRouter(prefix="/v1", tags=["interactions"])


@router.get("/interactions", response_model=InteractionsResponse, dependencies=[Depends(require_scopes(READ))])
async def interactions(company: CompanyQuery, session: Session):
    """The forensic units of that company (a hospital's SIRET) and how many acts they recorded."""
    today = dt.datetime.now(PARIS).date()
    year_ago = today - dt.timedelta(days=365)
    items = []
    for hospital in await repo.hospitals_with_siret(session, company.siren, company.siret):
        total, last_year, first, last = await acts_repo.act_counts(session, hospital.id, year_ago)
        items.append(Interaction(
            kind="forensic_acts",
            label=f"Actes de médecine légale — {hospital.name}",
            count=total,
            first_at=first,
            last_at=last,
            siret=hospital.siret,
            details={"finess": hospital.finess, "kind": hospital.kind, "acts_last_12_months": last_year},
        ))
    return InteractionsResponse(source="medle", siren=company.siren, siret=company.siret, items=items,
                                as_of=dt.datetime.now(dt.UTC))

"""What mjpm knows about a company (for FCE's 360° view): its services and individual
mandataires by SIRET/SIREN, with counts of measures — never a person."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends

from services.mjpm import repository
from services.mjpm.domain.enums import ManagerKind, RegistryStatus
from services.mjpm.domain.registry import standing_of
from shared.auth import Principal, require_any_scope
from shared.db import Session
from shared.interactions import CompanyQuery, Interaction, InteractionsResponse

router = APIRouter(prefix="/v1", tags=["interactions"])
Reader = Annotated[Principal, Depends(require_any_scope("mjpm:read", "mjpm:report", "mjpm:admin"))]

LABELS = {
    ManagerKind.SERVICE: "Service mandataire judiciaire à la protection des majeurs",
    ManagerKind.INDIVIDUEL: "Mandataire judiciaire individuel à la protection des majeurs",
}


@router.get("/interactions")
async def interactions(company: CompanyQuery, session: Session, _: Reader) -> InteractionsResponse:
    rows = await repository.managers_of_company(session, company.siren, company.siret)
    items = [
        Interaction(
            kind="mjpm_manager",
            label=LABELS[ManagerKind(r["kind"])],
            count=r["in_progress"] + r["reserved"],
            first_at=r["created_at"].date(),
            last_at=r["last_change"].date() if r["last_change"] else None,
            siret=r["siret"],
            details={
                "standing": standing_of(RegistryStatus(r["registry_status"]), r["suspended"]).value,
                "approved_capacity": r["approved_capacity"],
                "measures_in_progress": r["in_progress"],
                "measures_reserved": r["reserved"],
                "measures_closed": r["closed"],
                "departements_approved": r["departements"],
            },
        )
        for r in rows
    ]
    return InteractionsResponse(source="mjpm", siren=company.siren, siret=company.siret, items=items,
                                as_of=dt.datetime.now(dt.UTC))

"""What fce itself holds about a company, in the contract every service implements for the 360°
view: its registry entry, establishments and successions, as counts and dates (no names)."""

import datetime as dt

from fastapi import APIRouter

from services.fce.api.access import RegistryReader
from services.fce.repository import registry
from shared.db import Session
from shared.interactions import CompanyQuery, Interaction, InteractionsResponse

router = APIRouter(prefix="/v1", tags=["interactions"])


@router.get("/interactions")
async def interactions(_: RegistryReader, company: CompanyQuery, session: Session) -> InteractionsResponse:
    items = []
    entry = await registry.company(session, company.siren)
    if entry is not None:
        items.append(Interaction(
            kind="registry", label="Unité légale au répertoire Sirene", first_at=entry.created_on,
            last_at=entry.ceased_on,
            details={"state": entry.state, "naf": entry.naf, "headcount_band": entry.headcount_band,
                     "legal_category": entry.legal_category, "diffusion_status": entry.diffusion_status},
        ))
    counts = await registry.establishment_counts(session, company.siren, company.siret)
    if counts.total:
        last = max((d for d in (counts.last_created_on, counts.last_closed_on) if d), default=None)
        items.append(Interaction(
            kind="establishments", label="Établissements" if not company.siret else "Établissement",
            count=counts.total, first_at=counts.first_created_on, last_at=last, siret=company.siret,
            details={"open": counts.open, "closed": counts.total - counts.open, "head_offices": counts.head_offices,
                     "employers": counts.employers},
        ))
    links, transfers, last_on, first_on = await registry.succession_counts(session, company.siren, company.siret)
    if links:
        items.append(Interaction(
            kind="successions", label="Successions d'établissements (reprises, transferts de siège)", count=links,
            first_at=first_on, last_at=last_on, siret=company.siret, details={"head_office_transfers": transfers},
        ))
    sources = await registry.latest_sources(session)
    imported = [s.finished_at for s in sources.values()]
    return InteractionsResponse(source="fce", siren=company.siren, siret=company.siret, items=items,
                                as_of=max(imported) if imported else dt.datetime.now(dt.UTC))

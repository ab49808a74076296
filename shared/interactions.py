"""The contract every service implements so FCE can aggregate: what do you know about this company?

`GET /v1/interactions?siren=` or `?siret=` (exactly one) → `InteractionsResponse`. Counts and
dates, never personal data.
"""

import datetime as dt
from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict

from shared.errors import field_error, invalid
from shared.ids import siren_problem, siret_problem


class Interaction(BaseModel):
    kind: str  # e.g. "acts", "measures", "controls"
    label: str  # human-readable, in French for agents
    count: int | None = None
    first_at: dt.date | None = None
    last_at: dt.date | None = None
    siret: str | None = None
    details: dict[str, int | str | None] = {}


class Contact(BaseModel):
    label: str
    email: str | None = None
    phone: str | None = None


class InteractionsResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str  # the service's name
    siren: str
    siret: str | None = None
    items: list[Interaction]
    contacts: list[Contact] = []
    as_of: dt.datetime


class CompanyRef(BaseModel):
    siren: str
    siret: str | None = None


async def company_ref(
    siren: Annotated[str | None, Query(description="9 digits")] = None,
    siret: Annotated[str | None, Query(description="14 digits")] = None,
) -> CompanyRef:
    if (siren is None) == (siret is None):
        raise invalid([field_error(["query", "siren"], "give exactly one of siren or siret")])
    if siret is not None:
        siret = siret.replace(" ", "")
        if problem := siret_problem(siret):
            raise invalid([field_error(["query", "siret"], problem)])
        return CompanyRef(siren=siret[:9], siret=siret)
    siren = siren.replace(" ", "")
    if problem := siren_problem(siren):
        raise invalid([field_error(["query", "siren"], problem)])
    return CompanyRef(siren=siren)


CompanyQuery = Annotated[CompanyRef, Depends(company_ref)]

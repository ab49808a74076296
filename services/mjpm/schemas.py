"""What comes into and leaves mjpm: Pydantic models, never ORM objects."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.mjpm.domain.enums import (
    EstablishmentType,
    ExitCause,
    LivingPlace,
    ManagerKind,
    ManagerStanding,
    MeasureNature,
    MeasureStatus,
    ProtectionScope,
    RegistryStatus,
    ReviewResult,
    Sex,
)
from shared.ids import Email, Finess, Phone, Siret

CommuneCode = Annotated[str, Field(pattern=r"^[0-9][0-9AB][0-9]{3}$", description="code INSEE")]
DepartementCode = Annotated[str, Field(pattern=r"^(?:[0-9]{2}|2A|2B|97[1-8])$")]
Capacity = Annotated[int, Field(ge=0, le=100_000)]
Text = Annotated[str, Field(min_length=1, max_length=500)]
BirthYear = Annotated[int, Field(ge=1900, le=2100)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- Courts and memberships -------------------------------------------------------------------


class CourtIn(In):
    siret: Siret
    name: Text
    commune_code: CommuneCode
    successor_id: int | None = None


class CourtOut(BaseModel):
    id: int
    siret: str
    name: str
    commune_code: str | None
    departement: str
    successor_id: int | None


class MembershipIn(In):
    """Exactly one of court_id (judge, clerk), manager_id (manager, service staff, editor client)
    or departement (State agent)."""

    sub: Text
    court_id: int | None = None
    manager_id: int | None = None
    departement: DepartementCode | None = None

    @model_validator(mode="after")
    def one_target(self):
        if sum(v is not None for v in (self.court_id, self.manager_id, self.departement)) != 1:
            raise ValueError("give exactly one of court_id, manager_id or departement")
        return self


class MembershipOut(BaseModel):
    id: int
    sub: str
    court_id: int | None
    manager_id: int | None
    departement: str | None


class Me(BaseModel):
    sub: str
    roles: list[str]
    court_ids: list[int]
    manager_ids: list[int]
    departements: list[str]


# --- Managers (the registry) ------------------------------------------------------------------


class ManagerApplication(In):
    kind: ManagerKind
    name: Text
    siret: Siret | None = None
    finess: Finess | None = None
    email: Email | None = None
    phone: Phone | None = None
    address: Text | None = None
    commune_code: CommuneCode
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    capacity: Capacity | None = None
    preferred_court_ids: list[int] = Field(default_factory=list, max_length=50)


class ManagerUpdate(In):
    email: Email | None = None
    phone: Phone | None = None
    address: Text | None = None
    commune_code: CommuneCode | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    capacity: Capacity | None = None
    preferred_court_ids: list[int] | None = Field(None, max_length=50)


class ApprovalIn(In):
    departement: DepartementCode
    financing_departement: DepartementCode | None = None  # defaults to the département itself


class ApprovalOut(BaseModel):
    departement: str
    financing_departement: str
    approved_at: dt.datetime
    approved_by: str


class Approve(In):
    approved_capacity: Capacity
    # The départements whose list the manager joins; the manager's own when empty.
    departements: list[ApprovalIn] = Field(default_factory=list, max_length=101)


class Decision(In):
    reason: Text


class Suspension(In):
    reason: str | None = Field(None, max_length=500)  # required: the domain says why in a 422


class ApprovedCapacity(In):
    approved_capacity: Capacity


class ManagerOut(BaseModel):
    id: int
    kind: ManagerKind
    name: str
    siret: str | None
    finess: str | None
    email: str | None
    phone: str | None
    address: str | None
    commune_code: str
    departement: str
    latitude: float | None
    longitude: float | None
    capacity: int | None
    approved_capacity: int | None
    registry_status: RegistryStatus
    standing: ManagerStanding
    decision_reason: str | None
    suspension_reason: str | None
    in_progress: int
    reserved: int
    remaining: int
    approvals: list[ApprovalOut]
    preferred_court_ids: list[int]
    version: int


class AntennaIn(In):
    name: Text
    commune_code: CommuneCode
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    capacity: Capacity | None = None
    email: Email | None = None
    phone: Phone | None = None
    address: Text | None = None


class AntennaUpdate(In):
    name: Text | None = None
    commune_code: CommuneCode | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    capacity: Capacity | None = None
    email: Email | None = None
    phone: Phone | None = None
    address: Text | None = None


class AntennaOut(BaseModel):
    id: int
    manager_id: int
    name: str
    commune_code: str
    latitude: float | None
    longitude: float | None
    capacity: int | None
    email: str | None
    phone: str | None
    address: str | None
    version: int


class StaffIn(In):
    sub: Text


# --- Matching ---------------------------------------------------------------------------------


class MatchPerson(BaseModel):
    commune_code: str | None
    departement: str
    latitude: float
    longitude: float


class MatchItem(BaseModel):
    manager_id: int
    name: str
    kind: ManagerKind
    antenna_id: int | None
    distance_km: float
    remaining: int
    preferred: bool
    score: float
    reasons: list[str]


class Excluded(BaseModel):
    manager_id: int
    name: str
    reason: str


class MatchOut(BaseModel):
    person: MatchPerson
    court_id: int | None
    nature: MeasureNature | None
    items: list[MatchItem]
    excluded: list[Excluded] | None = None


# --- Measures ---------------------------------------------------------------------------------


class MeasureFields(In):
    """The fields of a measure that both the court and the manager describe."""

    cabinet: Annotated[str, Field(max_length=50)] | None = None
    nature: MeasureNature | None = None
    champ: ProtectionScope | None = None
    urgent: bool = False
    sex: Sex | None = None
    birth_year: BirthYear | None = None
    commune_code: CommuneCode | None = None
    residence_country: Annotated[str, Field(min_length=2, max_length=2)] | None = None
    living_place: LivingPlace | None = None
    establishment_type: EstablishmentType | None = None
    judgment_date: dt.date | None = None


class Reservation(MeasureFields):
    """A court entrusts a measure to a manager (∅ → en_attente)."""

    rg: Annotated[str, Field(max_length=40)]
    manager_id: int
    court_id: int | None = None  # required when the judge sits in several courts
    antenna_id: int | None = None
    nature: MeasureNature  # type: ignore[assignment]
    override_reason: Text | None = None  # to reserve beyond the manager's capacity


class Acceptance(In):
    nomination_date: dt.date | None = None  # required: the domain says why in a 422
    antenna_id: int | None = None
    first_measure_date: dt.date | None = None


class Withdrawal(In):
    reason: Text | None = None


class Closing(In):
    exit_cause: ExitCause | None = None  # required: the domain says why in a 422
    end_date: dt.date | None = None
    review_result: ReviewResult | None = None


class Reactivation(In):
    reason: Text | None = None


class Reopening(In):
    override_reason: Text | None = None
    reason: Text | None = None


class ResourceIn(In):
    year: Annotated[int, Field(ge=1990, le=2100)]
    amount: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
    social_benefits: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=20)


class ResourceOut(BaseModel):
    year: int
    amount: Decimal
    social_benefits: list[str]


class MeasureIn(MeasureFields):
    """A measure as a manager's software sends it (create, batch line)."""

    rg: Annotated[str, Field(max_length=40)]
    court_siret: Annotated[str, Field(max_length=20)]  # checked by the domain, per line in a batch
    status: Literal[MeasureStatus.EN_COURS, MeasureStatus.ETEINTE] = MeasureStatus.EN_COURS
    manager_id: int | None = None  # required when the caller acts for several managers
    antenna_id: int | None = None
    nomination_date: dt.date | None = None
    first_measure_date: dt.date | None = None
    protection_date: dt.date | None = None
    last_state_change_date: dt.date | None = None
    end_date: dt.date | None = None
    exit_cause: ExitCause | None = None
    review_result: ReviewResult | None = None
    resources: list[ResourceIn] | None = Field(None, max_length=50)


class MeasureUpdate(In):
    """PATCH: only the fields sent change; the status changes only by its transitions."""

    rg: Annotated[str, Field(max_length=40)] | None = None
    cabinet: Annotated[str, Field(max_length=50)] | None = None
    nature: MeasureNature | None = None
    champ: ProtectionScope | None = None
    urgent: bool | None = None
    sex: Sex | None = None
    birth_year: BirthYear | None = None
    commune_code: CommuneCode | None = None
    residence_country: Annotated[str, Field(min_length=2, max_length=2)] | None = None
    living_place: LivingPlace | None = None
    establishment_type: EstablishmentType | None = None
    judgment_date: dt.date | None = None
    nomination_date: dt.date | None = None
    first_measure_date: dt.date | None = None
    protection_date: dt.date | None = None
    end_date: dt.date | None = None
    exit_cause: ExitCause | None = None
    review_result: ReviewResult | None = None
    antenna_id: int | None = None
    resources: list[ResourceIn] | None = Field(None, max_length=50)


class Batch(In):
    measures: list[MeasureIn] = Field(min_length=1, max_length=1000)


class BatchLine(BaseModel):
    line: int
    id: int
    outcome: Literal["created", "updated", "unchanged"]


class BatchOut(BaseModel):
    items: list[BatchLine]
    created: int
    updated: int


class StateOut(BaseModel):
    action: str
    status: MeasureStatus
    date: dt.date
    at: dt.datetime
    actor: str
    reason: str | None


class MeasureOut(BaseModel):
    id: int
    rg: str
    court_id: int
    cabinet: str | None
    manager_id: int
    antenna_id: int | None
    judge_name: str | None
    status: MeasureStatus
    nature: MeasureNature | None
    champ: ProtectionScope | None
    urgent: bool
    sex: Sex | None
    birth_year: int | None
    commune_code: str | None
    departement: str | None
    residence_country: str
    living_place: LivingPlace | None
    establishment_type: EstablishmentType | None
    judgment_date: dt.date | None
    nomination_date: dt.date | None
    first_measure_date: dt.date | None
    protection_date: dt.date | None
    end_date: dt.date | None
    exit_cause: ExitCause | None
    review_result: ReviewResult | None
    override_reason: str | None
    status_changed_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted: bool
    version: int


class MeasureDetail(MeasureOut):
    states: list[StateOut]
    resources: list[ResourceOut]


class MeasurePage(BaseModel):
    items: list[MeasureOut]
    next_cursor: str | None = None
    # With changed_since: every change before this instant has been listed once all pages are
    # read; pass it as the next changed_since.
    changed_until: dt.datetime | None = None


class JobsOut(BaseModel):
    expired: int
    closed: int

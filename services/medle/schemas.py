"""What enters and leaves the medle API (never ORM objects)."""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.medle.domain.access import MemberRole
from services.medle.domain.activity import Weighting, WeightingTable
from services.medle.domain.enums import (
    ActType,
    AgeBand,
    AskerType,
    DeathCause,
    DistanceBand,
    DurationBand,
    Examination,
    Gender,
    HospitalKind,
    Location,
    PeriodOfDay,
    Profile,
    ViolenceContext,
    ViolenceNature,
)
from shared.ids import Finess, Siret

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Number = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
Etp = Annotated[Decimal, Field(ge=0, le=9999, max_digits=6, decimal_places=2)]


class Input(BaseModel):
    # Unknown fields (hospital_id, added_by, ...) are a 422: no mass assignment.
    model_config = ConfigDict(extra="forbid")


# Hospitals and their people


class HospitalIn(Input):
    finess: Finess
    name: Name
    address: str | None = Field(None, max_length=300)
    commune: Annotated[str, StringConstraints(pattern=r"^(\d{5}|2[AB]\d{3})$")] = Field(
        description="code INSEE of the commune; département and région follow from it"
    )
    kind: HospitalKind
    can_do_post_mortem: bool = False
    siret: Siret | None = None


class HospitalPatch(Input):
    name: Name | None = None
    address: str | None = Field(None, max_length=300)
    kind: HospitalKind | None = None
    can_do_post_mortem: bool | None = None
    siret: Siret | None = None


class HospitalOut(BaseModel):
    id: int
    finess: str
    siret: str | None
    name: str
    address: str | None
    commune: str
    departement: str
    region: str
    kind: HospitalKind
    can_do_post_mortem: bool
    version: int


class MemberIn(Input):
    sub: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    role: MemberRole


class MemberOut(BaseModel):
    hospital_id: int
    sub: str
    role: MemberRole
    added_by: str
    created_at: dt.datetime


class SupervisorIn(Input):
    regions: list[Annotated[str, StringConstraints(pattern=r"^\d{2}$")]] = Field(max_length=30)


class SupervisorOut(BaseModel):
    sub: str
    regions: list[str]


# Askers


class AskerIn(Input):
    name: Name
    type: AskerType
    departement: Annotated[str, StringConstraints(pattern=r"^(\d{2,3}|2[AB])$")] | None = None


class AskerPatch(Input):
    name: Name | None = None
    type: AskerType | None = None
    departement: Annotated[str, StringConstraints(pattern=r"^(\d{2,3}|2[AB])$")] | None = None


class AskerOut(BaseModel):
    id: int
    name: str
    type: AskerType
    departement: str | None
    version: int


# Acts


class ActIn(Input):
    """An act as a hospital records it. The hospital is the caller's, never a field of the body."""

    internal_number: Number
    pv_number: Number | None = None
    asker_id: int | None = None
    requisition_date: dt.date | None = None
    sans_plainte: bool = False
    examined_at: AwareDatetime
    profile: Profile
    act_types: list[ActType] = Field(default_factory=list, max_length=len(ActType))
    examinations: list[Examination] = Field(default_factory=list, max_length=len(Examination))
    violence_natures: list[ViolenceNature] = Field(default_factory=list, max_length=len(ViolenceNature))
    attack: Name | None = None
    violence_contexts: list[ViolenceContext] = Field(default_factory=list, max_length=len(ViolenceContext))
    location: Location | None = None
    person_age_band: AgeBand | None = None
    person_gender: Gender | None = None
    person_present: bool | None = None
    itt_days: int | None = Field(None, description="0–365, living victims only; checked with the other rules")
    death_cause: DeathCause | None = None
    distance_band: DistanceBand | None = None
    duration_band: DurationBand | None = None


class ActPatch(Input):
    """Fields to change; `null` clears an optional field. The whole act is checked again."""

    internal_number: Number | None = None
    pv_number: Number | None = None
    asker_id: int | None = None
    requisition_date: dt.date | None = None
    sans_plainte: bool | None = None
    examined_at: AwareDatetime | None = None
    profile: Profile | None = None
    act_types: list[ActType] | None = Field(None, max_length=len(ActType))
    examinations: list[Examination] | None = Field(None, max_length=len(Examination))
    violence_natures: list[ViolenceNature] | None = Field(None, max_length=len(ViolenceNature))
    attack: Name | None = None
    violence_contexts: list[ViolenceContext] | None = Field(None, max_length=len(ViolenceContext))
    location: Location | None = None
    person_age_band: AgeBand | None = None
    person_gender: Gender | None = None
    person_present: bool | None = None
    itt_days: int | None = None
    death_cause: DeathCause | None = None
    distance_band: DistanceBand | None = None
    duration_band: DurationBand | None = None


REQUIRED_ACT_FIELDS = ("internal_number", "examined_at", "profile", "sans_plainte")


class ActOut(BaseModel):
    id: int
    hospital_id: int
    internal_number: str
    pv_number: str | None
    asker_id: int | None
    requisition_date: dt.date | None
    sans_plainte: bool
    examined_at: dt.datetime
    examined_on: dt.date
    period_of_day: PeriodOfDay
    profile: Profile
    act_types: list[ActType]
    examinations: list[Examination]
    violence_natures: list[ViolenceNature]
    attack: str | None
    violence_contexts: list[ViolenceContext]
    location: Location | None
    person_age_band: AgeBand | None
    person_gender: Gender | None
    person_present: bool | None
    itt_days: int | None
    death_cause: DeathCause | None
    distance_band: DistanceBand | None
    duration_band: DurationBand | None
    added_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class CreatedAct(BaseModel):
    line: int
    id: int
    internal_number: str


class ActBatchOut(BaseModel):
    created: int
    items: list[CreatedAct]


# Staffing


class StaffingIn(Input):
    doctors: Etp
    secretaries: Etp = Decimal(0)
    nurses: Etp = Decimal(0)
    executives: Etp = Decimal(0)
    auditorium_agents: Etp = Decimal(0)
    others: Etp = Decimal(0)
    doctors_target: Etp | None = None
    secretaries_target: Etp | None = None
    nurses_target: Etp | None = None
    executives_target: Etp | None = None
    auditorium_agents_target: Etp | None = None
    others_target: Etp | None = None


class StaffingOut(StaffingIn):
    model_config = ConfigDict(extra="ignore")

    hospital_id: int
    month: str
    updated_by: str
    updated_at: dt.datetime
    version: int


class StaffingRevisionOut(BaseModel):
    version: int
    etp: dict[str, Decimal | None]
    changed_by: str
    changed_at: dt.datetime


class MissingStaffingOut(BaseModel):
    hospital_id: int
    hospital: str
    region: str
    last_staffed_month: str | None
    months_missing: list[str]


# Tariffs and weighting


class TariffIn(Input):
    act_type: ActType | None = None
    profile: Profile | None = None
    amount: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=2)]
    valid_from: dt.date
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _period(self):
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class TariffPatch(Input):
    valid_to: dt.date | None


class TariffOut(BaseModel):
    id: int
    act_type: ActType | None
    profile: Profile | None
    amount: Decimal
    valid_from: dt.date
    valid_to: dt.date | None
    version: int


Factor = Annotated[Decimal, Field(ge=0, le=100)]


class WeightingIn(Input):
    profile: Profile
    act_type: ActType | None = None
    violence_nature: ViolenceNature | None = None
    minutes: Annotated[Decimal, Field(ge=0, le=10000)]
    age_factors: dict[AgeBand, Factor] = {}
    location_factors: dict[Location, Factor] = {}
    duration_factors: dict[DurationBand, Factor] = {}


class WeightingTableIn(Input):
    """The weighting of the activity (domain.activity): minutes × factors, ÷ minutes_per_day."""

    weightings: list[WeightingIn] = Field(min_length=1, max_length=500)
    several_natures_factor: Factor = Decimal("1.5")
    minutes_per_examination: Annotated[Decimal, Field(ge=0, le=1000)] = Decimal(10)
    minutes_per_day: Annotated[Decimal, Field(gt=0, le=1440)] = Decimal(480)

    @model_validator(mode="after")
    def _one_weighting_per_key(self):
        keys = [(w.profile, w.act_type, w.violence_nature) for w in self.weightings]
        if len(set(keys)) != len(keys):
            raise ValueError("two weightings for the same profile, act type and violence nature")
        return self

    def to_domain(self) -> WeightingTable:
        return WeightingTable(
            weightings=tuple(
                Weighting(w.profile, w.act_type, w.minutes, w.violence_nature, w.age_factors,
                          w.location_factors, w.duration_factors)
                for w in self.weightings
            ),
            several_natures_factor=self.several_natures_factor,
            minutes_per_examination=self.minutes_per_examination,
            minutes_per_day=self.minutes_per_day,
        )

    @classmethod
    def from_domain(cls, table: WeightingTable) -> "WeightingTableIn":
        return cls(
            weightings=[
                WeightingIn(profile=w.profile, act_type=w.act_type, violence_nature=w.violence_nature,
                            minutes=w.minutes, age_factors=dict(w.age_factors),
                            location_factors=dict(w.location_factors), duration_factors=dict(w.duration_factors))
                for w in table.weightings
            ],
            several_natures_factor=table.several_natures_factor,
            minutes_per_examination=table.minutes_per_examination,
            minutes_per_day=table.minutes_per_day,
        )


class WeightingTableOut(WeightingTableIn):
    model_config = ConfigDict(extra="ignore")

    version: int
    created_by: str
    created_at: dt.datetime
    reweighed_acts: int | None = Field(None, description="acts whose weight changed with this version")


# Fees


class FeeLineOut(BaseModel):
    act_id: int
    internal_number: str
    pv_number: str | None
    examined_on: dt.date
    profile: Profile
    act_type: ActType | None
    amount: Decimal


class AskerFeesOut(BaseModel):
    asker: AskerOut
    lines: list[FeeLineOut]
    total: Decimal


class UnpricedOut(BaseModel):
    act_id: int
    internal_number: str
    examined_on: dt.date
    profile: Profile
    act_type: ActType | None


class FeeStatementOut(BaseModel):
    hospital: HospitalOut
    month: str
    askers: list[AskerFeesOut]
    unpriced: list[UnpricedOut]
    total: Decimal

"""The medle schema: hospitals and their members, askers, acts, staffing, tariffs, weighting."""

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.medle.domain.reports import COUNTED
from shared.db import declarative_base

Base = declarative_base("medle")

ETP = Numeric(6, 2)
STAFFING_CATEGORIES = ("doctors", "secretaries", "nurses", "executives", "auditorium_agents", "others")


def _created_at() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def _texts() -> Mapped[list[str]]:
    return mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))


class Hospital(Base):
    __tablename__ = "hospitals"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    finess: Mapped[str] = mapped_column(Text, unique=True)
    siret: Mapped[str | None] = mapped_column(Text, index=True)
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    commune: Mapped[str] = mapped_column(Text)  # code INSEE
    departement: Mapped[str] = mapped_column(Text)
    region: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(Text)
    can_do_post_mortem: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = _created_at()
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                    onupdate=func.now())
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}


class HospitalMember(Base):
    """An account (`sub` of the gateway) working for a hospital."""

    __tablename__ = "hospital_members"
    __table_args__ = (UniqueConstraint("hospital_id", "sub"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(Text, index=True)
    role: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created_at()


class SupervisorRegion(Base):
    """A région in the scope of a regional supervisor."""

    __tablename__ = "supervisor_regions"

    sub: Mapped[str] = mapped_column(Text, primary_key=True)
    region: Mapped[str] = mapped_column(Text, primary_key=True)


class Asker(Base):
    __tablename__ = "askers"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    departement: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created_at()
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}


class Act(Base):
    __tablename__ = "acts"
    __table_args__ = (
        # Unique among live acts: a deleted act's number may be entered again, corrected.
        Index("uq_acts_hospital_id_internal_number", "hospital_id", "internal_number", unique=True,
              postgresql_where=text("deleted_at IS NULL")),
        Index("ix_acts_hospital_id_examined_at_id", "hospital_id", "examined_at", "id"),
        # A hospital's acts of one profile in date order: the list most used, and it stays short
        # when the other filters match nothing (a UMJ looking for autopsies).
        Index("ix_acts_hospital_id_profile_examined_at_id", "hospital_id", "profile", "examined_at", "id"),
        Index("ix_acts_examined_at_id", "examined_at", "id"),
        Index("ix_acts_examined_on_hospital_id", "examined_on", "hospital_id"),
        Index("ix_acts_asker_id_examined_at", "asker_id", "examined_at"),
        Index("ix_acts_pv_number", "pv_number"),
        # Accent-insensitive free text (pg_trgm): LIKE '%…%' without a sequential scan.
        Index("ix_acts_search_text", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
        CheckConstraint("itt_days BETWEEN 0 AND 365", name="itt_days_range"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    internal_number: Mapped[str] = mapped_column(Text)
    pv_number: Mapped[str | None] = mapped_column(Text)
    asker_id: Mapped[int | None] = mapped_column(ForeignKey("askers.id"))
    requisition_date: Mapped[dt.date | None] = mapped_column(Date)
    sans_plainte: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    examined_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Both computed on write from examined_at and the hospital's calendar (domain.calendar).
    examined_on: Mapped[dt.date] = mapped_column(Date)
    period_of_day: Mapped[str] = mapped_column(Text)
    profile: Mapped[str] = mapped_column(Text)
    act_types: Mapped[list[str]] = _texts()
    examinations: Mapped[list[str]] = _texts()
    violence_natures: Mapped[list[str]] = _texts()
    attack: Mapped[str | None] = mapped_column(Text)
    violence_contexts: Mapped[list[str]] = _texts()
    location: Mapped[str | None] = mapped_column(Text)
    person_age_band: Mapped[str | None] = mapped_column(Text)
    person_gender: Mapped[str | None] = mapped_column(Text)
    person_present: Mapped[bool | None] = mapped_column(Boolean)
    itt_days: Mapped[int | None] = mapped_column(Integer)
    death_cause: Mapped[str | None] = mapped_column(Text)
    distance_band: Mapped[str | None] = mapped_column(Text)
    duration_band: Mapped[str | None] = mapped_column(Text)
    # Minutes of the weighting table in force (domain.activity.act_minutes), kept with the act so
    # that a national report adds numbers instead of weighing a million acts; NULL: not weighed.
    weighted_minutes: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    search_text: Mapped[str] = mapped_column(
        Text,
        Computed("public.f_unaccent(lower(internal_number || ' ' || coalesce(pv_number, '') || ' ' "
                 "|| coalesce(attack, '')))", persisted=True),
    )
    added_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created_at()
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}


class Staffing(Base):
    """ETP of one hospital for one month, per category, with the reference targets."""

    __tablename__ = "staffing"
    __table_args__ = (
        UniqueConstraint("hospital_id", "month"),
        CheckConstraint("extract(day FROM month) = 1", name="month_is_first_day"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id", ondelete="CASCADE"))
    month: Mapped[dt.date] = mapped_column(Date)
    doctors: Mapped[Decimal] = mapped_column(ETP)
    secretaries: Mapped[Decimal] = mapped_column(ETP)
    nurses: Mapped[Decimal] = mapped_column(ETP)
    executives: Mapped[Decimal] = mapped_column(ETP)
    auditorium_agents: Mapped[Decimal] = mapped_column(ETP)
    others: Mapped[Decimal] = mapped_column(ETP)
    doctors_target: Mapped[Decimal | None] = mapped_column(ETP)
    secretaries_target: Mapped[Decimal | None] = mapped_column(ETP)
    nurses_target: Mapped[Decimal | None] = mapped_column(ETP)
    executives_target: Mapped[Decimal | None] = mapped_column(ETP)
    auditorium_agents_target: Mapped[Decimal | None] = mapped_column(ETP)
    others_target: Mapped[Decimal | None] = mapped_column(ETP)
    updated_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}


class StaffingRevision(Base):
    """Every value a month's staffing has had: its history."""

    __tablename__ = "staffing_revisions"
    __table_args__ = (Index("ix_staffing_revisions_hospital_id_month", "hospital_id", "month"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id", ondelete="CASCADE"))
    month: Mapped[dt.date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    etp: Mapped[dict[str, Any]] = mapped_column(JSONB)
    changed_by: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[dt.datetime] = _created_at()


class Tariff(Base):
    """One price of the national fee schedule, for its validity period."""

    __tablename__ = "tariffs"
    __table_args__ = (CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    act_type: Mapped[str | None] = mapped_column(Text)
    profile: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created_at()
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}


class WeightingVersion(Base):
    """A version of the weighting table; the latest is in force."""

    __tablename__ = "weighting_versions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    table: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created_at()


# Rollups kept by the triggers of the initial migration (statement-level, from the transition
# tables): a national report adds a few thousand of these rows instead of scanning 250,000 acts.


def count_column(key: str) -> str:
    """Column of act_counts holding a counted key of domain.reports ('itt:1-8' → 'itt_1_8')."""
    return key.replace(":", "_").replace("-", "_")


COUNT_COLUMNS = {key: count_column(key) for key in COUNTED}

act_counts = Table(
    "act_counts",
    Base.metadata,
    Column("month", Date, primary_key=True),
    Column("hospital_id", BigInteger, primary_key=True),
    Column("profile", Text, primary_key=True),
    Column("acts", Integer, nullable=False),
    Column("weighted_minutes", Numeric(14, 3), nullable=False),
    Column("unweighted_acts", Integer, nullable=False),
    *(Column(name, Integer, nullable=False) for name in COUNT_COLUMNS.values()),
    comment="live acts per month × hospital × profile; kept by trigger, rebuilt by medle.rebuild_act_rollups()",
)

pv_counts = Table(
    "pv_counts",
    Base.metadata,
    Column("hospital_id", BigInteger, primary_key=True),
    Column("pv_number", Text, primary_key=True),
    Column("first_on", Date, nullable=False),
    Column("acts", Integer, nullable=False),
    comment="live acts per PV of a hospital; kept by trigger",
)

pv_sizes = Table(
    "pv_sizes",
    Base.metadata,
    Column("month", Date, primary_key=True),  # of the PV's first act
    Column("hospital_id", BigInteger, primary_key=True),
    Column("size", Integer, primary_key=True),  # its acts, capped at domain.reports.ACTS_PER_PV_CAP
    Column("pvs", Integer, nullable=False),
    comment="PVs per number of acts; kept by trigger from pv_counts",
)

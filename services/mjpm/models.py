"""The mjpm schema: courts, managers (with antennas, approvals, preferred courts), measures (with
their state rows and yearly resources) and the memberships linking accounts to them."""

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.mjpm.domain.enums import (
    EstablishmentType,
    ExitCause,
    LivingPlace,
    ManagerKind,
    MeasureNature,
    MeasureStatus,
    ProtectionScope,
    RegistryStatus,
    ReviewResult,
    Sex,
)
from shared.db import declarative_base

SCHEMA = "mjpm"
Base = declarative_base(SCHEMA)

LIVE = "status IN ('en_attente', 'en_cours') AND deleted_at IS NULL"


def one_of(column: str, values, *, nullable: bool = True) -> str:
    listed = ", ".join(f"'{v.value}'" for v in values)
    return f"{column} IS NULL OR {column} IN ({listed})" if nullable else f"{column} IN ({listed})"


def _created() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _updated() -> Mapped[dt.datetime]:
    # clock_timestamp, not now(): the change feed orders writes made inside one transaction too.
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp(),
                         onupdate=func.clock_timestamp())


class Court(Base):
    """A tribunal judiciaire; `successor_id` when it was merged into another court."""

    __tablename__ = "courts"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    siret: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    commune_code: Mapped[str | None] = mapped_column(Text)
    departement: Mapped[str] = mapped_column(Text)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey(f"{SCHEMA}.courts.id"))
    created_at: Mapped[dt.datetime] = _created()


class Manager(Base):
    """A mandataire: a person (`individuel`), an establishment's employee (`prepose`) or a `service`.

    `in_progress` and `reserved` count its `en_cours` and `en_attente` measures; a trigger on
    `measures` keeps them, so every path (API, batch, jobs, seed) agrees and reading remaining
    capacity never counts a million rows.
    """

    __tablename__ = "managers"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    siret: Mapped[str | None] = mapped_column(Text, index=True)
    finess: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    commune_code: Mapped[str] = mapped_column(Text)
    departement: Mapped[str] = mapped_column(Text, index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    capacity: Mapped[int | None] = mapped_column(Integer)  # declared by the manager
    approved_capacity: Mapped[int | None] = mapped_column(Integer)  # approved by the authority
    registry_status: Mapped[str] = mapped_column(Text, default=RegistryStatus.PENDING.value,
                                                 server_default=RegistryStatus.PENDING.value)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(Text)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    suspended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    in_progress: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    reserved: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}
    __table_args__ = (
        CheckConstraint(one_of("kind", ManagerKind, nullable=False), name="kind"),
        CheckConstraint(one_of("registry_status", RegistryStatus, nullable=False), name="registry_status"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity"),
        CheckConstraint("approved_capacity IS NULL OR approved_capacity >= 0", name="approved_capacity"),
        CheckConstraint("NOT suspended OR suspension_reason IS NOT NULL", name="suspension_reason"),
    )


class Antenna(Base):
    """An office of a service, with its own capacity and commune."""

    __tablename__ = "antennas"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.managers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    commune_code: Mapped[str] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    capacity: Mapped[int | None] = mapped_column(Integer)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created()
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity"),)


class Approval(Base):
    """A manager's entry on a département's list (the whitelist), and who finances the measures."""

    __tablename__ = "approvals"
    manager_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.managers.id", ondelete="CASCADE"),
                                            primary_key=True)
    departement: Mapped[str] = mapped_column(Text, primary_key=True)
    financing_departement: Mapped[str] = mapped_column(Text)
    approved_at: Mapped[dt.datetime] = _created()
    approved_by: Mapped[str] = mapped_column(Text)
    __table_args__ = (Index(None, "departement", "manager_id"),)


class PreferredCourt(Base):
    __tablename__ = "preferred_courts"
    manager_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.managers.id", ondelete="CASCADE"),
                                            primary_key=True)
    court_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.courts.id", ondelete="CASCADE"), primary_key=True)


class Membership(Base):
    """Links an account (`sub` of its tokens) to what it acts for: a court (judge, clerk), a manager
    (the person, a service's admin or staff), a département (State agent), or, for an editor's
    client, the managers whose measures its software syncs."""

    __tablename__ = "memberships"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sub: Mapped[str] = mapped_column(Text, index=True)
    court_id: Mapped[int | None] = mapped_column(ForeignKey(f"{SCHEMA}.courts.id", ondelete="CASCADE"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey(f"{SCHEMA}.managers.id", ondelete="CASCADE"),
                                                   index=True)
    departement: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        CheckConstraint(
            "num_nonnulls(court_id, manager_id, departement) = 1", name="one_target"),
        UniqueConstraint("sub", "court_id", "manager_id", "departement", postgresql_nulls_not_distinct=True),
    )


class Measure(Base):
    """A protection measure entrusted to a manager by a court."""

    __tablename__ = "measures"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    rg: Mapped[str] = mapped_column(Text)  # normalised: 8 upper-case letters and digits
    court_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.courts.id"))
    cabinet: Mapped[str | None] = mapped_column(Text)
    manager_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.managers.id"))
    antenna_id: Mapped[int | None] = mapped_column(ForeignKey(f"{SCHEMA}.antennas.id", ondelete="SET NULL"))
    judge_sub: Mapped[str | None] = mapped_column(Text)
    judge_name: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    nature: Mapped[str | None] = mapped_column(Text)
    champ: Mapped[str | None] = mapped_column(Text)
    living_place: Mapped[str | None] = mapped_column(Text)
    establishment_type: Mapped[str | None] = mapped_column(Text)
    sex: Mapped[str | None] = mapped_column(Text)
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    commune_code: Mapped[str | None] = mapped_column(Text)
    departement: Mapped[str | None] = mapped_column(Text)  # of the person's commune, else the court's
    residence_country: Mapped[str] = mapped_column(Text, default="FR", server_default="FR")
    judgment_date: Mapped[dt.date | None] = mapped_column(Date)
    nomination_date: Mapped[dt.date | None] = mapped_column(Date)
    first_measure_date: Mapped[dt.date | None] = mapped_column(Date)
    protection_date: Mapped[dt.date | None] = mapped_column(Date)  # protection in progress since
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    exit_cause: Mapped[str | None] = mapped_column(Text)
    review_result: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)  # reserved beyond capacity: why
    status_changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                           server_default=func.clock_timestamp())
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()
    # Deleted by the manager's software: kept as a tombstone so the change feed reports it.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # eager_defaults: updated_at (stamped by the database) comes back with RETURNING, no lazy load.
    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}
    __table_args__ = (
        CheckConstraint(one_of("status", MeasureStatus, nullable=False), name="status"),
        CheckConstraint(one_of("nature", MeasureNature), name="nature"),
        CheckConstraint(one_of("champ", ProtectionScope), name="champ"),
        CheckConstraint(one_of("living_place", LivingPlace), name="living_place"),
        CheckConstraint(one_of("establishment_type", EstablishmentType), name="establishment_type"),
        CheckConstraint(one_of("sex", Sex), name="sex"),
        CheckConstraint(one_of("exit_cause", ExitCause), name="exit_cause"),
        CheckConstraint(one_of("review_result", ReviewResult), name="review_result"),
        CheckConstraint("rg ~ '^[A-Z0-9]{8}$'", name="rg"),
        # The same RG + court + manager is live at most once (the API answers 409 before this).
        Index("uq_measures_live_key", "rg", "court_id", "manager_id", unique=True, postgresql_where=text(LIVE)),
        Index(None, "rg", "court_id"),
        Index(None, "court_id", "id"),
        Index(None, "manager_id", "id"),
        Index(None, "manager_id", "updated_at", "id"),
        Index(None, "updated_at", "id"),
        # The jobs' scans: reservations to expire, running measures past their end.
        Index("ix_measures_en_attente", "status_changed_at", postgresql_where=text("status = 'en_attente'")),
        Index("ix_measures_en_cours_end", "end_date", postgresql_where=text("status = 'en_cours'")),
    )


class MeasureState(Base):
    """One dated row per transition: the measure's history."""

    __tablename__ = "measure_states"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.measures.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    date: Mapped[dt.date] = mapped_column(Date)  # the day it took effect (nomination, end, ...)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.clock_timestamp())
    actor: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index(None, "measure_id", "id"),)


class Resource(Base):
    """A protected person's resources for a year (what the manager declares to the State)."""

    __tablename__ = "resources"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.measures.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(SmallInteger)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    social_benefits: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default=text("'{}'"))
    __table_args__ = (UniqueConstraint("measure_id", "year"),)

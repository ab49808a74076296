"""Mémoire de frais: what a hospital bills each requisitioning authority for a month's acts.

Forensic acts done on requisition are court costs (frais de justice, Code de procédure pénale
art. R. 92 ff.): each authority receives the list of its acts, each act priced at the tariff in
force on the day of the examination. Money is `Decimal` euros throughout; nothing is rounded,
since tariffs are whole cents and lines are only added.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from services.medle.domain.enums import ActType, Profile

Id = int | UUID


@dataclass(frozen=True)
class Tariff:
    """One price of the fee schedule, valid from `valid_from` to `valid_to` included.

    `act_type` None prices the acts that have no act type (court, reconstruction, file study);
    `profile` None prices the act type for every profile that has no tariff of its own.
    """

    act_type: ActType | None
    profile: Profile | None
    amount: Decimal
    valid_from: date
    valid_to: date | None = None  # None: still in force

    def in_force_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class BilledAct:
    act_id: Id
    internal_number: str
    examined_on: date  # the day in the hospital's calendar (Europe/Paris unless overseas)
    profile: Profile
    act_types: Sequence[ActType]
    asker_id: Id | None  # None: evidence without complaint, billed to no one
    pv_number: str | None = None


@dataclass(frozen=True)
class FeeLine:
    act_id: Id
    internal_number: str
    pv_number: str | None
    examined_on: date
    profile: Profile
    act_type: ActType | None
    amount: Decimal


@dataclass(frozen=True)
class AskerFees:
    asker_id: Id
    lines: tuple[FeeLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class UnpricedAct:
    """An act (type) with no tariff in force on its date: shown so the schedule gets fixed."""

    act_id: Id
    internal_number: str
    examined_on: date
    profile: Profile
    act_type: ActType | None


@dataclass(frozen=True)
class FeeStatement:
    askers: tuple[AskerFees, ...]
    unpriced: tuple[UnpricedAct, ...]

    @property
    def total(self) -> Decimal:
        return sum((asker.total for asker in self.askers), Decimal(0))


def tariff_for(
    tariffs: Iterable[Tariff], profile: Profile, act_type: ActType | None, day: date
) -> Tariff | None:
    """The tariff of `act_type` in force on `day`: the profile's own, else the general one.

    Should two overlap (see `overlapping_tariffs`), the one that started last wins.
    """
    in_force = [t for t in tariffs if t.act_type == act_type and t.in_force_on(day)]
    for wanted in (profile, None):
        matching = [t for t in in_force if t.profile == wanted]
        if matching:
            return max(matching, key=lambda t: t.valid_from)
    return None


def overlapping_tariffs(tariffs: Sequence[Tariff]) -> list[tuple[Tariff, Tariff]]:
    """Pairs of tariffs for the same act type and profile whose validity periods overlap."""
    pairs = []
    for i, first in enumerate(tariffs):
        for second in tariffs[i + 1 :]:
            if (first.act_type, first.profile) != (second.act_type, second.profile):
                continue
            first_ends, second_ends = first.valid_to or date.max, second.valid_to or date.max
            if first.valid_from <= second_ends and second.valid_from <= first_ends:
                pairs.append((first, second))
    return pairs


def fee_statement(acts: Iterable[BilledAct], tariffs: Sequence[Tariff]) -> FeeStatement:
    """The mémoire de frais of `acts` (typically a hospital's acts of one month), per asker.

    One line per act type of an act; an act without act type gets one line at its profile's
    flat tariff. Acts without an asker are left out: no authority requisitioned them.
    """
    lines_by_asker: dict[Id, list[FeeLine]] = {}
    unpriced: list[UnpricedAct] = []
    for act in sorted(acts, key=lambda a: (a.examined_on, a.internal_number)):
        if act.asker_id is None:
            continue
        for act_type in act.act_types or [None]:
            tariff = tariff_for(tariffs, act.profile, act_type, act.examined_on)
            if tariff is None:
                unpriced.append(
                    UnpricedAct(act.act_id, act.internal_number, act.examined_on, act.profile, act_type)
                )
                continue
            line = FeeLine(
                act.act_id,
                act.internal_number,
                act.pv_number,
                act.examined_on,
                act.profile,
                act_type,
                tariff.amount,
            )
            lines_by_asker.setdefault(act.asker_id, []).append(line)
    return FeeStatement(
        askers=tuple(AskerFees(asker_id, tuple(lines)) for asker_id, lines in lines_by_asker.items()),
        unpriced=tuple(unpriced),
    )

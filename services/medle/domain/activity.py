"""Weighted activity: what the acts of a period cost in doctors' working days, against staffing.

The anchor's model (spec medle.md, "Reports"): each act type of an act takes a number of minutes
set per profile × act type (× violence nature for victims); those minutes are multiplied by the
factor of the person's age band, the factor of the place and the factor of the duration band;
an act with several violence natures is multiplied by 1.5; each complementary examination adds
10 minutes; 480 minutes (an 8-hour day) make one day-equivalent.

The anchor applied only the first factor its table had for a category and read only the first act
type and the first violence nature of an act. Here every factor is multiplied, every act type
counts (a somatic and a psychiatric examination are two examinations), and with several natures
the act type takes the minutes of its longest nature before the 1.5 factor.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Protocol

from services.medle.domain.enums import (
    ActType,
    AgeBand,
    DurationBand,
    Examination,
    Location,
    Profile,
    ViolenceNature,
)

ONE = Decimal(1)


class WeighedAct(Protocol):
    """What weighing reads from an act; `acts.ActFacts` and ORM rows with these names fit."""

    profile: Profile
    act_types: Sequence[ActType]
    violence_natures: Sequence[ViolenceNature]
    examinations: Sequence[Examination]
    person_age_band: AgeBand | None
    location: Location | None
    duration_band: DurationBand | None
    person_present: bool | None


@dataclass(frozen=True)
class Weighting:
    """Minutes an act type takes for a profile (and violence nature), and what stretches them.

    A band or place missing from a factor table has factor 1 (the anchor's "Autres lieux": 1).
    """

    profile: Profile
    act_type: ActType | None
    minutes: Decimal
    violence_nature: ViolenceNature | None = None
    age_factors: Mapping[AgeBand, Decimal] = field(default_factory=dict)
    location_factors: Mapping[Location, Decimal] = field(default_factory=dict)
    duration_factors: Mapping[DurationBand, Decimal] = field(default_factory=dict)

    def weighted_minutes(self, act: WeighedAct) -> Decimal:
        return (
            self.minutes
            * self.age_factors.get(act.person_age_band, ONE)
            * self.location_factors.get(act.location, ONE)
            * self.duration_factors.get(act.duration_band, ONE)
        )


@dataclass(frozen=True)
class WeightingTable:
    weightings: Sequence[Weighting]
    several_natures_factor: Decimal = Decimal("1.5")
    minutes_per_examination: Decimal = Decimal(10)
    minutes_per_day: Decimal = Decimal(480)

    @cached_property
    def _by_key(self) -> dict[tuple[str, str | None, str | None], Weighting]:
        return {(w.profile, w.act_type, w.violence_nature): w for w in self.weightings}

    def weighting_for(
        self, profile: Profile, act_type: ActType | None, nature: ViolenceNature | None
    ) -> Weighting | None:
        """The weighting of that violence nature, else the one of the act type for any nature."""
        return self._by_key.get((profile, act_type, nature)) or self._by_key.get((profile, act_type, None))


@dataclass(frozen=True)
class Activity:
    minutes: Decimal
    day_equivalents: Decimal
    weighted_acts: int
    # Acts the table has no weighting for (e.g. psychiatric examinations in the anchor's table):
    # shown, so that a missing weighting is seen rather than read as no work.
    unweighted_acts: int


def act_minutes(act: WeighedAct, table: WeightingTable) -> Decimal | None:
    """Weighted minutes of one act; None when the table weighs none of its act types."""
    if act.person_present is False:
        return Decimal(0)  # no-show: nothing examined, nothing weighed (as in the anchor)
    natures = list(dict.fromkeys(act.violence_natures)) or [None]
    minutes, weighed = Decimal(0), False
    for act_type in act.act_types or [None]:
        candidates = [w for nature in natures if (w := table.weighting_for(act.profile, act_type, nature))]
        if candidates:
            minutes += max(c.weighted_minutes(act) for c in candidates)
            weighed = True
    if not weighed:
        return None
    if len(natures) > 1:
        minutes *= table.several_natures_factor
    return minutes + table.minutes_per_examination * len(act.examinations)


def weighted_activity(acts: Iterable[WeighedAct], table: WeightingTable) -> Activity:
    """Total weighted activity of `acts` (for a month: the acts examined that month)."""
    minutes, weighted, unweighted = Decimal(0), 0, 0
    for act in acts:
        one = act_minutes(act, table)
        if one is None:
            unweighted += 1
        else:
            minutes += one
            weighted += 1
    return Activity(minutes, minutes / table.minutes_per_day, weighted, unweighted)


def activity_in_etp(day_equivalents: Decimal, working_days: int) -> Decimal:
    """The full-time doctors the activity would keep busy over `working_days`."""
    return day_equivalents / working_days


def activity_to_staffing_ratio(day_equivalents: Decimal, etp: Decimal, working_days: int) -> Decimal | None:
    """Weighted activity over staffed days (ETP × working days): above 1, the unit is under-staffed.

    `etp` is the doctors' ETP of the month: the weighting counts medical time. None when nobody
    is staffed, as the ratio has no meaning then.
    """
    staffed_days = etp * working_days
    if staffed_days == 0:
        return None
    return day_equivalents / staffed_days


def _minors(factor: str, *, undetermined: bool = False) -> dict[AgeBand, Decimal]:
    bands = [band for band in AgeBand if band.is_minor]
    if undetermined:
        bands.append(AgeBand.NON_DETERMINE)
    return dict.fromkeys(bands, Decimal(factor))


_HOSPITAL_WARD = dict.fromkeys(
    (Location.SERVICE_HOSPITALIER_PUBLIC, Location.SERVICE_HOSPITALIER_PRIVE), Decimal("0.6")
)
_POLICE_PREMISES = dict.fromkeys(
    (Location.COMMISSARIAT, Location.GENDARMERIE, Location.TRIBUNAL), Decimal("1.5")
)


def _victim(nature: ViolenceNature, minutes: int, minors: str = "1", ward: bool = False) -> Weighting:
    return Weighting(
        Profile.VICTIME_VIVANTE,
        ActType.SOMATIQUE,
        Decimal(minutes),
        violence_nature=nature,
        age_factors=_minors(minors),
        location_factors=_HOSPITAL_WARD if ward else {},
    )


def _mobilisation(profile: Profile, minutes: int, factors: Sequence[str]) -> Weighting:
    return Weighting(
        profile,
        None,
        Decimal(minutes),
        duration_factors=dict(zip(DurationBand, map(Decimal, factors), strict=True)),
    )


# The anchor's weighting (Medlé, table act_summary_parameters, 2023 values with the July 2024 age
# bands), on this service's codes. A seed for the configurable table, not a rule.
ANCHOR_WEIGHTING = WeightingTable(
    weightings=(
        _victim(ViolenceNature.COUPS_BLESSURES, 50, minors="0.9", ward=True),
        _victim(ViolenceNature.SEXUELLE, 49, minors="0.85", ward=True),
        _victim(ViolenceNature.MALTRAITANCE, 50, minors="0.9", ward=True),
        _victim(ViolenceNature.PSYCHOLOGIQUE, 48, minors="0.65", ward=True),
        _victim(ViolenceNature.SOUMISSION_CHIMIQUE, 40),
        _victim(ViolenceNature.ACCIDENT_COLLECTIF, 40),
        _victim(ViolenceNature.ACCIDENT_NON_COLLECTIF, 40),
        _victim(ViolenceNature.ATTENTAT, 40),
        Weighting(Profile.PERSONNE_DECEDEE, ActType.EXAMEN_EXTERNE, Decimal(106)),
        Weighting(Profile.PERSONNE_DECEDEE, ActType.LEVEE_DE_CORPS, Decimal(128)),
        Weighting(
            Profile.PERSONNE_DECEDEE,
            ActType.AUTOPSIE,
            Decimal(213),
            age_factors=_minors("1.5", undetermined=True),
        ),
        Weighting(Profile.PERSONNE_DECEDEE, ActType.ANTHROPOLOGIE, Decimal(123)),
        Weighting(Profile.PERSONNE_DECEDEE, ActType.ODONTOLOGIE, Decimal(123)),
        Weighting(Profile.AGE_OSSEUX, ActType.SOMATIQUE, Decimal(48)),
        Weighting(
            Profile.EXAMEN_OFPRA,
            ActType.SOMATIQUE,
            Decimal(28),
            age_factors=_minors("1.7", undetermined=True),
        ),
        Weighting(Profile.GARDE_A_VUE, ActType.SOMATIQUE, Decimal(29), location_factors=_POLICE_PREMISES),
        Weighting(Profile.IPM, ActType.SOMATIQUE, Decimal(24)),
        Weighting(
            Profile.PERSONNE_RETENUE,
            ActType.SOMATIQUE,
            Decimal(29),
            location_factors={
                **_POLICE_PREMISES,
                **dict.fromkeys((Location.LOCAUX_DOUANIERS, Location.CENTRE_DE_RETENTION), Decimal("1.5")),
            },
        ),
        Weighting(Profile.EXAMEN_ROUTE, ActType.SOMATIQUE, Decimal(31)),
        # Duration factors in DurationBand order: < 2 h, 2–4 h, 4–8 h, > 8 h.
        _mobilisation(Profile.ASSISES, 62, ("1", "1", "5.8", "7.8")),
        _mobilisation(Profile.RECONSTITUTION, 218, ("1", "1", "1.6", "2.2")),
        _mobilisation(Profile.ETUDE_DOSSIER, 60, ("1", "4", "4", "8")),
    )
)

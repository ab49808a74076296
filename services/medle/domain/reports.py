"""The national picture (spec medle.md, "Reports"): every aggregate, built from one set of cells.

The repository counts the acts per month × hospital × profile (a `Cell`, with the counts of the
`COUNTED` keys and the weighted minutes), added up to the grain a table needs (`grain_of`); every
table of the report is a roll-up of such cells, so the figures of two tables always agree.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.medle.domain.activity import activity_in_etp
from services.medle.domain.calendar import working_days
from services.medle.domain.enums import ActType, Examination, PeriodOfDay, Profile

# ITT bands: 8 days is the line between a contravention and a délit for violence
# (Code pénal art. R. 625-1 and 222-11); 90 days a common threshold of the scales of damages.
ITT_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0", 0, 0),
    ("1-8", 1, 8),
    ("9-30", 9, 30),
    ("31-90", 31, 90),
    ("91-365", 91, 365),
)
ACTS_PER_PV_CAP = 5  # "5+" collects the larger investigations


class Subject(StrEnum):
    LIVING = "living"
    DECEASED = "deceased"
    NO_PERSON = "no_person"  # court testimony, reconstruction, file study: nobody examined


NO_PERSON_PROFILES = frozenset({Profile.ASSISES, Profile.RECONSTITUTION, Profile.ETUDE_DOSSIER})


def subject_of(profile: Profile) -> Subject:
    if profile == Profile.PERSONNE_DECEDEE:
        return Subject.DECEASED
    if profile in NO_PERSON_PROFILES:
        return Subject.NO_PERSON
    return Subject.LIVING


def act_type_key(act_type: ActType | None) -> str:
    return f"act_type:{act_type or 'none'}"


def examination_key(examination: Examination) -> str:
    return f"examination:{examination}"


def period_key(period: PeriodOfDay) -> str:
    return f"period:{period}"


def itt_key(band: str) -> str:
    return f"itt:{band}"


SANS_PLAINTE = "sans_plainte"

# Every count a cell carries besides its number of acts.
COUNTED: tuple[str, ...] = (
    SANS_PLAINTE,
    *(act_type_key(t) for t in (*ActType, None)),
    *(examination_key(e) for e in Examination),
    *(period_key(p) for p in PeriodOfDay),
    *(itt_key(band) for band, _, _ in ITT_BANDS),
)


@dataclass(frozen=True)
class Cell:
    """Counts of acts of one month (or year: its first month) × hospital × profile; hospital or
    profile is None when the cell adds them all up."""

    month: date
    hospital_id: int | None
    profile: Profile | None
    acts: int
    counts: Mapping[str, int]
    weighted_minutes: Decimal = Decimal(0)
    unweighted_acts: int = 0


@dataclass(frozen=True)
class HospitalUnit:
    """What a report shows of a hospital, and where its calendar is."""

    id: int
    name: str
    departement: str
    region: str
    region_name: str


@dataclass(frozen=True)
class StaffedMonth:
    hospital_id: int
    month: date
    doctors_etp: Decimal


class By(StrEnum):
    HOSPITAL = "hospital"
    REGION = "region"


class Step(StrEnum):
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True)
class Breakdown:
    by: By = By.HOSPITAL
    step: Step = Step.MONTH
    minutes_per_day: Decimal = Decimal(480)


@dataclass(frozen=True)
class Grain:
    """How finely a table needs its cells: per month or year (or the whole period), per hospital,
    per profile."""

    step: Step | None
    by_hospital: bool
    by_profile: bool


# What each table reads (acts_table: per period of its step, hospital and profile).
TOTALS_GRAIN = Grain(None, by_hospital=False, by_profile=True)
MONTH_BY_HOSPITAL = Grain(Step.MONTH, by_hospital=True, by_profile=False)  # weighted activity, staffing
MONTH_BY_PROFILE = Grain(Step.MONTH, by_hospital=False, by_profile=True)  # monthly series


def acts_grain(step: Step) -> Grain:
    return Grain(step, by_hospital=True, by_profile=True)


def _period(month: date, step: Step) -> str:
    return f"{month:%Y}" if step == Step.YEAR else f"{month:%Y-%m}"


def _unit(hospital: HospitalUnit, by: By) -> dict[str, object]:
    if by == By.REGION:
        return {"region": hospital.region, "region_name": hospital.region_name}
    return {"hospital_id": hospital.id, "hospital": hospital.name, "region": hospital.region}


def _unit_key(hospital: HospitalUnit, by: By) -> object:
    return hospital.region if by == By.REGION else hospital.id


def unit_columns(by: By) -> list[str]:
    return ["region", "region_name"] if by == By.REGION else ["hospital_id", "hospital", "region"]


def acts_table(
    cells: Iterable[Cell], hospitals: Mapping[int, HospitalUnit], breakdown: Breakdown
) -> list[dict[str, object]]:
    """Acts by period × hospital (or région) × profile, with one column per act type (an act
    with two act types counts in both columns, once in `acts`)."""
    units = {h.id: (_unit_key(h, breakdown.by), _unit(h, breakdown.by)) for h in hospitals.values()}
    periods: dict[date, str] = {}
    rows: dict[tuple, dict[str, object]] = {}
    for cell in cells:
        unit_key, unit = units[cell.hospital_id]
        period = periods.get(cell.month) or periods.setdefault(cell.month, _period(cell.month, breakdown.step))
        key = (period, unit_key, cell.profile)
        row = rows.get(key)
        if row is None:
            row = rows[key] = {"period": period, **unit, "profile": str(cell.profile), "acts": 0,
                               **dict.fromkeys(ACT_TYPE_COLUMNS, 0)}
        row["acts"] += cell.acts
        counts = cell.counts
        for column, counted in _ACT_TYPE_KEYS:
            row[column] += counts.get(counted, 0)
    return [rows[key] for key in sorted(rows, key=lambda k: (k[0], str(k[1]), k[2]))]


def _act_type_column(act_type: ActType | None) -> str:
    return str(act_type) if act_type else "no_act_type"


ACT_TYPE_COLUMNS = [_act_type_column(t) for t in (*ActType, None)]
_ACT_TYPE_KEYS = [(_act_type_column(t), act_type_key(t)) for t in (*ActType, None)]


@dataclass(frozen=True)
class Totals:
    """Every count of the period, added up once for the small tables."""

    acts: int
    by_subject: Mapping[Subject, int]
    counts: Mapping[str, int]


def totals_of(cells: Iterable[Cell]) -> Totals:
    acts, by_subject, counts = 0, dict.fromkeys(Subject, 0), dict.fromkeys(COUNTED, 0)
    for cell in cells:
        acts += cell.acts
        by_subject[subject_of(cell.profile)] += cell.acts
        for key, value in cell.counts.items():
            counts[key] += value
    return Totals(acts, by_subject, counts)


def living_deceased_table(totals: Totals) -> list[dict[str, object]]:
    return [{"subject": str(subject), "acts": n} for subject, n in totals.by_subject.items()]


def requisition_table(totals: Totals) -> list[dict[str, object]]:
    without = totals.counts[SANS_PLAINTE]
    return [
        {"requisition": "requisition", "acts": totals.acts - without},
        {"requisition": "sans_plainte", "acts": without},
    ]


def period_of_day_table(totals: Totals) -> list[dict[str, object]]:
    return [{"period_of_day": str(p), "acts": totals.counts[period_key(p)]} for p in PeriodOfDay]


def examinations_table(totals: Totals) -> list[dict[str, object]]:
    return [{"examination": str(e), "acts": totals.counts[examination_key(e)]} for e in Examination]


def itt_table(totals: Totals) -> list[dict[str, object]]:
    return [{"itt_days": band, "acts": totals.counts[itt_key(band)]} for band, _, _ in ITT_BANDS]


def acts_per_pv_table(pv_sizes: Mapping[int, int]) -> list[dict[str, object]]:
    """`pv_sizes`: number of PVs by how many acts they have (capped at ACTS_PER_PV_CAP)."""
    return [
        {"acts_per_pv": f"{n}+" if n == ACTS_PER_PV_CAP else str(n), "pv_numbers": pv_sizes.get(n, 0)}
        for n in range(1, ACTS_PER_PV_CAP + 1)
    ]


def weighted_activity_table(
    cells: Iterable[Cell], hospitals: Mapping[int, HospitalUnit], breakdown: Breakdown
) -> list[dict[str, object]]:
    """Day-equivalents per month × hospital (or région). The minutes of each act were weighed
    with the weighting table in force (`activity.act_minutes`); acts it does not weigh are shown."""
    rows: dict[tuple, dict[str, object]] = {}
    for cell in cells:
        hospital = hospitals[cell.hospital_id]
        key = (f"{cell.month:%Y-%m}", _unit_key(hospital, breakdown.by))
        row = rows.setdefault(
            key,
            {"month": key[0], **_unit(hospital, breakdown.by), "acts": 0, "minutes": Decimal(0),
             "unweighted_acts": 0},
        )
        row["acts"] += cell.acts
        row["minutes"] += cell.weighted_minutes
        row["unweighted_acts"] += cell.unweighted_acts
    for row in rows.values():
        row["day_equivalents"] = _round(row["minutes"] / breakdown.minutes_per_day)
        row["minutes"] = _round(row["minutes"])
    return [rows[key] for key in sorted(rows, key=lambda k: (k[0], str(k[1])))]


@dataclass
class _Staffing:
    minutes: Decimal = Decimal(0)
    staffed_minutes: Decimal = Decimal(0)  # the activity of the months that have a staffing entry
    staffed_days: Decimal = Decimal(0)
    working_days: int = 0
    staffed_months: int = 0
    etp_months: Decimal = Decimal(0)


def staffing_vs_activity_table(
    cells: Iterable[Cell],
    staffing: Iterable[StaffedMonth],
    hospitals: Mapping[int, HospitalUnit],
    months: Sequence[date],
    minutes_per_day: Decimal = Decimal(480),
) -> list[dict[str, object]]:
    """Per hospital over the period: the weighted activity against the doctors' ETP.

    `ratio` is day-equivalents over staffed days (ETP × working days) of the months that have a
    staffing entry, and the activity of those months only, so a missing month does not read as
    under-staffing.
    """
    per_hospital = {h: _Staffing() for h in hospitals}
    etp = {(s.hospital_id, s.month): s.doctors_etp for s in staffing if s.hospital_id in hospitals}
    minutes_by_month: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for cell in cells:
        minutes_by_month[(cell.hospital_id, cell.month)] += cell.weighted_minutes
    for hospital_id, hospital in hospitals.items():
        totals = per_hospital[hospital_id]
        for month in months:
            days = working_days(month.year, month.month, hospital.departement)
            totals.working_days += days
            minutes = minutes_by_month.get((hospital_id, month), Decimal(0))
            totals.minutes += minutes
            if (hospital_id, month) in etp:
                totals.staffed_months += 1
                totals.etp_months += etp[(hospital_id, month)]
                totals.staffed_days += etp[(hospital_id, month)] * days
                totals.staffed_minutes += minutes
    rows = []
    for hospital_id, totals in per_hospital.items():
        hospital = hospitals[hospital_id]
        day_equivalents = totals.minutes / minutes_per_day
        # activity.activity_to_staffing_ratio, summed over months whose ETP and working days differ
        ratio = totals.staffed_minutes / minutes_per_day / totals.staffed_days if totals.staffed_days else None
        rows.append(
            {
                "hospital_id": hospital_id,
                "hospital": hospital.name,
                "region": hospital.region,
                "day_equivalents": _round(day_equivalents),
                "working_days": totals.working_days,
                "activity_in_etp": _round(activity_in_etp(day_equivalents, totals.working_days))
                if totals.working_days
                else None,
                "staffed_months": totals.staffed_months,
                "doctors_etp": _round(totals.etp_months / totals.staffed_months) if totals.staffed_months else None,
                "staffed_days": _round(totals.staffed_days),
                "ratio": _round(ratio) if ratio is not None else None,
            }
        )
    return sorted(rows, key=lambda r: (r["region"], r["hospital"]))


def monthly_table(cells: Iterable[Cell], minutes_per_day: Decimal = Decimal(480)) -> list[dict[str, object]]:
    rows: dict[date, dict[str, object]] = {}
    for cell in cells:
        row = rows.setdefault(
            cell.month,
            {"month": f"{cell.month:%Y-%m}", "acts": 0, **{str(s): 0 for s in Subject}, SANS_PLAINTE: 0,
             "minutes": Decimal(0)},
        )
        row["acts"] += cell.acts
        row[str(subject_of(cell.profile))] += cell.acts
        row[SANS_PLAINTE] += cell.counts.get(SANS_PLAINTE, 0)
        row["minutes"] += cell.weighted_minutes
    for row in rows.values():
        row["day_equivalents"] = _round(row.pop("minutes") / minutes_per_day)
    return [rows[month] for month in sorted(rows)]


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.001"))

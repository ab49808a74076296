"""The French calendar as forensic units count it: period of day, public holidays, working days.

Period of day follows the hours of the anchor's form, which are those of the hospital on-call
rota ("permanence des soins", night 18:30–08:30): day 08:30–18:30, evening 18:30–24:00, deep
night 00:00–08:30. The anchor ended Saturday's daytime at 18:00; here every day uses 18:30, so
that one clock rule serves all days.

Precedence, first match wins:

1. 00:00 ≤ t < 08:30 → `nuit_profonde`, whatever the day (a Sunday night is a night);
2. 18:30 ≤ t < 24:00 → `soiree`, whatever the day;
3. daytime on a Sunday or a public holiday → `dimanche_ferie` (a holiday on a Saturday counts as
   a holiday);
4. daytime on a Saturday → `samedi`;
5. otherwise → `jour_ouvrable`.

Times are read on the local clock of the hospital's département: Europe/Paris by default, the
overseas départements on their own clock. Public holidays come from the `holidays` library
(France), with the local ones of Alsace-Moselle (Good Friday, 26 December: Code du travail
L. 3134-13) and the overseas départements (abolition of slavery: loi 83-550 of 30 June 1983).
"""

import calendar as gregorian
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from services.medle.domain.enums import PeriodOfDay

PARIS = ZoneInfo("Europe/Paris")
DAY_STARTS_AT = time(8, 30)
EVENING_STARTS_AT = time(18, 30)

SATURDAY, SUNDAY = 5, 6

# Département code → (local clock, `holidays` subdivision). Absent: Europe/Paris, national list.
_LOCAL_CALENDARS: dict[str, tuple[ZoneInfo, str | None]] = {
    "57": (PARIS, "57"),
    "67": (PARIS, "6AE"),
    "68": (PARIS, "6AE"),
    "971": (ZoneInfo("America/Guadeloupe"), "971"),
    "972": (ZoneInfo("America/Martinique"), "972"),
    "973": (ZoneInfo("America/Cayenne"), "973"),
    "974": (ZoneInfo("Indian/Reunion"), "974"),
    "976": (ZoneInfo("Indian/Mayotte"), "976"),
}


def local_clock(departement: str | None = None) -> ZoneInfo:
    """The time zone a hospital of this département lives in."""
    return _LOCAL_CALENDARS.get(departement or "", (PARIS, None))[0]


def local_time(at: datetime, departement: str | None = None) -> datetime:
    """`at` on the hospital's wall clock. A naive datetime is refused: its meaning is unknown."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a time zone is required to place an examination in the French calendar")
    return at.astimezone(local_clock(departement))


@lru_cache(maxsize=64)
def _public_holidays(year: int, subdivision: str | None) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", subdiv=subdivision, years=year))


def is_public_holiday(day: date, departement: str | None = None) -> bool:
    subdivision = _LOCAL_CALENDARS.get(departement or "", (PARIS, None))[1]
    return day in _public_holidays(day.year, subdivision)


def period_of_day(at: datetime, departement: str | None = None) -> PeriodOfDay:
    """The period of day of an examination that started at `at` (tz-aware)."""
    local = local_time(at, departement)
    clock = local.time()
    if clock < DAY_STARTS_AT:
        return PeriodOfDay.NUIT_PROFONDE
    if clock >= EVENING_STARTS_AT:
        return PeriodOfDay.SOIREE
    day = local.date()
    if day.weekday() == SUNDAY or is_public_holiday(day, departement):
        return PeriodOfDay.DIMANCHE_FERIE
    if day.weekday() == SATURDAY:
        return PeriodOfDay.SAMEDI
    return PeriodOfDay.JOUR_OUVRABLE


@lru_cache(maxsize=4096)
def working_days(year: int, month: int, departement: str | None = None) -> int:
    """Monday-to-Friday days of the month that are not public holidays."""
    _, length = gregorian.monthrange(year, month)
    return sum(
        1
        for day in (date(year, month, d) for d in range(1, length + 1))
        if day.weekday() < SATURDAY and not is_public_holiday(day, departement)
    )

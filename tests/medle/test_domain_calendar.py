from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from services.medle.domain.calendar import is_public_holiday, period_of_day, working_days
from services.medle.domain.enums import PeriodOfDay

PARIS = ZoneInfo("Europe/Paris")


def paris(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=PARIS)


def test_a_weekday_daytime_examination_is_a_working_day():
    assert period_of_day(paris("2026-03-03T10:00")) == PeriodOfDay.JOUR_OUVRABLE


def test_a_weekday_evening_examination_is_an_evening():
    assert period_of_day(paris("2026-03-03T20:00")) == PeriodOfDay.SOIREE


def test_a_weekday_night_examination_is_a_deep_night():
    assert period_of_day(paris("2026-03-04T03:00")) == PeriodOfDay.NUIT_PROFONDE


def test_a_saturday_daytime_examination_is_a_saturday():
    assert period_of_day(paris("2026-03-07T10:00")) == PeriodOfDay.SAMEDI


def test_a_sunday_daytime_examination_is_a_sunday_or_holiday():
    assert period_of_day(paris("2026-03-08T15:00")) == PeriodOfDay.DIMANCHE_FERIE


def test_the_fourteenth_of_july_is_a_public_holiday_even_on_a_tuesday():
    assert period_of_day(paris("2026-07-14T10:00")) == PeriodOfDay.DIMANCHE_FERIE


def test_easter_monday_is_a_public_holiday():
    assert period_of_day(paris("2026-04-06T11:00")) == PeriodOfDay.DIMANCHE_FERIE


def test_a_public_holiday_falling_on_a_saturday_counts_as_a_holiday():
    assert period_of_day(paris("2026-08-15T10:00")) == PeriodOfDay.DIMANCHE_FERIE


def test_the_evening_of_a_public_holiday_is_an_evening():
    assert period_of_day(paris("2026-07-14T21:00")) == PeriodOfDay.SOIREE


def test_the_night_of_a_sunday_is_a_deep_night():
    assert period_of_day(paris("2026-03-08T02:00")) == PeriodOfDay.NUIT_PROFONDE


@pytest.mark.parametrize(
    ("clock", "period"),
    [
        ("08:29:59", PeriodOfDay.NUIT_PROFONDE),
        ("08:30", PeriodOfDay.JOUR_OUVRABLE),
        ("18:29:59", PeriodOfDay.JOUR_OUVRABLE),
        ("18:30", PeriodOfDay.SOIREE),
        ("23:59:59", PeriodOfDay.SOIREE),
        ("00:00", PeriodOfDay.NUIT_PROFONDE),
    ],
)
def test_the_day_runs_from_half_past_eight_to_half_past_six(clock, period):
    assert period_of_day(paris(f"2026-03-03T{clock}")) == period


def test_a_utc_time_is_read_on_the_paris_clock_in_summer():
    # 06:00 UTC is 08:00 in Paris (CEST): still the night.
    assert period_of_day(datetime(2026, 7, 14, 6, 0, tzinfo=UTC)) == PeriodOfDay.NUIT_PROFONDE
    assert period_of_day(datetime(2026, 7, 14, 6, 30, tzinfo=UTC)) == PeriodOfDay.DIMANCHE_FERIE


def test_a_utc_time_is_read_on_the_paris_clock_in_winter():
    assert period_of_day(datetime(2026, 1, 6, 7, 30, tzinfo=UTC)) == PeriodOfDay.JOUR_OUVRABLE
    assert period_of_day(datetime(2026, 1, 6, 7, 29, tzinfo=UTC)) == PeriodOfDay.NUIT_PROFONDE


def test_a_utc_time_late_on_saturday_evening_is_sunday_night_in_paris():
    assert period_of_day(datetime(2026, 3, 7, 23, 30, tzinfo=UTC)) == PeriodOfDay.NUIT_PROFONDE


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        period_of_day(datetime(2026, 3, 3, 10, 0))


def test_good_friday_is_a_holiday_in_moselle_but_not_in_paris():
    good_friday = paris("2026-04-03T10:00")
    assert period_of_day(good_friday, departement="57") == PeriodOfDay.DIMANCHE_FERIE
    assert period_of_day(good_friday, departement="75") == PeriodOfDay.JOUR_OUVRABLE
    assert period_of_day(good_friday) == PeriodOfDay.JOUR_OUVRABLE


def test_an_examination_in_la_reunion_is_read_on_the_reunion_clock():
    # 16:00 UTC: 17:00 in Paris, 20:00 in Saint-Denis (UTC+4).
    at = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
    assert period_of_day(at) == PeriodOfDay.JOUR_OUVRABLE
    assert period_of_day(at, departement="974") == PeriodOfDay.SOIREE


def test_the_abolition_of_slavery_is_a_holiday_in_guadeloupe_only():
    day = datetime(2026, 5, 27).date()
    assert is_public_holiday(day, departement="971")
    assert not is_public_holiday(day)


def test_may_2026_has_seventeen_working_days_in_paris():
    # 21 weekdays, less 1, 8, 14 (Ascension) and 25 (Whit Monday) May.
    assert working_days(2026, 5) == 17


def test_april_2026_has_one_working_day_less_in_moselle():
    assert working_days(2026, 4) == 21  # Easter Monday
    assert working_days(2026, 4, departement="57") == 20  # and Good Friday

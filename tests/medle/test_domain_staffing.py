from datetime import date

from services.medle.domain.staffing import add_months, months_between, months_due, staffing_missing

TODAY = date(2026, 3, 10)


def test_the_months_due_are_the_two_complete_months_before_this_one():
    assert months_due(TODAY) == [date(2026, 2, 1), date(2026, 1, 1)]
    assert months_due(date(2026, 1, 31)) == [date(2025, 12, 1), date(2025, 11, 1)]


def test_a_hospital_staffed_last_month_or_the_month_before_is_not_listed():
    assert not staffing_missing([date(2026, 2, 1)], TODAY)
    assert not staffing_missing([date(2026, 1, 1)], TODAY)


def test_a_hospital_without_staffing_for_two_months_is_listed():
    assert staffing_missing([date(2025, 12, 1)], TODAY)
    assert staffing_missing([], TODAY)
    # the current month, being worked, does not count
    assert staffing_missing([date(2026, 3, 1)], TODAY)


def test_months_are_counted_across_years():
    assert add_months(date(2025, 11, 1), 3) == date(2026, 2, 1)
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert months_between(date(2025, 11, 20), date(2026, 1, 5)) == [
        date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)]

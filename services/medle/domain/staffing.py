"""Monthly staffing (ETP per category) and the alert on hospitals that stopped entering it."""

from collections.abc import Collection
from datetime import date

ALERT_AFTER_MONTHS = 2


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_due(today: date, count: int = ALERT_AFTER_MONTHS) -> list[date]:
    """The last `count` complete months before `today`'s month, most recent first: the current
    month is still being worked, so its staffing is not due yet."""
    current = first_of_month(today)
    return [add_months(current, -n) for n in range(1, count + 1)]


def staffing_missing(staffed_months: Collection[date], today: date, count: int = ALERT_AFTER_MONTHS) -> bool:
    """True when none of the last `count` complete months has a staffing entry."""
    return not set(months_due(today, count)) & set(staffed_months)


def months_between(first: date, last: date) -> list[date]:
    """Every first-of-month from `first`'s month to `last`'s, inclusive."""
    months, month = [], first_of_month(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months

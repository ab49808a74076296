import pytest

from services.mjpm.domain.reports import age_band


@pytest.mark.parametrize(
    ("birth_year", "band"),
    [(2001, "under_25"), (2000, "25_39"), (1986, "25_39"), (1985, "40_59"), (1951, "60_74"), (1950, "75_plus"),
     (None, "unknown")],
)
def test_a_person_falls_in_the_band_of_the_age_reached_in_the_year(birth_year, band):
    assert age_band(birth_year, 2025) == band


def test_a_birth_year_after_the_report_year_has_no_band():
    assert age_band(2030, 2025) == "unknown"

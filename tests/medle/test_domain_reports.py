from datetime import date
from decimal import Decimal

from services.medle.domain.enums import Profile
from services.medle.domain.reports import (
    Breakdown,
    By,
    Cell,
    HospitalUnit,
    StaffedMonth,
    Step,
    Subject,
    acts_per_pv_table,
    acts_table,
    staffing_vs_activity_table,
    subject_of,
    totals_of,
)

MAY, JUNE = date(2026, 5, 1), date(2026, 6, 1)
HOSPITALS = {1: HospitalUnit(1, "Lille", "59", "32", "Hauts-de-France"),
             2: HospitalUnit(2, "Amiens", "80", "32", "Hauts-de-France")}


def cell(month, hospital, profile, acts, minutes="0", **counts) -> Cell:
    return Cell(month, hospital, profile, acts, {k.replace("__", ":"): v for k, v in counts.items()},
                Decimal(minutes))


def test_court_file_and_reconstruction_work_examines_no_one():
    assert subject_of(Profile.GARDE_A_VUE) == Subject.LIVING
    assert subject_of(Profile.PERSONNE_DECEDEE) == Subject.DECEASED
    assert subject_of(Profile.ETUDE_DOSSIER) == Subject.NO_PERSON


def test_the_acts_table_adds_hospitals_of_a_region_and_months_of_a_year():
    cells = [cell(MAY, 1, Profile.GARDE_A_VUE, 3, act_type__somatique=3),
             cell(JUNE, 2, Profile.GARDE_A_VUE, 2, act_type__somatique=1, act_type__psychiatrique=1)]
    [row] = acts_table(cells, HOSPITALS, Breakdown(By.REGION, Step.YEAR))
    assert (row["period"], row["region"], row["acts"], row["somatique"], row["psychiatrique"]) == (
        "2026", "32", 5, 4, 1)


def test_totals_add_every_count_once():
    totals = totals_of([cell(MAY, 1, Profile.PERSONNE_DECEDEE, 2, sans_plainte=0),
                        cell(MAY, 2, Profile.VICTIME_VIVANTE, 3, sans_plainte=1)])
    assert totals.acts == 5 and totals.by_subject[Subject.DECEASED] == 2 and totals.counts["sans_plainte"] == 1


def test_acts_per_pv_caps_large_investigations():
    assert [r["pv_numbers"] for r in acts_per_pv_table({1: 10, 2: 3, 5: 1})] == [10, 3, 0, 0, 1]


def test_staffing_is_compared_with_the_activity_of_staffed_months_only():
    # May: 960 weighted minutes = 2 day-equivalents, with 0.5 ETP doctors over 17 working days.
    cells = [cell(MAY, 1, Profile.GARDE_A_VUE, 10, "960"), cell(JUNE, 1, Profile.GARDE_A_VUE, 10, "480")]
    [amiens, lille] = staffing_vs_activity_table(cells, [StaffedMonth(1, MAY, Decimal("0.5"))], HOSPITALS,
                                                 [MAY, JUNE])
    assert lille["day_equivalents"] == Decimal("3.000")
    assert lille["staffed_days"] == Decimal("8.500")  # 0.5 × 17 (1, 8, 14 and 25 May 2026 are holidays)
    assert lille["ratio"] == (Decimal(2) / Decimal("8.5")).quantize(Decimal("0.001"))
    assert amiens["ratio"] is None and amiens["staffed_months"] == 0

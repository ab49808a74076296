from datetime import date
from decimal import Decimal

from services.medle.domain.enums import ActType, Profile
from services.medle.domain.fees import (
    BilledAct,
    FeeLine,
    Tariff,
    UnpricedAct,
    fee_statement,
    overlapping_tariffs,
    tariff_for,
)

CUSTODY_2024 = Tariff(
    ActType.SOMATIQUE, Profile.GARDE_A_VUE, Decimal("50.40"), date(2024, 1, 1), date(2026, 2, 28)
)
CUSTODY_2026 = Tariff(ActType.SOMATIQUE, Profile.GARDE_A_VUE, Decimal("55.00"), date(2026, 3, 1))
SOMATIC = Tariff(ActType.SOMATIQUE, None, Decimal("40.00"), date(2024, 1, 1))
AUTOPSY = Tariff(ActType.AUTOPSIE, None, Decimal("400.00"), date(2024, 1, 1))
ASSIZES = Tariff(None, Profile.ASSISES, Decimal("150.00"), date(2024, 1, 1))
SCHEDULE = [CUSTODY_2024, CUSTODY_2026, SOMATIC, AUTOPSY, ASSIZES]

PROSECUTOR, POLICE = 1, 2


def billed(act_id: int, day: str, profile: Profile, *act_types: ActType, asker: int | None) -> BilledAct:
    return BilledAct(
        act_id, f"N{act_id}", date.fromisoformat(day), profile, list(act_types), asker, f"PV{act_id}"
    )


def test_the_tariff_in_force_on_the_examination_day_applies():
    assert tariff_for(SCHEDULE, Profile.GARDE_A_VUE, ActType.SOMATIQUE, date(2026, 2, 28)) == CUSTODY_2024
    assert tariff_for(SCHEDULE, Profile.GARDE_A_VUE, ActType.SOMATIQUE, date(2026, 3, 1)) == CUSTODY_2026


def test_a_profile_without_a_tariff_of_its_own_takes_the_general_one():
    assert tariff_for(SCHEDULE, Profile.VICTIME_VIVANTE, ActType.SOMATIQUE, date(2026, 3, 1)) == SOMATIC


def test_no_tariff_is_in_force_before_the_schedule_starts():
    assert tariff_for(SCHEDULE, Profile.GARDE_A_VUE, ActType.SOMATIQUE, date(2023, 12, 31)) is None


def test_an_act_without_act_type_takes_its_profiles_flat_tariff():
    assert tariff_for(SCHEDULE, Profile.ASSISES, None, date(2026, 3, 4)) == ASSIZES
    assert tariff_for(SCHEDULE, Profile.RECONSTITUTION, None, date(2026, 3, 4)) is None


def test_the_memoire_de_frais_prices_each_act_type_and_groups_lines_by_asker():
    statement = fee_statement(
        [
            billed(5, "2026-03-04", Profile.ASSISES, asker=PROSECUTOR),
            billed(1, "2026-02-27", Profile.GARDE_A_VUE, ActType.SOMATIQUE, asker=PROSECUTOR),
            billed(2, "2026-03-01", Profile.GARDE_A_VUE, ActType.SOMATIQUE, asker=PROSECUTOR),
            billed(
                3,
                "2026-03-02",
                Profile.VICTIME_VIVANTE,
                ActType.SOMATIQUE,
                ActType.PSYCHIATRIQUE,
                asker=POLICE,
            ),
            billed(4, "2026-03-03", Profile.PERSONNE_DECEDEE, ActType.AUTOPSIE, asker=POLICE),
        ],
        SCHEDULE,
    )

    prosecutor, police = statement.askers
    assert prosecutor.asker_id == PROSECUTOR
    assert [(line.act_id, line.act_type, line.amount) for line in prosecutor.lines] == [
        (1, ActType.SOMATIQUE, Decimal("50.40")),  # old custody tariff, still in force on 27 February
        (2, ActType.SOMATIQUE, Decimal("55.00")),
        (5, None, Decimal("150.00")),
    ]
    assert prosecutor.total == Decimal("255.40")
    assert [(line.act_id, line.amount) for line in police.lines] == [
        (3, Decimal("40.00")),
        (4, Decimal("400.00")),
    ]
    assert police.total == Decimal("440.00")
    assert statement.total == Decimal("695.40")
    assert statement.unpriced == (
        UnpricedAct(3, "N3", date(2026, 3, 2), Profile.VICTIME_VIVANTE, ActType.PSYCHIATRIQUE),
    )


def test_a_line_carries_what_the_court_needs_to_find_the_requisition():
    statement = fee_statement(
        [billed(1, "2026-03-02", Profile.GARDE_A_VUE, ActType.SOMATIQUE, asker=1)], SCHEDULE
    )
    assert statement.askers[0].lines == (
        FeeLine(1, "N1", "PV1", date(2026, 3, 2), Profile.GARDE_A_VUE, ActType.SOMATIQUE, Decimal("55.00")),
    )


def test_evidence_without_complaint_is_billed_to_no_one():
    statement = fee_statement(
        [billed(1, "2026-03-02", Profile.VICTIME_VIVANTE, ActType.SOMATIQUE, asker=None)], SCHEDULE
    )
    assert statement.askers == ()
    assert statement.unpriced == ()
    assert statement.total == 0


def test_amounts_stay_exact_decimals_over_many_lines():
    acts = [billed(i, "2026-02-10", Profile.GARDE_A_VUE, ActType.SOMATIQUE, asker=1) for i in range(1000)]
    total = fee_statement(acts, SCHEDULE).total
    assert isinstance(total, Decimal)
    assert total == Decimal("50400.00")


def test_tariffs_of_the_same_act_type_and_profile_must_not_overlap():
    overlapping = Tariff(ActType.SOMATIQUE, Profile.GARDE_A_VUE, Decimal("52.00"), date(2026, 2, 1))
    assert overlapping_tariffs(SCHEDULE) == []
    assert overlapping_tariffs([*SCHEDULE, overlapping]) == [
        (CUSTODY_2024, overlapping),
        (CUSTODY_2026, overlapping),
    ]


def test_successive_tariffs_ending_and_starting_on_consecutive_days_do_not_overlap():
    assert overlapping_tariffs([CUSTODY_2024, CUSTODY_2026]) == []

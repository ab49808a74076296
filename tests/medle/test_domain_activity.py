from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from services.medle.domain.activity import (
    ANCHOR_WEIGHTING,
    Activity,
    Weighting,
    WeightingTable,
    act_minutes,
    activity_in_etp,
    activity_to_staffing_ratio,
    weighted_activity,
)
from services.medle.domain.acts import ActFacts
from services.medle.domain.enums import (
    ActType,
    AgeBand,
    DurationBand,
    Examination,
    Location,
    Profile,
    ViolenceNature,
)

AT = datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
ADULT = AgeBand.AGE_18_PLUS


def act(profile: Profile, *act_types: ActType, **facts) -> ActFacts:
    return ActFacts(profile, AT, act_types=list(act_types), **facts)


def test_custody_examined_at_the_police_station_takes_half_as_long_again():
    gav = act(
        Profile.GARDE_A_VUE,
        ActType.SOMATIQUE,
        person_age_band=ADULT,
        location=Location.COMMISSARIAT,
        examinations=[Examination.BIOLOGIE, Examination.TOXICOLOGIE],
    )
    # 29 min × 1.5 (police premises) + 2 examinations × 10 min
    assert act_minutes(gav, ANCHOR_WEIGHTING) == Decimal("63.5")


def test_custody_examined_at_the_umj_keeps_its_base_minutes():
    gav = act(Profile.GARDE_A_VUE, ActType.SOMATIQUE, person_age_band=ADULT, location=Location.UMJ)
    assert act_minutes(gav, ANCHOR_WEIGHTING) == Decimal(29)


def test_age_and_place_factors_are_both_multiplied_not_only_the_first():
    child_on_a_ward = act(
        Profile.VICTIME_VIVANTE,
        ActType.SOMATIQUE,
        violence_natures=[ViolenceNature.SEXUELLE],
        person_age_band=AgeBand.AGE_6_10,
        location=Location.SERVICE_HOSPITALIER_PUBLIC,
    )
    # 49 min × 0.85 (minor) × 0.6 (hospital ward); the anchor stopped at 49 × 0.85 = 41.65
    assert act_minutes(child_on_a_ward, ANCHOR_WEIGHTING) == Decimal("24.990")


def test_several_violence_natures_take_the_longest_nature_and_half_as_long_again():
    victim = act(
        Profile.VICTIME_VIVANTE,
        ActType.SOMATIQUE,
        violence_natures=[ViolenceNature.SEXUELLE, ViolenceNature.COUPS_BLESSURES],
        person_age_band=ADULT,
        location=Location.UMJ,
        examinations=[Examination.GENETIQUE],
    )
    # max(49, 50) × 1.5 + 10; examinations are added after the 1.5 factor
    assert act_minutes(victim, ANCHOR_WEIGHTING) == Decimal("85.0")


def test_the_same_nature_given_twice_is_one_nature():
    victim = act(
        Profile.VICTIME_VIVANTE,
        ActType.SOMATIQUE,
        violence_natures=[ViolenceNature.MALTRAITANCE, ViolenceNature.MALTRAITANCE],
        person_age_band=ADULT,
    )
    assert act_minutes(victim, ANCHOR_WEIGHTING) == Decimal(50)


def test_every_act_type_of_an_act_counts_not_only_the_first():
    body = act(Profile.PERSONNE_DECEDEE, ActType.LEVEE_DE_CORPS, ActType.AUTOPSIE, person_age_band=ADULT)
    assert act_minutes(body, ANCHOR_WEIGHTING) == Decimal(128 + 213)


def test_a_child_autopsy_takes_half_as_long_again():
    body = act(Profile.PERSONNE_DECEDEE, ActType.AUTOPSIE, person_age_band=AgeBand.AGE_0_2)
    assert act_minutes(body, ANCHOR_WEIGHTING) == Decimal("319.5")


def test_an_assize_court_day_is_weighed_by_its_duration():
    testimony = act(Profile.ASSISES, duration_band=DurationBand.H_4_8)
    assert act_minutes(testimony, ANCHOR_WEIGHTING) == Decimal("359.6")  # 62 × 5.8


def test_an_eight_hour_file_study_is_one_day_equivalent():
    study = act(Profile.ETUDE_DOSSIER, duration_band=DurationBand.PLUS_8_H)
    assert weighted_activity([study], ANCHOR_WEIGHTING).day_equivalents == 1


def test_an_act_type_the_table_does_not_weigh_is_reported_unweighted():
    psychiatric = act(
        Profile.GARDE_A_VUE, ActType.PSYCHIATRIQUE, person_age_band=ADULT, location=Location.UMJ
    )
    assert act_minutes(psychiatric, ANCHOR_WEIGHTING) is None
    assert weighted_activity([psychiatric], ANCHOR_WEIGHTING) == Activity(Decimal(0), Decimal(0), 0, 1)


def test_an_unweighed_act_type_adds_nothing_beside_a_weighed_one():
    both = act(Profile.GARDE_A_VUE, ActType.SOMATIQUE, ActType.PSYCHIATRIQUE, location=Location.UMJ)
    assert act_minutes(both, ANCHOR_WEIGHTING) == Decimal(29)


def test_a_person_who_did_not_come_weighs_nothing():
    no_show = act(Profile.VICTIME_VIVANTE, person_present=False)
    assert act_minutes(no_show, ANCHOR_WEIGHTING) == 0


def test_a_months_acts_add_up_to_day_equivalents_of_480_minutes():
    month = [
        act(Profile.ETUDE_DOSSIER, duration_band=DurationBand.PLUS_8_H),  # 60 × 8 = 480
        act(Profile.PERSONNE_DECEDEE, ActType.AUTOPSIE, person_age_band=ADULT),  # 213
        act(Profile.PERSONNE_DECEDEE, ActType.LEVEE_DE_CORPS, person_age_band=ADULT),  # 128
        act(Profile.IPM, ActType.SOMATIQUE, examinations=[Examination.BIOLOGIE]),  # 24 + 10
        act(Profile.GARDE_A_VUE, ActType.PSYCHIATRIQUE),  # not in the table
    ]
    assert weighted_activity(month, ANCHOR_WEIGHTING) == Activity(
        minutes=Decimal(855), day_equivalents=Decimal("1.78125"), weighted_acts=4, unweighted_acts=1
    )


def test_a_configured_table_changes_the_day_length_and_the_several_natures_factor():
    table = WeightingTable(
        weightings=[Weighting(Profile.VICTIME_VIVANTE, ActType.SOMATIQUE, Decimal(60))],
        several_natures_factor=Decimal(2),
        minutes_per_examination=Decimal(15),
        minutes_per_day=Decimal(420),
    )
    victim = act(
        Profile.VICTIME_VIVANTE,
        ActType.SOMATIQUE,
        violence_natures=[ViolenceNature.SEXUELLE, ViolenceNature.PSYCHOLOGIQUE],
        examinations=[Examination.BIOLOGIE, Examination.IMAGERIE],
    )
    # No weighting per nature: the act type's own applies. 60 × 2 + 2 × 15 = 150; 150 / 420
    assert weighted_activity([victim], table) == Activity(Decimal(150), Decimal(150) / Decimal(420), 1, 0)


def test_a_nature_of_its_own_wins_over_the_act_types_default():
    table = WeightingTable(
        weightings=[
            Weighting(Profile.VICTIME_VIVANTE, ActType.SOMATIQUE, Decimal(60)),
            Weighting(Profile.VICTIME_VIVANTE, ActType.SOMATIQUE, Decimal(90), ViolenceNature.SEXUELLE),
        ]
    )
    sexual = act(Profile.VICTIME_VIVANTE, ActType.SOMATIQUE, violence_natures=[ViolenceNature.SEXUELLE])
    beaten = act(
        Profile.VICTIME_VIVANTE, ActType.SOMATIQUE, violence_natures=[ViolenceNature.COUPS_BLESSURES]
    )
    assert (act_minutes(sexual, table), act_minutes(beaten, table)) == (90, 60)


def test_activity_in_etp_spreads_day_equivalents_over_the_working_days():
    assert activity_in_etp(Decimal(34), 17) == 2


def test_activity_matching_staffing_has_a_ratio_of_one():
    # 1.25 ETP × 16 working days = 20 staffed days
    assert activity_to_staffing_ratio(Decimal(20), Decimal("1.25"), 16) == 1
    assert activity_to_staffing_ratio(Decimal(30), Decimal("1.25"), 16) == Decimal("1.5")


def test_activity_without_staffing_has_no_ratio():
    assert activity_to_staffing_ratio(Decimal(20), Decimal(0), 16) is None

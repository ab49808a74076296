from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.medle.domain.acts import PROFILE_FIELDS, ActFacts, FieldProblem, HospitalFacts, act_problems
from services.medle.domain.enums import (
    ActType,
    AgeBand,
    DeathCause,
    DistanceBand,
    DurationBand,
    Examination,
    Gender,
    Location,
    Profile,
    ViolenceContext,
    ViolenceNature,
)

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 3, 10)
UMJ = HospitalFacts(can_do_post_mortem=False)
IML = HospitalFacts(can_do_post_mortem=True)

_requisitioned = {
    "examined_at": datetime(2026, 3, 3, 10, 0, tzinfo=PARIS),
    "asker_id": 7,
    "pv_number": "PV-1",
}
_person = {"person_age_band": AgeBand.AGE_18_PLUS, "person_gender": Gender.FEMININ}

# One complete act per profile, holding its required fields only (written from the spec and
# the anchor's forms, independently of the table under test).
COMPLETE = {
    Profile.VICTIME_VIVANTE: ActFacts(
        Profile.VICTIME_VIVANTE,
        **_requisitioned,
        **_person,
        act_types=[ActType.SOMATIQUE],
        violence_natures=[ViolenceNature.COUPS_BLESSURES],
        violence_contexts=[ViolenceContext.CONJUGALE],
        location=Location.UMJ,
    ),
    Profile.GARDE_A_VUE: ActFacts(
        Profile.GARDE_A_VUE,
        **_requisitioned,
        **_person,
        act_types=[ActType.SOMATIQUE],
        location=Location.COMMISSARIAT,
    ),
    Profile.AGE_OSSEUX: ActFacts(
        Profile.AGE_OSSEUX,
        **_requisitioned,
        act_types=[ActType.SOMATIQUE],
        examinations=[Examination.RADIOGRAPHIE, Examination.PANORAMIQUE_DENTAIRE],
        person_gender=Gender.MASCULIN,
    ),
    Profile.EXAMEN_OFPRA: ActFacts(
        Profile.EXAMEN_OFPRA, **_requisitioned, **_person, act_types=[ActType.SOMATIQUE]
    ),
    Profile.PERSONNE_DECEDEE: ActFacts(
        Profile.PERSONNE_DECEDEE, **_requisitioned, **_person, act_types=[ActType.EXAMEN_EXTERNE]
    ),
    Profile.PERSONNE_RETENUE: ActFacts(
        Profile.PERSONNE_RETENUE,
        **_requisitioned,
        **_person,
        act_types=[ActType.SOMATIQUE],
        location=Location.CENTRE_DE_RETENTION,
    ),
    Profile.EXAMEN_ROUTE: ActFacts(
        Profile.EXAMEN_ROUTE,
        **_requisitioned,
        **_person,
        act_types=[ActType.SOMATIQUE],
        location=Location.LIEU_DE_CONTROLE,
    ),
    Profile.IPM: ActFacts(
        Profile.IPM,
        **_requisitioned,
        **_person,
        act_types=[ActType.SOMATIQUE],
        location=Location.COMMISSARIAT,
    ),
    Profile.ASSISES: ActFacts(
        Profile.ASSISES, **_requisitioned, duration_band=DurationBand.H_4_8, distance_band=DistanceBand.VISIO
    ),
    Profile.RECONSTITUTION: ActFacts(
        Profile.RECONSTITUTION,
        **_requisitioned,
        duration_band=DurationBand.MOINS_2_H,
        distance_band=DistanceBand.MOINS_50_KM,
    ),
    Profile.ETUDE_DOSSIER: ActFacts(
        Profile.ETUDE_DOSSIER, **_requisitioned, duration_band=DurationBand.H_2_4
    ),
}

REQUIRED = {
    Profile.VICTIME_VIVANTE: {
        "act_types",
        "violence_natures",
        "violence_contexts",
        "location",
        "person_age_band",
        "person_gender",
    },
    Profile.GARDE_A_VUE: {"act_types", "location", "person_age_band", "person_gender"},
    Profile.AGE_OSSEUX: {"act_types", "examinations", "person_gender"},
    Profile.EXAMEN_OFPRA: {"act_types", "person_age_band", "person_gender"},
    Profile.PERSONNE_DECEDEE: {"act_types", "person_age_band", "person_gender"},
    Profile.PERSONNE_RETENUE: {"act_types", "location", "person_age_band", "person_gender"},
    Profile.EXAMEN_ROUTE: {"act_types", "location", "person_age_band", "person_gender"},
    Profile.IPM: {"act_types", "location", "person_age_band", "person_gender"},
    Profile.ASSISES: {"duration_band", "distance_band"},
    Profile.RECONSTITUTION: {"duration_band", "distance_band"},
    Profile.ETUDE_DOSSIER: {"duration_band"},
}

ALLOWED_EXTRAS = {
    Profile.VICTIME_VIVANTE: {
        "examinations": [Examination.TOXICOLOGIE],
        "itt_days": 8,
        "person_present": True,
    },
    Profile.GARDE_A_VUE: {"examinations": [Examination.BIOLOGIE], "person_present": True},
    Profile.AGE_OSSEUX: {"location": Location.UMJ, "person_present": True},
    Profile.EXAMEN_OFPRA: {"examinations": [Examination.AUTRE], "location": Location.UMJ},
    Profile.PERSONNE_DECEDEE: {
        "examinations": [Examination.TOXICOLOGIE],
        "death_cause": DeathCause.SUICIDE,
        "distance_band": DistanceBand.MOINS_50_KM,
    },
    Profile.PERSONNE_RETENUE: {"examinations": [Examination.IMAGERIE], "person_present": True},
    Profile.EXAMEN_ROUTE: {"examinations": [Examination.BIOLOGIE], "person_present": True},
    Profile.IPM: {"examinations": [Examination.BIOLOGIE], "person_present": True},
    Profile.ASSISES: {},
    Profile.RECONSTITUTION: {},
    Profile.ETUDE_DOSSIER: {},
}

FORBIDDEN = {
    Profile.VICTIME_VIVANTE: {"death_cause": DeathCause.AUTRE, "duration_band": DurationBand.H_2_4},
    Profile.GARDE_A_VUE: {
        "itt_days": 3,
        "violence_natures": [ViolenceNature.SEXUELLE],
        "death_cause": DeathCause.AUTRE,
    },
    Profile.AGE_OSSEUX: {"person_age_band": AgeBand.AGE_15_17, "itt_days": 0},
    Profile.EXAMEN_OFPRA: {"itt_days": 1, "distance_band": DistanceBand.MOINS_50_KM},
    Profile.PERSONNE_DECEDEE: {
        "itt_days": 0,
        "person_present": True,
        "location": Location.UMJ,
        "violence_contexts": [ViolenceContext.AUTRE],
    },
    Profile.PERSONNE_RETENUE: {"itt_days": 2, "death_cause": DeathCause.SUICIDE},
    Profile.EXAMEN_ROUTE: {
        "violence_contexts": [ViolenceContext.VOIE_PUBLIQUE],
        "duration_band": DurationBand.H_2_4,
    },
    Profile.IPM: {"itt_days": 1, "attack": "2016 Nice"},
    Profile.ASSISES: {"act_types": [ActType.SOMATIQUE], "person_gender": Gender.AUTRE, "itt_days": 1},
    Profile.RECONSTITUTION: {"examinations": [Examination.AUTRE], "location": Location.TRIBUNAL},
    Profile.ETUDE_DOSSIER: {"distance_band": DistanceBand.MOINS_50_KM, "person_present": True},
}


def locs(problems: list[FieldProblem]) -> set[tuple]:
    return {p.loc for p in problems}


def test_the_profile_table_covers_every_profile():
    assert set(PROFILE_FIELDS) == set(Profile)


@pytest.mark.parametrize("profile", list(Profile))
def test_a_complete_act_of_each_profile_has_no_problem(profile):
    assert act_problems(COMPLETE[profile], UMJ, TODAY) == []


@pytest.mark.parametrize("profile", list(Profile))
def test_each_profile_names_every_required_field_left_out(profile):
    bare = ActFacts(profile, **_requisitioned)
    problems = act_problems(bare, UMJ, TODAY)
    assert locs(problems) == {(name,) for name in REQUIRED[profile]}
    assert {p.type for p in problems} == {"missing"}


@pytest.mark.parametrize("profile", list(Profile))
def test_each_profile_accepts_its_optional_fields(profile):
    act = replace(COMPLETE[profile], **ALLOWED_EXTRAS[profile])
    assert act_problems(act, UMJ, TODAY) == []


@pytest.mark.parametrize("profile", list(Profile))
def test_each_profile_names_every_field_it_does_not_allow(profile):
    act = replace(COMPLETE[profile], **FORBIDDEN[profile])
    problems = act_problems(act, UMJ, TODAY)
    assert locs(problems) == {(name,) for name in FORBIDDEN[profile]}
    assert {p.type for p in problems} == {"field_not_allowed"}


def test_every_offending_field_is_reported_not_only_the_first():
    act = replace(
        COMPLETE[Profile.GARDE_A_VUE],
        location=None,
        itt_days=400,
        death_cause=DeathCause.SUICIDE,
        asker_id=None,
        pv_number=None,
        act_types=[ActType.SOMATIQUE, ActType.AUTOPSIE],
        examined_at=datetime(2026, 3, 20, 10, 0, tzinfo=PARIS),
    )
    assert locs(act_problems(act, UMJ, TODAY)) == {
        ("location",),
        ("itt_days",),
        ("death_cause",),
        ("asker_id",),
        ("act_types", 1),
        ("examined_at",),
    }


@pytest.mark.parametrize("days", [0, 1, 365])
def test_a_living_victim_may_have_itt_from_0_to_365_days(days):
    act = replace(COMPLETE[Profile.VICTIME_VIVANTE], itt_days=days)
    assert act_problems(act, UMJ, TODAY) == []


@pytest.mark.parametrize("days", [-1, 366])
def test_itt_outside_0_to_365_days_is_refused(days):
    act = replace(COMPLETE[Profile.VICTIME_VIVANTE], itt_days=days)
    assert act_problems(act, UMJ, TODAY) == [
        FieldProblem(("itt_days",), "must be between 0 and 365 days", "out_of_range")
    ]


def test_a_deceased_person_has_no_itt_and_a_victim_no_death_cause():
    deceased = replace(COMPLETE[Profile.PERSONNE_DECEDEE], itt_days=0)
    victim = replace(COMPLETE[Profile.VICTIME_VIVANTE], death_cause=DeathCause.SUICIDE)
    assert locs(act_problems(deceased, IML, TODAY)) == {("itt_days",)}
    assert locs(act_problems(victim, UMJ, TODAY)) == {("death_cause",)}


@pytest.mark.parametrize("act_type", [ActType.AUTOPSIE, ActType.ANTHROPOLOGIE, ActType.ODONTOLOGIE])
def test_a_post_mortem_act_needs_a_hospital_that_can_do_post_mortem(act_type):
    act = replace(COMPLETE[Profile.PERSONNE_DECEDEE], act_types=[ActType.EXAMEN_EXTERNE, act_type])
    assert act_problems(act, IML, TODAY) == []
    [problem] = act_problems(act, UMJ, TODAY)
    assert (problem.loc, problem.type) == (("act_types", 1), "post_mortem_not_allowed")


def test_a_umj_may_examine_a_body_and_remove_it():
    act = replace(
        COMPLETE[Profile.PERSONNE_DECEDEE],
        act_types=[ActType.EXAMEN_EXTERNE, ActType.LEVEE_DE_CORPS],
        distance_band=DistanceBand.KM_50_150,
    )
    assert act_problems(act, UMJ, TODAY) == []


def test_a_body_removal_needs_the_distance_travelled():
    act = replace(COMPLETE[Profile.PERSONNE_DECEDEE], act_types=[ActType.LEVEE_DE_CORPS])
    assert act_problems(act, UMJ, TODAY) == [
        FieldProblem(("distance_band",), "Field required for a levee_de_corps", "missing")
    ]


def test_a_body_is_not_removed_by_videoconference():
    act = replace(
        COMPLETE[Profile.PERSONNE_DECEDEE],
        act_types=[ActType.LEVEE_DE_CORPS],
        distance_band=DistanceBand.VISIO,
    )
    assert [p.type for p in act_problems(act, UMJ, TODAY)] == ["value_not_allowed"]


def test_post_mortem_act_types_are_refused_for_the_living():
    act = replace(COMPLETE[Profile.VICTIME_VIVANTE], act_types=[ActType.SOMATIQUE, ActType.EXAMEN_EXTERNE])
    [problem] = act_problems(act, IML, TODAY)
    assert (problem.loc, problem.type) == (("act_types", 1), "value_not_allowed")


def test_a_somatic_examination_is_refused_for_the_deceased():
    act = replace(COMPLETE[Profile.PERSONNE_DECEDEE], act_types=[ActType.SOMATIQUE])
    assert locs(act_problems(act, IML, TODAY)) == {("act_types", 0)}


def test_an_ofpra_examination_is_somatic_only():
    act = replace(COMPLETE[Profile.EXAMEN_OFPRA], act_types=[ActType.PSYCHIATRIQUE])
    assert locs(act_problems(act, UMJ, TODAY)) == {("act_types", 0)}


def test_an_attentat_needs_the_named_attack():
    act = replace(COMPLETE[Profile.VICTIME_VIVANTE], violence_natures=[ViolenceNature.ATTENTAT])
    assert [(p.loc, p.type) for p in act_problems(act, UMJ, TODAY)] == [(("attack",), "missing")]
    assert act_problems(replace(act, attack="2016 Nice"), UMJ, TODAY) == []


def test_a_named_attack_without_the_attentat_nature_is_refused():
    act = replace(COMPLETE[Profile.VICTIME_VIVANTE], attack="2016 Nice")
    assert [(p.loc, p.type) for p in act_problems(act, UMJ, TODAY)] == [(("attack",), "field_not_allowed")]


def test_an_act_on_requisition_needs_its_asker():
    act = replace(COMPLETE[Profile.GARDE_A_VUE], asker_id=None)
    assert act_problems(act, UMJ, TODAY) == [
        FieldProblem(("asker_id",), "Field required unless sans_plainte", "missing")
    ]


def test_evidence_without_complaint_needs_no_asker():
    act = replace(COMPLETE[Profile.VICTIME_VIVANTE], sans_plainte=True, asker_id=None, pv_number=None)
    assert act_problems(act, UMJ, TODAY) == []


def test_evidence_without_complaint_has_no_requisition_to_name():
    act = replace(COMPLETE[Profile.VICTIME_VIVANTE], sans_plainte=True, requisition_date=date(2026, 3, 2))
    assert locs(act_problems(act, UMJ, TODAY)) == {("asker_id",), ("pv_number",), ("requisition_date",)}


def test_evidence_without_complaint_is_for_living_victims_only():
    act = replace(COMPLETE[Profile.GARDE_A_VUE], sans_plainte=True, asker_id=None, pv_number=None)
    assert locs(act_problems(act, UMJ, TODAY)) == {("sans_plainte",)}


def test_a_person_who_did_not_come_has_no_examination_recorded():
    no_show = ActFacts(Profile.VICTIME_VIVANTE, **_requisitioned, person_present=False)
    assert act_problems(no_show, UMJ, TODAY) == []


def test_a_person_who_did_not_come_cannot_have_an_itt():
    act = replace(COMPLETE[Profile.VICTIME_VIVANTE], person_present=False, itt_days=3)
    problems = act_problems(act, UMJ, TODAY)
    assert locs(problems) == {("act_types",), ("violence_natures",), ("violence_contexts",), ("itt_days",)}
    assert all(p.msg == "not allowed: the person was not examined" for p in problems)


def test_only_the_living_can_be_absent():
    act = replace(COMPLETE[Profile.PERSONNE_DECEDEE], person_present=False)
    assert locs(act_problems(act, IML, TODAY)) == {("person_present",)}


@pytest.mark.parametrize(
    "examined_at",
    [
        datetime(2026, 3, 10, 23, 59, tzinfo=PARIS),  # today
        datetime(2024, 1, 1, 0, 0, tzinfo=PARIS),  # 1 January of year − 2
        datetime(2023, 12, 31, 23, 30, tzinfo=UTC),  # already 1 January 2024 in Paris
    ],
)
def test_an_examination_from_today_back_to_1_january_two_years_ago_is_accepted(examined_at):
    act = replace(COMPLETE[Profile.GARDE_A_VUE], examined_at=examined_at)
    assert act_problems(act, UMJ, TODAY) == []


def test_an_examination_in_the_future_is_refused():
    act = replace(COMPLETE[Profile.GARDE_A_VUE], examined_at=datetime(2026, 3, 11, 8, 0, tzinfo=PARIS))
    assert act_problems(act, UMJ, TODAY) == [
        FieldProblem(("examined_at",), "must not be in the future", "date_in_future")
    ]


def test_an_examination_on_tomorrows_paris_date_is_in_the_future_even_if_still_today_in_utc():
    act = replace(COMPLETE[Profile.GARDE_A_VUE], examined_at=datetime(2026, 3, 10, 23, 30, tzinfo=UTC))
    assert [p.type for p in act_problems(act, UMJ, TODAY)] == ["date_in_future"]


def test_an_examination_before_1_january_two_years_ago_is_refused():
    act = replace(COMPLETE[Profile.GARDE_A_VUE], examined_at=datetime(2023, 12, 31, 22, 0, tzinfo=PARIS))
    assert act_problems(act, UMJ, TODAY) == [
        FieldProblem(("examined_at",), "must not be before 2024-01-01", "date_too_old")
    ]


def test_an_overseas_examination_is_dated_on_its_own_clock():
    # 23:30 UTC on 10 March is already 11 March in Paris, still 10 March in Guadeloupe (UTC−4).
    act = replace(COMPLETE[Profile.GARDE_A_VUE], examined_at=datetime(2026, 3, 10, 23, 30, tzinfo=UTC))
    guadeloupe = HospitalFacts(can_do_post_mortem=False, departement="971")
    assert act_problems(act, guadeloupe, TODAY) == []
    assert [p.type for p in act_problems(act, UMJ, TODAY)] == ["date_in_future"]


def test_a_value_given_twice_in_a_list_is_refused():
    act = replace(COMPLETE[Profile.VICTIME_VIVANTE], violence_contexts=[ViolenceContext.CONJUGALE,
                                                                         ViolenceContext.CONJUGALE])
    assert act_problems(act, UMJ, TODAY) == [
        FieldProblem(("violence_contexts", 1), "conjugale is given twice", "duplicate_value")]

"""The rules an act must follow, on create and on update (spec medle.md, "Rules").

`act_problems` returns every offending field at once, so that a form or a batch line can be
corrected in one pass. Each problem's `loc` names the `ActFacts` attribute (and the index inside a
list); the API layer prefixes it with "body" (or the batch line) and answers 422.
"""

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from services.medle.domain.calendar import local_time
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

ITT_DAYS_MAX = 365
YEARS_BACK = 2


@dataclass(frozen=True)
class FieldProblem:
    loc: tuple[str | int, ...]
    msg: str
    type: str


@dataclass(frozen=True)
class HospitalFacts:
    can_do_post_mortem: bool
    departement: str | None = None  # whose clock dates the examination (overseas)


@dataclass(frozen=True)
class ActFacts:
    """An act as the rules see it. Empty lists and None both mean "not given"."""

    profile: Profile
    examined_at: datetime  # tz-aware
    sans_plainte: bool = False  # recueil de preuves sans plainte: no requisition
    asker_id: int | UUID | None = None
    pv_number: str | None = None
    requisition_date: date | None = None
    act_types: Sequence[ActType] = ()
    examinations: Sequence[Examination] = ()
    violence_natures: Sequence[ViolenceNature] = ()
    attack: str | None = None  # the named attack, with `attentat`
    violence_contexts: Sequence[ViolenceContext] = ()
    location: Location | None = None
    person_age_band: AgeBand | None = None
    person_gender: Gender | None = None
    person_present: bool | None = None  # None: present (the anchor's default "Oui")
    itt_days: int | None = None
    death_cause: DeathCause | None = None
    distance_band: DistanceBand | None = None
    duration_band: DurationBand | None = None


@dataclass(frozen=True)
class ProfileFields:
    """What a profile's form holds; any profile field not listed is forbidden for it."""

    required: frozenset[str]
    optional: frozenset[str] = frozenset()
    act_types: frozenset[ActType] = frozenset()


def _fields(*names: str) -> frozenset[str]:
    return frozenset(names)


LIVING_ACT_TYPES = frozenset({ActType.SOMATIQUE, ActType.PSYCHIATRIQUE})
# A UMJ may examine a body where it lies (external examination, body removal); opening it or
# identifying remains needs an IML's autopsy room: the anchor offered these only to
# `canDoPostMortem` hospitals.
POST_MORTEM_ACT_TYPES = frozenset({ActType.AUTOPSIE, ActType.ANTHROPOLOGIE, ActType.ODONTOLOGIE})
DECEASED_ACT_TYPES = frozenset({ActType.EXAMEN_EXTERNE, ActType.LEVEE_DE_CORPS}) | POST_MORTEM_ACT_TYPES

_PERSON = ("person_age_band", "person_gender")

# The anchor's profile forms, one row per profile. `attack` is checked with `violence_natures`.
PROFILE_FIELDS: Mapping[Profile, ProfileFields] = {
    Profile.VICTIME_VIVANTE: ProfileFields(
        required=_fields("act_types", "violence_natures", "violence_contexts", "location", *_PERSON),
        # ITT exists only for a living victim: it grades the offence (Code pénal art. 222-11 ff.).
        optional=_fields("examinations", "attack", "itt_days", "person_present"),
        act_types=LIVING_ACT_TYPES,
    ),
    Profile.GARDE_A_VUE: ProfileFields(
        required=_fields("act_types", "location", *_PERSON),
        optional=_fields("examinations", "person_present"),
        act_types=LIVING_ACT_TYPES,
    ),
    Profile.AGE_OSSEUX: ProfileFields(
        # No age band: the age is the question the examination answers.
        required=_fields("act_types", "examinations", "person_gender"),
        optional=_fields("location", "person_present"),
        act_types=LIVING_ACT_TYPES,
    ),
    Profile.EXAMEN_OFPRA: ProfileFields(
        required=_fields("act_types", *_PERSON),
        optional=_fields("examinations", "location", "person_present"),
        act_types=frozenset({ActType.SOMATIQUE}),
    ),
    Profile.PERSONNE_DECEDEE: ProfileFields(
        required=_fields("act_types", *_PERSON),
        optional=_fields("examinations", "death_cause", "distance_band"),
        act_types=DECEASED_ACT_TYPES,
    ),
    Profile.PERSONNE_RETENUE: ProfileFields(
        required=_fields("act_types", "location", *_PERSON),
        optional=_fields("examinations", "person_present"),
        act_types=LIVING_ACT_TYPES,
    ),
    Profile.EXAMEN_ROUTE: ProfileFields(
        required=_fields("act_types", "location", *_PERSON),
        optional=_fields("examinations", "person_present"),
        act_types=frozenset({ActType.SOMATIQUE}),
    ),
    Profile.IPM: ProfileFields(
        required=_fields("act_types", "location", *_PERSON),
        optional=_fields("examinations", "person_present"),
        act_types=frozenset({ActType.SOMATIQUE}),
    ),
    Profile.ASSISES: ProfileFields(required=_fields("duration_band", "distance_band")),
    Profile.RECONSTITUTION: ProfileFields(required=_fields("duration_band", "distance_band")),
    Profile.ETUDE_DOSSIER: ProfileFields(required=_fields("duration_band")),
}

# The fields a profile may or may not have; requisition and date fields are checked apart.
PROFILE_DEPENDENT_FIELDS = (
    "act_types",
    "examinations",
    "violence_natures",
    "attack",
    "violence_contexts",
    "location",
    "person_age_band",
    "person_gender",
    "person_present",
    "itt_days",
    "death_cause",
    "distance_band",
    "duration_band",
)

# Nobody was examined when the person did not come (or custody ended first): the act only
# records the mobilisation.
EXAMINATION_FIELDS = frozenset(
    {"act_types", "examinations", "violence_natures", "attack", "violence_contexts", "itt_days"}
)


def _is_given(value: object) -> bool:
    if isinstance(value, Collection):  # lists and strings
        return len(value) > 0
    return value is not None


def act_problems(act: ActFacts, hospital: HospitalFacts, today: date) -> list[FieldProblem]:
    """Every rule `act` breaks, one problem per field (the first rule a field breaks wins)."""
    problems: dict[tuple[str | int, ...], FieldProblem] = {}
    for problem in (
        *_profile_problems(act),
        *_repeated_value_problems(act),
        *_act_type_problems(act, hospital),
        *_attack_problems(act),
        *_body_removal_problems(act),
        *_itt_problems(act),
        *_requisition_problems(act),
        *_date_problems(act, hospital, today),
    ):
        problems.setdefault(problem.loc, problem)
    return list(problems.values())


def _profile_problems(act: ActFacts) -> Iterator[FieldProblem]:
    fields = PROFILE_FIELDS[act.profile]
    allowed = fields.required | fields.optional
    examined = act.person_present is not False or "person_present" not in allowed
    for name in PROFILE_DEPENDENT_FIELDS:
        given = _is_given(getattr(act, name))
        if given and name not in allowed:
            yield FieldProblem((name,), f"not allowed for profile {act.profile}", "field_not_allowed")
        elif given and not examined and name in EXAMINATION_FIELDS:
            yield FieldProblem((name,), "not allowed: the person was not examined", "field_not_allowed")
        elif not given and examined and name in fields.required:
            yield FieldProblem((name,), "Field required", "missing")


LIST_FIELDS = ("act_types", "examinations", "violence_natures", "violence_contexts")


def _repeated_value_problems(act: ActFacts) -> Iterator[FieldProblem]:
    # A value given twice would count twice in the reports and be billed twice.
    for name in LIST_FIELDS:
        seen = set()
        for index, value in enumerate(getattr(act, name)):
            if value in seen:
                yield FieldProblem((name, index), f"{value} is given twice", "duplicate_value")
            seen.add(value)


def _act_type_problems(act: ActFacts, hospital: HospitalFacts) -> Iterator[FieldProblem]:
    accepted = PROFILE_FIELDS[act.profile].act_types
    if not accepted:
        return  # the profile has no act types: already reported by the profile table
    for index, act_type in enumerate(act.act_types):
        if act_type not in accepted:
            yield FieldProblem(
                ("act_types", index),
                f"{act_type} is not an act type of profile {act.profile}",
                "value_not_allowed",
            )
        elif act_type in POST_MORTEM_ACT_TYPES and not hospital.can_do_post_mortem:
            yield FieldProblem(
                ("act_types", index),
                f"{act_type} needs a hospital that can do post-mortem examinations",
                "post_mortem_not_allowed",
            )


def _attack_problems(act: ActFacts) -> Iterator[FieldProblem]:
    if ViolenceNature.ATTENTAT in act.violence_natures:
        if not _is_given(act.attack):
            yield FieldProblem(("attack",), "Field required: the named attack of an attentat", "missing")
    elif _is_given(act.attack):
        yield FieldProblem(("attack",), "not allowed without the attentat nature", "field_not_allowed")


def _body_removal_problems(act: ActFacts) -> Iterator[FieldProblem]:
    # A body removal is paid and weighed by the distance travelled to the body.
    if ActType.LEVEE_DE_CORPS in act.act_types and act.profile == Profile.PERSONNE_DECEDEE:
        if act.distance_band is None:
            yield FieldProblem(("distance_band",), "Field required for a levee_de_corps", "missing")
        elif act.distance_band == DistanceBand.VISIO:
            yield FieldProblem(("distance_band",), "no body removal by videoconference", "value_not_allowed")


def _itt_problems(act: ActFacts) -> Iterator[FieldProblem]:
    if act.itt_days is not None and not 0 <= act.itt_days <= ITT_DAYS_MAX:
        yield FieldProblem(("itt_days",), f"must be between 0 and {ITT_DAYS_MAX} days", "out_of_range")


def _requisition_problems(act: ActFacts) -> Iterator[FieldProblem]:
    if not act.sans_plainte:
        if act.asker_id is None:
            yield FieldProblem(("asker_id",), "Field required unless sans_plainte", "missing")
        return
    # Evidence kept without a complaint is a victim's own step: no authority requisitioned the
    # act, so none can be named, nor billed in a mémoire de frais.
    if act.profile != Profile.VICTIME_VIVANTE:
        yield FieldProblem(
            ("sans_plainte",),
            "evidence without complaint is collected from living victims only",
            "field_not_allowed",
        )
    for name in ("asker_id", "pv_number", "requisition_date"):
        if _is_given(getattr(act, name)):
            yield FieldProblem((name,), "not allowed with sans_plainte: no requisition", "field_not_allowed")


def earliest_examination_date(today: date) -> date:
    return date(today.year - YEARS_BACK, 1, 1)


def _date_problems(act: ActFacts, hospital: HospitalFacts, today: date) -> Iterator[FieldProblem]:
    examined_on = local_time(act.examined_at, hospital.departement).date()
    if examined_on > today:
        yield FieldProblem(("examined_at",), "must not be in the future", "date_in_future")
    elif examined_on < earliest_examination_date(today):
        yield FieldProblem(
            ("examined_at",),
            f"must not be before {earliest_examination_date(today).isoformat()}",
            "date_too_old",
        )

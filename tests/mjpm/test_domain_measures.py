import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.mjpm.domain.enums import (
    EstablishmentType,
    ExitCause,
    LivingPlace,
    MeasureAction,
    MeasureStatus,
    Role,
)
from services.mjpm.domain.measures import (
    AUTOMATIC_EXIT_CAUSE,
    TRANSITIONS,
    Duplicate,
    FieldProblem,
    IllegalTransition,
    InvalidRg,
    MeasureFacts,
    Reopen,
    SameKeyMeasure,
    acceptance_problems,
    closing_problems,
    expiry_day,
    is_expired,
    is_past_end,
    legal_actions,
    may_change,
    may_perform,
    measure_key,
    measure_problems,
    months_after,
    next_state,
    normalise_rg,
    repeated_lines,
    reservation_target,
    sync_actions,
)

PARIS = ZoneInfo("Europe/Paris")
A, S = MeasureAction, MeasureStatus

# The spec's state machine, written out independently of the code's table.
LEGAL = {
    (None, A.RESERVE): S.EN_ATTENTE,
    (None, A.RECORD): S.EN_COURS,
    (S.EN_ATTENTE, A.ACCEPT): S.EN_COURS,
    (S.EN_ATTENTE, A.WITHDRAW): S.ANNULEE,
    (S.EN_ATTENTE, A.EXPIRE): S.ANNULEE,
    (S.EN_COURS, A.CLOSE): S.ETEINTE,
    (S.ETEINTE, A.REACTIVATE): S.EN_COURS,
    (S.ETEINTE, A.REOPEN): S.EN_ATTENTE,
}
EVERY_PAIR = list(itertools.product([None, *S], A))
ILLEGAL = [pair for pair in EVERY_PAIR if pair not in LEGAL]

COURT = {Role.JUDGE, Role.CLERK}
MANAGERS = {Role.MANAGER, Role.SERVICE_ADMIN}
WHO_MAY = {
    A.RESERVE: COURT,
    A.RECORD: MANAGERS,
    A.ACCEPT: MANAGERS,
    A.WITHDRAW: COURT,
    A.EXPIRE: set(),
    A.CLOSE: MANAGERS,
    A.REACTIVATE: MANAGERS,
    A.REOPEN: COURT,
}


# --- State machine ---------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "action"), list(LEGAL), ids=str)
def test_a_legal_transition_leads_to_the_state_the_spec_names(current, action):
    assert next_state(current, action) == LEGAL[(current, action)]


@pytest.mark.parametrize(("current", "action"), ILLEGAL, ids=str)
def test_every_other_transition_is_illegal_and_says_which(current, action):
    with pytest.raises(IllegalTransition) as raised:
        next_state(current, action)
    assert (raised.value.current, raised.value.action) == (current, action)
    assert str(action) in str(raised.value)


def test_the_table_holds_exactly_the_transitions_of_the_spec():
    table = {(src, action): t.target for action, t in TRANSITIONS.items() for src in t.sources}
    assert table == LEGAL


def test_transitions_accept_plain_strings_as_they_come_from_the_database():
    assert next_state("en_attente", "accept") == S.EN_COURS


def test_an_unknown_action_is_an_illegal_transition():
    with pytest.raises(IllegalTransition):
        next_state(S.EN_COURS, "teleport")


@pytest.mark.parametrize(("action", "role"), list(itertools.product(A, Role)), ids=str)
def test_each_action_is_performed_only_by_the_roles_the_spec_gives_it(action, role):
    assert may_perform([role], action) is (role in WHO_MAY[action])


def test_only_the_scheduled_job_expires_a_reservation_and_it_may_also_close_ended_measures():
    assert not any(may_perform([role], A.EXPIRE) for role in Role)
    assert TRANSITIONS[A.EXPIRE].automatic and TRANSITIONS[A.CLOSE].automatic
    assert not TRANSITIONS[A.ACCEPT].automatic


def test_a_measure_en_attente_can_be_accepted_withdrawn_or_expire():
    assert legal_actions(S.EN_ATTENTE) == [A.ACCEPT, A.WITHDRAW, A.EXPIRE]
    assert legal_actions(S.ANNULEE) == []


def test_a_judge_may_change_a_measure_en_attente():
    assert may_change([Role.JUDGE], S.EN_ATTENTE)
    assert may_change(["mjpm:clerk"], S.EN_ATTENTE)


@pytest.mark.parametrize("status", [S.EN_COURS, S.ETEINTE, S.ANNULEE])
def test_a_judge_may_not_change_a_measure_once_it_is_no_longer_en_attente(status):
    assert not may_change([Role.JUDGE, Role.CLERK], status)


def test_a_manager_changes_their_running_and_closed_measures_but_not_an_unaccepted_reservation():
    assert may_change([Role.MANAGER], S.EN_COURS)
    assert may_change([Role.SERVICE_ADMIN], S.ETEINTE)
    assert not may_change([Role.MANAGER], S.EN_ATTENTE)


def test_a_reporting_role_changes_no_measure():
    assert not any(may_change([Role.REPORT, Role.STATE_AGENT], status) for status in S)


# --- RG number -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("21A01234", "21A01234"),
        ("21a01234", "21A01234"),
        ("21/a 01234", "21A01234"),
        (" 21-A.01234 ", "21A01234"),
        ("2101234", "02101234"),
        ("123", "00000123"),
    ],
)
def test_an_rg_number_is_stored_as_eight_upper_case_letters_and_digits(raw, stored):
    assert normalise_rg(raw) == stored


@pytest.mark.parametrize("raw", ["", "  / ", "21A012345", "21É01234", "21*01234", "ſ1234567"])
def test_an_rg_number_that_cannot_be_normalised_is_refused_not_truncated(raw):
    with pytest.raises(InvalidRg):
        normalise_rg(raw)


def test_the_duplicate_key_is_the_normalised_rg_with_the_court_and_the_manager():
    assert measure_key("21/a 01234", 7, 42) == measure_key("21A01234", 7, 42)
    assert measure_key("21A01234", 7, 42) != measure_key("21A01234", 7, 43)
    assert measure_key("21A01234", 7, 42).rg == "21A01234"


# --- Same RG: duplicate or reopen ------------------------------------------------------------


@pytest.mark.parametrize("live", [S.EN_ATTENTE, S.EN_COURS])
def test_reserving_an_rg_live_for_the_same_court_and_manager_is_a_duplicate(live):
    same_key = [SameKeyMeasure(9, S.ETEINTE, date(2020, 1, 1)), SameKeyMeasure(12, live)]
    assert reservation_target(same_key) == Duplicate(12, live)


def test_reserving_an_rg_closed_for_the_same_court_and_manager_reopens_the_latest_closed_measure():
    same_key = [
        SameKeyMeasure(3, S.ETEINTE, date(2019, 5, 1)),
        SameKeyMeasure(8, S.ETEINTE, date(2022, 3, 1)),
        SameKeyMeasure(5, S.ANNULEE),
    ]
    target = reservation_target(same_key)
    assert target == Reopen(8)
    assert next_state(S.ETEINTE, A.REOPEN) == S.EN_ATTENTE


def test_reserving_an_rg_whose_only_measures_were_cancelled_creates_a_new_measure():
    assert reservation_target([SameKeyMeasure(5, S.ANNULEE)]) is None
    assert reservation_target([]) is None


def test_a_batch_line_repeating_an_earlier_rg_and_court_points_to_that_line():
    keys = [("21A01234", "1"), ("21B00001", "1"), ("21A01234", "1"), ("21A01234", "2")]
    assert repeated_lines(keys) == {2: 0}


# --- Clocks ----------------------------------------------------------------------------------


@dataclass
class Measure:
    status: MeasureStatus
    status_changed_at: datetime
    end_date: date | None = None


def reserved_on(day: date, hour: int = 10) -> Measure:
    at = datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)
    return Measure(S.EN_ATTENTE, at.astimezone(UTC))


def test_a_reservation_is_not_expired_the_day_before_its_two_months():
    assert not is_expired(reserved_on(date(2024, 1, 15)), date(2024, 3, 14))


def test_a_reservation_is_expired_on_the_day_of_its_two_months():
    assert is_expired(reserved_on(date(2024, 1, 15)), date(2024, 3, 15))
    assert is_expired(reserved_on(date(2024, 1, 15)), date(2024, 6, 1))


def test_two_months_are_calendar_months_ending_on_the_last_day_of_a_shorter_month():
    assert expiry_day(reserved_on(date(2023, 12, 31)).status_changed_at) == date(2024, 2, 29)
    assert months_after(date(2023, 12, 31), 2) == date(2024, 2, 29)
    assert months_after(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert not is_expired(reserved_on(date(2023, 12, 31)), date(2024, 2, 28))


def test_the_reservation_day_is_counted_in_paris_not_in_utc():
    # 23:30 UTC on 14 January is already 15 January in Paris.
    measure = Measure(S.EN_ATTENTE, datetime(2024, 1, 14, 23, 30, tzinfo=UTC))
    assert expiry_day(measure.status_changed_at) == date(2024, 3, 15)
    assert not is_expired(measure, date(2024, 3, 14))
    # In summer time, 22:30 UTC on 31 March is 1 April in Paris.
    assert expiry_day(datetime(2024, 3, 31, 22, 30, tzinfo=UTC)) == date(2024, 6, 1)


def test_a_naive_time_is_read_as_utc():
    assert expiry_day(datetime(2024, 1, 14, 23, 30)) == date(2024, 3, 15)


@pytest.mark.parametrize("status", [S.EN_COURS, S.ETEINTE, S.ANNULEE])
def test_only_a_measure_still_en_attente_expires(status):
    measure = reserved_on(date(2024, 1, 15))
    measure.status = status
    assert not is_expired(measure, date(2025, 1, 1))


def test_a_measure_runs_on_its_end_date_and_is_past_it_the_day_after():
    measure = Measure(S.EN_COURS, datetime(2020, 1, 1, tzinfo=UTC), end_date=date(2024, 6, 30))
    assert not is_past_end(measure, date(2024, 6, 30))
    assert is_past_end(measure, date(2024, 7, 1))


def test_a_measure_without_end_date_or_not_running_is_never_past_its_end():
    assert not is_past_end(Measure(S.EN_COURS, datetime(2020, 1, 1, tzinfo=UTC)), date(2030, 1, 1))
    closed = Measure(S.ETEINTE, datetime(2020, 1, 1, tzinfo=UTC), end_date=date(2021, 1, 1))
    assert not is_past_end(closed, date(2030, 1, 1))


def test_a_measure_closed_at_its_end_date_lapses_as_caducite():
    assert AUTOMATIC_EXIT_CAUSE == ExitCause.CADUCITE
    assert next_state(S.EN_COURS, A.CLOSE) == S.ETEINTE


# --- Editor API validation -------------------------------------------------------------------

VALID = MeasureFacts(
    rg="21/A01234",
    court_siret="17750111100013",
    court_found=True,
    residence_country="FR",
    first_measure_date=date(2015, 3, 1),
    nomination_date=date(2020, 2, 1),
    last_state_change_date=date(2023, 9, 1),
    living_place=LivingPlace.ETABLISSEMENT,
    establishment_type=EstablishmentType.ETABLISSEMENT_PERSONNE_AGEE,
)


def locs(problems: list[FieldProblem]) -> set[tuple]:
    return {p.loc for p in problems}


def replace(**changes) -> MeasureFacts:
    return MeasureFacts(**{**VALID.__dict__, **changes})


def test_a_valid_measure_has_no_problem():
    assert measure_problems(VALID) == []


def test_every_offending_field_is_reported_at_once():
    facts = MeasureFacts(
        rg="21A012345",
        court_siret="1775",
        residence_country="FRA",
        first_measure_date=date(2021, 1, 1),
        nomination_date=date(2020, 2, 1),
        last_state_change_date=date(2019, 1, 1),
        living_place=LivingPlace.ETABLISSEMENT_CONSERVATION_DOMICILE,
    )
    assert locs(measure_problems(facts)) == {
        ("body", "rg"),
        ("body", "court_siret"),
        ("body", "residence_country"),
        ("body", "nomination_date"),
        ("body", "last_state_change_date"),
        ("body", "establishment_type"),
    }


def test_a_missing_rg_court_and_nomination_date_are_reported_as_missing():
    problems = measure_problems(MeasureFacts())
    assert {(p.loc, p.type) for p in problems} == {
        (("body", "rg"), "missing"),
        (("body", "court_siret"), "missing"),
        (("body", "nomination_date"), "missing"),
    }


def test_a_reservation_needs_no_nomination_date_yet():
    facts = MeasureFacts(rg="21A01234", court_siret="17750111100013", status=S.EN_ATTENTE)
    assert measure_problems(facts) == []


def test_a_court_siret_no_court_has_is_reported():
    assert measure_problems(replace(court_found=False)) == [
        FieldProblem(("body", "court_siret"), "no court has this SIRET", "court_not_found")
    ]


@pytest.mark.parametrize("country", ["FR", "fr", "BE", "TF"])
def test_an_iso_country_code_is_accepted(country):
    assert measure_problems(replace(residence_country=country)) == []


@pytest.mark.parametrize("country", ["FRA", "XX", "France", ""])
def test_a_country_that_is_not_an_iso_alpha_2_code_is_refused(country):
    assert locs(measure_problems(replace(residence_country=country))) == {("body", "residence_country")}


def test_dates_may_be_equal_along_first_measure_nomination_and_last_state_change():
    same_day = date(2020, 2, 1)
    facts = replace(first_measure_date=same_day, nomination_date=same_day, last_state_change_date=same_day)
    assert measure_problems(facts) == []


def test_a_nomination_before_the_first_measure_is_refused():
    problems = measure_problems(replace(first_measure_date=date(2020, 2, 2)))
    assert [(p.loc, p.type) for p in problems] == [(("body", "nomination_date"), "date_order")]


def test_a_last_state_change_before_the_nomination_is_refused():
    problems = measure_problems(replace(last_state_change_date=date(2020, 1, 31)))
    assert [(p.loc, p.type) for p in problems] == [(("body", "last_state_change_date"), "date_order")]


@pytest.mark.parametrize(
    "place", [LivingPlace.ETABLISSEMENT, LivingPlace.ETABLISSEMENT_CONSERVATION_DOMICILE]
)
def test_the_establishment_type_is_required_for_a_person_living_in_an_establishment(place):
    problems = measure_problems(replace(living_place=place, establishment_type=None))
    assert locs(problems) == {("body", "establishment_type")}


@pytest.mark.parametrize("place", [LivingPlace.DOMICILE, LivingPlace.SDF, None])
def test_the_establishment_type_is_not_required_for_a_person_living_elsewhere(place):
    assert measure_problems(replace(living_place=place, establishment_type=None)) == []


def test_a_closed_measure_needs_its_exit_cause_and_end_date():
    problems = measure_problems(replace(status=S.ETEINTE))
    assert locs(problems) == {("body", "exit_cause"), ("body", "end_date")}
    closed = replace(status=S.ETEINTE, exit_cause=ExitCause.DECES, end_date=date(2024, 1, 3))
    assert measure_problems(closed) == []


def test_a_batch_line_reports_its_problems_under_its_index():
    problems = measure_problems(replace(rg=None), at=("body", "measures", 3))
    assert locs(problems) == {("body", "measures", 3, "rg")}


def test_closing_refuses_an_end_date_before_the_nomination():
    problems = closing_problems(ExitCause.MAINLEVEE, date(2019, 12, 31), nomination_date=date(2020, 1, 1))
    assert [(p.loc, p.type) for p in problems] == [(("body", "end_date"), "date_order")]
    assert closing_problems(ExitCause.MAINLEVEE, date(2020, 1, 1), nomination_date=date(2020, 1, 1)) == []


def test_accepting_needs_a_nomination_date_that_is_not_in_the_future():
    today = date(2024, 5, 10)
    assert locs(acceptance_problems(None, today)) == {("body", "nomination_date")}
    assert locs(acceptance_problems(date(2024, 5, 11), today)) == {("body", "nomination_date")}
    assert acceptance_problems(today, today) == []


# --- Sync by management software -------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "wanted", "actions"),
    [
        (None, S.EN_COURS, [A.RECORD]),
        (None, S.ETEINTE, [A.RECORD, A.CLOSE]),
        (S.EN_ATTENTE, S.EN_COURS, [A.ACCEPT]),
        (S.EN_ATTENTE, S.ETEINTE, [A.ACCEPT, A.CLOSE]),
        (S.EN_COURS, S.ETEINTE, [A.CLOSE]),
        (S.ETEINTE, S.EN_COURS, [A.REACTIVATE]),
        (S.EN_COURS, S.EN_COURS, []),
    ],
)
def test_software_sync_takes_the_shortest_path_of_manager_actions(current, wanted, actions):
    assert sync_actions(current, wanted) == actions


@pytest.mark.parametrize(
    ("current", "wanted"),
    [(None, S.EN_ATTENTE), (S.EN_COURS, S.EN_ATTENTE), (S.EN_ATTENTE, S.ANNULEE), (S.ANNULEE, S.EN_COURS)],
)
def test_software_sync_cannot_reserve_cancel_or_revive_a_cancelled_measure(current, wanted):
    with pytest.raises(IllegalTransition):
        sync_actions(current, wanted)

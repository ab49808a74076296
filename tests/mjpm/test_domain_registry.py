import itertools

import pytest

from services.mjpm.domain.enums import ManagerStanding, RegistryAction, RegistryStatus, Role
from services.mjpm.domain.measures import IllegalTransition
from services.mjpm.domain.registry import (
    REGISTRY_TRANSITIONS,
    ReservationDecision,
    capacity_problems,
    describe_remaining,
    may_decide,
    next_standing,
    remaining_capacity,
    reservation_decision,
    standing_of,
    stored_as,
    suspension_problems,
)

A, S = RegistryAction, ManagerStanding

LEGAL = {
    (None, A.APPLY): S.PENDING,
    (S.PENDING, A.APPROVE): S.APPROVED,
    (S.PENDING, A.REJECT): S.REJECTED,
    (S.APPROVED, A.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, A.REINSTATE): S.APPROVED,
}
ILLEGAL = [pair for pair in itertools.product([None, *S], A) if pair not in LEGAL]


# --- Registry workflow -----------------------------------------------------------------------


@pytest.mark.parametrize(("current", "action"), list(LEGAL), ids=str)
def test_a_legal_registry_transition_leads_to_the_standing_the_spec_names(current, action):
    assert next_standing(current, action) == LEGAL[(current, action)]


@pytest.mark.parametrize(("current", "action"), ILLEGAL, ids=str)
def test_every_other_registry_transition_is_illegal(current, action):
    with pytest.raises(IllegalTransition) as raised:
        next_standing(current, action)
    assert (raised.value.current, raised.value.action) == (current, action)


def test_the_registry_table_holds_exactly_the_transitions_of_the_spec():
    table = {(src, action): t.target for action, t in REGISTRY_TRANSITIONS.items() for src in t.sources}
    assert table == LEGAL


def test_a_rejected_manager_can_be_neither_approved_nor_suspended():
    for action in (A.APPROVE, A.SUSPEND, A.REINSTATE):
        with pytest.raises(IllegalTransition):
            next_standing(S.REJECTED, action)


def test_a_state_agent_of_the_departement_approves_a_manager_applying_there():
    assert may_decide([Role.STATE_AGENT], A.APPROVE, "69", agent_departements={"69", "01"})


def test_a_state_agent_of_another_departement_may_not_decide():
    for action in (A.APPROVE, A.REJECT, A.SUSPEND, A.REINSTATE):
        assert not may_decide([Role.STATE_AGENT], action, "75", agent_departements={"69"})


def test_an_admin_decides_for_every_departement():
    assert may_decide(["mjpm:admin"], A.SUSPEND, "2A")


def test_a_manager_applies_but_does_not_approve_themselves():
    assert may_decide([Role.MANAGER], A.APPLY, "69")
    assert may_decide([Role.SERVICE_ADMIN], A.APPLY, "69")
    assert not may_decide([Role.MANAGER], A.APPROVE, "69", agent_departements={"69"})


@pytest.mark.parametrize("role", [Role.JUDGE, Role.CLERK, Role.REPORT])
def test_courts_and_statisticians_take_no_part_in_the_registry(role):
    assert not any(may_decide([role], action, "69", agent_departements={"69"}) for action in A)


def test_a_suspended_manager_is_stored_as_approved_with_a_suspension():
    assert stored_as(S.SUSPENDED) == (RegistryStatus.APPROVED, True)
    assert standing_of(RegistryStatus.APPROVED, suspended=True) == S.SUSPENDED


@pytest.mark.parametrize("standing", list(S))
def test_a_standing_survives_storage(standing):
    assert standing_of(*stored_as(standing)) == standing


def test_a_suspension_needs_a_reason():
    assert [p.loc for p in suspension_problems(None)] == [("body", "reason")]
    assert [p.loc for p in suspension_problems("   ")] == [("body", "reason")]
    assert suspension_problems("agrément retiré par arrêté préfectoral") == []


def test_a_capacity_is_a_whole_number_zero_or_more():
    assert capacity_problems(0) == []
    assert [p.type for p in capacity_problems(-1)] == ["greater_than_equal"]
    assert [p.loc for p in capacity_problems(None, field="approved_capacity")] == [
        ("body", "approved_capacity")
    ]


# --- Capacity and reservations ---------------------------------------------------------------


def test_remaining_capacity_is_approved_capacity_minus_running_and_reserved_measures():
    assert remaining_capacity(approved_capacity=30, active_measures=25, reserved=3) == 2


def test_a_suspended_manager_has_no_place_left():
    assert remaining_capacity(30, 5, 0, suspended=True) == 0


def test_a_manager_beyond_capacity_by_override_shows_how_far_over():
    assert remaining_capacity(30, 31, 1) == -2
    assert describe_remaining(-2) == "no place left (2 over capacity)"


def test_a_manager_without_approved_capacity_counts_as_approved_for_none():
    assert remaining_capacity(None, 0, 0) == 0


@pytest.mark.parametrize(
    ("remaining", "text"), [(4, "4 places left"), (1, "1 place left"), (0, "no place left")]
)
def test_places_left_read_as_a_sentence(remaining, text):
    assert describe_remaining(remaining) == text


def test_a_reservation_within_capacity_is_allowed_without_override():
    assert reservation_decision(1, None) == ReservationDecision(allowed=True)
    assert reservation_decision(3, "urgence").override_reason is None


@pytest.mark.parametrize(("remaining", "reason"), [(0, None), (0, ""), (0, "   "), (-3, None)])
def test_a_reservation_beyond_capacity_without_override_reason_is_refused(remaining, reason):
    decision = reservation_decision(remaining, reason)
    assert not decision.allowed
    assert "override reason" in decision.refusal


def test_a_reservation_beyond_capacity_with_an_override_reason_is_allowed_and_records_it():
    decision = reservation_decision(0, "  personne déjà suivie par ce mandataire ")
    assert decision == ReservationDecision(
        allowed=True, override_reason="personne déjà suivie par ce mandataire"
    )
    assert reservation_decision(-2, "urgence").allowed

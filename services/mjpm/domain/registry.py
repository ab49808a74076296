"""The registry of managers: applying, the State's decision, suspension; capacity and reservations."""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from services.mjpm.domain.enums import ManagerStanding as Standing
from services.mjpm.domain.enums import RegistryAction as Action
from services.mjpm.domain.enums import RegistryStatus, Role
from services.mjpm.domain.measures import FieldProblem, Transition, target_of

NEW = None  # the source standing of a manager not yet in the registry

APPLICANTS = frozenset({Role.MANAGER, Role.SERVICE_ADMIN})
STATE = frozenset({Role.STATE_AGENT, Role.ADMIN})


REGISTRY_TRANSITIONS: Mapping[Action, Transition[Standing]] = MappingProxyType(
    {
        Action.APPLY: Transition((NEW,), Standing.PENDING, APPLICANTS),
        Action.APPROVE: Transition((Standing.PENDING,), Standing.APPROVED, STATE),
        Action.REJECT: Transition((Standing.PENDING,), Standing.REJECTED, STATE),
        Action.SUSPEND: Transition((Standing.APPROVED,), Standing.SUSPENDED, STATE),
        Action.REINSTATE: Transition((Standing.SUSPENDED,), Standing.APPROVED, STATE),
    }
)


def next_standing(current: Standing | None, action: Action | str) -> Standing:
    """The standing a manager reaches by `action` (`IllegalTransition` otherwise); `current` is
    None for a first application."""
    return target_of(REGISTRY_TRANSITIONS, current, action)


def standing_of(status: RegistryStatus, suspended: bool) -> Standing:
    """The standing of a stored manager (`registry_status` + whether a suspension is in force)."""
    if status == RegistryStatus.APPROVED and suspended:
        return Standing.SUSPENDED
    return Standing(status)


def stored_as(standing: Standing) -> tuple[RegistryStatus, bool]:
    """The `(registry_status, suspended)` to store for a standing."""
    if standing == Standing.SUSPENDED:
        return RegistryStatus.APPROVED, True
    return RegistryStatus(standing), False


def may_decide(
    roles: Iterable[str],
    action: Action | str,
    departement: str,
    agent_departements: Collection[str] = (),
) -> bool:
    """Whether these roles may perform `action` on a manager applying in `departement`.

    The State decides through the agents of that département (their territory, a région resolved
    to its départements, is `agent_departements`); `mjpm:admin` nationwide. Whose application it
    is (the manager's own, the service admin's service) is checked where the manager is fetched.
    """
    roles = set(roles)
    allowed = REGISTRY_TRANSITIONS[Action(action)].roles & roles
    if not allowed:
        return False
    if allowed <= {Role.STATE_AGENT}:
        return departement in agent_departements
    return True


def suspension_problems(reason: str | None, at: tuple[str | int, ...] = ("body",)) -> list[FieldProblem]:
    """A suspension is always given with its reason: the manager and the courts are told why."""
    if not (reason or "").strip():
        return [FieldProblem((*at, "reason"), "a suspension needs a reason", "missing")]
    return []


def capacity_problems(
    capacity: int | None, field: str = "capacity", at: tuple[str | int, ...] = ("body",)
) -> list[FieldProblem]:
    """A declared or approved capacity is a number of measures: a whole number, zero or more."""
    if capacity is None:
        return [FieldProblem((*at, field), "the capacity is required", "missing")]
    if capacity < 0:
        return [FieldProblem((*at, field), "a capacity cannot be negative", "greater_than_equal")]
    return []


# --- Capacity and reservations ---------------------------------------------------------------


def remaining_capacity(
    approved_capacity: int | None, active_measures: int, reserved: int, *, suspended: bool = False
) -> int:
    """Places left: approved capacity − (`en_cours` + `en_attente` measures).

    Negative when reservations went beyond capacity by override (the "over capacity" figure).
    A suspended manager has none; a manager whose capacity the authority has not approved yet
    counts as approved for 0 places.
    """
    if suspended:
        return 0
    return (approved_capacity or 0) - (active_measures + reserved)


def describe_remaining(remaining: int) -> str:
    if remaining > 1:
        return f"{remaining} places left"
    if remaining == 1:
        return "1 place left"
    if remaining == 0:
        return "no place left"
    return f"no place left ({-remaining} over capacity)"


@dataclass(frozen=True)
class ReservationDecision:
    allowed: bool
    refusal: str | None = None  # why not (409), when refused
    override_reason: str | None = None  # to record with the reservation, when beyond capacity


def reservation_decision(remaining: int, override_reason: str | None) -> ReservationDecision:
    """May the court reserve one more measure with a manager who has `remaining` places?

    Beyond capacity only with the judge's override reason, which is then recorded. `remaining`
    must be read under the manager's row lock (or be the condition of one atomic UPDATE): two
    judges racing for the last place, exactly one gets it.
    """
    if remaining > 0:
        return ReservationDecision(allowed=True)
    reason = (override_reason or "").strip()
    if reason:
        return ReservationDecision(allowed=True, override_reason=reason)
    return ReservationDecision(
        allowed=False,
        refusal=f"{describe_remaining(remaining)} with this manager: "
        "reserving beyond capacity needs an override reason",
    )

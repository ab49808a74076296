"""Rules of a protection measure: its state machine, its RG number, its clocks, its validation.

Pure functions on plain values: no database, no HTTP. The API layer maps `IllegalTransition` and
`Duplicate` to 409 and a non-empty list of `FieldProblem` to 422.
"""

import calendar
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Generic, NamedTuple, Protocol, TypeVar
from zoneinfo import ZoneInfo

from services.mjpm.domain.enums import EstablishmentType, ExitCause, LivingPlace, Role
from services.mjpm.domain.enums import MeasureAction as Action
from services.mjpm.domain.enums import MeasureStatus as Status

PARIS = ZoneInfo("Europe/Paris")
StateT = TypeVar("StateT", bound=StrEnum)


@dataclass(frozen=True)
class FieldProblem:
    """One offending field, shaped like an RFC 9457 `errors` entry."""

    loc: tuple[str | int, ...]
    msg: str
    type: str


# --- State machine ---------------------------------------------------------------------------

NEW = None  # the source state of a measure that does not exist yet

COURT = frozenset({Role.JUDGE, Role.CLERK})
MANAGERS = frozenset({Role.MANAGER, Role.SERVICE_ADMIN})
NOBODY: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Transition(Generic[StateT]):
    """A row of a workflow's table (measures here, the registry too): where an action leads from."""

    sources: tuple[StateT | None, ...]  # None: the record does not exist yet
    target: StateT
    roles: frozenset[Role]  # who may ask for it (which court, whose measure: checked on fetching)
    automatic: bool = False  # the scheduled job performs it too, on no one's behalf


class IllegalTransition(Exception):
    """The action cannot be applied in this state (409)."""

    def __init__(self, current: StrEnum | str | None, action: StrEnum | str):
        self.current = current
        self.action = action
        state = f"from '{current}'" if current is not None else "before creation"
        super().__init__(f"'{action}' is not allowed {state}")


def target_of(table: Mapping[str, Transition[StateT]], current: StateT | None, action: str) -> StateT:
    """Where `action` leads from `current` in a workflow's table; `IllegalTransition` otherwise."""
    transition = table.get(action)
    if transition is None or current not in transition.sources:
        raise IllegalTransition(current, action)
    return transition.target


TRANSITIONS: Mapping[Action, Transition[Status]] = MappingProxyType(
    {
        Action.RESERVE: Transition((NEW,), Status.EN_ATTENTE, COURT),
        # Measures entrusted before eMJPM, or synced by the manager's software, start running.
        Action.RECORD: Transition((NEW,), Status.EN_COURS, MANAGERS),
        Action.ACCEPT: Transition((Status.EN_ATTENTE,), Status.EN_COURS, MANAGERS),
        Action.WITHDRAW: Transition((Status.EN_ATTENTE,), Status.ANNULEE, COURT),
        Action.EXPIRE: Transition((Status.EN_ATTENTE,), Status.ANNULEE, NOBODY, automatic=True),
        Action.CLOSE: Transition((Status.EN_COURS,), Status.ETEINTE, MANAGERS, automatic=True),
        Action.REACTIVATE: Transition((Status.ETEINTE,), Status.EN_COURS, MANAGERS),
        # The court reserving an RG it closed with this manager reopens that measure (see
        # `reservation_target`): the one court action on a measure that is not `en_attente`.
        Action.REOPEN: Transition((Status.ETEINTE,), Status.EN_ATTENTE, COURT),
    }
)

# Who may edit (or delete) a measure's fields, by its state: the court only until the manager
# accepts, the manager once it is theirs.
EDITABLE_BY: Mapping[Role, frozenset[Status]] = MappingProxyType(
    {
        Role.JUDGE: frozenset({Status.EN_ATTENTE}),
        Role.CLERK: frozenset({Status.EN_ATTENTE}),
        Role.MANAGER: frozenset({Status.EN_COURS, Status.ETEINTE}),
        Role.SERVICE_ADMIN: frozenset({Status.EN_COURS, Status.ETEINTE}),
    }
)


def next_state(current: Status | None, action: Action | str) -> Status:
    """The state a measure reaches by `action`; `current` is None for a measure being created."""
    return target_of(TRANSITIONS, current, action)


def legal_actions(current: Status | None) -> list[Action]:
    return [action for action, t in TRANSITIONS.items() if current in t.sources]


def may_perform(roles: Iterable[str], action: Action | str) -> bool:
    """Whether a person with these roles may ask for `action` (automatic-only actions: nobody)."""
    return not TRANSITIONS[Action(action)].roles.isdisjoint(roles)


def may_change(roles: Iterable[str], status: Status) -> bool:
    """Whether these roles may edit or delete a measure in `status` (a judge: only `en_attente`)."""
    return any(status in EDITABLE_BY.get(role, ()) for role in roles)


# --- RG number and duplicates ----------------------------------------------------------------

RG_LENGTH = 8
_RG_SEPARATORS = re.compile(r"[\s/.\-_]+")
_RG_CHARACTERS = re.compile(r"[A-Za-z0-9]+")


class InvalidRg(ValueError):
    pass


def rg_problem(raw: str | None) -> str | None:
    """Why `raw` is not an RG number, or None when it normalises."""
    compact = _RG_SEPARATORS.sub("", raw or "")
    if not compact:
        return "the RG number is required"
    if not _RG_CHARACTERS.fullmatch(compact):
        return "an RG number has only letters and digits, with optional spaces, '/', '-' or '.'"
    if len(compact) > RG_LENGTH:
        # Never truncate: two distinct long numbers would collide on the same measure.
        return f"an RG number has at most {RG_LENGTH} letters and digits, separators aside"
    return None


def normalise_rg(raw: str) -> str:
    """The RG as stored: separators dropped, upper case, left-padded with zeros to 8 characters.

    "21/a 01234" → "21A01234", "2101234" → "02101234". Raises `InvalidRg` otherwise.
    """
    problem = rg_problem(raw)
    if problem:
        raise InvalidRg(problem)
    return _RG_SEPARATORS.sub("", raw).upper().rjust(RG_LENGTH, "0")


class MeasureKey(NamedTuple):
    """Two live measures may not share this key (409)."""

    rg: str
    court_id: Hashable
    manager_id: Hashable


def measure_key(rg: str, court_id: Hashable, manager_id: Hashable) -> MeasureKey:
    return MeasureKey(normalise_rg(rg), court_id, manager_id)


# A cancelled or closed measure no longer holds its key.
LIVE_STATUSES = frozenset({Status.EN_ATTENTE, Status.EN_COURS})


@dataclass(frozen=True)
class SameKeyMeasure:
    """A measure already stored under the key of the one being reserved or recorded."""

    id: Hashable
    status: Status
    end_date: date | None = None


@dataclass(frozen=True)
class Duplicate:
    measure_id: Hashable
    status: Status


@dataclass(frozen=True)
class Reopen:
    measure_id: Hashable


def live_duplicate(same_key: Iterable[SameKeyMeasure]) -> Duplicate | None:
    """The live measure holding this key, if any (the lowest id, to be deterministic)."""
    live = [m for m in same_key if m.status in LIVE_STATUSES]
    if not live:
        return None
    first = min(live, key=lambda m: m.id)
    return Duplicate(first.id, first.status)


def reservation_target(same_key: Iterable[SameKeyMeasure]) -> Duplicate | Reopen | None:
    """What reserving an RG does, given the measures stored under the same RG + court + manager.

    A live one → `Duplicate` (409). Otherwise a closed one → `Reopen` it (`eteinte` →
    `en_attente`, the most recently ended, then the highest id) rather than a second record of the
    same case. Otherwise None: create a new measure (cancelled ones never ran and are ignored).
    """
    same_key = list(same_key)
    duplicate = live_duplicate(same_key)
    if duplicate:
        return duplicate
    closed = [m for m in same_key if m.status == Status.ETEINTE]
    if not closed:
        return None
    latest = max(closed, key=lambda m: (m.end_date or date.min, m.id))
    return Reopen(latest.id)


def repeated_lines(keys: Sequence[Hashable]) -> dict[int, int]:
    """For a batch: each line whose key (e.g. normalised RG + court) repeats an earlier line → that line."""
    first_line: dict[Hashable, int] = {}
    repeats: dict[int, int] = {}
    for line, key in enumerate(keys):
        if key in first_line:
            repeats[line] = first_line[key]
        else:
            first_line[key] = line
    return repeats


# --- Clocks: expiry of reservations, end of measures ----------------------------------------

EXPIRY_MONTHS = 2
# A measure not renewed by its end date lapses (Code civil art. 443): closed as `caducite`.
AUTOMATIC_EXIT_CAUSE = ExitCause.CADUCITE


class MeasureClock(Protocol):
    """What the clocks read from a measure: an ORM row or any object with these attributes."""

    status: Status
    status_changed_at: datetime  # when it entered its current status (aware; naive is read as UTC)
    end_date: date | None


def paris_day(at: datetime) -> date:
    """The calendar day in France of an instant (days are counted in Europe/Paris)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)  # times are stored in UTC
    return at.astimezone(PARIS).date()


def months_after(day: date, months: int) -> date:
    """The same day `months` calendar months later, or that month's last day (31 Dec + 2 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiry_day(reserved_at: datetime) -> date:
    """The first day on which a reservation still unaccepted is expired: 2 calendar months later."""
    return months_after(paris_day(reserved_at), EXPIRY_MONTHS)


def is_expired(measure: MeasureClock, today: date) -> bool:
    """An `en_attente` measure unaccepted for 2 months: reserved 15 Jan, expired from 15 Mar."""
    return measure.status == Status.EN_ATTENTE and today >= expiry_day(measure.status_changed_at)


def is_past_end(measure: MeasureClock, today: date) -> bool:
    """An `en_cours` measure whose end date has passed: running on its end date, closed the day after."""
    return measure.status == Status.EN_COURS and measure.end_date is not None and today > measure.end_date


# --- Validation -----------------------------------------------------------------------------

ESTABLISHMENT_LIVING_PLACES = frozenset(
    {LivingPlace.ETABLISSEMENT, LivingPlace.ETABLISSEMENT_CONSERVATION_DOMICILE}
)

# ISO 3166-1 alpha-2, officially assigned codes.
ISO_COUNTRIES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()
)
_SIRET_SHAPE = re.compile(r"[0-9]{14}")


@dataclass(frozen=True)
class MeasureFacts:
    """A measure as the editor API would store it (for a PATCH: the stored measure with the change).

    `court_found` is the repository's answer to "is there a court with this SIRET?" (None: not
    asked yet). The SIRET's check digit is `shared.ids`' business, at the schema.
    """

    rg: str | None = None
    court_siret: str | None = None
    court_found: bool | None = None
    status: Status = Status.EN_COURS
    residence_country: str | None = None
    first_measure_date: date | None = None
    nomination_date: date | None = None
    last_state_change_date: date | None = None
    living_place: LivingPlace | None = None
    establishment_type: EstablishmentType | None = None
    exit_cause: ExitCause | None = None
    end_date: date | None = None


def measure_problems(facts: MeasureFacts, at: tuple[str | int, ...] = ("body",)) -> list[FieldProblem]:
    """Every offending field of a measure sent by a management software, located under `at`
    (a batch passes `("body", "measures", line)`)."""
    problems: list[FieldProblem] = []

    def problem(field: str, msg: str, type_: str) -> None:
        problems.append(FieldProblem((*at, field), msg, type_))

    if (why := rg_problem(facts.rg)) is not None:
        problem("rg", why, "missing" if not (facts.rg or "").strip() else "rg_format")

    if not facts.court_siret:
        problem("court_siret", "the court's SIRET is required", "missing")
    elif not _SIRET_SHAPE.fullmatch(facts.court_siret):
        problem("court_siret", "a SIRET has 14 digits", "siret_format")
    elif facts.court_found is False:
        problem("court_siret", "no court has this SIRET", "court_not_found")

    if facts.residence_country is not None and facts.residence_country.upper() not in ISO_COUNTRIES:
        problem("residence_country", "not an ISO 3166-1 alpha-2 country code", "country_code")

    # A running or closed measure rests on a nomination judgment; a reservation has none yet.
    if facts.nomination_date is None and facts.status != Status.EN_ATTENTE:
        problem("nomination_date", "the nomination date is required", "missing")
    first, nomination = facts.first_measure_date, facts.nomination_date
    last_change = facts.last_state_change_date
    if first and nomination and nomination < first:
        problem("nomination_date", "the nomination date is before the first measure date", "date_order")
    if nomination and last_change and last_change < nomination:
        problem("last_state_change_date", "the last state change is before the nomination date", "date_order")

    if facts.living_place in ESTABLISHMENT_LIVING_PLACES and facts.establishment_type is None:
        problem("establishment_type", "required when the person lives in an establishment", "missing")

    if facts.status == Status.ETEINTE:
        problems += closing_problems(facts.exit_cause, facts.end_date, facts.nomination_date, at)
    return problems


def closing_problems(
    exit_cause: ExitCause | None,
    end_date: date | None,
    nomination_date: date | None = None,
    at: tuple[str | int, ...] = ("body",),
) -> list[FieldProblem]:
    """A measure is closed with an exit cause and an end date, not before its nomination."""
    problems = []
    if exit_cause is None:
        problems.append(FieldProblem((*at, "exit_cause"), "the exit cause is required", "missing"))
    if end_date is None:
        problems.append(FieldProblem((*at, "end_date"), "the end date is required", "missing"))
    elif nomination_date and end_date < nomination_date:
        problems.append(
            FieldProblem((*at, "end_date"), "the end date is before the nomination date", "date_order")
        )
    return problems


def acceptance_problems(
    nomination_date: date | None, today: date, at: tuple[str | int, ...] = ("body",)
) -> list[FieldProblem]:
    """A manager accepts with the date of the nomination judgment, which has already been given."""
    if nomination_date is None:
        return [FieldProblem((*at, "nomination_date"), "the nomination date is required", "missing")]
    if nomination_date > today:
        return [FieldProblem((*at, "nomination_date"), "the nomination date is in the future", "date_order")]
    return []


# --- Sync by management software -------------------------------------------------------------


def sync_actions(current: Status | None, wanted: Status) -> list[Action]:
    """The transitions a manager's software asks for by sending a measure in `wanted` status.

    The shortest path of manager actions from `current` (None: a new measure): nothing for the
    same status, `[record, close]` for a measure already closed when first synced, `[accept]` for a
    reservation the manager's software reports as running. `IllegalTransition` when no path exists
    (to `en_attente` or `annulee`: those are the court's and the clock's).
    """
    if current == wanted:
        return []
    paths: list[tuple[Status | None, list[Action]]] = [(current, [])]
    seen: set[Status | None] = {current}
    while paths:
        state, path = paths.pop(0)
        for action, transition in TRANSITIONS.items():
            if state not in transition.sources or transition.roles.isdisjoint(MANAGERS):
                continue
            if transition.target == wanted:
                return [*path, action]
            if transition.target not in seen:
                seen.add(transition.target)
                paths.append((transition.target, [*path, action]))
    raise IllegalTransition(current, f"sync to '{wanted}'")

"""Which managers to propose to a judge for a person, best first, each with why."""

import heapq
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from math import asin, cos, radians, sin, sqrt
from operator import itemgetter
from typing import NamedTuple

from services.mjpm.domain.enums import ManagerKind
from services.mjpm.domain.registry import describe_remaining
from shared.referentials import EARTH_RADIUS_KM, great_circle_km  # haversine, 6371.0088 km; re-exported

__all__ = [
    "Candidate",
    "Exclusion",
    "Match",
    "Office",
    "Point",
    "exclusion_reason",
    "excluded_candidates",
    "great_circle_km",
    "rank_candidates",
]

DISTANCE_WEIGHT = 0.5
CAPACITY_WEIGHT = 0.3
PREFERENCE_WEIGHT = 0.2
HALF_SCORE_KM = 20.0  # the distance at which the distance score halves
FULL_SCORE_PLACES = 10  # beyond this many places left, more places tell nothing more


class Point(NamedTuple):
    lat: float
    lon: float


# Not frozen: these are built by the thousand per request, and a frozen dataclass is ~5x slower
# to build.
@dataclass(slots=True)
class Office:
    """Where a manager receives: their seat (antenna_id None) or one of a service's antennas."""

    lat: float
    lon: float
    antenna_id: Hashable | None = None


@dataclass(slots=True)
class Candidate:
    id: int  # ids of one type: they break ties
    kind: ManagerKind
    approved: bool  # approved for the person's département
    remaining: int  # places left (see registry.remaining_capacity)
    offices: tuple[Office, ...]  # from commune centres unless geocoded
    preferred: bool = False  # preferred by the court asking
    suspended: bool = False
    suspension_reason: str | None = None


@dataclass(slots=True)
class Match:
    manager_id: int
    kind: ManagerKind
    antenna_id: Hashable | None  # the nearest office, None for the manager's seat
    distance_km: float
    remaining: int
    preferred: bool
    distance_score: float
    capacity_score: float
    preference_score: float
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Exclusion:
    manager_id: int
    reason: str


def exclusion_reason(candidate: Candidate) -> str | None:
    """Why a candidate cannot be proposed without more ado, or None."""
    if not candidate.approved:
        return "not approved for the person's département"
    if candidate.suspended:
        return f"suspended: {candidate.suspension_reason}" if candidate.suspension_reason else "suspended"
    if not candidate.offices:
        return "no known location"
    if candidate.remaining <= 0:
        return f"{describe_remaining(candidate.remaining)}: reserving needs an override reason"
    return None


def excluded_candidates(candidates: Iterable[Candidate]) -> list[Exclusion]:
    """The candidates `rank_candidates` leaves out, by id, each with its reason."""
    excluded = [Exclusion(c.id, why) for c in candidates if (why := exclusion_reason(c)) is not None]
    return sorted(excluded, key=lambda e: e.manager_id)


def rank_candidates(person: Point, candidates: Iterable[Candidate], limit: int | None = None) -> list[Match]:
    """The candidates a court can reserve with, best first.

    Approved, not suspended, located, with at least one place left (the others:
    `excluded_candidates`). With d the distance in km from the person to the nearest office and
    r the places left:

        score = 0.5 · 1 / (1 + d / 20)           distance: 1 at the door, 0.5 at 20 km, 0.2 at 80 km
              + 0.3 · min(r, 10) / 10            capacity: saturates at 10 places
              + 0.2 · (1 if preferred else 0)    preferred by this court

    so a court's preference weighs as much as being at the door rather than 13 km away, or 5 km
    rather than 30 km. Ties go to the nearer candidate, then to the lower id: the same input
    always gives the same order.
    """
    # Hot path (the candidates of a département, p95 budget 50 ms): plain floats, math bound to
    # locals, the person's trigonometry once; a Match is built only for the candidates kept.
    _sin, _cos, _radians = sin, cos, radians
    phi, lam = _radians(person.lat), _radians(person.lon)
    cos_phi = _cos(phi)
    scored = []
    for candidate in candidates:
        if exclusion_reason(candidate) is not None:
            continue
        nearest_h, nearest = 2.0, candidate.offices[0]
        for office in candidate.offices:
            # `great_circle_km` inlined: its haversine term grows with distance, so compare that
            # and take asin once.
            phi2 = _radians(office.lat)
            half_dphi = _sin((phi2 - phi) / 2)
            half_dlam = _sin((_radians(office.lon) - lam) / 2)
            h = half_dphi * half_dphi + cos_phi * _cos(phi2) * half_dlam * half_dlam
            if h < nearest_h:
                nearest_h, nearest = h, office
        distance = 2 * EARTH_RADIUS_KM * asin(sqrt(nearest_h) if nearest_h < 1 else 1.0)
        distance_score = 1 / (1 + distance / HALF_SCORE_KM)
        capacity_score = min(candidate.remaining, FULL_SCORE_PLACES) / FULL_SCORE_PLACES
        preference_score = 1.0 if candidate.preferred else 0.0
        score = (
            DISTANCE_WEIGHT * distance_score
            + CAPACITY_WEIGHT * capacity_score
            + PREFERENCE_WEIGHT * preference_score
        )
        components = (distance_score, capacity_score, preference_score)
        scored.append((-score, distance, candidate.id, candidate, nearest, components))
    order = itemgetter(0, 1, 2)
    best = sorted(scored, key=order) if limit is None else heapq.nsmallest(limit, scored, key=order)
    return [
        _match(-minus_score, distance, c, office, *parts)
        for minus_score, distance, _, c, office, parts in best
    ]


def _match(
    score: float,
    distance: float,
    candidate: Candidate,
    office: Office,
    distance_score: float,
    capacity_score: float,
    preference_score: float,
) -> Match:
    where = f" (antenna {office.antenna_id})" if office.antenna_id is not None else ""
    reasons = [f"{distance:.1f} km from the person{where}", describe_remaining(candidate.remaining)]
    if candidate.preferred:
        reasons.append("preferred by this court")
    reasons.append("approved for the person's département")
    return Match(
        manager_id=candidate.id,
        kind=candidate.kind,
        antenna_id=office.antenna_id,
        distance_km=distance,
        remaining=candidate.remaining,
        preferred=candidate.preferred,
        distance_score=distance_score,
        capacity_score=capacity_score,
        preference_score=preference_score,
        score=score,
        reasons=tuple(reasons),
    )

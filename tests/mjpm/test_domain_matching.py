import math
import random

import pytest

from services.mjpm.domain.enums import ManagerKind
from services.mjpm.domain.matching import (
    EARTH_RADIUS_KM,
    Candidate,
    Exclusion,
    Office,
    Point,
    excluded_candidates,
    great_circle_km,
    rank_candidates,
)

# A small map around a person in Lyon; 0.009° of latitude is about 1 km.
PERSON = Point(45.7640, 4.8357)
KM = 1 / 111.195  # degrees of latitude per km on a sphere of radius 6371.0088 km


def north(km: float, antenna_id=None) -> Office:
    return Office(PERSON.lat + km * KM, PERSON.lon, antenna_id)


NEAR_FEW = Candidate(1, ManagerKind.INDIVIDUEL, approved=True, remaining=4, offices=(north(10),))
SERVICE = Candidate(
    2, ManagerKind.SERVICE, approved=True, remaining=12, offices=(north(60), north(5, antenna_id=21))
)
PREFERRED = Candidate(
    3, ManagerKind.PREPOSE, approved=True, remaining=2, offices=(north(25),), preferred=True
)
SUSPENDED = Candidate(
    4,
    ManagerKind.INDIVIDUEL,
    approved=True,
    remaining=8,
    offices=(north(1),),
    suspended=True,
    suspension_reason="enquête administrative en cours",
)
UNAPPROVED = Candidate(5, ManagerKind.INDIVIDUEL, approved=False, remaining=8, offices=(north(1),))
FULL = Candidate(6, ManagerKind.INDIVIDUEL, approved=True, remaining=0, offices=(north(2),))
OVER = Candidate(7, ManagerKind.SERVICE, approved=True, remaining=-2, offices=(north(2),))
NOWHERE = Candidate(8, ManagerKind.INDIVIDUEL, approved=True, remaining=5, offices=())
MAP = [NEAR_FEW, SERVICE, PREFERRED, SUSPENDED, UNAPPROVED, FULL, OVER, NOWHERE]


# --- Distance --------------------------------------------------------------------------------


def test_a_point_is_zero_km_from_itself():
    assert great_circle_km(*PERSON, *PERSON) == 0


def test_a_quarter_meridian_is_a_quarter_of_the_earths_circumference():
    assert great_circle_km(0, 0, 90, 0) == pytest.approx(math.pi / 2 * EARTH_RADIUS_KM)


def test_antipodes_are_half_the_circumference_apart():
    assert great_circle_km(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_KM)


def test_paris_to_lyon_is_about_392_km():
    assert great_circle_km(48.8566, 2.3522, 45.7640, 4.8357) == pytest.approx(391.5, abs=1)


def test_distance_is_symmetric():
    assert great_circle_km(43.2965, 5.3698, 50.6292, 3.0573) == great_circle_km(
        50.6292, 3.0573, 43.2965, 5.3698
    )


# --- Ranking ---------------------------------------------------------------------------------


def test_candidates_are_ranked_by_distance_capacity_and_court_preference():
    ranked = rank_candidates(PERSON, MAP)
    # The service's antenna at 5 km with 12 places beats all; the court's preferred manager at
    # 25 km beats a stranger at 10 km with 4 places.
    assert [m.manager_id for m in ranked] == [2, 3, 1]


def test_each_match_says_why_in_words():
    by_id = {m.manager_id: m for m in rank_candidates(PERSON, MAP)}
    assert by_id[1].reasons == (
        "10.0 km from the person",
        "4 places left",
        "approved for the person's département",
    )
    assert by_id[3].reasons == (
        "25.0 km from the person",
        "2 places left",
        "preferred by this court",
        "approved for the person's département",
    )


def test_a_service_is_as_near_as_its_nearest_antenna():
    service = rank_candidates(PERSON, [SERVICE])[0]
    assert service.antenna_id == 21
    assert service.distance_km == pytest.approx(5, abs=0.01)
    assert service.reasons[0] == "5.0 km from the person (antenna 21)"


def test_the_ranking_measures_distance_as_great_circle_km_does():
    by_id = {c.id: c for c in MAP}
    for match in rank_candidates(PERSON, MAP):
        offices = by_id[match.manager_id].offices
        nearest = min(great_circle_km(*PERSON, o.lat, o.lon) for o in offices)
        assert match.distance_km == pytest.approx(nearest, rel=1e-12)


def test_the_score_is_the_documented_formula():
    match = rank_candidates(PERSON, [PREFERRED])[0]
    assert match.distance_score == pytest.approx(1 / (1 + 25 / 20), abs=1e-4)
    assert match.capacity_score == 0.2
    assert match.preference_score == 1.0
    assert match.score == pytest.approx(0.5 * match.distance_score + 0.3 * 0.2 + 0.2)


def test_more_than_ten_places_count_as_ten():
    plenty = Candidate(1, ManagerKind.INDIVIDUEL, approved=True, remaining=50, offices=(north(3),))
    ten = Candidate(2, ManagerKind.INDIVIDUEL, approved=True, remaining=10, offices=(north(3),))
    scores = {m.manager_id: m.score for m in rank_candidates(PERSON, [plenty, ten])}
    assert scores[1] == scores[2]


def test_equal_candidates_are_ranked_by_id_whatever_the_input_order():
    twins = [
        Candidate(i, ManagerKind.INDIVIDUEL, approved=True, remaining=3, offices=(north(7),))
        for i in (9, 3, 5)
    ]
    assert [m.manager_id for m in rank_candidates(PERSON, twins)] == [3, 5, 9]


def test_the_ranking_does_not_depend_on_the_order_candidates_come_in():
    shuffled = MAP[:]
    random.Random(7).shuffle(shuffled)
    assert rank_candidates(PERSON, shuffled) == rank_candidates(PERSON, MAP)


def test_a_limit_keeps_the_best():
    assert [m.manager_id for m in rank_candidates(PERSON, MAP, limit=2)] == [2, 3]


# --- Exclusions ------------------------------------------------------------------------------


def test_suspended_unapproved_full_and_unlocated_managers_are_not_ranked():
    ranked_ids = {m.manager_id for m in rank_candidates(PERSON, MAP)}
    assert ranked_ids.isdisjoint({4, 5, 6, 7, 8})


def test_excluded_managers_are_given_back_with_their_reason_when_asked():
    assert excluded_candidates(MAP) == [
        Exclusion(4, "suspended: enquête administrative en cours"),
        Exclusion(5, "not approved for the person's département"),
        Exclusion(6, "no place left: reserving needs an override reason"),
        Exclusion(7, "no place left (2 over capacity): reserving needs an override reason"),
        Exclusion(8, "no known location"),
    ]


def test_a_suspension_without_a_recorded_reason_still_says_suspended():
    bare = Candidate(
        1, ManagerKind.INDIVIDUEL, approved=True, remaining=3, offices=(north(1),), suspended=True
    )
    assert excluded_candidates([bare]) == [Exclusion(1, "suspended")]


def test_being_unapproved_is_the_reason_given_before_being_suspended():
    both = Candidate(1, ManagerKind.PREPOSE, approved=False, remaining=3, offices=(north(1),), suspended=True)
    assert excluded_candidates([both])[0].reason == "not approved for the person's département"

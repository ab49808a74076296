"""Matching on a hand-made map around Lille: distance, places left, the court's preference,
and who is left out with why."""

import pytest

from tests.mjpm.conftest import DUNKERQUE, LILLE

ROUBAIX_CENTRE = (50.68798, 3.18258)
DUNKERQUE_CENTRE = (51.03072, 2.33752)
LILLE_CENTRE = (50.63172, 3.04783)


@pytest.fixture
async def map_(make):
    court = await make.court()
    await make.member("judge-map", court=court)

    async def manager(name, at, remaining, **values):
        capacity = values.pop("approved_capacity", remaining)
        return await make.manager(name=name, lat=at[0], lon=at[1], approved_capacity=capacity, **values)

    m = {
        "near": await manager("Near", LILLE_CENTRE, 5),
        "service": await manager("Service with an antenna", DUNKERQUE_CENTRE, 8, kind="service",
                                 commune_code=DUNKERQUE),
        "far_preferred": await manager("Far, preferred", DUNKERQUE_CENTRE, 5, preferred=[court]),
        "far_roomy": await manager("Far, roomy", DUNKERQUE_CENTRE, 9),
        "far": await manager("Far", DUNKERQUE_CENTRE, 5),
        "suspended": await manager("Suspended", LILLE_CENTRE, 5, suspended=True,
                                   suspension_reason="inquiry by the prosecutor"),
        "pending": await manager("Pending", LILLE_CENTRE, 5, status="pending"),
        "full": await manager("Full", LILLE_CENTRE, 0, approved_capacity=0),
        "elsewhere": await manager("Listed in the Pas-de-Calais only", LILLE_CENTRE, 5, approved_in=["62"]),
    }
    m["antenna"] = await make.antenna(m["service"], *ROUBAIX_CENTRE)
    m["court"] = court
    return m


async def test_candidates_are_ranked_by_distance_places_and_preference(mjpm, map_, as_role):
    response = await mjpm.get("/v1/managers/match", params={"commune": LILLE, "nature": "tutelle"},
                              headers=as_role("judge-map", "judge"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["person"]["departement"] == "59" and body["court_id"] == map_["court"].id
    names = [m["name"] for m in body["items"]]
    assert names == ["Near", "Service with an antenna", "Far, preferred", "Far, roomy", "Far"]
    service = body["items"][1]
    assert service["antenna_id"] == map_["antenna"].id and 10 < service["distance_km"] < 13
    assert "preferred by this court" in body["items"][2]["reasons"]
    assert body["items"][0]["reasons"][0].startswith("0.0 km")
    assert body["excluded"] is None


async def test_left_out_managers_are_listed_with_why_when_asked(mjpm, map_, as_role):
    response = await mjpm.get("/v1/managers/match", params={"commune": LILLE, "excluded": "true"},
                              headers=as_role("judge-map", "judge"))
    excluded = {e["name"]: e["reason"] for e in response.json()["excluded"]}
    assert excluded == {
        "Suspended": "suspended: inquiry by the prosecutor",
        "Pending": "not approved for the person's département",
        "Full": "no place left: reserving needs an override reason",
        "Listed in the Pas-de-Calais only": "not approved for the person's département",
    }


async def test_a_point_finds_the_persons_departement_from_the_nearest_commune(mjpm, map_, as_role):
    response = await mjpm.get("/v1/managers/match", params={"lat": 50.64, "lon": 3.06, "limit": 1},
                              headers=as_role("judge-map", "judge"))
    assert response.json()["person"]["departement"] == "59"
    assert [m["name"] for m in response.json()["items"]] == ["Near"]


async def test_a_radius_prefilters_the_candidates(mjpm, map_, as_role):
    response = await mjpm.get("/v1/managers/match", params={"commune": LILLE, "max_km": 30},
                              headers=as_role("judge-map", "judge"))
    assert [m["name"] for m in response.json()["items"]] == ["Near", "Service with an antenna"]


async def test_matching_needs_a_place(mjpm, map_, as_role):
    response = await mjpm.get("/v1/managers/match", headers=as_role("judge-map", "judge"))
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["query", "commune"]


async def test_matching_is_for_courts(mjpm, map_, as_role):
    assert (await mjpm.get("/v1/managers/match", params={"commune": LILLE})).status_code == 401
    response = await mjpm.get("/v1/managers/match", params={"commune": LILLE}, headers=as_role("m", "manager"))
    assert response.status_code == 403


async def test_a_judge_cannot_match_for_another_court(mjpm, map_, make, as_role):
    other = await make.court()
    response = await mjpm.get("/v1/managers/match", params={"commune": LILLE, "court": other.id},
                              headers=as_role("judge-map", "judge"))
    assert response.status_code == 404

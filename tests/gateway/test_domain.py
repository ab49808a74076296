"""The gateway's rules on plain values: scopes, public routes, token buckets, login throttling,
signing-key rotation."""

import datetime as dt

import pytest

from gateway.domain.ratelimit import Limit, take
from gateway.domain.routes import PublicRoute, Route, route_of, upstream_path
from gateway.domain.scopes import granted_scopes, scope_allows
from gateway.domain.signing import KeyPeriod, published_kids, signing_kid
from gateway.domain.throttle import after_failure, locked_for_s


@pytest.mark.parametrize("method,scopes,allowed", [
    ("GET", ["medle:read"], True),
    ("HEAD", ["medle:report"], True),
    ("GET", ["medle:acts:read"], True),
    ("GET", ["mjpm:read", "gateway:admin"], False),
    ("GET", ["medle:"], False),
    ("GET", ["medlex:read"], False),
    ("POST", ["medle:read"], False),
    ("POST", ["medle:write"], True),
    ("PATCH", ["medle:admin"], True),
    ("DELETE", ["medle:acts:write"], True),
    ("PUT", ["medle:report"], False),
    ("POST", ["mjpm:write"], False),
])
def test_scope_rule(method, scopes, allowed):
    assert scope_allows("medle", method, scopes) is allowed


def test_requested_scopes_are_a_subset_of_the_held_ones():
    assert granted_scopes(["a:read", "a:write"], None) == ["a:read", "a:write"]
    assert granted_scopes(["a:read", "a:write"], "a:write b:admin") == ["a:write"]


@pytest.mark.parametrize("route,method,path,public", [
    (("GET", "/v1/services"), "GET", "/v1/services", True),
    (("GET", "/v1/services"), "GET", "/v1/services/42", True),
    (("GET", "/v1/services"), "HEAD", "/v1/services/42", True),
    (("GET", "/v1/services"), "GET", "/v1/servicesx", False),
    (("GET", "/v1/services"), "POST", "/v1/services", False),
    (("POST", "/v1/quizzes/{id}/answers"), "POST", "/v1/quizzes/7/answers", True),
    (("POST", "/v1/quizzes/{id}/answers"), "POST", "/v1/quizzes/7/answers/1", False),
    (("POST", "/v1/quizzes/{id}/answers"), "POST", "/v1/quizzes/7/8/answers", False),
    (("*", "/v1/check"), "DELETE", "/v1/check", True),
])
def test_public_route_matching(route, method, path, public):
    assert PublicRoute.of(*route).matches(method, path) is public


def test_route_from_settings_entry():
    assert route_of("a", "http://h:1/").url == "http://h:1"
    route = route_of("a", {"url": "http://h:1", "public": [["get", "/v1/x"]]})
    assert route.is_public("GET", "/v1/x/1") and not route.is_public("GET", "/v1/y")
    assert isinstance(route, Route)


def test_only_the_versioned_api_is_routed():
    assert upstream_path("/medle/v1/acts", "medle") == "/v1/acts"
    assert upstream_path("/medle/v1", "medle") == "/v1"
    assert upstream_path("/medle/metrics", "medle") is None
    assert upstream_path("/medle/v10/acts", "medle") is None


def test_token_bucket_allows_a_burst_then_refills_at_the_rate():
    limit = Limit(per_minute=60, burst=2)
    tokens, first = take(None, None, 0.0, limit)
    tokens, second = take(tokens, 0.0, 0.0, limit)
    tokens, third = take(tokens, 0.0, 0.0, limit)
    assert (first.allowed, second.allowed, third.allowed) == (True, True, False)
    assert third.retry_after_s == 1 and third.remaining == 0 and third.reset_s == 2
    tokens, later = take(tokens, 0.0, 1.0, limit)
    assert later.allowed


def test_token_bucket_never_holds_more_than_the_burst():
    limit = Limit(per_minute=60, burst=3)
    tokens, decision = take(0.0, 0.0, 3600.0, limit)
    assert decision.remaining == 2 and tokens == 2.0


NOW = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)
RULES = {"max_failures": 3, "window_s": 900, "lockout_s": 300}


def test_login_throttle_locks_after_the_maximum_failures():
    state = None
    for _ in range(2):
        state = after_failure(state, NOW, **RULES)
    assert locked_for_s(state, NOW) == 0
    state = after_failure(state, NOW, **RULES)
    assert locked_for_s(state, NOW) == 300
    assert locked_for_s(state, NOW + dt.timedelta(seconds=301)) == 0


def test_login_throttle_window_restarts():
    state = after_failure(after_failure(None, NOW, **RULES), NOW, **RULES)
    state = after_failure(state, NOW + dt.timedelta(seconds=901), **RULES)
    assert state.failures == 1 and locked_for_s(state, NOW + dt.timedelta(seconds=901)) == 0


def test_signing_key_rotation_publishes_before_and_after_signing():
    hour = dt.timedelta(hours=1)
    old = KeyPeriod("old", NOW - 24 * hour, NOW + hour)
    new = KeyPeriod("new", NOW + hour, None)
    assert signing_kid([old, new], NOW) == "old"
    assert signing_kid([old, new], NOW + 2 * hour) == "new"
    lifetime = dt.timedelta(minutes=15)
    assert published_kids([old, new], NOW, lifetime) == ["old", "new"]
    assert published_kids([old, new], NOW + hour + dt.timedelta(minutes=19), lifetime) == ["old", "new"]
    assert published_kids([old, new], NOW + hour + dt.timedelta(minutes=21), lifetime) == ["new"]

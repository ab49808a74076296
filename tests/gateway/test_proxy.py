"""/<service>/v1/... through the gateway to a real upstream over TCP (the recorder)."""

from prometheus_client import REGISTRY

from tests.gateway.conftest import ADMIN, BODY_LIMIT
from tests.gateway.support import bearer

READ = {"scopes": ["rec:read"]}
WRITE = {"scopes": ["rec:write"]}


async def test_get_reaches_the_service_under_v1_and_comes_back_unchanged(gateway, recorder, auth):
    r = await gateway.get("/rec/v1/things?limit=2&cursor=x%2Fy", headers=auth("alice", **READ))
    assert r.status_code == 200, r.text
    assert r.headers["x-upstream"] == "recorder"
    seen = recorder.requests[-1]
    assert (seen["method"], seen["path"], seen["query"]) == ("GET", "/v1/things", "limit=2&cursor=x%2Fy")
    assert seen["headers"]["authorization"].startswith("Bearer ")  # the service verifies it again


async def test_body_is_streamed_to_the_service_untouched(gateway, recorder, auth):
    body = b'{"not": "parsed", "by the gateway": [1, 2, 3]}'
    r = await gateway.post("/rec/v1/things", content=body, headers={**auth("alice", **WRITE),
                                                                    "content-type": "application/json"})
    assert r.status_code == 201
    assert recorder.requests[-1]["body"] == body.decode()
    assert recorder.requests[-1]["headers"]["content-length"] == str(len(body))


async def test_links_the_service_makes_point_through_the_gateway(gateway, recorder, auth):
    r = await gateway.post("/rec/v1/things", content=b"{}", headers=auth("alice", **WRITE))
    assert r.headers["location"] == "/rec/v1/things/1"
    assert r.headers["link"] == '<http://testserver/rec/v1/things?cursor=abc>; rel="next"'


async def test_missing_scope_is_403_before_the_upstream_is_called(gateway, recorder, auth):
    r = await gateway.get("/rec/v1/things", headers=auth("alice", scopes=["medle:read", "gateway:admin"]))
    assert r.status_code == 403 and r.json()["detail"] == "missing scope: rec:read"
    r = await gateway.post("/rec/v1/things", content=b"{}", headers=auth("alice", scopes=["rec:read"]))
    assert r.status_code == 403 and r.json()["detail"] == "missing scope: rec:write"
    assert recorder.requests == []


async def test_finer_service_scopes_open_the_matching_methods(gateway, recorder, auth):
    fine = auth("alice", scopes=["rec:things:write"])
    assert (await gateway.get("/rec/v1/things", headers=fine)).status_code == 200
    assert (await gateway.post("/rec/v1/things", content=b"{}", headers=fine)).status_code == 201
    report = auth("alice", scopes=["rec:report"])
    assert (await gateway.get("/rec/v1/report", headers=report)).status_code == 200
    assert (await gateway.delete("/rec/v1/things/1", headers=report)).status_code == 403


async def test_anonymous_is_401_except_on_declared_public_routes(gateway, recorder):
    assert (await gateway.get("/rec/v1/things")).status_code == 401
    assert recorder.requests == []
    r = await gateway.get("/rec/v1/public/services/42")
    assert r.status_code == 200 and "authorization" not in recorder.requests[-1]["headers"]
    assert (await gateway.post("/rec/v1/public/services")).status_code == 401
    assert (await gateway.post("/rec/v1/forms/quiz-1/answers", content=b"{}")).status_code == 201
    assert (await gateway.post("/rec/v1/forms/quiz-1/answers/2", content=b"{}")).status_code == 401


async def test_spoofed_identity_headers_never_reach_the_upstream(gateway, recorder, auth):
    spoofed = {"X-User-Id": "admin", "X-Forwarded-User": "admin", "X-Remote-User": "admin",
               "X-Auth-Request-User": "admin", "X-User-Roles": "gateway:admin", "X-Forwarded-For": "10.6.6.6",
               "X-Forwarded-Host": "evil.example", "X-Client-Id": "root", "X-Scopes": "medle:admin",
               "Remote-User": "admin", "Forwarded": "for=10.6.6.6", "X-Real-IP": "10.6.6.6",
               "X-Consumer-Username": "admin", "Cookie": "session=stolen"}
    r = await gateway.get("/rec/v1/things", headers={**auth("alice", **READ), **spoofed})
    assert r.status_code == 200
    headers = recorder.requests[-1]["headers"]
    for name in spoofed:
        if name.lower() in ("x-forwarded-for", "x-forwarded-host"):
            assert "6.6.6" not in headers.get(name.lower(), "") and "evil" not in headers.get(name.lower(), "")
        else:
            assert name.lower() not in headers, name


async def test_forwarded_headers_are_set_by_the_gateway(gateway, recorder, auth):
    await gateway.get("/rec/v1/things", headers=auth("alice", **READ))
    headers = recorder.requests[-1]["headers"]
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-host"] == "testserver"
    assert headers["x-forwarded-prefix"] == "/rec"
    assert headers["host"].startswith("127.0.0.1:")


async def test_hop_by_hop_headers_are_dropped(gateway, recorder, auth):
    r = await gateway.get("/rec/v1/things", headers={**auth("alice", **READ), "Connection": "keep-alive, X-Secret",
                                                     "X-Secret": "hop", "TE": "trailers", "Keep-Alive": "300"})
    assert r.status_code == 200
    headers = recorder.requests[-1]["headers"]
    assert "x-secret" not in headers and "te" not in headers and "keep-alive" not in headers


async def test_request_id_is_propagated_to_the_upstream_and_echoed(gateway, recorder, auth):
    r = await gateway.get("/rec/v1/things", headers={**auth("alice", **READ), "X-Request-ID": "trace-42.a"})
    assert r.headers["x-request-id"] == "trace-42.a"
    assert recorder.requests[-1]["headers"]["x-request-id"] == "trace-42.a"
    r = await gateway.get("/rec/v1/things", headers=auth("alice", **READ))
    generated = r.headers["x-request-id"]
    assert len(generated) == 32 and recorder.requests[-1]["headers"]["x-request-id"] == generated


async def test_body_over_the_limit_is_413_before_the_upstream_sees_a_byte(gateway, recorder, auth):
    r = await gateway.post("/rec/v1/things", content=b"x" * (BODY_LIMIT + 1), headers=auth("alice", **WRITE))
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"

    async def chunks():
        for _ in range(BODY_LIMIT // 1000 + 2):
            yield b"y" * 1000

    r = await gateway.post("/rec/v1/things", content=chunks(), headers=auth("alice", **WRITE))
    assert r.status_code == 413
    assert recorder.requests == []


async def test_a_chunked_body_under_the_limit_goes_through(gateway, recorder, auth):
    async def chunks():
        yield b"ab"
        yield b"cd"

    r = await gateway.post("/rec/v1/things", content=chunks(), headers=auth("alice", **WRITE))
    assert r.status_code == 201 and recorder.requests[-1]["body"] == "abcd"


async def test_rate_limit_is_429_with_retry_after_and_ratelimit_headers(gateway, recorder, auth):
    # 6 a minute allows one request at once (ten seconds' worth)
    headers = auth("hasty", scopes=["rec:read"], extra={"rate_limit": 6})
    first = await gateway.get("/rec/v1/things", headers=headers)
    assert first.status_code == 200
    assert first.headers["ratelimit-limit"] == "1" and first.headers["ratelimit-remaining"] == "0"
    second = await gateway.get("/rec/v1/things", headers=headers)
    assert second.status_code == 429 and second.headers["content-type"] == "application/problem+json"
    assert second.headers["retry-after"] == "10" and second.headers["ratelimit-remaining"] == "0"
    assert len(recorder.requests) == 1
    # another subject has its own bucket
    assert (await gateway.get("/rec/v1/things", headers=auth("patient", **READ))).status_code == 200


async def test_limits_are_configured_per_client(gateway, recorder, auth):
    r = await gateway.post("/admin/clients", json={"name": "slow-partner", "scopes": ["rec:read"],
                                                   "rate_limit_per_minute": 12}, headers=auth(**ADMIN))
    client = r.json()
    token = (await gateway.post("/auth/token", data={"grant_type": "client_credentials", "client_id": client["id"],
                                                     "client_secret": client["client_secret"]})).json()["access_token"]
    statuses = [(await gateway.get("/rec/v1/things", headers=bearer(token))).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


async def test_api_key_reaches_the_service_with_a_token_minted_for_it(gateway, recorder, auth, keyset):
    r = await gateway.post("/admin/api-keys", json={"name": "Partner X", "scopes": ["rec:read"]},
                           headers=auth(**ADMIN))
    assert r.status_code == 201, r.text
    key = r.json()
    r = await gateway.get("/rec/v1/things", headers={"X-Api-Key": key["key"]})
    assert r.status_code == 200, r.text
    forwarded = recorder.requests[-1]["headers"]
    assert "x-api-key" not in forwarded
    from shared.auth import verify_access_token

    principal = await verify_access_token(forwarded["authorization"].removeprefix("Bearer "), keyset)
    assert principal.client and principal.scopes == {"rec:read"} and principal.sub == f"apikey:{key['id']}"
    assert (await gateway.post("/rec/v1/things", headers={"X-Api-Key": key["key"]})).status_code == 403


async def test_revoked_or_unknown_api_key_is_401(gateway, recorder, auth):
    key = (await gateway.post("/admin/api-keys", json={"name": "Partner Y", "scopes": ["rec:read"]},
                              headers=auth(**ADMIN))).json()
    assert (await gateway.get("/rec/v1/things", headers={"X-Api-Key": key["key"]})).status_code == 200
    r = await gateway.post(f"/admin/api-keys/{key['id']}/revoke", headers=auth(**ADMIN))
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert (await gateway.get("/rec/v1/things", headers={"X-Api-Key": key["key"]})).status_code == 401
    assert (await gateway.get("/rec/v1/things", headers={"X-Api-Key": "fab_unknown"})).status_code == 401


async def test_stopped_upstream_is_503_for_its_routes_only(gateway, recorder, auth):
    headers = auth("alice", scopes=["rec:read", "down:read"])
    r = await gateway.get("/down/v1/things", headers=headers)
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "down is unavailable"
    assert (await gateway.get("/rec/v1/things", headers=headers)).status_code == 200
    errors = REGISTRY.get_sample_value("fabrique_gateway_upstream_errors_total",
                                       {"service": "down", "reason": "unavailable"})
    assert errors and errors >= 1


async def test_slow_upstream_is_504(gateway, recorder, auth):
    r = await gateway.get("/rec/v1/slow", headers=auth("alice", **READ))
    assert r.status_code == 504 and r.json()["detail"] == "rec did not answer in time"


async def test_only_the_versioned_api_is_routed(gateway, recorder, auth):
    for path in ("/rec/metrics", "/rec/readyz", "/rec/v1/../metrics", "/rec/v2/things"):
        r = await gateway.get(path, headers=auth("alice", **READ))
        assert r.status_code == 404, path
    assert recorder.requests == []
    assert (await gateway.get("/unknown/v1/things", headers=auth("alice", **READ))).status_code == 404


async def test_proxied_requests_are_counted_per_service(gateway, recorder, auth):
    await gateway.get("/rec/v1/things", headers=auth("alice", **READ))
    metrics = (await gateway.get("/metrics")).text
    assert 'route="/rec/*"' in metrics and "fabrique_http_request_duration_seconds_bucket" in metrics


async def test_head_is_answered_with_the_headers_only(gateway, recorder, auth):
    r = await gateway.head("/rec/v1/things", headers=auth("alice", **READ))
    assert r.status_code == 200 and r.content == b"" and int(r.headers["content-length"]) > 0
    assert recorder.requests[-1]["method"] == "HEAD"

"""CORS allow-list and security headers, on the gateway's own routes and on proxied ones."""

ALLOWED = "http://localhost:3000"
READ = {"scopes": ["rec:read"]}


async def test_allowed_origin_gets_cors_headers(gateway, recorder, auth):
    r = await gateway.get("/rec/v1/things", headers={**auth("alice", **READ), "Origin": ALLOWED})
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "x-request-id" in r.headers["access-control-expose-headers"]
    assert r.headers["vary"] == "Origin"


async def test_disallowed_origin_gets_no_allow_origin(gateway, recorder, auth):
    r = await gateway.get("/rec/v1/things", headers={**auth("alice", **READ), "Origin": "https://evil.example"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    r = await gateway.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


async def test_preflight_from_an_allowed_origin(gateway, recorder):
    r = await gateway.options("/rec/v1/things", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST",
                                                          "Access-Control-Request-Headers": "authorization"})
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "authorization" in r.headers["access-control-allow-headers"]
    assert recorder.requests == []


async def test_preflight_from_a_disallowed_origin_is_403_without_allow_origin(gateway, recorder):
    r = await gateway.options("/rec/v1/things", headers={"Origin": "https://evil.example",
                                                          "Access-Control-Request-Method": "DELETE"})
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert "access-control-allow-origin" not in r.headers
    assert recorder.requests == []


async def test_security_headers_on_every_response(gateway, recorder, auth):
    for r in (await gateway.get("/healthz"), await gateway.get("/rec/v1/things", headers=auth("alice", **READ)),
              await gateway.get("/rec/v1/things")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "max-age" in r.headers["strict-transport-security"]
        assert r.headers["content-security-policy"].startswith("default-src 'none'")


async def test_docs_page_is_served_without_the_api_csp(gateway):
    r = await gateway.get("/docs")
    assert r.status_code == 200 and "swagger" in r.text.lower() and "/openapi.json" in r.text
    assert "content-security-policy" not in r.headers


async def test_own_routes_refuse_a_body_over_the_limit(gateway):
    from tests.gateway.conftest import BODY_LIMIT

    r = await gateway.post("/auth/token", content=b"grant_type=password&" + b"x" * BODY_LIMIT,
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"

"""Every route of the service checks the token and its scopes itself (zero trust behind the gateway)."""

import re

import pytest

from services.medle.app import create_app

ROUTES = sorted(
    (method.upper(), path)
    for path, operations in create_app().openapi()["paths"].items()
    if path.startswith("/v1/")
    for method in operations
)


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: {"month": "2026-01", "table": "acts", "sub": "someone"}.get(m[1], "1"),
                  path) + "?month=2026-01&siret=26590067300018"


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_refuses_an_anonymous_caller(medle, method, path):
    r = await medle.request(method, _url(path), json={})
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_refuses_a_token_without_a_medle_scope(medle, auth, method, path):
    # the roles of a medle admin, the scopes of another service: scopes decide
    headers = auth(sub="intruder", scopes=["fce:read", "fce:write"], roles=["medle:admin"])
    r = await medle.request(method, _url(path), json={}, headers=headers)
    assert r.status_code == 403, r.text


def test_the_service_has_the_routes_of_the_spec():
    paths = {path for _, path in ROUTES}
    assert {"/v1/acts", "/v1/acts:batch", "/v1/acts:export", "/v1/acts/{act_id}", "/v1/hospitals/{hospital_id}/fees",
            "/v1/hospitals/{hospital_id}/staffing/{month}", "/v1/staffing/missing", "/v1/reports/activity",
            "/v1/interactions"} <= paths

"""The merged OpenAPI document, /readyz with each upstream, /healthz, /metrics."""

from openapi_spec_validator import validate


async def test_merged_openapi_is_valid_and_puts_each_service_under_its_prefix(gateway):
    r = await gateway.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    assert "/rec/v1/things" in doc["paths"] and "/rec/healthz" not in doc["paths"]
    assert "/auth/token" in doc["paths"] and "/admin/accounts" in doc["paths"]
    operation = doc["paths"]["/rec/v1/things"]["get"]
    assert operation["operationId"] == "rec_list_things" and operation["tags"][0] == "rec"
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] == \
        "#/components/schemas/rec.Thing"
    assert "rec.Thing" in doc["components"]["schemas"]
    assert {"bearer", "oauth2", "apiKey"} <= doc["components"]["securitySchemes"].keys()
    assert {} not in operation["security"]
    assert {} in doc["paths"]["/rec/v1/public/things"]["get"]["security"]  # declared public
    assert {"bearer": []} in doc["paths"]["/admin/accounts"]["post"]["security"]
    assert "down" in doc["info"]["description"]  # unavailable, left out, said so


async def test_readyz_lists_every_upstream_and_stays_ready_when_one_is_down(gateway):
    r = await gateway.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["upstreams"]["rec"] == "ready" and body["upstreams"]["down"] == "unavailable"
    assert body["status"] == "degraded" and body["migrations"]


async def test_healthz_and_metrics(gateway):
    assert (await gateway.get("/healthz")).json() == {"status": "ok", "service": "gateway"}
    metrics = await gateway.get("/metrics")
    assert metrics.status_code == 200 and "fabrique_http_requests_total" in metrics.text

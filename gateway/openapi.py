"""One OpenAPI 3.1 document for the whole suite: every service's paths under its gateway prefix,
its components renamed `<service>.<Name>` so two services' `Page` never collide, the gateway's
own routes, and the ways to authenticate."""

import copy
from typing import Any

from gateway.domain.routes import Route

REF_PREFIX = "#/components/"
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
               "description": "An access token from POST /auth/token."},
    "oauth2": {"type": "oauth2", "flows": {
        "password": {"tokenUrl": "/auth/token", "refreshUrl": "/auth/token", "scopes": {}},
        "clientCredentials": {"tokenUrl": "/auth/token", "scopes": {}},
    }},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
               "description": "A partner API key."},
}
AUTHENTICATED = [{"bearer": []}, {"oauth2": []}, {"apiKey": []}]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _renamed_refs(node: Any, service: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIX):
                section, _, name = value[len(REF_PREFIX):].partition("/")
                out[key] = f"{REF_PREFIX}{section}/{service}.{name}"
            else:
                out[key] = _renamed_refs(value, service)
        return out
    if isinstance(node, list):
        return [_renamed_refs(v, service) for v in node]
    return node


def merge(gateway_spec: dict[str, Any], services: dict[str, tuple[Route, dict[str, Any] | None]]) -> dict[str, Any]:
    doc = copy.deepcopy(gateway_spec)
    doc["openapi"] = "3.1.0"
    doc["info"] = {"title": "Fabrique", "version": gateway_spec.get("info", {}).get("version", "1.0.0"),
                   "description": "Every Fabrique service through its gateway: `/<service>/v1/...`."}
    components = doc.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    paths = doc.setdefault("paths", {})
    for path, item in paths.items():  # the gateway's own routes that need a token
        if path.startswith("/admin/") or path == "/auth/me":
            for method in METHODS:
                if method in item:
                    item[method]["security"] = [{"bearer": []}, {"oauth2": []}]
    tags = list(doc.get("tags", []))
    unavailable = []
    for name, (route, spec) in sorted(services.items()):
        if spec is None:
            unavailable.append(name)
            continue
        spec = _renamed_refs(spec, name)
        for section, entries in spec.get("components", {}).items():
            target = components.setdefault(section, {})
            for key, value in entries.items():
                target[f"{name}.{key}"] = value
        tags.append({"name": name, "description": spec.get("info", {}).get("title", name)})
        for path, item in spec.get("paths", {}).items():
            if not (path == "/v1" or path.startswith("/v1/")):
                continue  # the gateway routes /v1 only
            item = dict(item)
            for method in METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                operation = dict(operation)
                operation["tags"] = [name, *(f"{name}: {t}" for t in operation.get("tags", []))]
                if "operationId" in operation:
                    operation["operationId"] = f"{name}_{operation['operationId']}"
                public = route.is_public(method.upper(), path)
                operation["security"] = [{}, *AUTHENTICATED] if public else AUTHENTICATED
                item[method] = operation
            paths[f"/{name}{path}"] = item
    doc["tags"] = tags
    if unavailable:
        doc["info"]["description"] += f" Unavailable when this document was made: {', '.join(unavailable)}."
    return doc

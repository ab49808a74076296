"""The route table: one route per discovered service (at its component URL), then the entries of
FABRIQUE_GATEWAY_ROUTES, which add routes or replace them (tests point a route at a test server).

A service declares its public routes in its app.py:
`GATEWAY_PUBLIC_ROUTES = [("GET", "/v1/services"), ...]`. The file is parsed, not imported, so the
gateway neither pays for nor depends on a service's imports.
"""

import ast
import importlib
from pathlib import Path

from gateway.domain.routes import Route, route_of
from gateway.settings import GatewaySettings
from shared.components import Component, services

PUBLIC_ROUTES_NAME = "GATEWAY_PUBLIC_ROUTES"
# The gateway's own first path segments: no service may take them.
RESERVED = frozenset({"auth", "admin", "docs", "redoc", "openapi.json", ".well-known", "healthz", "readyz",
                      "metrics"})


def declared_public_routes(component: Component) -> list[tuple[str, str]]:
    source = Path(component.directory / "app.py")
    try:
        tree = ast.parse(source.read_text())
    except (OSError, SyntaxError):
        return []
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else (
            node.target if isinstance(node, ast.AnnAssign) else None)
        if isinstance(target, ast.Name) and target.id == PUBLIC_ROUTES_NAME and node.value is not None:
            try:
                value = ast.literal_eval(node.value)
            except ValueError:  # built by code: import the module after all
                value = getattr(importlib.import_module(f"{component.package}.app"), PUBLIC_ROUTES_NAME)
            return [(str(method), str(path)) for method, path in value]
    return []


def route_table(settings: GatewaySettings) -> dict[str, Route]:
    table = {c.name: route_of(c.name, c.url, declared_public_routes(c)) for c in services()}
    for name, value in settings.routes.items():
        inherited = table[name].public if name in table else ()
        route = route_of(name, value)
        if not route.public and inherited and not isinstance(value, dict):
            route = Route(route.name, route.url, inherited)
        table[name] = route
    return {name: route for name, route in table.items() if name not in RESERVED}

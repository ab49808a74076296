"""The files a newcomer and an operator rely on say the same thing as the code."""

import re

import yaml

from shared.components import components, services
from shared.settings import PROJECT_ROOT


def compose() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def test_compose_file_parses_and_runs_every_component_on_its_port():
    declared = compose()["services"]
    for component in components():
        assert component.name in declared, f"{component.name} missing from docker-compose.yml"
        command = " ".join(declared[component.name]["command"])
        assert component.app_factory in command
        assert f"--port {component.port}" in command
        assert "readyz" in " ".join(declared[component.name]["healthcheck"]["test"])


def test_compose_has_postgres_18_and_a_one_shot_migrate_job():
    declared = compose()["services"]
    assert declared["postgres"]["image"] == "postgres:18"
    assert declared["migrate"]["command"] == ["fabrique", "migrate"]


def test_gateway_routes_in_compose_cover_every_service():
    routes = compose()["services"]["gateway"]["environment"]["FABRIQUE_GATEWAY_ROUTES"]
    for service in services():
        assert re.search(rf'"{service.name}": "http://{service.name}:{service.port}"', routes)


def test_readme_shows_the_two_commands_and_every_service():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    for service in services():
        assert f"`{service.name}`" in readme


def test_no_endpoint_dependency_waits_for_a_thread():
    """FastAPI runs a plain `def` dependency in its thread pool: a thread hop per request for code
    that never blocks. Every dependency of every component is `async def`."""
    import importlib
    import inspect

    def sync_dependencies(dependant):
        for sub in dependant.dependencies:
            call = sub.call
            if call is not None and not (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)):
                yield f"{call.__module__}.{call.__qualname__}"
            yield from sync_dependencies(sub)

    def endpoints(routes):
        for route in routes:
            if hasattr(route, "dependant"):
                yield route
            yield from endpoints(getattr(getattr(route, "original_router", None), "routes", []))

    found = set()
    for component in components():
        module_name, _, factory = component.app_factory.partition(":")
        app = getattr(importlib.import_module(module_name), factory)()
        for route in endpoints(app.router.routes):
            found.update(sync_dependencies(route.dependant))
    assert not found, f"plain def dependencies (make them async def): {sorted(found)}"

"""Discovery of the suite's parts: the gateway and every package under services/ with an app.py.

A new service needs no edit elsewhere: drop `services/<name>/` with the standard shape.
"""

from dataclasses import dataclass
from pathlib import Path

from shared.settings import PROJECT_ROOT, get_settings


@dataclass(frozen=True)
class Component:
    name: str  # "gateway", "medle", ...
    schema: str  # its PostgreSQL schema
    package: str  # importable package, "services.medle"
    directory: Path
    app_module: str = ""  # defaults to <package>.app

    @property
    def migrations_dir(self) -> Path:
        return self.directory / "migrations"

    @property
    def app_factory(self) -> str:
        return f"{self.app_module or self.package + '.app'}:create_app"

    @property
    def port(self) -> int:
        return get_settings().port_of(self.name, [c.name for c in services()])

    @property
    def url(self) -> str:
        return f"http://{get_settings().host}:{self.port}"


def services() -> list[Component]:
    root = PROJECT_ROOT / "services"
    return [
        Component(path.name, path.name, f"services.{path.name}", path)
        for path in sorted(root.iterdir())
        if (path / "app.py").is_file()
    ]


def gateway() -> Component:
    return Component("gateway", "identity", "gateway", PROJECT_ROOT / "gateway")


def components() -> list[Component]:
    """Everything with a schema, gateway first."""
    return [gateway(), *services()] if (PROJECT_ROOT / "gateway" / "app.py").is_file() else services()


def by_name(name: str) -> Component:
    for component in components():
        if component.name == name:
            return component
    raise KeyError(name)


def optional_module(component: Component, name: str):
    """`<package>.<name>` (seed, cli, ...) if the component has one, else None."""
    import importlib

    try:
        return importlib.import_module(f"{component.package}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{component.package}.{name}":
            raise  # the module exists but something it imports is missing
        return None

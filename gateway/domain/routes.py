"""The route table: which service answers `/<service>/...`, and which of its routes are public.

A public route is `(method, path)`: the path is a prefix on segment boundaries (`/v1/services`
matches `/v1/services` and `/v1/services/42`, not `/v1/servicesX`) unless it has `{name}`
placeholders, then it is matched whole with each placeholder standing for one segment.
GET also opens HEAD; `*` opens every method.
"""

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PublicRoute:
    method: str
    path: str
    pattern: re.Pattern | None = field(default=None, compare=False)

    @classmethod
    def of(cls, method: str, path: str) -> "PublicRoute":
        path = "/" + path.strip("/")
        pattern = None
        if "{" in path:
            parts = re.split(r"\{[^/{}]+\}", path)
            pattern = re.compile("^" + "[^/]+".join(re.escape(p) for p in parts) + "/?$")
        return cls(method.upper(), path, pattern)

    def matches(self, method: str, path: str) -> bool:
        if self.method != "*" and method != self.method and not (method == "HEAD" and self.method == "GET"):
            return False
        if self.pattern is not None:
            return self.pattern.match(path) is not None
        return path == self.path or path.startswith(self.path + "/") or self.path == "/"


@dataclass(frozen=True)
class Route:
    name: str
    url: str
    public: tuple[PublicRoute, ...] = ()

    def is_public(self, method: str, path: str) -> bool:
        return any(route.matches(method, path) for route in self.public)


def route_of(name: str, value: str | dict, public: list | tuple = ()) -> Route:
    """A route from a settings entry: a URL, or {"url": ..., "public": [[method, path], ...]}."""
    if isinstance(value, dict):
        url = value["url"]
        public = value.get("public", public)
    else:
        url = value
    return Route(name, url.rstrip("/"), tuple(PublicRoute.of(m, p) for m, p in public))


def upstream_path(path: str, name: str) -> str | None:
    """`/medle/v1/acts` → `/v1/acts`; only the versioned API is routed, never /metrics or /readyz."""
    rest = path[len(name) + 1:]
    if rest == "/v1" or rest.startswith("/v1/"):
        return rest
    return None

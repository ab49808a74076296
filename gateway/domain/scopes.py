"""Which token scopes open which gateway routes.

The gateway only checks that a caller may reach a service at all, with this rule for a request to
`/<service>/...`:

- GET, HEAD, OPTIONS: any scope of that service (`<service>:read`, `<service>:report`,
  `<service>:measures:read`, ...): the service itself then checks the finer scope of the route;
- any other method: a write scope of that service, i.e. `<service>:write` or `<service>:admin`,
  or a finer scope ending in `:write` or `:admin` (`mjpm:measures:write`).

Scopes of other services never count, and neither do roles.
"""

from collections.abc import Iterable

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_WORDS = frozenset({"write", "admin"})


def is_safe(method: str) -> bool:
    return method in SAFE_METHODS


def service_scopes(service: str, scopes: Iterable[str]) -> list[str]:
    prefix = f"{service}:"
    return [scope[len(prefix):] for scope in scopes if scope.startswith(prefix) and len(scope) > len(prefix)]


def scope_allows(service: str, method: str, scopes: Iterable[str]) -> bool:
    own = service_scopes(service, scopes)
    if is_safe(method):
        return bool(own)
    return any(scope.rsplit(":", 1)[-1] in WRITE_WORDS for scope in own)


def required_scope(service: str, method: str) -> str:
    return f"{service}:read" if is_safe(method) else f"{service}:write"


def granted_scopes(held: Iterable[str], requested: str | None) -> list[str]:
    """OAuth `scope` parameter: a subset of what the account holds (all of it when absent)."""
    held = sorted(set(held))
    if not requested:
        return held
    wanted = set(requested.split())
    return [scope for scope in held if scope in wanted]

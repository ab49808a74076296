"""Who may read what in fce (fce.md, Roles).

- the registry and its search: agents (fce:agent), administrators (fce:admin) and partner
  clients holding fce:read; not the ministries' reporting role (fce:report: reports only);
- exports of a search: agents and administrators (a partner reads page by page);
- the import sources: everyone above and fce:report; their rejected rows: administrators.
Every caller needs the fce:read scope the gateway also checks.
"""

from typing import Annotated

from fastapi import Depends

from shared.auth import CurrentPrincipal, Principal
from shared.errors import Problem

READ = "fce:read"
AGENT, ADMIN, REPORT = "fce:agent", "fce:admin", "fce:report"


def _scoped(principal: Principal) -> Principal:
    if READ not in principal.scopes:
        raise Problem(403, f"missing scope: {READ}")
    return principal


async def registry_reader(principal: CurrentPrincipal) -> Principal:
    _scoped(principal)
    if not (principal.client or principal.has_role(AGENT, ADMIN)):
        raise Problem(403, f"the registry is for agents ({AGENT}, {ADMIN}) and partner clients")
    return principal


async def agent(principal: CurrentPrincipal) -> Principal:
    _scoped(principal)
    if not principal.has_role(AGENT, ADMIN):
        raise Problem(403, f"exports are for agents ({AGENT}, {ADMIN})")
    return principal


async def sources_reader(principal: CurrentPrincipal) -> Principal:
    _scoped(principal)
    if not (principal.client or principal.has_role(AGENT, ADMIN, REPORT)):
        raise Problem(403, f"requires one of the roles {AGENT}, {ADMIN}, {REPORT}")
    return principal


async def admin(principal: CurrentPrincipal) -> Principal:
    _scoped(principal)
    if not principal.has_role(ADMIN):
        raise Problem(403, f"requires the role {ADMIN}")
    return principal


RegistryReader = Annotated[Principal, Depends(registry_reader)]
Agent = Annotated[Principal, Depends(agent)]
SourcesReader = Annotated[Principal, Depends(sources_reader)]
Admin = Annotated[Principal, Depends(admin)]

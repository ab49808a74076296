"""Who may read what in fce (fce.md, Roles).

- the registry and its search: agents (fce:agent), administrators (fce:admin) and partner
  clients holding fce:read; not the ministries' reporting role (fce:report: reports only);
- exports of a search: agents and administrators (a partner reads page by page);
- the import sources: everyone above and fce:report; their rejected rows: administrators.
Every caller needs the fce:read scope the gateway also checks.
"""

from typing import Annotated

from fastapi import Depends, Request

from shared.auth import CurrentPrincipal, Principal
from shared.errors import Problem, reject_unknown_query_parameters

READ = "fce:read"
AGENT, ADMIN, REPORT = "fce:agent", "fce:admin", "fce:report"


def _let_in(request: Request, principal: Principal, allowed: bool, refusal: str) -> Principal:
    """The caller, if it holds the scope and `allowed`; then the request's parameters are checked."""
    if READ not in principal.scopes:
        raise Problem(403, f"missing scope: {READ}")
    if not allowed:
        raise Problem(403, refusal)
    reject_unknown_query_parameters(request)
    return principal


async def registry_reader(request: Request, principal: CurrentPrincipal) -> Principal:
    return _let_in(request, principal, principal.client or principal.has_role(AGENT, ADMIN),
                   f"the registry is for agents ({AGENT}, {ADMIN}) and partner clients")


async def agent(request: Request, principal: CurrentPrincipal) -> Principal:
    return _let_in(request, principal, principal.has_role(AGENT, ADMIN), f"exports are for agents ({AGENT}, {ADMIN})")


async def sources_reader(request: Request, principal: CurrentPrincipal) -> Principal:
    return _let_in(request, principal, principal.client or principal.has_role(AGENT, ADMIN, REPORT),
                   f"requires one of the roles {AGENT}, {ADMIN}, {REPORT}")


async def admin(request: Request, principal: CurrentPrincipal) -> Principal:
    return _let_in(request, principal, principal.has_role(ADMIN), f"requires the role {ADMIN}")


RegistryReader = Annotated[Principal, Depends(registry_reader)]
Agent = Annotated[Principal, Depends(agent)]
SourcesReader = Annotated[Principal, Depends(sources_reader)]
Admin = Annotated[Principal, Depends(admin)]

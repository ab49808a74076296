"""Who is calling: their roles and what they act for (courts, managers, départements).

Scopes say which door a token opens (people: `mjpm:read`/`mjpm:write`; management software:
`mjpm:measures:read`/`mjpm:measures:write`; statistics clients: `mjpm:report`); roles and
memberships say which objects are theirs. Someone else's object is a 404, never a 403.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from services.mjpm import repository
from services.mjpm.domain.enums import Role, Scope
from services.mjpm.repository import Reach
from shared.auth import Principal, require_any_scope
from shared.db import Session
from shared.errors import Problem

READ = "mjpm:read"
WRITE = "mjpm:write"
MEASURE_READ = (READ, Scope.MEASURES_READ.value)
MEASURE_WRITE = (WRITE, Scope.MEASURES_WRITE.value)
COURT = (Role.JUDGE, Role.CLERK)
MANAGERS = (Role.MANAGER, Role.SERVICE_ADMIN)


@dataclass(frozen=True)
class Caller:
    principal: Principal
    roles: frozenset[str]  # an editor's client acts as a manager for the managers linked to it
    court_ids: frozenset[int]  # with the courts merged into them
    manager_ids: frozenset[int]
    departements: frozenset[str]

    @property
    def sub(self) -> str:
        return self.principal.sub

    def has(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def reach(self) -> Reach:
        courts = self.court_ids if self.has(*COURT) else frozenset()
        managers = self.manager_ids if self.has(*MANAGERS) else frozenset()
        return Reach(courts, managers, everything=self.is_admin)


async def build_caller(principal: Principal, session) -> Caller:
    links = await repository.links_of(session, principal.sub)
    roles = set(principal.roles)
    if principal.scopes.intersection({Scope.MEASURES_READ, Scope.MEASURES_WRITE}) and not roles:
        roles.add(Role.MANAGER)
    return Caller(principal=principal, roles=frozenset(roles), court_ids=links.court_ids,
                  manager_ids=links.manager_ids, departements=links.departements)


def caller_with(scopes: tuple[str, ...], roles: tuple[str, ...] | None = None):
    """Dependency: a caller holding one of `scopes` and, when given, one of `roles` (403 otherwise)."""

    async def dependency(
        session: Session, principal: Annotated[Principal, Depends(require_any_scope(*scopes))]
    ) -> Caller:
        caller = await build_caller(principal, session)
        if roles is not None and not caller.has(*roles):
            raise Problem(403, f"requires one of the roles: {' '.join(roles)}")
        return caller

    return dependency


def require_role(caller: Caller, *roles: str) -> None:
    if not caller.has(*roles):
        raise Problem(403, f"requires one of the roles: {' '.join(roles)}")

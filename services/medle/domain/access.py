"""Who may see and change what (spec medle.md, "Roles" and "Rules").

- `medle:operator`: the acts of the hospitals they are a member of;
- `medle:hospital_admin`: the same, plus that hospital's operators and staffing;
- `medle:regional`: reads the hospitals of the régions of their scope;
- `medle:report`: ministries, reports only, with small counts hidden;
- `medle:admin`: everything, including the referentials (hospitals, askers, tariffs, weighting).

A hospital the caller may not read does not exist for them: the API answers 404, never 403, so
that the list of another hospital's acts cannot be probed.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "medle:operator"
    HOSPITAL_ADMIN = "medle:hospital_admin"
    REGIONAL = "medle:regional"
    REPORT = "medle:report"
    ADMIN = "medle:admin"


class MemberRole(StrEnum):
    """A membership's role inside one hospital."""

    OPERATOR = "operator"
    HOSPITAL_ADMIN = "hospital_admin"


HOSPITAL_STAFF = frozenset({Role.OPERATOR, Role.HOSPITAL_ADMIN})


@dataclass(frozen=True)
class Caller:
    """A principal as the rules see it: token roles, memberships, and the regional scope."""

    sub: str
    roles: frozenset[str]
    memberships: Mapping[int, MemberRole] = field(default_factory=dict)
    # Hospitals in the régions of a regional supervisor's scope.
    scope_hospitals: frozenset[int] = frozenset()

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def is_staff(self) -> bool:
        return bool(HOSPITAL_STAFF & self.roles)

    def readable_hospitals(self) -> frozenset[int] | None:
        """Hospitals whose acts the caller may read; None means all of them."""
        if self.is_admin:
            return None
        readable: set[int] = set()
        if self.is_staff:
            readable |= self.memberships.keys()
        if Role.REGIONAL in self.roles:
            readable |= self.scope_hospitals
        return frozenset(readable)

    def may_read(self, hospital_id: int) -> bool:
        readable = self.readable_hospitals()
        return readable is None or hospital_id in readable

    def may_write(self, hospital_id: int) -> bool:
        """Record acts for this hospital: its own staff (and the suite's administrators)."""
        return self.is_admin or (self.is_staff and hospital_id in self.memberships)

    def writable_hospitals(self) -> frozenset[int]:
        return frozenset(self.memberships) if self.is_staff else frozenset()

    def may_manage(self, hospital_id: int) -> bool:
        """Staffing and members of this hospital: its administrators."""
        return self.is_admin or (
            Role.HOSPITAL_ADMIN in self.roles
            and self.memberships.get(hospital_id) == MemberRole.HOSPITAL_ADMIN
        )

    def may_grant(self, hospital_id: int, role: MemberRole) -> bool:
        """A hospital admin manages its operators; only the suite's admin names hospital admins."""
        if self.is_admin:
            return True
        return role == MemberRole.OPERATOR and self.may_manage(hospital_id)

    def reportable_hospitals(self) -> frozenset[int] | None:
        """Hospitals the caller's reports cover; None means the whole country."""
        if self.is_admin or Role.REPORT in self.roles:
            return None
        return self.readable_hospitals()

    @property
    def may_report(self) -> bool:
        return bool(self.roles & {Role.ADMIN, Role.REPORT, Role.REGIONAL, *HOSPITAL_STAFF})

    @property
    def nominative(self) -> bool:
        """Whether reports show small counts: everyone but the ministries reads the acts
        themselves anyway; the ministries read aggregates only (statistical secrecy)."""
        if self.is_admin:
            return True
        return Role.REPORT not in self.roles

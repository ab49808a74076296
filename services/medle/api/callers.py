"""Who is calling (scopes checked first, then memberships) and the hospitals they may reach."""

from typing import Annotated

from fastapi import Depends, Query

from services.medle.domain.access import HOSPITAL_STAFF, Caller, MemberRole, Role
from services.medle.models import Hospital
from services.medle.repository import hospitals as repo
from shared.auth import Principal, require_any_scope, require_scopes
from shared.db import Session
from shared.errors import Problem, field_error, invalid, not_found

READ, WRITE, REPORT = "medle:read", "medle:write", "medle:report"


async def _caller(session, principal: Principal) -> Caller:
    memberships = {}
    if principal.roles & HOSPITAL_STAFF:
        memberships = {h: MemberRole(r) for h, r in (await repo.memberships_of(session, principal.sub)).items()}
    scope: frozenset[int] = frozenset()
    if Role.REGIONAL in principal.roles:
        scope = await repo.hospital_ids_in_regions(session, await repo.regions_of(session, principal.sub))
    return Caller(principal.sub, principal.roles, memberships, scope)


async def reading_caller(session: Session, principal: Annotated[Principal, Depends(require_scopes(READ))]
                         ) -> Caller:
    return await _caller(session, principal)


async def writing_caller(session: Session, principal: Annotated[Principal, Depends(require_scopes(WRITE))]
                         ) -> Caller:
    return await _caller(session, principal)


async def reporting_caller(
    session: Session, principal: Annotated[Principal, Depends(require_any_scope(REPORT, READ))]
) -> Caller:
    caller = await _caller(session, principal)
    if not caller.may_report:
        raise Problem(403, "reports need a medle role")
    return caller


async def admin_caller(caller: Annotated[Caller, Depends(writing_caller)]) -> Caller:
    if not caller.is_admin:
        raise Problem(403, "requires the role medle:admin")
    return caller


Reader = Annotated[Caller, Depends(reading_caller)]
Writer = Annotated[Caller, Depends(writing_caller)]
ReportReader = Annotated[Caller, Depends(reporting_caller)]
Admin = Annotated[Caller, Depends(admin_caller)]


async def _visible(session, caller: Caller, hospital_id: int) -> Hospital:
    hospital = await repo.hospital(session, hospital_id) if caller.may_read(hospital_id) else None
    if hospital is None:
        raise not_found("hospital")
    return hospital


async def readable_hospital(hospital_id: int, caller: Reader, session: Session) -> Hospital:
    return await _visible(session, caller, hospital_id)


async def managed_hospital(hospital_id: int, caller: Writer, session: Session) -> Hospital:
    """A hospital whose staffing and members the caller manages (its admins)."""
    hospital = await _visible(session, caller, hospital_id)
    if not caller.may_manage(hospital_id):
        raise Problem(403, "only this hospital's administrators may do this")
    return hospital


async def target_hospital(
    caller: Writer,
    session: Session,
    hospital_id: Annotated[int | None, Query(description="needed only by members of several hospitals")] = None,
) -> Hospital:
    """The hospital new acts are recorded for: the caller's own. Never a field of the body."""
    if hospital_id is None:
        own = caller.writable_hospitals()
        if not own:
            raise Problem(403, "acts are recorded by the members of a hospital")
        if len(own) > 1:
            raise invalid([field_error(["query", "hospital_id"],
                                       "you belong to several hospitals: say which one")])
        (hospital_id,) = own
    hospital = await _visible(session, caller, hospital_id)
    if not caller.may_write(hospital_id):
        raise Problem(403, "only this hospital's members record its acts")
    return hospital


ReadableHospital = Annotated[Hospital, Depends(readable_hospital)]
ManagedHospital = Annotated[Hospital, Depends(managed_hospital)]
TargetHospital = Annotated[Hospital, Depends(target_hospital)]

"""Measures sent by managers and their management software (editors, client credentials with
`mjpm:measures:write`): one at a time, or up to 1,000 in one all-or-nothing batch deduplicated
on RG + court."""

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from services.mjpm import repository
from services.mjpm.api.access import MANAGERS, MEASURE_WRITE, Caller, caller_with
from services.mjpm.api.measures import measure_response
from services.mjpm.domain import measures as rules
from services.mjpm.domain.enums import MeasureAction, MeasureStatus
from services.mjpm.models import Court, Measure
from services.mjpm.schemas import Batch, BatchLine, BatchOut, MeasureIn
from shared.db import Session
from shared.errors import conflict, field_error, invalid
from shared.idempotency import IdempotencyKey

router = APIRouter(prefix="/v1", tags=["measures"])
Recorder = Annotated[Caller, Depends(caller_with(MEASURE_WRITE, MANAGERS))]

NOT_COLUMNS = {"rg", "court_siret", "status", "manager_id", "last_state_change_date", "resources"}


@dataclass
class Line:
    index: int
    body: MeasureIn
    rg: str
    court: Court
    manager_id: int
    departement: str | None

    def columns(self, *, only_sent: bool = False) -> dict[str, Any]:
        values = self.body.model_dump(exclude=NOT_COLUMNS, exclude_unset=only_sent)
        if values.get("residence_country"):
            values["residence_country"] = values["residence_country"].upper()
        elif "residence_country" in values:
            values["residence_country"] = "FR"
        if not only_sent or "commune_code" in values:
            values["departement"] = self.departement
        return values

    def day_of(self, action: MeasureAction, last: bool) -> dt.date:
        """The date of the state row each action writes: the judgment's, the end's, or the one
        the software gives for the latest change."""
        b = self.body
        if last and b.last_state_change_date:
            return b.last_state_change_date
        day = {MeasureAction.RECORD: b.nomination_date, MeasureAction.ACCEPT: b.nomination_date,
               MeasureAction.CLOSE: b.end_date}.get(action)
        return day or repository.today()


async def prepare(session, caller: Caller, bodies: list[MeasureIn], at) -> tuple[list[Line], list[dict]]:
    """Every line checked with the anchor's rules (the domain's) and resolved against courts,
    managers, antennas and communes in a few queries; the problems located under `at(line)`."""
    courts = await repository.courts_by_siret(session, {b.court_siret for b in bodies})
    communes = await repository.departements_of_communes(session, {b.commune_code for b in bodies if b.commune_code})
    antennas = await repository.antennas_by_manager(session, caller.manager_ids)
    lines, problems = [], []
    for i, body in enumerate(bodies):
        loc = at(i)
        facts = rules.MeasureFacts(
            rg=body.rg, court_siret=body.court_siret, court_found=body.court_siret in courts, status=body.status,
            residence_country=body.residence_country, first_measure_date=body.first_measure_date,
            nomination_date=body.nomination_date, last_state_change_date=body.last_state_change_date,
            living_place=body.living_place, establishment_type=body.establishment_type,
            exit_cause=body.exit_cause, end_date=body.end_date)
        found = [field_error(p.loc, p.msg, p.type) for p in rules.measure_problems(facts, at=loc)]
        manager_id = body.manager_id
        if manager_id is None and len(caller.manager_ids) == 1:
            manager_id = next(iter(caller.manager_ids))
        elif manager_id is None:
            found.append(field_error([*loc, "manager_id"], "you act for several managers: say which", "missing"))
        elif manager_id not in caller.manager_ids:
            found.append(field_error([*loc, "manager_id"], "not a manager you act for"))
        if body.antenna_id is not None and body.antenna_id not in antennas.get(manager_id, set()):
            found.append(field_error([*loc, "antenna_id"], "not an antenna of this manager"))
        if body.commune_code and body.commune_code not in communes:
            found.append(field_error([*loc, "commune_code"], "unknown commune"))
        problems += found
        if not found:
            court = courts[body.court_siret]
            lines.append(Line(i, body, rules.normalise_rg(body.rg), court, manager_id,
                              communes.get(body.commune_code) if body.commune_code else court.departement))
    return lines, problems


def states_for(line: Line, measure_id: int, start: MeasureStatus | None, actions: list[MeasureAction],
               actor: str) -> list[dict]:
    rows, status = [], start
    for n, action in enumerate(actions):
        status = rules.next_state(status, action)
        rows.append({"measure_id": measure_id, "action": action.value, "status": status.value,
                     "date": line.day_of(action, n == len(actions) - 1), "actor": actor, "reason": None})
    return rows


@router.post("/measures", status_code=201)
async def record(body: MeasureIn, session: Session, caller: Recorder, request: Request, idem: IdempotencyKey):
    """A manager (or its software) records a measure entrusted to it, running or already closed."""
    if replay := await idem.replay(session):
        return replay
    lines, problems = await prepare(session, caller, [body], lambda _: ("body",))
    if problems:
        raise invalid(problems)
    line = lines[0]
    same = await repository.same_key_measures(session, line.rg, line.court.id, line.manager_id)
    if duplicate := rules.live_duplicate(same):
        raise conflict(f"measure {duplicate.measure_id} with this RG, court and manager is already "
                       f"'{duplicate.status}'")
    actions = rules.sync_actions(None, body.status)
    measure = await repository.add_measure(session, **line.columns(), rg=line.rg, court_id=line.court.id,
                                           manager_id=line.manager_id, status=body.status)
    await repository.add_states(session, states_for(line, measure.id, None, actions, caller.sub))
    if body.resources:
        await repository.replace_resources(session, measure.id, [r.model_dump() for r in body.resources])
    await repository.audit_many(session, request, caller.principal, [
        {"action": MeasureAction.RECORD.value, "resource_id": measure.id, "after": repository.snapshot(measure)}])
    response = measure_response(measure, 201, {"Location": f"/v1/measures/{measure.id}"})
    return await idem.remember(session, response)


@router.post("/measures:batch")
async def batch(body: Batch, session: Session, caller: Recorder, request: Request, idem: IdempotencyKey):
    """Up to 1,000 measures in one transaction: all are written or none (422 listing every
    offending line). A line whose RG + court repeats an earlier line is refused; one matching a
    stored measure of the same manager updates it (through the legal transitions when its status
    changes) instead of duplicating it."""
    if replay := await idem.replay(session):
        return replay
    lines, problems = await prepare(session, caller, body.measures, lambda i: ("body", "measures", i))
    keys = [(rules.normalise_rg(b.rg) if not rules.rg_problem(b.rg) else b.rg, b.court_siret) for b in body.measures]
    for line_no, first in rules.repeated_lines(keys).items():
        problems.append(field_error(["body", "measures", line_no, "rg"],
                                    f"same RG and court as line {first}", "duplicate"))
    stored = await repository.same_key_measures_many(session, {(ln.rg, ln.court.id, ln.manager_id) for ln in lines})
    plans: list[tuple[Line, Measure | None, list[MeasureAction]]] = []
    for line in lines:
        same = stored.get((line.rg, line.court.id, line.manager_id), [])
        target = rules.reservation_target(rules.SameKeyMeasure(m.id, MeasureStatus(m.status), m.end_date)
                                          for m in same)
        existing = next((m for m in same if m.id == target.measure_id), None) if target else None
        try:
            actions = rules.sync_actions(MeasureStatus(existing.status) if existing else None, line.body.status)
        except rules.IllegalTransition as exc:
            problems.append(field_error(["body", "measures", line.index, "status"], str(exc), "illegal_transition"))
            continue
        plans.append((line, existing, actions))
    if problems:
        problems.sort(key=lambda e: (e["loc"][2], [str(p) for p in e["loc"][3:]]))
        raise invalid(problems, detail=f"{len({e['loc'][2] for e in problems})} line(s) refused; nothing written")

    new = [Measure(**line.columns(), rg=line.rg, court_id=line.court.id, manager_id=line.manager_id,
                   status=line.body.status, status_changed_at=repository.now())
           for line, existing, _ in plans if existing is None]
    session.add_all(new)
    await session.flush()
    created = iter(new)
    results, states, entries = [], [], []
    for line, existing, actions in plans:
        if existing is None:
            measure, outcome, start = next(created), "created", None
            entries.append({"action": MeasureAction.RECORD.value, "resource_id": measure.id,
                            "after": repository.snapshot(measure)})
        else:
            measure, start = existing, MeasureStatus(existing.status)
            changes = {k: v for k, v in line.columns(only_sent=True).items() if getattr(existing, k) != v}
            if actions:
                changes |= {"status": line.body.status.value, "status_changed_at": repository.now()}
            outcome = "updated" if changes or line.body.resources is not None else "unchanged"
            if changes:
                entries.append({"action": "+".join(a.value for a in actions) or "update", "resource_id": measure.id,
                                "before": {k: getattr(measure, k) for k in changes}, "after": changes})
                for name, value in changes.items():
                    setattr(measure, name, value)
            elif outcome == "updated":
                measure.updated_at = repository.now()
        states += states_for(line, measure.id, start, actions, caller.sub)
        if line.body.resources is not None:
            await repository.replace_resources(session, measure.id, [r.model_dump() for r in line.body.resources])
        results.append(BatchLine(line=line.index, id=measure.id, outcome=outcome))
    await session.flush()
    await repository.add_states(session, states)
    await repository.audit_many(session, request, caller.principal, entries)
    out = BatchOut(items=results, created=sum(r.outcome == "created" for r in results),
                   updated=sum(r.outcome == "updated" for r in results))
    return await idem.remember(session, JSONResponse(out.model_dump(mode="json")))

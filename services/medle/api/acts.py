"""Acts: create, read, update (If-Match), soft delete, list, export, and the batch import."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError
from sqlalchemy import func

from services.medle.api.callers import Reader, TargetHospital, Writer
from services.medle.domain.activity import ANCHOR_WEIGHTING, WeightingTable, act_minutes
from services.medle.domain.acts import ActFacts, FieldProblem, HospitalFacts, act_problems
from services.medle.domain.calendar import local_clock, local_time, period_of_day
from services.medle.domain.enums import ActType, PeriodOfDay, Profile
from services.medle.models import Act, Hospital
from services.medle.repository import acts as repo
from services.medle.repository import hospitals as hospitals_repo
from services.medle.repository import tariffs as tariffs_repo
from services.medle.schemas import (
    REQUIRED_ACT_FIELDS,
    ActBatchOut,
    ActIn,
    ActOut,
    ActPatch,
    CreatedAct,
    WeightingTableIn,
)
from shared import audit
from shared.concurrency import check_if_match, set_etag
from shared.db import Session
from shared.errors import Problem, conflict, field_error, invalid, not_found
from shared.idempotency import IdempotencyKey
from shared.pagination import Page, Pagination, link_next, page_of
from shared.reports import Output, PeriodFilter, ReportFormat, tabular_response

router = APIRouter(prefix="/v1", tags=["acts"])

BATCH_MAX = 1000
FACT_FIELDS = [name for name in ActFacts.__dataclass_fields__]


def _hospital_facts(hospital: Hospital) -> HospitalFacts:
    return HospitalFacts(can_do_post_mortem=hospital.can_do_post_mortem, departement=hospital.departement)


def _today(hospital: Hospital) -> dt.date:
    return dt.datetime.now(local_clock(hospital.departement)).date()


async def _weighting(session) -> WeightingTable:
    version = await tariffs_repo.weighting_for_writing_acts(session)
    return WeightingTableIn.model_validate(version.table).to_domain() if version else ANCHOR_WEIGHTING


def _computed(facts: ActFacts, hospital: Hospital, table: WeightingTable) -> dict[str, Any]:
    """What the server derives from an act: its local day, its period of day, its weight."""
    minutes = act_minutes(facts, table)
    return {
        "examined_on": local_time(facts.examined_at, hospital.departement).date(),
        "period_of_day": period_of_day(facts.examined_at, hospital.departement).value,
        "weighted_minutes": minutes.quantize(Decimal("0.001")) if minutes is not None else None,
    }


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    """Enum members stored by value."""
    return {k: ([str(x) for x in v] if isinstance(v, list) else (str(v) if hasattr(v, "value") else v))
            for k, v in values.items()}


def _errors(problems: list[FieldProblem], prefix: list) -> list[dict]:
    return [field_error([*prefix, *p.loc], p.msg, p.type) for p in problems]


async def _unknown_askers(session, facts: list[ActFacts]) -> set[int]:
    wanted = {f.asker_id for f in facts if f.asker_id is not None}
    return wanted - await hospitals_repo.existing_asker_ids(session, wanted)


def _asker_problem(facts: ActFacts, unknown: set[int]) -> list[FieldProblem]:
    if facts.asker_id in unknown:
        return [FieldProblem(("asker_id",), "unknown asker", "unknown_asker")]
    return []


@router.post("/acts", status_code=201, response_model=ActOut)
async def create_act(body: ActIn, hospital: TargetHospital, caller: Writer, session: Session,
                     request: Request, response: Response):
    """Record an act for the caller's hospital. Every rule is checked; a 422 names every
    offending field; an internal number already used in the hospital is a 409."""
    values = body.model_dump()
    facts = ActFacts(**{k: values[k] for k in FACT_FIELDS})
    problems = act_problems(facts, _hospital_facts(hospital), _today(hospital))
    problems += _asker_problem(facts, await _unknown_askers(session, [facts]))
    if problems:
        raise invalid(_errors(problems, ["body"]))
    if await repo.taken_internal_numbers(session, hospital.id, {body.internal_number}):
        raise conflict(f"internal number {body.internal_number} is already used in this hospital")
    table = await _weighting(session)
    act = Act(hospital_id=hospital.id, added_by=caller.sub,
              **_columns(values), **_computed(facts, hospital, table))
    session.add(act)
    await session.flush()  # a concurrent twin fails on the unique index: the kit answers 409
    await session.refresh(act)
    out = ActOut.model_validate(act, from_attributes=True)
    await audit.record(session, request, caller, "create", "act", act.id, after=out)
    response.headers["Location"] = f"/v1/acts/{act.id}"
    set_etag(response, act.version)
    return out


@router.post(
    "/acts:batch",
    status_code=201,
    response_model=ActBatchOut,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["acts"], "additionalProperties": False, "properties": {"acts": {
            "type": "array", "minItems": 1, "maxItems": BATCH_MAX, "items": {"$ref": "#/components/schemas/ActIn"}}},
    }}}}},
)
async def import_acts(request: Request, hospital: TargetHospital, caller: Writer, session: Session,
                      idem: IdempotencyKey):
    """Up to 1,000 acts from a hospital's software, in one transaction: all are recorded or none.
    A 422 lists every error of every line (`loc`: body, acts, line, field). Send an
    Idempotency-Key to retry safely."""
    if replay := await idem.replay(session):
        return replay
    lines = _batch_lines(await _json(request))
    errors: list[dict] = []
    parsed: list[tuple[int, dict[str, Any], ActFacts]] = []
    for index, line in enumerate(lines):
        try:
            values = ActIn.model_validate(line).model_dump()
        except ValidationError as exc:
            errors += [field_error(["body", "acts", index, *e["loc"]], e["msg"].removeprefix("Value error, "),
                                   e["type"]) for e in exc.errors()]
            continue
        parsed.append((index, values, ActFacts(**{k: values[k] for k in FACT_FIELDS})))
    unknown = await _unknown_askers(session, [facts for _, _, facts in parsed])
    today, hospital_facts = _today(hospital), _hospital_facts(hospital)
    taken = await repo.taken_internal_numbers(session, hospital.id, {v["internal_number"] for _, v, _ in parsed})
    first_line: dict[str, int] = {}
    for index, values, facts in parsed:
        problems = act_problems(facts, hospital_facts, today) + _asker_problem(facts, unknown)
        errors += _errors(problems, ["body", "acts", index])
        number = values["internal_number"]
        if number in taken:
            errors.append(field_error(["body", "acts", index, "internal_number"],
                                      f"{number} is already used in this hospital", "conflict"))
        elif number in first_line:
            errors.append(field_error(["body", "acts", index, "internal_number"],
                                      f"{number} is also on line {first_line[number]}", "conflict"))
        first_line.setdefault(number, index)
    if errors:
        raise invalid(errors, detail=f"{len(errors)} error(s); nothing was recorded")
    table = await _weighting(session)
    rows = [{"hospital_id": hospital.id, "added_by": caller.sub, **_columns(values),
             **_computed(facts, hospital, table)} for _, values, facts in parsed]
    ids = await repo.insert_acts(session, rows)
    await audit.record(session, request, caller, "create_batch", "act", ids[0],
                       after={"hospital_id": hospital.id, "ids": ids})
    out = ActBatchOut(created=len(ids), items=[CreatedAct(line=i, id=id_, internal_number=r["internal_number"])
                                               for i, (id_, r) in enumerate(zip(ids, rows, strict=True))])
    return await idem.remember(session, JSONResponse(out.model_dump(mode="json"), status_code=201))


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise invalid([field_error(["body"], "not valid JSON", "json_invalid")]) from None


def _batch_lines(body: Any) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get("acts"), list):
        raise invalid([field_error(["body", "acts"], "a list of acts is required", "missing")])
    if extra := sorted(set(body) - {"acts"}):
        raise invalid([field_error(["body", name], "Extra inputs are not permitted", "extra_forbidden")
                       for name in extra])
    lines = body["acts"]
    if not 1 <= len(lines) <= BATCH_MAX:
        raise invalid([field_error(["body", "acts"], f"from 1 to {BATCH_MAX} acts per batch", "too_long")])
    return lines


@router.get("/acts/{act_id}", response_model=ActOut)
async def get_act(act_id: int, caller: Reader, session: Session, request: Request, response: Response):
    act = await repo.act(session, act_id, caller.readable_hospitals())
    if act is None:
        raise not_found("act")
    out = ActOut.model_validate(act, from_attributes=True)
    # Acts describe victims: who read which one is kept.
    await audit.record(session, request, caller, "read", "act", act.id)
    set_etag(response, act.version)
    return out


async def _writable_act(session, caller, act_id: int) -> Act:
    act = await repo.act(session, act_id, caller.readable_hospitals())
    if act is None:
        raise not_found("act")
    if not caller.may_write(act.hospital_id):
        raise Problem(403, "only this hospital's members change its acts")
    return act


@router.patch("/acts/{act_id}", response_model=ActOut)
async def update_act(act_id: int, body: ActPatch, caller: Writer, session: Session, request: Request,
                     response: Response):
    """Change some fields (If-Match: the ETag read). The whole act is checked again."""
    act = await _writable_act(session, caller, act_id)
    check_if_match(request, act.version)
    changes = body.model_dump(exclude_unset=True)
    if nulls := [name for name in REQUIRED_ACT_FIELDS if name in changes and changes[name] is None]:
        raise invalid([field_error(["body", name], "may not be null", "missing") for name in nulls])
    current = {name: getattr(act, name) for name in ActIn.model_fields}
    values = ActIn.model_validate(current | changes).model_dump()
    facts = ActFacts(**{k: values[k] for k in FACT_FIELDS})
    hospital = await hospitals_repo.hospital(session, act.hospital_id)
    problems = act_problems(facts, _hospital_facts(hospital), _today(hospital))
    problems += _asker_problem(facts, await _unknown_askers(session, [facts]))
    if problems:
        raise invalid(_errors(problems, ["body"]))
    if await repo.taken_internal_numbers(session, hospital.id, {values["internal_number"]}, except_id=act.id):
        raise conflict(f"internal number {values['internal_number']} is already used in this hospital")
    before = ActOut.model_validate(act, from_attributes=True)
    table = await _weighting(session)
    for name, value in (_columns(values) | _computed(facts, hospital, table)).items():
        setattr(act, name, value)
    act.updated_at = func.now()
    await session.flush()
    await session.refresh(act)
    out = ActOut.model_validate(act, from_attributes=True)
    await audit.record(session, request, caller, "update", "act", act.id, before=before, after=out)
    set_etag(response, act.version)
    return out


@router.delete("/acts/{act_id}", status_code=204)
async def delete_act(act_id: int, caller: Writer, session: Session, request: Request):
    """Soft delete (If-Match): the act leaves lists and reports; its number may be used again."""
    act = await _writable_act(session, caller, act_id)
    check_if_match(request, act.version)
    before = ActOut.model_validate(act, from_attributes=True)
    act.deleted_at = func.now()
    await session.flush()
    await audit.record(session, request, caller, "delete", "act", act.id, before=before)
    return Response(status_code=204)


async def act_filters(
    period: PeriodFilter,
    hospital_id: Annotated[list[int] | None, Query()] = None,
    internal_number: Annotated[str | None, Query(max_length=64)] = None,
    pv_number: Annotated[str | None, Query(max_length=64)] = None,
    asker_id: Annotated[list[int] | None, Query()] = None,
    profile: Annotated[list[Profile] | None, Query()] = None,
    act_type: Annotated[list[ActType] | None, Query()] = None,
    period_of_day: Annotated[list[PeriodOfDay] | None, Query()] = None,
    sans_plainte: bool | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100,
                                   description="free text, accents and case ignored: internal number, "
                                               "PV number, named attack, asker")] = None,
) -> repo.ActFilters:
    return repo.ActFilters(
        hospital_ids=hospital_id or (), start=period.start, end=period.end, internal_number=internal_number,
        pv_number=pv_number, asker_ids=asker_id or (), profiles=[str(p) for p in profile or ()],
        act_types=[str(t) for t in act_type or ()], periods_of_day=[str(p) for p in period_of_day or ()],
        sans_plainte=sans_plainte, q=q.strip() or None if q else None,
    )


Filters = Annotated[repo.ActFilters, Depends(act_filters)]


@router.get("/acts", response_model=Page[ActOut])
async def list_acts(filters: Filters, caller: Reader, session: Session, page: Pagination, request: Request,
                    sort: Literal["-examined_at", "examined_at"] = "-examined_at"):
    """Acts of the hospitals the caller may read, by examination time (most recent first unless
    `sort=examined_at`)."""
    rows = await repo.list_acts(session, replace(filters, readable=caller.readable_hospitals()), page,
                                list(ActOut.model_fields), descending=sort == "-examined_at")
    rows, cursor = page_of(rows, page, key=lambda a: (a.examined_at, a.id))
    body = Page[ActOut](items=[ActOut.model_validate(a._mapping) for a in rows], next_cursor=cursor)
    # Serialised once here: the page is already validated, FastAPI need not do it again.
    response = Response(body.model_dump_json(), media_type="application/json")
    link_next(request, response, cursor)
    return response


@router.get("/acts:export")
async def export_acts(filters: Filters, caller: Reader, session: Session, output: Output, request: Request):
    """Every matching act as CSV or XLSX, streamed: no row cap, flat memory."""
    if output.format == ReportFormat.json:
        raise invalid([field_error(["query", "format"], "the export is csv or xlsx; GET /v1/acts pages JSON")])
    filters = replace(filters, readable=caller.readable_hospitals())
    await audit.record(session, request, caller, "export", "act", "*",
                       after={"filters": {k: v for k, v in filters.__dict__.items() if v not in (None, (), [])}
                              | {"readable": sorted(filters.readable) if filters.readable is not None else "all"}})
    sessionmaker = request.app.state.sessionmaker
    if output.format == ReportFormat.csv:
        chunks = repo.export_csv(sessionmaker, filters, delimiter=";" if output.excel else ",")
        return StreamingResponse(_with_bom(chunks) if output.excel else chunks,
                                 media_type=f"text/csv; charset={'utf-8-sig' if output.excel else 'utf-8'}",
                                 headers={"Content-Disposition": 'attachment; filename="acts.csv"'})
    return await tabular_response(repo.export_rows(sessionmaker, filters), repo.EXPORT_COLUMNS, output, "acts")


async def _with_bom(chunks):
    yield "\ufeff".encode()  # French Excel reads UTF-8 only after a BOM
    async for chunk in chunks:
        yield chunk

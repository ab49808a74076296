"""Append-only audit log, one per schema: who did what to which record, and who read what."""

from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import BigInteger, Column, DateTime, MetaData, Table, Text, func, insert
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal


def define_audit_table(metadata: MetaData) -> Table:
    return Table(
        "audit_log",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("actor", Text, nullable=False),
        Column("action", Text, nullable=False),  # create, update, delete, read, <transition>
        Column("resource", Text, nullable=False),
        Column("resource_id", Text, nullable=False),
        Column("before", JSONB),
        Column("after", JSONB),
        Column("request_id", Text),
        Column("purpose", Text),
    )


def append_only_sql(schema: str) -> list[str]:
    """For the service's migration: the log can be appended to, never changed (even by its owner)."""
    return [
        f"""
        CREATE OR REPLACE FUNCTION {schema}.audit_log_is_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$
        """,
        f"""
        CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {schema}.audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION {schema}.audit_log_is_append_only()
        """,
    ]


def jsonable(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        import json

        return json.loads(json.dumps(value, default=str))
    return value


async def record(
    session: AsyncSession,
    request: Request | None,
    principal: Principal,
    action: str,
    resource: str,
    resource_id: Any,
    *,
    before: Any = None,
    after: Any = None,
    purpose: str | None = None,
) -> None:
    """Write one audit entry in the caller's transaction: it lands if and only if the change does."""
    table = _audit_table(session)
    request_id = request.scope.get("state", {}).get("request_id") if request is not None else None
    await session.execute(
        insert(table).values(
            actor=principal.sub,
            action=action,
            resource=resource,
            resource_id=str(resource_id),
            before=jsonable(before),
            after=jsonable(after),
            request_id=request_id,
            purpose=purpose,
        )
    )


# The audit table of whichever schema the session's role uses (search_path puts it first).
_UNQUALIFIED = define_audit_table(MetaData())


def _audit_table(_: AsyncSession) -> Table:
    return _UNQUALIFIED

"""Idempotency-Key on POST: the same key and body replay the stored response; another body is a 422.

Kept per service (its own table), per principal, for 24 hours.
"""

import hashlib
import json
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, func, select, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import CurrentPrincipal, Principal
from shared.errors import field_error, invalid

KEEP_HOURS = 24
REPLAYED_HEADERS = ("location", "etag", "content-type")


def define_idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("principal", Text, primary_key=True),
        Column("key", Text, primary_key=True),
        Column("request_hash", Text, nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


_TABLE = define_idempotency_table(MetaData())  # unqualified: the role's search_path picks the schema


class Idempotency:
    """Per-request handle: `replay()` before doing the work, `remember(response)` after."""

    def __init__(self, key: str | None, principal: Principal, request_hash: str):
        self.key = key
        self.principal = principal
        self.request_hash = request_hash

    async def replay(self, session: AsyncSession) -> Response | None:
        if self.key is None:
            return None
        # Two requests with the same key at once: the second waits for the first to commit.
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"{self.principal.sub}\x1f{self.key}"},
        )
        row = (
            await session.execute(
                select(_TABLE).where(
                    _TABLE.c.principal == self.principal.sub,
                    _TABLE.c.key == self.key,
                    _TABLE.c.created_at > func.now() - text(f"interval '{KEEP_HOURS} hours'"),
                )
            )
        ).one_or_none()
        if row is None:
            return None
        if row.request_hash != self.request_hash:
            raise invalid(
                [field_error(["header", "Idempotency-Key"], "this key was already used with another request body")]
            )
        return Response(row.body, status_code=row.status_code, headers={**row.headers, "Idempotent-Replayed": "true"})

    async def remember(self, session: AsyncSession, response: JSONResponse) -> JSONResponse:
        if self.key is None:
            return response
        headers = {k: v for k, v in response.headers.items() if k in REPLAYED_HEADERS}
        values = dict(
            principal=self.principal.sub,
            key=self.key,
            request_hash=self.request_hash,
            status_code=response.status_code,
            headers=headers,
            body=response.body.decode(),
        )
        renewed = {k: v for k, v in values.items() if k not in ("principal", "key")} | {"created_at": func.now()}
        await session.execute(
            insert(_TABLE).values(**values).on_conflict_do_update(index_elements=["principal", "key"], set_=renewed)
        )
        return response


async def idempotency(
    request: Request,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Idempotency:
    if idempotency_key is None:  # nothing to replay: skip reading and hashing the body
        return Idempotency(None, principal, "")
    body = await request.body()
    try:  # the same JSON with other spacing or key order is the same request
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256(request.method.encode() + request.url.path.encode() + b"\n" + canonical).hexdigest()
    return Idempotency(idempotency_key, principal, digest)


IdempotencyKey = Annotated[Idempotency, Depends(idempotency)]

"""Keyset pagination: `?limit=&cursor=`, `{items, next_cursor}` and a `Link: rel="next"` header.

Keyset, not offset: an offset is O(n) on tables of millions of rows and skips or repeats rows
when others are inserted meanwhile.
"""

import base64
import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import and_, or_, tuple_
from sqlalchemy.sql import ColumnElement, Select

from shared.errors import field_error, invalid

T = TypeVar("T")
MAX_LIMIT = 1000


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size, at most 1000")] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


Pagination = Annotated[PageParams, Depends(page_params)]


def _tag(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    if isinstance(value, uuid.UUID):
        return {"uuid": str(value)}
    return value


def _untag(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (kind, raw), = value.items()
        return {"dt": dt.datetime.fromisoformat, "d": dt.date.fromisoformat, "dec": Decimal,
                "uuid": uuid.UUID}[kind](raw)
    return value


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([_tag(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = [_untag(v) for v in json.loads(raw)]
    except (ValueError, TypeError, KeyError):
        values = None
    if not isinstance(values, list) or len(values) != width:
        raise invalid([field_error(["query", "cursor"], "invalid cursor: pass next_cursor as given")])
    return values


def after(columns: list[tuple[ColumnElement, bool]], values: list[Any]) -> ColumnElement:
    """Rows strictly after `values` in the order of `columns` ((column, descending) pairs)."""
    if len({desc for _, desc in columns}) == 1:
        cols = tuple_(*[c for c, _ in columns])
        vals = tuple_(*values)
        return cols < vals if columns[0][1] else cols > vals
    clauses = []
    for i, (column, descending) in enumerate(columns):
        equal_before = [c == v for (c, _), v in zip(columns[:i], values[:i], strict=True)]
        beyond = column < values[i] if descending else column > values[i]
        clauses.append(and_(*equal_before, beyond))
    return or_(*clauses)


def keyset(stmt: Select, columns: list[tuple[ColumnElement, bool]], params: PageParams) -> Select:
    """Order by the key columns (the last must be unique), start after the cursor, fetch limit + 1."""
    if params.cursor:
        stmt = stmt.where(after(columns, decode_cursor(params.cursor, len(columns))))
    order = [c.desc() if desc else c.asc() for c, desc in columns]
    return stmt.order_by(*order).limit(params.limit + 1)


def page_of(rows: list[Any], params: PageParams, key: callable) -> tuple[list[Any], str | None]:
    """Cut the extra row fetched by `keyset` and make the cursor from the last row kept."""
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        return rows, encode_cursor(list(key(rows[-1])))
    return rows, None


def link_next(request: Request, response: Response, next_cursor: str | None) -> None:
    if next_cursor:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'

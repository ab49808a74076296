"""RFC 9457 problem details for every error; no stack trace ever leaves a service."""

from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("fabrique.errors")


class Problem(Exception):
    """An error a client should see, with its status and, for 422, the offending fields."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail or title)
        self.status = status
        self.title = title or HTTPStatus(status).phrase
        self.detail = detail
        self.errors = errors
        self.type = type_
        self.headers = headers


def not_found(what: str = "resource") -> Problem:
    return Problem(404, f"{what} not found")


def conflict(detail: str) -> Problem:
    return Problem(409, detail)


def field_error(loc: list[str | int] | tuple, msg: str, type_: str = "value_error") -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": type_}


def invalid(errors: list[dict[str, Any]], detail: str | None = None) -> Problem:
    """A 422 naming every offending field."""
    names = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors)
    return Problem(422, detail or f"invalid fields: {names}", errors=errors)


def reject_unknown_query_parameters(request: Request) -> None:
    """A query parameter the endpoint does not take is a 422, not ignored: `department=75` for
    `departement=75` would otherwise search all of France. Called once the caller's scopes are
    checked (shared.auth), so that an anonymous caller gets its 401 and a wrong token its 403."""
    route = request.scope.get("route")
    if route is None or not (unknown := set(request.query_params) - _query_parameters(route)):
        return
    accepted = ", ".join(sorted(_query_parameters(route))) or "none"
    raise invalid([field_error(["query", name], f"{name!r} is not a parameter of this endpoint, which takes {accepted}")
                   for name in sorted(unknown)])


def _query_parameters(route) -> frozenset[str]:
    """The query parameters of a route and of all its dependencies, found once and kept on the route."""
    if (names := getattr(route, "query_parameters", None)) is None:
        names, pending = set(), [route.dependant]
        while pending:
            dependant: Dependant = pending.pop()
            names.update(field.alias for field in dependant.query_params)
            pending.extend(dependant.dependencies)
        names = route.query_parameters = frozenset(names)
    return names


def request_id_of(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id")


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.url.path,
        "request_id": request_id_of(request),
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers)


def _clean_loc(loc: tuple) -> list:
    # FastAPI prefixes body errors with "body"; pydantic adds the validator name for unions.
    return [p for p in loc if not (isinstance(p, str) and p.startswith("function-"))]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return problem_response(
            request, Problem(exc.status_code, str(exc.detail) if exc.detail else None, headers=exc.headers)
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [
            field_error(_clean_loc(e["loc"]), e["msg"].removeprefix("Value error, "), e["type"])
            for e in exc.errors()
        ]
        return problem_response(request, invalid(errors))

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError):
        # Two writers racing past the API's own check: the database's unique index decides, and
        # the loser gets the 409 it would have had a moment later.
        if getattr(exc.orig, "sqlstate", None) == "23505" or "UniqueViolation" in type(exc.orig).__name__:
            return problem_response(request, Problem(409, "a record with the same key already exists"))
        log.exception("integrity error", path=request.url.path)
        return problem_response(request, Problem(500, "an unexpected error occurred; quote the request_id"))

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError):
        detail = "the record was changed by someone else meanwhile; fetch it again"
        return problem_response(request, Problem(409, detail))

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception):
        log.exception("unhandled error", path=request.url.path)
        return problem_response(request, Problem(500, "an unexpected error occurred; quote the request_id"))

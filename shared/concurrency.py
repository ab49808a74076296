"""Optimistic concurrency: every mutable record has a `version`; ETag out, If-Match in (412 if stale)."""

from fastapi import Request, Response

from shared.errors import Problem


def etag_of(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_of(version)


def check_if_match(request: Request, version: int) -> None:
    """A stale If-Match is a 412 before anything is written; no header means last-writer-wins
    at the HTTP level, but the ORM's version check still refuses a concurrent lost update."""
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if etag_of(version) not in candidates:
        raise Problem(412, f"the record has changed (current ETag {etag_of(version)}); fetch it again")

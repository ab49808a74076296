"""ETags of registry records: a digest of the representation, so that it changes exactly when
what the client sees changes (an import replaces rows without versions of their own)."""

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel

from shared.concurrency import etag_of, set_etag


def digest(model: BaseModel) -> int:
    return int.from_bytes(hashlib.blake2b(model.model_dump_json().encode(), digest_size=8).digest(), "big")


def not_modified(request: Request, response: Response, model: BaseModel) -> Response | None:
    """Set the ETag; a 304 without body when the client's If-None-Match already has it."""
    version = digest(model)
    set_etag(response, version)
    tags = {tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")}
    if etag_of(version) in tags:
        return Response(status_code=304, headers={"ETag": etag_of(version)})
    return None

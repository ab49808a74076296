"""ETags of registry records: a digest of the representation, so that it changes exactly when
what the client sees changes (an import replaces rows without versions of their own)."""

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel

from shared.concurrency import etag_of


def represented(request: Request, model: BaseModel) -> Response:
    """The record as JSON with its ETag, or a 304 without body when the client's If-None-Match
    already has it. Serialised once: the digest is of the very bytes sent (FastAPI would validate
    and serialise the model again)."""
    body = model.model_dump_json().encode()
    tag = etag_of(int.from_bytes(hashlib.blake2b(body, digest_size=8).digest(), "big"))
    tags = {tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")}
    if tag in tags:
        return Response(status_code=304, headers={"ETag": tag})
    return Response(body, media_type="application/json", headers={"ETag": tag})

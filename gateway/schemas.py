"""What leaves the gateway, and what its admin API accepts."""

import datetime as dt
import re
import uuid

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCOPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(:[a-z0-9_]+)+$")
NAME_PATTERN = r"^[a-z0-9][a-z0-9._@-]{1,63}$"


def _checked_names(values: list[str]) -> list[str]:
    """Scopes and roles are `<service>:<name>[:<name>...]`."""
    bad = [v for v in values if not SCOPE_PATTERN.match(v)]
    if bad:
        raise ValueError(f"not of the form <service>:<name>: {', '.join(bad)}")
    return sorted(set(values))


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    scope: str
    refresh_token: str | None = None


class MeOut(BaseModel):
    sub: str
    name: str | None
    email: str | None
    roles: list[str]
    scopes: list[str]
    client: bool
    expires_at: dt.datetime


class JwksOut(BaseModel):
    keys: list[dict]


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=NAME_PATTERN)
    password: str = Field(min_length=8, max_length=256)
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    roles: list[str] = []
    scopes: list[str] = []
    subject: str | None = Field(default=None, min_length=1, max_length=200)
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)

    _names = field_validator("roles", "scopes")(_checked_names)


class AccountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str | None = Field(default=None, min_length=8, max_length=256)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    roles: list[str] | None = None
    scopes: list[str] | None = None
    disabled: bool | None = None
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)

    @field_validator("roles", "scopes")
    @classmethod
    def _names(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _checked_names(values)


class AccountOut(BaseModel):
    id: uuid.UUID
    username: str
    subject: str
    name: str
    email: str | None
    roles: list[str]
    scopes: list[str]
    disabled: bool
    rate_limit_per_minute: int | None
    created_at: dt.datetime


class ClientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME_PATTERN)
    scopes: list[str] = []
    roles: list[str] = []
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)

    _names = field_validator("roles", "scopes")(_checked_names)


class ClientOut(BaseModel):
    id: uuid.UUID
    name: str
    scopes: list[str]
    roles: list[str]
    rate_limit_per_minute: int | None
    revoked_at: dt.datetime | None
    created_at: dt.datetime


class ClientCreated(ClientOut):
    client_secret: str = Field(description="shown once; only its hash is kept")


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = []
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)
    client_id: uuid.UUID | None = None

    _names = field_validator("scopes")(_checked_names)


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    rate_limit_per_minute: int | None
    client_id: uuid.UUID | None
    revoked_at: dt.datetime | None
    created_at: dt.datetime


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="shown once; only its hash is kept")


class SigningKeyOut(BaseModel):
    kid: str
    active_from: dt.datetime
    retired_at: dt.datetime | None
    created_at: dt.datetime

"""The identity schema: accounts (people), clients (platforms, services), API keys, signing keys,
refresh tokens, revoked access tokens and failed-login counters."""

import datetime as dt
import uuid

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import declarative_base

SCHEMA = "identity"
Base = declarative_base(SCHEMA)


def _uuid() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


def _names() -> Mapped[list[str]]:
    return mapped_column(ARRAY(Text), nullable=False, default=list, server_default=text("'{}'"))


def _created() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Account(Base):
    """A person. `subject` is the token's `sub`: the account's id unless a service fixed it."""

    __tablename__ = "accounts"
    id: Mapped[uuid.UUID] = _uuid()
    username: Mapped[str] = mapped_column(Text, unique=True)
    subject: Mapped[str] = mapped_column(Text, unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    roles: Mapped[list[str]] = _names()
    scopes: Mapped[list[str]] = _names()
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=text("false"))
    created_at: Mapped[dt.datetime] = _created()
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version}


class Client(Base):
    """A partner platform or one of the suite's services, authenticated by id and secret."""

    __tablename__ = "clients"
    id: Mapped[uuid.UUID] = _uuid()
    name: Mapped[str] = mapped_column(Text, unique=True)
    secret_hash: Mapped[str] = mapped_column(Text)
    scopes: Mapped[list[str]] = _names()
    roles: Mapped[list[str]] = _names()
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()


class ApiKey(Base):
    """A partner API key (`X-Api-Key`): only its hash is kept; `prefix` identifies it to humans."""

    __tablename__ = "api_keys"
    id: Mapped[uuid.UUID] = _uuid()
    name: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(Text)
    key_hash: Mapped[str] = mapped_column(Text, unique=True)
    scopes: Mapped[list[str]] = _names()
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(f"{SCHEMA}.clients.id"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()


class SigningKeyRow(Base):
    """An RS256 key: signs from `active_from`, published until long after `retired_at`."""

    __tablename__ = "signing_keys"
    kid: Mapped[str] = mapped_column(Text, primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    active_from: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()


class RefreshToken(Base):
    """One use each; a family is the chain of rotations from one login (reuse revokes it all)."""

    __tablename__ = "refresh_tokens"
    id: Mapped[uuid.UUID] = _uuid()
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(f"{SCHEMA}.accounts.id", ondelete="CASCADE"),
                                                  index=True)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    scopes: Mapped[list[str]] = _names()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()


class RevokedToken(Base):
    """Access tokens revoked before they expire (POST /auth/revoke); forgotten once expired."""

    __tablename__ = "revoked_tokens"
    jti: Mapped[str] = mapped_column(Text, primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_revoked_tokens_expires_at", "expires_at"),)


class LoginThrottle(Base):
    """Failed logins per key (`account:<username>` or `ip:<address>`) in the current window."""

    __tablename__ = "login_throttles"
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

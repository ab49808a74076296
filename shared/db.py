"""Async SQLAlchemy engine and one session (one transaction) per request."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import MetaData, event
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.util import await_

from shared.settings import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata(schema: str) -> MetaData:
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def declarative_base(schema: str) -> type[DeclarativeBase]:
    """The ORM base of one service: all its tables live in its own schema."""

    from shared.audit import define_audit_table
    from shared.idempotency import define_idempotency_table

    schema_metadata = service_metadata(schema)
    # Every service gets the kit's tables (in its own schema), so its migrations create them.
    define_audit_table(schema_metadata)
    define_idempotency_table(schema_metadata)

    class Base(DeclarativeBase):
        metadata = schema_metadata

    return Base


# A pooled connection used less than this long ago is trusted without a ping (see _ping_when_idle).
TRUSTED_IDLE_S = 1.0


def create_engine(url, *, pool_size: int | None = None) -> AsyncEngine:
    settings = get_settings()
    engine = create_async_engine(
        url,
        pool_size=pool_size or settings.pool_size,
        max_overflow=settings.pool_size,
        connect_args={
            "server_settings": {
                "statement_timeout": str(settings.statement_timeout_ms),
                "application_name": "fabrique",
            }
        },
    )
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """The pre-ping PLATFORM.md asks for, at a price a busy service can pay.

    SQLAlchemy's `pool_pre_ping` on asyncpg costs three round trips on every checkout (BEGIN, `;`,
    ROLLBACK, for pgbouncer's sake): as much as the request's own queries. Here a connection whose
    socket is closed (the server restarted or killed it: asyncpg notices at once) or that sat idle
    for a while is pinged with one `;`; one back in use within a second is trusted. A failed ping
    makes the pool discard it and connect anew, as pre-ping would."""

    @event.listens_for(engine.sync_engine, "checkin")
    def remember_when_idle(dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def ping_if_doubtful(dbapi_connection, record, proxy) -> None:
        idle_since = record.info.pop("idle_since", None)
        driver = dbapi_connection.driver_connection
        if idle_since is not None and time.monotonic() - idle_since < TRUSTED_IDLE_S and not driver.is_closed():
            return
        try:
            await_(driver.fetchrow(";"))
        except Exception as exc:
            raise DisconnectionError(f"pooled connection is dead: {exc!r}") from exc


def sessionmaker_for(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def bind_app(app, engine: AsyncEngine) -> None:
    """The app's sessions on `engine`: in a transaction (Session), or its connections statement by
    statement (ReadConnection)."""
    app.state.sessionmaker = sessionmaker_for(engine)
    app.state.read_engine = engine.execution_options(isolation_level="AUTOCOMMIT")


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the endpoint returns, rolled back if it raises."""
    async with request.app.state.sessionmaker() as session, session.begin():
        yield session


async def read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """A connection whose statements run without a transaction around them: a lookup is one round
    trip instead of three (BEGIN, the query, COMMIT), and no ORM session is made (0.3 ms less of a
    4-5 ms lookup). Only for Core statements that need nothing of a transaction: no write, no lock,
    no SET LOCAL. (Each statement sees what was committed when it started, as it would in a READ
    COMMITTED transaction.)"""
    engine = getattr(request.app.state, "read_engine", None)
    if engine is None:  # an app given only its transactional sessions (tests: the test's transaction)
        async with asynccontextmanager(request_session)(request) as session:
            yield await session.connection()
        return
    async with engine.connect() as connection:
        yield connection


class Lookup:
    """A Core statement reading one row, compiled once for asyncpg and run by the driver itself:
    for the lookups by id, whose target is p95 <= 5 ms in the service. SQLAlchemy's execution took
    0.64 ms (p50) and 1.5 ms (p95) where the driver took 0.30 and 0.77 ms for the same row, which
    has the same types either way (the dialect's codecs, JSON's included, are on the driver's
    connection). Parameters by the statement's bindparam names; the other values are its own."""

    def __init__(self, statement):
        compiled = statement.compile(dialect=asyncpg_dialect())
        self.sql = str(compiled)
        if "POSTCOMPILE" in self.sql:
            raise ValueError("a Lookup takes its values as parameters, none rendered at execution")
        self._names = compiled.positiontup
        self._values = compiled.params

    async def one_or_none(self, connection: AsyncConnection, **params) -> dict | None:
        driver = (await connection.get_raw_connection()).driver_connection
        row = await driver.fetchrow(self.sql, *[params[name] if name in params else self._values[name]
                                                for name in self._names])
        return None if row is None else dict(row)


# scope="function": commit before the response leaves, so a failed commit is never a 200.
Session = Annotated[AsyncSession, Depends(request_session, scope="function")]
ReadConnection = Annotated[AsyncConnection, Depends(read_connection, scope="function")]

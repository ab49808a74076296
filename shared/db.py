"""Async SQLAlchemy engine and one session (one transaction) per request."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

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


def create_engine(url, *, pool_size: int | None = None) -> AsyncEngine:
    settings = get_settings()
    return create_async_engine(
        url,
        pool_size=pool_size or settings.pool_size,
        max_overflow=settings.pool_size,
        pool_pre_ping=True,
        connect_args={
            "server_settings": {
                "statement_timeout": str(settings.statement_timeout_ms),
                "application_name": "fabrique",
            }
        },
    )


def sessionmaker_for(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the endpoint returns, rolled back if it raises."""
    async with request.app.state.sessionmaker() as session:
        async with session.begin():
            yield session


# scope="function": commit before the response leaves, so a failed commit is never a 200.
Session = Annotated[AsyncSession, Depends(request_session, scope="function")]

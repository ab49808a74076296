"""Referentials in `ref`, and one role per service that cannot read another service's schema."""

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from shared import referentials
from shared.database import memory_available, prepare_schemas, shared_buffers
from shared.testing import engine_for


@pytest.fixture
async def ref_session(connection_for, notes_schema):
    conn = await connection_for("kit_test")
    return AsyncSession(bind=conn)


async def test_referential_counts(ref_session):
    counts = {t: (await ref_session.execute(text(f"SELECT count(*) FROM ref.{t}"))).scalar_one()
              for t in ("communes", "departements", "regions", "epci", "naf_sections")}
    assert counts == {"communes": 35014, "departements": 109, "regions": 26, "epci": 1255, "naf_sections": 21}
    subclasses = (await ref_session.execute(text("SELECT count(*) FROM ref.naf WHERE level = 'subclass'"))).scalar()
    assert subclasses == 732


async def test_paris_is_in_ile_de_france(ref_session):
    paris = await referentials.commune(ref_session, "75056")
    assert paris.name == "Paris" and paris.region == "11" and paris.departement == "75"
    assert await referentials.region_of_departement(ref_session, "75") == "11"


async def test_postcode_59000_is_lille(ref_session):
    assert [c.name for c in await referentials.communes_by_postcode(ref_session, "59000")] == ["Lille"]


async def test_naf_code_gives_its_section_and_label(ref_session):
    entry = await referentials.naf(ref_session, "62.01Z")
    assert entry.section == "J" and entry.label == "Programmation informatique"
    assert entry.section_label == "Information et communication"


async def test_great_circle_paris_lyon_is_about_392_km(ref_session):
    paris = await referentials.commune(ref_session, "75056")
    lyon = await referentials.commune(ref_session, "69123")
    assert 385 < referentials.great_circle_km(paris.latitude, paris.longitude, lyon.latitude, lyon.longitude) < 400


async def test_a_service_role_cannot_read_another_services_schema(prepared_database):
    """The medle role owns medle and reads ref; the fce schema is closed to it."""
    await prepare_schemas(["isolation_fce", "isolation_medle"])
    owner, intruder = await engine_for("isolation_fce"), await engine_for("isolation_medle")
    async with owner.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS isolation_fce.companies (siren text)"))
    for statement in ("SELECT * FROM isolation_fce.companies", "CREATE TABLE isolation_fce.planted (v text)"):
        async with intruder.connect() as conn:
            with pytest.raises(DBAPIError, match="permission denied for schema isolation_fce"):
                await conn.execute(text(statement))


async def test_a_service_role_cannot_write_referentials(connection_for, notes_schema):
    conn = await connection_for("kit_test")
    with pytest.raises(DBAPIError, match="permission denied"):
        await conn.execute(text("DELETE FROM ref.communes"))


async def test_a_service_survives_the_database_killing_its_pooled_connections(prepared_database, monkeypatch):
    from shared import db
    from shared.database import admin_url, service_url

    engine = db.create_engine(service_url("kit_test"), pool_size=2)
    admin = db.create_engine(admin_url().set(drivername="postgresql+asyncpg"), pool_size=1)
    try:
        async with AsyncSession(engine) as session:
            first = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with AsyncSession(admin) as session:  # what a server restart or an idle timeout does
            assert (await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})).scalar_one()
        await asyncio.sleep(0.1)
        for trusted_idle_s in (db.TRUSTED_IDLE_S, 0.0):  # noticed closed at once; or idle, so pinged
            monkeypatch.setattr(db, "TRUSTED_IDLE_S", trusted_idle_s)
            async with AsyncSession(engine) as session:
                again = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert again != first
            async with AsyncSession(admin) as session:
                await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": again})
            await asyncio.sleep(0.1)
            first = again
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_a_read_connection_runs_statement_by_statement_and_a_session_in_one_transaction(prepared_database):
    import httpx
    from fastapi import FastAPI

    from shared import db
    from shared.database import service_url
    from shared.errors import install_error_handlers, not_found

    app = FastAPI()
    install_error_handlers(app)

    async def clocks(session) -> bool:  # a session or a connection
        """Whether two statements, 50 ms apart, see the same transaction start (now())."""
        first = (await session.execute(text("SELECT now() FROM (SELECT pg_sleep(0.05)) s"))).scalar_one()
        return first == (await session.execute(text("SELECT now()"))).scalar_one()

    @app.get("/read")
    async def read(connection: db.ReadConnection):
        return {"one_transaction": await clocks(connection)}

    @app.get("/write")
    async def write(session: db.Session):
        return {"one_transaction": await clocks(session)}

    @app.get("/missing")
    async def missing(connection: db.ReadConnection):
        await connection.execute(text("SELECT 1"))
        raise not_found("thing")

    engine = db.create_engine(service_url("kit_test"), pool_size=1)
    db.bind_app(app, engine)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            assert (await client.get("/read")).json() == {"one_transaction": False}
            assert (await client.get("/write")).json() == {"one_transaction": True}
            assert (await client.get("/missing")).status_code == 404
            assert (await client.get("/read")).status_code == 200  # its one pooled connection came back clean
    finally:
        await engine.dispose()


async def test_a_lookup_reads_its_row_through_the_driver_as_sqlalchemy_would(prepared_database):
    from sqlalchemy import bindparam, column, func, literal, select
    from sqlalchemy import table as table_of

    from shared import db
    from shared.database import service_url

    commune = table_of("communes", column("code"), column("name"), schema="ref")
    statement = select(commune.c.name, func.json_build_object("code", commune.c.code).label("as_json"),
                       literal(7).label("constant")).where(commune.c.code == bindparam("code"))
    lookup = db.Lookup(statement)
    engine = db.create_engine(service_url("kit_test"), pool_size=1)
    try:
        async with engine.connect() as connection:
            expected = (await connection.execute(statement, {"code": "75056"})).mappings().one()
            found = await lookup.one_or_none(connection, code="75056")
            assert found == dict(expected) == {"name": "Paris", "as_json": {"code": "75056"}, "constant": 7}
            assert await lookup.one_or_none(connection, code="00000") is None
    finally:
        await engine.dispose()
    with pytest.raises(ValueError, match="parameters"):  # values rendered into the SQL at execution
        db.Lookup(select(commune.c.name).where(commune.c.code.in_(["75056", "69123"])))


def test_the_embedded_servers_buffers_are_half_the_memory_of_the_machine_or_of_its_container(tmp_path):
    machine = memory_available(limits=())
    unlimited, limited, absent = tmp_path / "memory.max", tmp_path / "memory.limit_in_bytes", tmp_path / "none"
    unlimited.write_text("max\n")
    assert memory_available(limits=(unlimited, absent)) == machine
    limited.write_text(f"{4 << 30}\n")
    assert memory_available(limits=(unlimited, limited)) == min(machine, 4 << 30)
    assert shared_buffers(4 << 30) == "2048MB"
    assert shared_buffers(512 << 20) == "512MB"  # the floor

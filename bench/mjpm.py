"""mjpm at national scale: 10,000 managers, 1 million measures (synthetic, written with COPY).

Measures, in the service (ASGI, real tokens, real PostgreSQL), over many iterations:
- match: GET /v1/managers/match for random communes (target p95 ≤ 50 ms);
- reservation under concurrency: POST /v1/measures:reserve by concurrent judges, spread over
  managers and all on one manager (its row lock), target p95 ≤ 20 ms;
- availability report by département (target ≤ 200 ms).

    .venv/bin/python bench/mjpm.py [--managers 10000] [--measures 1000000] [--fresh]

The data lives in its own database (fabrique_bench_mjpm) and is reused between runs of the
same size.
"""

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCH_DATABASE = "fabrique_bench_mjpm"


def database_url() -> str:
    from shared.database import admin_url

    return admin_url(BENCH_DATABASE).render_as_string(hide_password=False)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def line(name: str, values: list[float], target_ms: float | None = None) -> str:
    p50, p95 = percentile(values, 50), percentile(values, 95)
    ratio = f"  p95/target {p95 / target_ms:.2f}" if target_ms else ""
    return f"{name:<62} n={len(values):<5} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  max {max(values):7.2f} ms{ratio}"


async def prepare(managers: int, measures: int, fresh: bool) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import AsyncSession

    from services.mjpm.seed import populate
    from shared.bootstrap import prepare_database
    from shared.components import by_name
    from shared.database import service_url
    from shared.db import create_engine

    await prepare_database([by_name("mjpm")], create=True)
    engine = create_engine(service_url("mjpm"), pool_size=2)
    try:
        async with AsyncSession(engine) as session:
            have = (await session.execute(text("SELECT (SELECT count(*) FROM managers), "
                                               "(SELECT count(*) FROM measures WHERE rg NOT LIKE 'B%')"))).one()
        if not fresh and tuple(have) == (managers, measures):
            print(f"reusing {managers:,} managers and {measures:,} measures in {BENCH_DATABASE}")
            return
        started = time.perf_counter()
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(text(
                "TRUNCATE courts, managers, antennas, approvals, preferred_courts, memberships, measures, "
                "measure_states, resources, idempotency_keys RESTART IDENTITY CASCADE"))
            departements = list((await session.execute(text(
                "SELECT code FROM ref.departements WHERE zone = 'metro' ORDER BY code"))).scalars())
            await populate(session, managers=managers, measures=measures, departements=departements,
                           courts_per_departement=2)
        elapsed = time.perf_counter() - started
        print(f"generated {managers:,} managers and {measures:,} measures with COPY in {elapsed:.1f} s "
              f"({measures / elapsed:,.0f} measures/s, counters and states included)")
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("managers", "measures", "measure_states", "approvals", "antennas"):
                await conn.execute(text(f"VACUUM ANALYZE {table}"))
    finally:
        await engine.dispose()


async def run(args) -> None:
    import httpx
    from sqlalchemy import text

    from services.mjpm.app import create_app
    from shared.auth import KeySet, SigningKey, access_token_claims
    from shared.database import service_url
    from shared.db import create_engine, sessionmaker_for

    await prepare(args.managers, args.measures, args.fresh)

    engine = create_engine(service_url("mjpm"), pool_size=args.concurrency + 2)
    sessionmaker = sessionmaker_for(engine)
    key = SigningKey.generate("bench")
    app = create_app()
    app.state.sessionmaker, app.state.keyset = sessionmaker, KeySet([key.public_jwk()])
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mjpm")
    rng = random.Random(7)

    signed: dict[str, dict[str, str]] = {}

    def headers(sub: str, roles: list[str], scopes=("mjpm:read", "mjpm:write")) -> dict[str, str]:
        # Signed once per caller: RSA signing in the measuring loop would be counted as service time.
        if sub not in signed:
            token = key.sign(access_token_claims(sub, scopes=list(scopes), roles=roles, minutes=60))
            signed[sub] = {"Authorization": f"Bearer {token}"}
        return signed[sub]

    async with sessionmaker() as session, session.begin():
        courts = (await session.execute(text("SELECT id, departement FROM courts ORDER BY id"))).all()
        await session.execute(text("DELETE FROM memberships WHERE sub LIKE 'bench-%'"))
        await session.execute(text("DELETE FROM measures WHERE rg LIKE 'B%'"))  # a previous run's reservations
        await session.execute(text("INSERT INTO memberships (sub, court_id) SELECT 'bench-judge-' || id, id "
                                   "FROM courts"))
        communes = (await session.execute(text(
            "SELECT c.code, c.departement FROM ref.communes c WHERE c.departement IN "
            "(SELECT DISTINCT departement FROM managers) AND c.latitude IS NOT NULL"))).all()
        approved = list((await session.execute(text(
            "SELECT id FROM managers WHERE registry_status = 'approved' AND NOT suspended"))).scalars())
        figures = (await session.execute(text(
            "SELECT count(*), avg(n) FROM (SELECT departement, count(*) AS n FROM approvals GROUP BY 1) d"))).one()
    court_of = {}
    for court_id, departement in courts:
        court_of.setdefault(departement, court_id)
    print(f"{len(approved):,} approved managers; {figures[1]:.0f} on each of {figures[0]} départements' lists")

    async def timed(call) -> tuple[float, httpx.Response]:
        started = time.perf_counter()
        response = await call
        return (time.perf_counter() - started) * 1000, response

    # Warm-up: connections, plans, caches.
    for code, departement in rng.sample(communes, 30):
        await client.get("/v1/managers/match", params={"commune": code},
                         headers=headers(f"bench-judge-{court_of[departement]}", ["mjpm:judge"]))

    match_ms = []
    for _ in range(args.iterations if "match" in args.parts else 0):
        code, departement = rng.choice(communes)
        ms, response = await timed(client.get(
            "/v1/managers/match", params={"commune": code, "excluded": "true"},
            headers=headers(f"bench-judge-{court_of[departement]}", ["mjpm:judge"])))
        assert response.status_code == 200, response.text
        match_ms.append(ms)
    if match_ms:
        print(line("match (commune, excluded listed)", match_ms, 50))

    point_ms = []
    for _ in range(args.iterations // 2 if "match" in args.parts else 0):
        code, departement = rng.choice(communes)
        lat, lon = 43 + rng.random() * 7, -1 + rng.random() * 8
        ms, response = await timed(client.get(
            "/v1/managers/match", params={"lat": lat, "lon": lon},
            headers=headers(f"bench-judge-{court_of[departement]}", ["mjpm:judge"])))
        assert response.status_code in (200, 422), response.text
        point_ms.append(ms)
    if point_ms:
        print(line("match (lat/lon)", point_ms, 50))

    counter = iter(range(10**9))

    async def reserve(judge: str, manager_id: int) -> tuple[float, int]:
        n = next(counter)
        ms, response = await timed(client.post("/v1/measures:reserve", headers=headers(judge, ["mjpm:judge"]), json={
            "rg": f"B{n:07d}", "manager_id": manager_id, "nature": "tutelle",
            "override_reason": "bench: beyond capacity allowed"}))
        return ms, response.status_code

    async def worker(judge: str, managers: list[int], count: int, out: list[float], codes: list[int]):
        for _ in range(count):
            ms, code = await reserve(judge, rng.choice(managers))
            out.append(ms)
            codes.append(code)

    # One process, one event loop (as one uvicorn worker): under concurrency c a request waits for
    # the CPU of the c - 1 others, so p95 grows with c; concurrency 1 is the service time itself.
    runs = [(f"x{c} concurrent, spread over managers", approved, c) for c in args.concurrency_levels]
    runs.append((f"x{args.concurrency} concurrent, all on one manager (row lock)", approved[:1], args.concurrency))
    if "reserve" in args.parts:  # warm-up: plans and prepared statements of the reservation path
        for _ in range(20):
            await reserve(f"bench-judge-{courts[0][0]}", rng.choice(approved))
    for label, managers, concurrency in runs if "reserve" in args.parts else []:
        out, codes = [], []
        per_worker = max(1, args.reservations // concurrency)
        judges = [f"bench-judge-{courts[i % len(courts)][0]}" for i in range(concurrency)]
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker(j, managers, per_worker, out, codes) for j in judges))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert set(codes) <= {201, 409}, set(codes)
        # CPU of this process (service and in-process client) per request: what load elsewhere does not change.
        print(line(f"reserve {label}", out, 20) + f"  {len(out) / elapsed:,.0f}/s, {codes.count(201)} created, "
              f"CPU {cpu * 1000 / len(out):.2f} ms/request")

    admin = headers("bench-admin", ["mjpm:admin"])
    for label, params in () if "reports" not in args.parts else (("availability by département (national)", {}),
                          ("availability by région (national)", {"by": "region"}),
                          ("availability of one département", {"departement": "59"})):
        times = []
        for _ in range(args.report_iterations):
            ms, response = await timed(client.get("/v1/reports/availability", params=params, headers=admin))
            assert response.status_code == 200, response.text
            times.append(ms)
        print(line(label, times, 200))

    flow = []
    for _ in range(max(3, args.report_iterations // 5) if "reports" in args.parts else 0):
        ms, response = await timed(client.get("/v1/reports/measures", params={
            "from": "2024-01-01", "to": "2024-12-31", "group_by": ["departement", "nature"]}, headers=admin))
        assert response.status_code == 200
        flow.append(ms)
    if flow:
        print(line("measures opened/closed in a year (full scan)", flow))

    await client.aclose()
    await engine.dispose()
    if match_ms:
        print(f"median of the match p50s: {statistics.median(match_ms):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--managers", type=int, default=10_000)
    parser.add_argument("--measures", type=int, default=1_000_000)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--reservations", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--concurrency-levels", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--report-iterations", type=int, default=30)
    parser.add_argument("--fresh", action="store_true", help="regenerate the data")
    parser.add_argument("--parts", nargs="+", choices=["match", "reserve", "reports"],
                        default=["match", "reserve", "reports"], help="what to measure (default: all)")
    args = parser.parse_args()
    os.environ.setdefault("FABRIQUE_LOG_LEVEL", "WARNING")
    os.environ[INTERVAL] = "0"
    url = database_url()
    os.environ["FABRIQUE_DATABASE_URL"] = url
    from shared.settings import get_settings

    get_settings.cache_clear()
    asyncio.run(run(args))


INTERVAL = "FABRIQUE_MJPM_JOBS_INTERVAL_S"

if __name__ == "__main__":
    main()

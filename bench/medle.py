"""Medlé at national scale: 1 million acts (4 years of 47 hospitals).

Measures, through the real app (ASGI, tokens, JSON), on its own database `fabrique_bench`:
- list and filter requests: p50/p95 per query and overall (spec: p95 ≤ 50 ms);
- the national yearly report, every table at once (spec: ≤ 300 ms);
- the CSV export of 250,000 acts: time and peak memory growth (spec: ≤ 10 s, flat memory).

    .venv/bin/python bench/medle.py [--size 1000000] [--iterations 200] [--fresh]

The data is kept between runs (reloaded with --fresh or when the size differs).
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("FABRIQUE_LOG_LEVEL", "WARNING")  # one access log line per request would be measured too

DATABASE = "fabrique_bench"
TARGETS = {"list p95 (ms)": 50.0, "national yearly report p95 (ms)": 300.0, "CSV export of 250,000 acts (s)": 10.0}


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakRss:
    """Samples the resident memory every 20 ms while a block runs."""

    def __enter__(self):
        self.start = self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()


async def prepare(size: int, fresh: bool) -> None:
    from shared.bootstrap import prepare_database
    from shared.components import by_name
    from shared.database import admin_url, asyncpg_dsn, create_database
    from shared.settings import get_settings

    url = admin_url(DATABASE)  # starts (or attaches to) the embedded server
    await create_database(DATABASE)
    os.environ["FABRIQUE_DATABASE_URL"] = url.render_as_string(hide_password=False)
    get_settings.cache_clear()
    await prepare_database([by_name("medle")], create=False)

    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        count = await conn.fetchval("SELECT count(*) FROM medle.acts")
        if count == size and not fresh:
            print(f"reusing {count:,} acts in {DATABASE}")
            return
        await load(conn, size)
    finally:
        await conn.close()


async def load(conn, size: int) -> None:
    from services.medle.domain.activity import ANCHOR_WEIGHTING
    from services.medle.schemas import WeightingTableIn
    from services.medle.seed import ACT_COLUMNS, ASKER_KINDS, HOSPITALS, SeededHospital, finess_of, generate_acts

    started = time.perf_counter()
    await conn.execute("SET session_replication_role = replica")  # the append-only audit log may be emptied
    await conn.execute("TRUNCATE medle.acts, medle.askers, medle.hospitals, medle.staffing, medle.tariffs, "
                       "medle.weighting_versions, medle.audit_log, medle.hospital_members, medle.supervisor_regions "
                       "RESTART IDENTITY CASCADE")
    await conn.execute("SET session_replication_role = origin")
    # 47 hospitals: the demo dozen, and the chief towns of 35 other départements.
    demo = {h.commune: h for h in HOSPITALS}
    towns = await conn.fetch(
        "SELECT c.code, c.name, c.departement, c.region FROM ref.departements d JOIN ref.communes c "
        "ON c.code = d.chef_lieu WHERE d.code NOT IN ('75', '971', '972', '973', '974', '976') ORDER BY d.code")
    rng = random.Random(47)
    chosen = [t for t in towns if t["code"] in demo] + rng.sample(
        [t for t in towns if t["code"] not in demo], 47 - len(demo))
    paris = await conn.fetchrow("SELECT code, name, departement, region FROM ref.communes WHERE code = '75056'")
    guadeloupe = await conn.fetchrow("SELECT code, name, departement, region FROM ref.communes WHERE code = '97120'")
    chosen = [paris, guadeloupe, *[t for t in chosen if t["code"] not in ("75056", "97120")]][:47]
    hospitals = []
    for n, town in enumerate(chosen):
        known = demo.get(town["code"])
        prefix = known.finess_prefix if known else f"{town['departement'][:2]}{780000 + n:06d}"
        post_mortem = known.can_do_post_mortem if known else n % 2 == 0
        hospital_id = await conn.fetchval(
            "INSERT INTO medle.hospitals (finess, name, commune, departement, region, kind, can_do_post_mortem, "
            "version) VALUES ($1, $2, $3, $4, $5, $6, $7, 1) RETURNING id",
            finess_of(prefix), known.name if known else f"CH de {town['name']} — UMJ", town["code"],
            town["departement"], town["region"], "umj_iml" if post_mortem else "umj", post_mortem)
        hospitals.append(SeededHospital(hospital_id, finess_of(prefix), town["departement"], post_mortem,
                                        known.activity if known else rng.randint(2, 6)))
    askers: dict[str, list[int]] = {}
    for town, hospital in zip(chosen, hospitals, strict=True):
        for kind, name, _ in ASKER_KINDS:
            askers.setdefault(hospital.departement, []).append(await conn.fetchval(
                "INSERT INTO medle.askers (name, type, departement, version) VALUES ($1, $2, $3, 1) RETURNING id",
                name.format(city=town["name"], dep=hospital.departement), kind.value, hospital.departement))
    await conn.execute("INSERT INTO medle.weighting_versions (\"table\", created_by) VALUES ($1, 'bench')",
                       WeightingTableIn.from_domain(ANCHOR_WEIGHTING).model_dump_json())
    today = dt.date.today()
    start = dt.date(today.year - 4, today.month, 1)
    # Bulk load: secondary indexes are built once at the end, not maintained row by row.
    indexes = await conn.fetch("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'medle' "
                               "AND tablename = 'acts' AND indexname <> 'pk_acts'")
    for index in indexes:
        await conn.execute(f"DROP INDEX medle.{index['indexname']}")
    batch, loaded = [], 0
    for record in generate_acts(hospitals, askers, size, start, today - dt.timedelta(days=1), check=False):
        batch.append(record)
        if len(batch) == 50_000:
            await conn.copy_records_to_table("acts", schema_name="medle", columns=ACT_COLUMNS, records=batch)
            loaded += len(batch)
            batch = []
            print(f"\r  loaded {loaded:,} acts ({time.perf_counter() - started:.0f} s)", end="", flush=True)
    if batch:
        await conn.copy_records_to_table("acts", schema_name="medle", columns=ACT_COLUMNS, records=batch)
    print(f"\r  loaded {size:,} acts in {time.perf_counter() - started:.0f} s; building indexes", flush=True)
    await conn.execute("SET maintenance_work_mem = '256MB'")
    for index in indexes:
        await conn.execute(index["indexdef"])
    await conn.execute("VACUUM ANALYZE medle.acts")
    await conn.execute(
        "INSERT INTO medle.staffing (hospital_id, month, doctors, secretaries, nurses, executives, auditorium_agents, "
        "others, updated_by, version) SELECT h.id, m::date, 4, 2, 1, 0.5, 1, 0.2, 'bench', 1 FROM medle.hospitals h, "
        "generate_series($1::date, $2::date, interval '1 month') m", start, today.replace(day=1))
    await conn.execute("INSERT INTO medle.hospital_members (hospital_id, sub, role, added_by) "
                       "SELECT id, 'bench-operator-' || id, 'operator', 'bench' FROM medle.hospitals")
    print(f"  ready in {time.perf_counter() - started:.0f} s")


async def call(app, path: str, params: dict, headers: dict, method: str = "GET", body: bytes = b""
               ) -> tuple[int, bytes]:
    answer = bytearray()
    status, _, _ = await stream(app, path, params, headers, answer, method, body)
    return status, bytes(answer)


async def stream(app, path: str, params: dict, headers: dict, keep: bytearray | None = None, method: str = "GET",
                 body: bytes = b"") -> tuple[int, int, int]:
    """A request through the ASGI interface, the answer read as it is sent: (status, bytes, lines)."""
    from urllib.parse import urlencode

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": urlencode(params, doseq=True).encode(),
             "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 1), "server": ("bench", 80)}
    sent = {"status": 0, "bytes": 0, "lines": 0}
    requested = False

    async def receive():
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never leaves

    async def send(message):
        if message["type"] == "http.response.start":
            sent["status"] = message["status"]
        elif message["type"] == "http.response.body":
            if keep is not None:
                keep.extend(message.get("body", b""))
            sent["bytes"] += len(message.get("body", b""))
            sent["lines"] += message.get("body", b"").count(b"\n")

    await app(scope, receive, send)
    return sent["status"], sent["bytes"], sent["lines"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure(iterations: int) -> dict[str, float]:
    from sqlalchemy import text

    from services.medle.app import create_app
    from shared.auth import KeySet, SigningKey, access_token_claims
    from shared.database import service_url
    from shared.db import create_engine, sessionmaker_for

    key = SigningKey.generate("bench")
    app = create_app()
    engine = create_engine(service_url("medle", DATABASE))
    app.state.sessionmaker = sessionmaker_for(engine)
    app.state.keyset = KeySet([key.public_jwk()])

    def headers(sub, scopes, roles):
        token = key.sign(access_token_claims(sub, scopes=scopes, roles=roles, minutes=120))
        return {"Authorization": f"Bearer {token}"}

    async with engine.connect() as conn:
        hospital_id = await conn.scalar(text("SELECT hospital_id FROM acts GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"))
        own = await conn.scalar(text("SELECT count(*) FROM acts WHERE hospital_id = :h"), {"h": hospital_id})
        sample = (await conn.execute(text(
            "SELECT pv_number, asker_id, internal_number FROM acts WHERE hospital_id = :h AND pv_number IS NOT NULL "
            "ORDER BY id DESC LIMIT 1 OFFSET :o"), {"h": hospital_id, "o": own // 10})).one()
        total = await conn.scalar(text("SELECT count(*) FROM acts"))
        last_year = (await conn.execute(text(
            "SELECT date_part('year', max(examined_on))::int - 1 FROM acts"))).scalar()
    operator = headers(f"bench-operator-{hospital_id}", ["medle:read", "medle:write"], ["medle:operator"])
    admin = headers("bench-admin", ["medle:read", "medle:write"], ["medle:admin"])
    ministry = headers("bench-ministry", ["medle:report"], ["medle:report"])
    month_from = dt.date(last_year, 6, 1)

    # Requests go straight to the ASGI app (middleware, token, database, JSON: the service's own
    # time); httpx's in-process transport would add ~20 ms of client work to every figure.
    async def get(url, params, who):
        status, body = await call(app, url, params, who)
        assert status == 200, body[:300]
        return json.loads(body)

    first_page = await get("/v1/acts", {}, operator)
    queries = {
        "own hospital, first page": ("/v1/acts", {}, operator),
        "own hospital, next page": ("/v1/acts", {"cursor": first_page["next_cursor"]}, operator),
        "own hospital, one month": ("/v1/acts", {"from": month_from.isoformat(),
                                                 "to": (month_from + dt.timedelta(days=29)).isoformat()},
                                    operator),
        "own hospital, profile + act type": ("/v1/acts", {"profile": "personne_decedee",
                                                          "act_type": "autopsie"}, operator),
        "own hospital, PV number": ("/v1/acts", {"pv_number": sample.pv_number}, operator),
        "own hospital, internal number": ("/v1/acts", {"internal_number": sample.internal_number}, operator),
        "own hospital, free text": ("/v1/acts", {"q": sample.pv_number.split("/")[-1]}, operator),
        "national, asker": ("/v1/acts", {"asker_id": sample.asker_id}, admin),
        "national, profile": ("/v1/acts", {"profile": "autre:ipm"}, admin),
        "national, two hospitals + period": ("/v1/acts", {"hospital_id": [hospital_id, hospital_id + 1],
                                                          "from": f"{last_year}-03-01",
                                                          "to": f"{last_year}-03-31"}, admin),
    }
    print(f"\n{total:,} acts; list and filter, {iterations} requests each (limit 50):")
    every = []
    for name, (url, params, who) in queries.items():
        for _ in range(3):
            await get(url, params, who)
        timings = []
        for _ in range(iterations):
            started = time.perf_counter()
            page = await get(url, params, who)
            timings.append((time.perf_counter() - started) * 1000)
        every += timings
        print(f"  {name:<36} p50 {percentile(timings, 50):6.1f} ms   p95 {percentile(timings, 95):6.1f} ms"
              f"   ({len(page['items'])} items)")
    figures = {"list p95 (ms)": percentile(every, 95)}
    print(f"  {'all list requests':<36} p50 {percentile(every, 50):6.1f} ms   "
          f"p95 {figures['list p95 (ms)']:6.1f} ms")

    params = {"from": f"{last_year}-01-01", "to": f"{last_year}-12-31"}
    await get("/v1/reports/activity", params, ministry)
    timings = []
    for _ in range(max(20, iterations // 5)):
        started = time.perf_counter()
        report = await get("/v1/reports/activity", params, ministry)
        timings.append((time.perf_counter() - started) * 1000)
    acts_in_year = sum(row["acts"] or 0 for row in report["tables"]["monthly"])
    figures["national yearly report p95 (ms)"] = percentile(timings, 95)
    print(f"\nnational yearly report ({last_year}, {acts_in_year:,} acts, every table, small cells hidden): "
          f"p50 {percentile(timings, 50):.0f} ms, p95 {percentile(timings, 95):.0f} ms")

    # An export of 250,000 acts: the most recent ones, by period.
    async with engine.connect() as conn:
        since = await conn.scalar(text(
            "SELECT coalesce((SELECT examined_on FROM acts ORDER BY examined_at DESC OFFSET 249999 LIMIT 1), "
            "min(examined_on)) FROM acts"))
        matching = await conn.scalar(text("SELECT count(*) FROM acts WHERE examined_on >= :d"), {"d": since})
    # Straight to the ASGI app: httpx's ASGI transport would buffer the whole body.
    with PeakRss() as memory:
        started = time.perf_counter()
        status, size, rows = await stream(app, "/v1/acts:export", {"format": "csv", "from": since.isoformat()},
                                          admin)
        elapsed = time.perf_counter() - started
    assert status == 200, status
    figures["CSV export of 250,000 acts (s)"] = elapsed
    print(f"\nCSV export of {rows - 1:,} acts ({matching:,} matching, {size / 2**20:.0f} MB): {elapsed:.1f} s, "
          f"{(rows - 1) / elapsed:,.0f} rows/s; resident memory {memory.start:.0f} MB → peak {memory.peak:.0f} MB "
          f"(+{memory.peak - memory.start:.0f} MB)")

    # Not a spec figure: a new weighting table (custody examinations take a minute more) weighs
    # every act again, in one transaction; the acts whose weight changes are rewritten.
    table = (await get("/v1/weighting", {}, admin))
    for weighting in table["weightings"]:
        if weighting["profile"] == "garde_a_vue":
            weighting["minutes"] = str(Decimal(weighting["minutes"]) + 1)
    body = json.dumps({k: table[k] for k in ("weightings", "several_natures_factor", "minutes_per_examination",
                                             "minutes_per_day")}).encode()
    started = time.perf_counter()
    status, answer = await call(app, "/v1/weighting", {}, admin | {"content-type": "application/json"}, "PUT", body)
    assert status == 200, answer[:300]
    changed = json.loads(answer)["reweighed_acts"]
    print(f"\nweighting table replaced: {changed:,} acts of {total:,} took a new weight in "
          f"{time.perf_counter() - started:.1f} s")
    await engine.dispose()
    return figures


async def main() -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--fresh", action="store_true", help="reload the acts even if the size matches")
    args = parser.parse_args()
    await prepare(args.size, args.fresh)
    figures = await measure(args.iterations)
    print("\nfigure / spec target (ratio ≤ 1 meets the spec):")
    for name, value in figures.items():
        print(f"  {name:<34} {value:8.1f} / {TARGETS[name]:6.1f}   ratio {value / TARGETS[name]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())

"""fce at national scale: generate a synthetic SIRENE stock, import it, then search it.

    .venv/bin/python bench/fce_search.py --establishments 1000000 [--iterations 200] [--reuse]
                                         [--slowest 3] [--only lookup] [--import-only]

1. Generates the three stock files in INSEE's format (all cores) into .data/bench/fce/<N>/, or
   reuses them when they are there.
2. Imports them with the service's import (COPY, checks in SQL, indexes, swap) into its own
   database (fabrique_bench_fce_<N>, one per size), then the same stock one and two months later
   (made from it, into <N>/next-month/ and <N>/month-3/), which go in as changes; prints each
   step's time and the rows/s of each, the target being >= 100,000 establishment rows/s end to end
   (fce.md; the rows/s of all three files are printed too) (--reuse skips the imports when the
   registry has about N establishments; --import-only stops after them).
3. Runs a fixed mix of requests through the service (ASGI app, real tokens, real PostgreSQL),
   each kind many times with values drawn from the registry, and prints p50/p95 per kind with
   the ratio to its target: lookups (GET by SIRET/SIREN) p95 <= 5 ms, searches p95 <= 50 ms; as
   the in-process client sees them, and in the service alone (its own latency, without httpx's);
   --slowest N also prints each kind's N slowest requests (what to EXPLAIN next), --only a
   substring of the kinds to run. How fast the machine ran Python is printed before and after
   (shared machines vary by half from one hour to the next, and the lookups with them).

Nothing depends on N: at 11 million the files are streamed, the import is the same COPY, and
the values of the query mix are drawn through the SIRET index, never read in full.
"""

import argparse
import asyncio
import logging
import os
import random
import sys
import time
import timeit
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("FABRIQUE_LOG_LEVEL", "WARNING")  # one access log line per request would be measured too



def bench_database(establishments: int) -> str:
    """One database per size, so that --reuse keeps the 1 M and the 11 M registries side by side."""
    return f"fabrique_bench_fce_{establishments}"


IMPORT_TARGET = 100_000  # establishment rows/s, end to end
LOOKUP_TARGET_MS = 5.0
SEARCH_TARGET_MS = 50.0
NAME_PAGES_WORDS = 8


def machine_load() -> str:
    return f"load average {' '.join(f'{n:.2f}' for n in os.getloadavg())} on {os.cpu_count()} cores"


def python_pace() -> str:
    """How fast this shared machine runs Python at the moment, to read the latencies by: from one
    hour to the next it varies by half, and the lookups (Python-bound) with it."""
    best = min(timeit.repeat("sum(range(100_000))", number=20, repeat=5)) / 20 * 1000
    return f"Python pace: sum(range(100_000)) in {best:.2f} ms (best of 5); {machine_load()}"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def line(name: str, values: list[float], target_ms: float, served: list[float] | None = None) -> str:
    """p50/p95 as the client sees them; with `served`, also p95 in the service alone (from the
    request entering the ASGI app to its last byte leaving), without the in-process client's cost."""
    p50, p95 = percentile(values, 50), percentile(values, 95)
    text = (f"{name:<34} n={len(values):<5} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  max {max(values):8.2f} ms"
            f"  p95/target {p95 / target_ms:5.2f}")
    if served:
        alone = percentile(served, 95)
        text += f"  | in the service: p95 {alone:6.2f} ms, /target {alone / target_ms:5.2f}"
    return text


class Served:
    """The ASGI app, timed on the server side: what a service's own latency histogram records."""

    def __init__(self, app):
        self.app = app
        self.durations: list[float] = []

    async def __call__(self, scope, receive, send):
        started = time.perf_counter()
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.durations.append((time.perf_counter() - started) * 1000)


def generate(establishments: int, directory: Path):
    from services.fce.cli import generate_files
    from services.fce.domain.generator import GeneratedFiles
    from services.fce.domain.sirene import COMPANIES_FILE, ESTABLISHMENTS_FILE, SUCCESSIONS_FILE

    done = directory / "complete"
    paths = directory / COMPANIES_FILE, directory / ESTABLISHMENTS_FILE, directory / SUCCESSIONS_FILE
    if done.exists():
        print(f"reusing the files of {directory}")
        return GeneratedFiles(*paths, 0, establishments, 0)
    started = time.perf_counter()
    files = generate_files(directory, establishments, seed=2026, workers=os.cpu_count())
    elapsed = time.perf_counter() - started
    done.write_text("ok")
    size = sum(p.stat().st_size for p in paths) / 1e6
    print(f"generated {files.company_count:,} companies, {files.establishment_count:,} establishments, "
          f"{files.succession_count:,} successions ({size:,.0f} MB) in {elapsed:.1f} s "
          f"({establishments / elapsed:,.0f} establishments/s)")
    return files


def generate_next_month(files, directory: Path):
    from services.fce.cli import generate_next_month as next_month
    from services.fce.domain.generator import GeneratedFiles
    from services.fce.domain.sirene import COMPANIES_FILE, ESTABLISHMENTS_FILE, SUCCESSIONS_FILE

    done = directory / "complete"
    if done.exists():
        return GeneratedFiles(directory / COMPANIES_FILE, directory / ESTABLISHMENTS_FILE,
                              directory / SUCCESSIONS_FILE, 0, 0, 0)
    started = time.perf_counter()
    month = next_month(files, directory)
    done.write_text("ok")
    print(f"generated the next month's files in {time.perf_counter() - started:.1f} s")
    return month


async def load(files, months, establishments: int, reuse: bool) -> None:
    """The imports as an operator runs them: a rebuild from the stock files, then the next months'
    files, which go in as changes (only their changed lines reach the database). The first month
    after a rebuild finds the registry's pages out of memory (a rebuild writes through a small
    ring of buffers); the month after finds them as a registry in service has them."""
    import asyncpg

    from shared.database import asyncpg_dsn, service_url

    conn = await asyncpg.connect(asyncpg_dsn(service_url("fce")))
    try:
        have = await conn.fetchval("SELECT count(*) FROM fce.establishments")
        if reuse and abs(have - establishments) <= establishments // 20:
            print(f"reusing the registry of {have:,} establishments in {bench_database(establishments)}")
            return
        rebuilt = await timed_import(conn, files, "the stock files (a rebuild)", rebuild=True)
        monthly = [await timed_import(conn, month, f"month {number}'s files (as changes)", rebuild=False)
                   for number, month in enumerate(months, start=2)]
        print(f"import ratios to the target ({IMPORT_TARGET:,} establishment rows/s): rebuild {rebuilt:.2f}; "
              "a month's changes "
              + ", ".join(f"{ratio:.2f} (month {number})" for number, ratio in enumerate(monthly, start=2)))
    finally:
        await conn.close()


async def timed_import(conn, files, what: str, rebuild: bool) -> float:
    """Import, print each step's time and rows/s; the ratio to the target."""
    from services.fce.repository.imports import import_stock

    steps: list[tuple[str, float]] = []

    def progress(step: str, done, total) -> None:
        if not steps or steps[-1][0] != step:
            steps.append((step, time.perf_counter()))

    print(f"importing {what}")
    summary = await import_stock(conn, companies=files.companies, establishments=files.establishments,
                                 successions=files.successions, actor="bench", progress=progress, rebuild=rebuild)
    finished = time.perf_counter()
    for (step, at), (_, next_at) in zip(steps, [*steps[1:], ("end", finished)], strict=True):
        print(f"  {step:<48} {next_at - at:7.1f} s")
    rows = {d.dataset: d.rows_read for d in summary.datasets}
    changed = {d.dataset: (d.inserted, d.updated, d.removed, d.rejected) for d in summary.datasets}
    establishments_per_second = rows["establishments"] / summary.seconds
    ratio = establishments_per_second / IMPORT_TARGET
    print(f"imported {rows} ({summary.datasets[0].method}; inserted, updated, removed, rejected: {changed}) "
          f"in {summary.seconds:.1f} s: {establishments_per_second:,.0f} establishment rows/s end to end "
          f"({summary.rows_per_second():,.0f} rows/s of all files); target {IMPORT_TARGET:,} establishment "
          f"rows/s: ratio {ratio:.2f}; {machine_load()}")
    started = time.perf_counter()
    for table in ("companies", "establishments", "successions", "name_words"):
        await conn.execute(f"VACUUM fce.{table}")
    print(f"vacuumed in {time.perf_counter() - started:.1f} s (after the import, not counted)")
    return ratio


def spaced(siret: str) -> str:
    """As people paste it: 123 456 789 00012."""
    return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip (a letter dropped, doubled or swapped) and no accents."""
    word = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower()
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 2)
    return rng.choice([word[:i] + word[i + 1:], word[:i] + word[i] + word[i:],
                       word[:i] + word[i + 1] + word[i] + word[i + 2:]])


async def sample(session, rng: random.Random, n: int) -> dict[str, list]:
    from sqlalchemy import text

    async def values(sql: str) -> list:
        return list((await session.execute(text(sql))).all())

    # The first establishment at or after random SIRETs: the same draw whatever the rows' storage
    # order (a TABLESAMPLE draws pages), so that runs before and after a change compare.
    starts = ",".join(f"'{rng.randrange(10**14):014d}'" for _ in range(n * 4))
    establishments = await values(
        "SELECT e.siret, e.siren, e.company_name, e.departement, e.naf_section "
        f"FROM unnest(ARRAY[{starts}]::text[]) AS start(siret) CROSS JOIN LATERAL ("
        "SELECT * FROM fce.establishments e WHERE e.siret >= start.siret AND e.company_name IS NOT NULL "
        "ORDER BY e.siret LIMIT 1) e")
    rng.shuffle(establishments)
    names = [r.company_name for r in establishments if len(r.company_name) >= 8][:n]
    words = [w for name in names for w in name.split() if len(w) >= 6 and w.isalpha()]
    regions = [r[0] for r in await values("SELECT code FROM ref.regions WHERE zone = 'metro'")]
    return {"establishments": establishments[:n], "names": names, "words": words, "regions": regions}


async def measure(iterations: int, slowest: int = 0, only: str | None = None) -> None:
    import httpx

    from services.fce.app import create_app
    from shared.auth import KeySet, SigningKey, access_token_claims
    from shared.database import service_url
    from shared.db import bind_app, create_engine

    logging.getLogger("httpx").setLevel(logging.WARNING)
    key = SigningKey.generate("bench")
    headers = {"Authorization": "Bearer " + key.sign(access_token_claims(
        "bench-agent", scopes=["fce:read"], roles=["fce:agent"], minutes=120))}
    engine = create_engine(service_url("fce"), pool_size=4)
    app = create_app()
    bind_app(app, engine)  # as the service's lifespan does
    app.state.keyset = KeySet([key.public_jwk()])
    rng = random.Random(7)
    async with app.state.sessionmaker() as session:
        drawn = await sample(session, rng, iterations)
    rows, names, words = drawn["establishments"], drawn["names"], drawn["words"]
    sections = "ABCDEFGHIJKLMNOPQRSTU"

    def pick(values):
        return values[rng.randrange(len(values))]

    kinds = {
        "lookup establishment by SIRET": (LOOKUP_TARGET_MS, lambda: (f"/v1/establishments/{pick(rows).siret}", {})),
        "lookup company by SIREN": (LOOKUP_TARGET_MS, lambda: (f"/v1/companies/{pick(rows).siren}", {})),
        "search q=SIRET (with spaces)": (SEARCH_TARGET_MS, lambda: (
            "/v1/establishments/search", {"q": spaced(pick(rows).siret)})),
        "search q=SIREN": (SEARCH_TARGET_MS, lambda: ("/v1/establishments/search", {"q": pick(rows).siren})),
        "search exact name": (SEARCH_TARGET_MS, lambda: ("/v1/establishments/search", {"q": pick(names)})),
        "search name prefix (as typed)": (SEARCH_TARGET_MS, lambda: (
            "/v1/establishments/search", {"q": (n := pick(names))[:rng.randint(4, min(9, len(n)))]})),
        "search typo, no accents": (SEARCH_TARGET_MS, lambda: (
            "/v1/establishments/search", {"q": " ".join(typo(w, rng) for w in rng.sample(words, 2))})),
        "search name + filters": (SEARCH_TARGET_MS, lambda: (
            "/v1/establishments/search", {"q": pick(words).lower(), "state": "A",
                                          "departement": pick(rows).departement or "75"})),
        "search filters only": (SEARCH_TARGET_MS, lambda: (
            "/v1/establishments/search", {"region": pick(drawn["regions"]), "naf_section": pick(sections),
                                          "state": "A", "headcount_band": ["11", "12", "21"]})),
        "search near (10 km)": (SEARCH_TARGET_MS, lambda: (
            "/v1/establishments/search", {"near": f"{rng.uniform(43.3, 49.5):.4f},{rng.uniform(-1.0, 7.0):.4f}",
                                          "state": "A"})),
        "search companies by name": (SEARCH_TARGET_MS, lambda: ("/v1/companies/search", {"q": pick(words).lower()})),
    }
    served = Served(app)
    # The app's lifespan, as when the service runs (it keeps the engine and keys given above).
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=served), base_url="http://bench") as client:
        for _ in range(20):  # warm the caches and the connection pool
            for _, make in kinds.values():
                path, params = make()
                await client.get(path, params=params, headers=headers)
        print(f"\n{python_pace()}")
        print(f"{iterations} requests per kind, in the service (ASGI, real tokens, PostgreSQL):")
        for name, (target, make) in kinds.items():
            if only and only not in name:
                continue
            timings, asked = [], []
            served.durations.clear()
            for _ in range(iterations):
                path, params = make()
                started = time.perf_counter()
                response = await client.get(path, params=params, headers=headers)
                timings.append((time.perf_counter() - started) * 1000)
                asked.append(params or path)
                assert response.status_code == 200, (path, params, response.text[:300])
            print(line(name, timings, target, served.durations))
            if slowest:  # what to EXPLAIN next
                for ms, what in sorted(zip(timings, asked, strict=True), key=lambda t: -t[0])[:slowest]:
                    print(f"{'':<36}{ms:7.1f} ms  {what}")

        if only:
            print(python_pace())
            await engine.dispose()
            return
        # Deep pages: follow the cursor of a broad search 100 pages deep, timing every page.
        timings, cursor, depth = [], None, 0
        params = {"state": "A", "limit": 50}
        while depth < 100:
            started = time.perf_counter()
            response = await client.get("/v1/establishments/search", params={**params, **(
                {"cursor": cursor} if cursor else {})}, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            cursor = response.json()["next_cursor"]
            depth += 1
            if not cursor:
                break
        print(line("search deep pages (1 to 100)", timings[1:], SEARCH_TARGET_MS))
        # Pages of one word, 30 deep, for several words: how a page is read depends on the word's
        # frequency (and on how many names start with it), so one word says little.
        timings, drawn_words = [], [pick(words).lower() for _ in range(NAME_PAGES_WORDS)]
        for word in drawn_words:
            cursor = None
            for _ in range(30):
                started = time.perf_counter()
                response = await client.get("/v1/establishments/search", params={"q": word, "limit": 50, **(
                    {"cursor": cursor} if cursor else {})}, headers=headers)
                timings.append((time.perf_counter() - started) * 1000)
                cursor = response.json()["next_cursor"]
                if not cursor:
                    break
        print(line(f"search name pages ({NAME_PAGES_WORDS} words, 30 deep)", timings, SEARCH_TARGET_MS))
        print(f"{'':<34} words: {', '.join(drawn_words)}")
        started = time.perf_counter()
        response = await client.get("/v1/establishments/search", params={
            "q": pick(words).lower(), "facets": "departement,naf_section,headcount_band"}, headers=headers)
        print(f"{'facets of a name search (once)':<34} {(time.perf_counter() - started) * 1000:7.1f} ms, "
              f"total {response.json()['total']:,}")
        print(python_pace())
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--establishments", type=int, default=1_000_000)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="keep the registry if it has about N establishments")
    parser.add_argument("--slowest", type=int, default=0, help="print the N slowest requests of each kind")
    parser.add_argument("--only", help="only the kinds whose name holds this (say 'lookup'), no pages nor facets")
    parser.add_argument("--import-only", action="store_true", help="stop after the import (no query mix)")
    args = parser.parse_args()

    from shared.database import admin_url, create_database
    from shared.settings import PROJECT_ROOT, get_settings

    database = bench_database(args.establishments)
    asyncio.run(create_database(database))
    os.environ["FABRIQUE_DATABASE_URL"] = admin_url(database).render_as_string(hide_password=False)
    get_settings.cache_clear()

    from shared.bootstrap import prepare_database
    from shared.components import by_name

    asyncio.run(prepare_database([by_name("fce")], create=False))
    directory = PROJECT_ROOT / ".data" / "bench" / "fce" / str(args.establishments)
    directory.mkdir(parents=True, exist_ok=True)
    files = generate(args.establishments, directory)
    month_2 = generate_next_month(files, directory / "next-month")
    month_3 = generate_next_month(month_2, directory / "month-3")
    asyncio.run(load(files, [month_2, month_3], args.establishments, args.reuse))
    if not args.import_only:
        asyncio.run(measure(args.iterations, args.slowest, args.only))


if __name__ == "__main__":
    main()

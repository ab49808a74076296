"""The `ref` schema: communes (with coordinates), départements, régions, EPCI and NAF rev. 2.

Loaded once by the administrator from the CSV files in `shared/referentials_data` (sources and
licences in SOURCES.md there); every service role can read it, none can write it.
"""

import csv
import functools
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

DATA_DIR = Path(__file__).parent / "referentials_data"
FILES = ("regions.csv", "departements.csv", "epci.csv", "communes.csv", "naf.csv")
EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius

# NAF rev. 2 sections by division (INSEE): the first two digits of any code.
NAF_SECTIONS = {
    "A": (1, 3), "B": (5, 9), "C": (10, 33), "D": (35, 35), "E": (36, 39), "F": (41, 43),
    "G": (45, 47), "H": (49, 53), "I": (55, 56), "J": (58, 63), "K": (64, 66), "L": (68, 68),
    "M": (69, 75), "N": (77, 82), "O": (84, 84), "P": (85, 85), "Q": (86, 88), "R": (90, 93),
    "S": (94, 96), "T": (97, 98), "U": (99, 99),
}
NAF_SECTION_LABELS = {
    "A": "Agriculture, sylviculture et pêche",
    "B": "Industries extractives",
    "C": "Industrie manufacturière",
    "D": "Production et distribution d'électricité, de gaz, de vapeur et d'air conditionné",
    "E": "Production et distribution d'eau ; assainissement, gestion des déchets et dépollution",
    "F": "Construction",
    "G": "Commerce ; réparation d'automobiles et de motocycles",
    "H": "Transports et entreposage",
    "I": "Hébergement et restauration",
    "J": "Information et communication",
    "K": "Activités financières et d'assurance",
    "L": "Activités immobilières",
    "M": "Activités spécialisées, scientifiques et techniques",
    "N": "Activités de services administratifs et de soutien",
    "O": "Administration publique",
    "P": "Enseignement",
    "Q": "Santé humaine et action sociale",
    "R": "Arts, spectacles et activités récréatives",
    "S": "Autres activités de services",
    "T": "Activités des ménages en tant qu'employeurs",
    "U": "Activités extra-territoriales",
}

DDL = """
CREATE TABLE IF NOT EXISTS ref.meta (name text PRIMARY KEY, checksum text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS ref.regions (code text PRIMARY KEY, name text NOT NULL, chef_lieu text, zone text NOT NULL);
CREATE TABLE IF NOT EXISTS ref.departements (code text PRIMARY KEY, name text NOT NULL,
    region text NOT NULL REFERENCES ref.regions, chef_lieu text, zone text NOT NULL);
CREATE TABLE IF NOT EXISTS ref.epci (code text PRIMARY KEY, name text NOT NULL, type text, population integer);
CREATE TABLE IF NOT EXISTS ref.communes (code text PRIMARY KEY, name text NOT NULL, kind text NOT NULL,
    departement text, region text, epci text, postcodes text[] NOT NULL, population integer,
    latitude double precision, longitude double precision);
CREATE INDEX IF NOT EXISTS communes_postcodes ON ref.communes USING gin (postcodes);
CREATE INDEX IF NOT EXISTS communes_departement ON ref.communes (departement);
CREATE INDEX IF NOT EXISTS communes_latitude ON ref.communes (latitude);  -- communes around a point (near=)
CREATE TABLE IF NOT EXISTS ref.naf (code text PRIMARY KEY, label text NOT NULL, level text NOT NULL,
    section text NOT NULL);
CREATE TABLE IF NOT EXISTS ref.naf_sections (code text PRIMARY KEY, label text NOT NULL);
"""


def naf_section(code: str) -> str | None:
    """Section letter of any NAF rev. 2 code ('62.01Z' → 'J'), None if the division is unknown."""
    try:
        division = int(code.replace(".", "")[:2])
    except ValueError:
        return None
    for section, (low, high) in NAF_SECTIONS.items():
        if low <= division <= high:
            return section
    return None


def naf_level(code: str) -> str:
    compact = code.replace(".", "")
    return {2: "division", 3: "group", 4: "class", 5: "subclass"}[len(compact)]


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance between two points, in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@functools.cache
def names(name: str) -> dict[str, str]:
    """Code → name (or label) of a referential shipped with the project: "regions.csv",
    "departements.csv" or "naf.csv" (every level of the NAF, from the section's division down)."""
    column = "label" if name == "naf.csv" else "name"
    return {row["code"]: row[column] for row in _rows(name)}


def _checksum() -> str:
    digest = hashlib.sha256()
    for name in FILES:
        digest.update((DATA_DIR / name).read_bytes())
    return digest.hexdigest()


def _none(value: str) -> str | None:
    return value or None


async def load(conn: asyncpg.Connection) -> bool:
    """Load the referentials if missing or changed; returns True when it (re)loaded them."""
    await conn.execute(DDL)
    checksum = _checksum()
    if await conn.fetchval("SELECT checksum FROM ref.meta WHERE name = 'referentials'") == checksum:
        return False
    async with conn.transaction():
        await conn.execute("TRUNCATE ref.communes, ref.epci, ref.departements, ref.regions, ref.naf, "
                           "ref.naf_sections CASCADE")
        tables = {
            "regions": [(r["code"], r["name"], _none(r["chef_lieu"]), r["zone"]) for r in _rows("regions.csv")],
            "departements": [(r["code"], r["name"], r["region"], _none(r["chef_lieu"]), r["zone"])
                             for r in _rows("departements.csv")],
            "epci": [(r["code"], r["name"], _none(r["type"]), int(r["population"]) if r["population"] else None)
                     for r in _rows("epci.csv")],
            "communes": [
                (r["code"], r["name"], r["kind"], _none(r["departement"]), _none(r["region"]), _none(r["epci"]),
                 r["postcodes"].split(), int(r["population"]) if r["population"] else None,
                 float(r["latitude"]) if r["latitude"] else None,
                 float(r["longitude"]) if r["longitude"] else None)
                for r in _rows("communes.csv")
            ],
            "naf": [(r["code"], r["label"], naf_level(r["code"]), naf_section(r["code"])) for r in _rows("naf.csv")],
            "naf_sections": list(NAF_SECTION_LABELS.items()),
        }
        for table, records in tables.items():
            await conn.copy_records_to_table(table, schema_name="ref", records=records)
        await conn.execute(
            "INSERT INTO ref.meta (name, checksum) VALUES ('referentials', $1) "
            "ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, loaded_at = now()",
            checksum,
        )
    return True


# Lookups every service can use (through its own session; `ref` is readable by every role).


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    departement: str | None
    region: str | None
    epci: str | None
    postcodes: list[str]
    population: int | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class NafEntry:
    code: str
    label: str
    section: str
    section_label: str


_COMMUNE_COLUMNS = "code, name, departement, region, epci, postcodes, population, latitude, longitude"


async def commune(session: AsyncSession, code: str) -> Commune | None:
    row = (await session.execute(text(f"SELECT {_COMMUNE_COLUMNS} FROM ref.communes WHERE code = :c"),
                                 {"c": code})).one_or_none()
    return Commune(*row) if row else None


async def communes_by_postcode(session: AsyncSession, postcode: str) -> list[Commune]:
    rows = await session.execute(
        text(f"SELECT {_COMMUNE_COLUMNS} FROM ref.communes WHERE postcodes @> ARRAY[:p] "
             "ORDER BY population DESC NULLS LAST"),
        {"p": postcode},
    )
    return [Commune(*row) for row in rows]


async def region_of_departement(session: AsyncSession, departement: str) -> str | None:
    return (await session.execute(text("SELECT region FROM ref.departements WHERE code = :d"),
                                  {"d": departement})).scalar_one_or_none()


async def departements_of_regions(session: AsyncSession, regions: list[str]) -> list[str]:
    rows = await session.execute(text("SELECT code FROM ref.departements WHERE region = ANY(:r) ORDER BY code"),
                                 {"r": regions})
    return list(rows.scalars())


async def naf(session: AsyncSession, code: str) -> NafEntry | None:
    row = (await session.execute(
        text("SELECT n.code, n.label, n.section, s.label FROM ref.naf n JOIN ref.naf_sections s "
             "ON s.code = n.section WHERE n.code = :c"), {"c": code})).one_or_none()
    return NafEntry(*row) if row else None

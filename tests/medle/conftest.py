"""A small medle world built through the API: two hospitals, their staff, askers, a supervisor."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from stdnum import luhn

PARIS = ZoneInfo("Europe/Paris")

READ_WRITE = ["medle:read", "medle:write"]
ADMIN = {"sub": "admin-1", "scopes": READ_WRITE, "roles": ["medle:admin"]}
OPERATOR_A = {"sub": "op-lille", "scopes": READ_WRITE, "roles": ["medle:operator"]}
HOSPITAL_ADMIN_A = {"sub": "ha-lille", "scopes": READ_WRITE, "roles": ["medle:hospital_admin"]}
OPERATOR_B = {"sub": "op-bordeaux", "scopes": READ_WRITE, "roles": ["medle:operator"]}
REGIONAL_HDF = {"sub": "reg-hdf", "scopes": ["medle:read", "medle:report"], "roles": ["medle:regional"]}
MINISTRY = {"sub": "ministry-1", "scopes": ["medle:report"], "roles": ["medle:report"]}


def finess(prefix: str) -> str:
    """A FINESS with a right Luhn key: `prefix` holds the first 8 characters."""
    return prefix + luhn.calc_check_digit(prefix)


def siret(siren_prefix: str, nic_prefix: str = "0001") -> str:
    siren = siren_prefix + luhn.calc_check_digit(siren_prefix)
    return siren + nic_prefix + luhn.calc_check_digit(siren + nic_prefix)


LILLE_SIRET = siret("26590067")


def today() -> dt.date:
    return dt.datetime.now(PARIS).date()


def paris(day: dt.date, hour: int = 10, minute: int = 0) -> str:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).isoformat()


def last_weekday(weekday: int, before: dt.date | None = None) -> dt.date:
    """The most recent day of that weekday (0 = Monday) strictly before `before` (default today)."""
    day = (before or today()) - dt.timedelta(days=1)
    while day.weekday() != weekday:
        day -= dt.timedelta(days=1)
    return day


def custody_act(number: str, day: dt.date | None = None, **fields) -> dict:
    """A complete garde à vue act (somatic, at the police station)."""
    return {
        "internal_number": number,
        "examined_at": paris(day or last_weekday(1)),
        "profile": "garde_a_vue",
        "act_types": ["somatique"],
        "location": "commissariat",
        "person_age_band": "18-plus",
        "person_gender": "masculin",
        **fields,
    }


def victim_act(number: str, day: dt.date | None = None, **fields) -> dict:
    return {
        "internal_number": number,
        "examined_at": paris(day or last_weekday(1)),
        "profile": "victime_vivante",
        "act_types": ["somatique"],
        "violence_natures": ["coups_blessures"],
        "violence_contexts": ["conjugale"],
        "location": "umj",
        "person_age_band": "18-plus",
        "person_gender": "feminin",
        **fields,
    }


@dataclass
class World:
    lille: dict  # UMJ, Hauts-de-France, no post-mortem
    bordeaux: dict  # IML, Nouvelle-Aquitaine, post-mortem
    police: dict  # asker
    prosecutor: dict  # asker


@pytest.fixture(scope="session")
def auth(make_token):
    """The kit's `auth`, with one token per principal for the whole run: signing takes ~50 ms and
    a run lasts less than a token's 15 minutes."""
    tokens: dict[tuple, str] = {}

    def headers(sub: str = "user-1", **claims) -> dict[str, str]:
        key = (sub, *((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(claims.items())))
        if key not in tokens:
            tokens[key] = make_token(sub, **claims)
        return {"Authorization": f"Bearer {tokens[key]}"}

    return headers


@pytest.fixture
async def medle(client_for):
    return await client_for("medle")


@pytest.fixture
async def world(medle, auth) -> World:
    admin = auth(**ADMIN)

    async def post(url, body):
        r = await medle.post(url, json=body, headers=admin)
        assert r.status_code == 201, r.text
        return r.json()

    lille = await post("/v1/hospitals", {
        "finess": finess("59078019"), "name": "CHU de Lille — UMJ", "commune": "59350", "kind": "umj",
        "can_do_post_mortem": False, "siret": LILLE_SIRET})
    bordeaux = await post("/v1/hospitals", {
        "finess": finess("33078157"), "name": "CHU de Bordeaux — IML", "commune": "33063", "kind": "umj_iml",
        "can_do_post_mortem": True})
    for hospital, account, role in ((lille, OPERATOR_A, "operator"), (lille, HOSPITAL_ADMIN_A, "hospital_admin"),
                                    (bordeaux, OPERATOR_B, "operator")):
        await post(f"/v1/hospitals/{hospital['id']}/members", {"sub": account["sub"], "role": role})
    r = await medle.put(f"/v1/supervisors/{REGIONAL_HDF['sub']}", json={"regions": ["32"]}, headers=admin)
    assert r.status_code == 200, r.text
    police = await post("/v1/askers", {"name": "Commissariat de Lille-Sud", "type": "commissariat_police",
                                       "departement": "59"})
    prosecutor = await post("/v1/askers", {"name": "Parquet de Bordeaux", "type": "parquet", "departement": "33"})
    return World(lille, bordeaux, police, prosecutor)


async def create(medle, auth, account: dict, body: dict, **params):
    return await medle.post("/v1/acts", json=body, headers=auth(**account), params=params)

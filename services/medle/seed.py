"""Demo data: a dozen hospitals across régions, askers, 20,000 acts over two years, staffing,
tariffs, the anchor's weighting table, and the demo accounts of every role.

`generate_acts` is also what bench/medle.py loads a million acts with.
"""

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import luhn

from services.medle.domain.activity import ANCHOR_WEIGHTING, WeightingTable, act_minutes
from services.medle.domain.acts import ActFacts, HospitalFacts, act_problems
from services.medle.domain.calendar import local_clock, period_of_day
from services.medle.domain.enums import (
    ActType,
    AgeBand,
    AskerType,
    DeathCause,
    DistanceBand,
    DurationBand,
    Examination,
    Gender,
    Location,
    Profile,
    ViolenceContext,
    ViolenceNature,
)
from services.medle.domain.staffing import add_months, first_of_month, months_between
from services.medle.models import (
    Asker,
    Hospital,
    HospitalMember,
    Staffing,
    SupervisorRegion,
    Tariff,
    WeightingVersion,
)
from services.medle.schemas import WeightingTableIn
from shared.ids import finess_problem

ACTS = 20_000
SEED = 20_260_301

_READ_WRITE = ["medle:read", "medle:write"]
DEMO_ACCOUNTS = [
    {"username": "medle.admin", "password": "medle-admin-demo", "name": "Administratrice Medlé",
     "email": "medle.admin@demo.fabrique.local", "roles": ["medle:admin"], "scopes": _READ_WRITE,
     "sub": "medle-demo-admin"},
    {"username": "medle.lille.admin", "password": "medle-hospital-demo", "name": "Cadre de santé, CHU de Lille",
     "email": "umj.lille@demo.fabrique.local", "roles": ["medle:hospital_admin"], "scopes": _READ_WRITE,
     "sub": "medle-demo-hospital-admin"},
    {"username": "medle.lille.operator", "password": "medle-operator-demo", "name": "Secrétaire, UMJ de Lille",
     "email": "secretariat.umj.lille@demo.fabrique.local", "roles": ["medle:operator"], "scopes": _READ_WRITE,
     "sub": "medle-demo-operator"},
    {"username": "medle.bordeaux.operator", "password": "medle-operator-demo", "name": "Secrétaire, IML de Bordeaux",
     "email": "secretariat.iml.bordeaux@demo.fabrique.local", "roles": ["medle:operator"], "scopes": _READ_WRITE,
     "sub": "medle-demo-operator-bordeaux"},
    {"username": "medle.ars.hdf", "password": "medle-regional-demo", "name": "Référente ARS Hauts-de-France",
     "email": "ars.hdf@demo.fabrique.local", "roles": ["medle:regional"], "scopes": ["medle:read", "medle:report"],
     "sub": "medle-demo-regional"},
    {"username": "medle.ministere", "password": "medle-report-demo", "name": "Chargé d'études, ministère de la Santé",
     "email": "dgos.medle@demo.fabrique.local", "roles": ["medle:report"], "scopes": ["medle:report"],
     "sub": "medle-demo-ministry"},
]
# The CHU de Lille's forensic software, importing its acts (POST /v1/acts:batch) with client
# credentials; the gateway seeds it with this id, which its tokens carry as `sub`.
LILLE_SOFTWARE_ID = "5b0c1f4e-6d2a-4c53-9a61-2f8e0d7c1a59"
DEMO_CLIENTS = [
    {"id": LILLE_SOFTWARE_ID, "name": "medle-demo-umj-lille-software", "secret": "medle-demo-software-secret",
     "scopes": _READ_WRITE, "roles": ["medle:operator"]},
]
# (hospital FINESS prefix, account sub, role in the hospital); the regional supervisor's régions.
MEMBERSHIPS = [("59078019", "medle-demo-hospital-admin", "hospital_admin"),
               ("59078019", "medle-demo-operator", "operator"),
               ("59078019", LILLE_SOFTWARE_ID, "operator"),
               ("33078157", "medle-demo-operator-bordeaux", "operator")]
SUPERVISOR_REGIONS = [("medle-demo-regional", "32")]


@dataclass(frozen=True)
class DemoHospital:
    finess_prefix: str  # 8 characters; the Luhn key is added
    name: str
    address: str
    commune: str
    kind: str
    can_do_post_mortem: bool
    activity: int  # relative share of the national activity
    siren_prefix: str | None = None  # 8 digits of a public hospital's SIREN, for a SIRET


HOSPITALS = [
    DemoHospital("59078019", "CHU de Lille — Institut de médecine légale", "Rue du Pr Laguesse", "59350", "umj_iml",
                 True, 9, "26590067"),
    DemoHospital("75010016", "AP-HP Hôtel-Dieu — UMJ de Paris", "1 place du Parvis Notre-Dame", "75056", "umj",
                 False, 20, "26750045"),
    DemoHospital("33078157", "CHU de Bordeaux — Service de médecine légale", "Place Amélie Raba-Léon", "33063",
                 "umj_iml", True, 8, "26330071"),
    DemoHospital("13078322", "AP-HM — Hôpital de la Timone", "264 rue Saint-Pierre", "13055", "umj_iml", True, 10),
    DemoHospital("69078181", "Hospices Civils de Lyon — UMJ Édouard-Herriot", "5 place d'Arsonval", "69123", "umj",
                 False, 9),
    DemoHospital("31078183", "CHU de Toulouse — Rangueil", "1 avenue du Pr Jean Poulhès", "31555", "umj_iml", True, 7),
    DemoHospital("67078072", "Hôpitaux universitaires de Strasbourg — IML", "11 rue Humann", "67482", "umj_iml",
                 True, 6),
    DemoHospital("35078128", "CHU de Rennes — Pontchaillou", "2 rue Henri Le Guilloux", "35238", "umj", False, 5),
    DemoHospital("44078021", "CHU de Nantes — Hôtel-Dieu", "1 place Alexis-Ricordeau", "44109", "umj_iml", True, 6),
    DemoHospital("34078205", "CHU de Montpellier — Lapeyronie", "371 avenue du Doyen Gaston Giraud", "34172", "umj",
                 False, 5),
    DemoHospital("21078111", "CHU Dijon Bourgogne — IML", "14 rue Paul Gaffarel", "21231", "iml", True, 3),
    DemoHospital("97101300", "CHU de la Guadeloupe — UMJ", "Route de Chauvel", "97120", "umj", False, 2),
]

ASKER_KINDS = [
    (AskerType.COMMISSARIAT_POLICE, "Commissariat central de {city}", 40),
    (AskerType.GENDARMERIE, "Groupement de gendarmerie départementale ({dep})", 25),
    (AskerType.PARQUET, "Parquet du tribunal judiciaire de {city}", 20),
    (AskerType.TGI, "Tribunal judiciaire de {city}", 5),
    (AskerType.JUGE_INSTRUCTION, "Cabinet d'instruction, TJ de {city}", 10),
]


def finess_of(prefix: str) -> str:
    value = prefix + luhn.calc_check_digit(prefix)
    assert finess_problem(value) is None, value
    return value


def siret_of(siren_prefix: str) -> str:
    siren = siren_prefix + luhn.calc_check_digit(siren_prefix)
    return siren + "0001" + luhn.calc_check_digit(siren + "0001")


# Generated acts: the distributions of a plausible national activity.


def _pick(rng: random.Random, weighted: Sequence[tuple[object, float]]):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


PROFILE_MIX = [
    (Profile.VICTIME_VIVANTE, 40), (Profile.GARDE_A_VUE, 30), (Profile.PERSONNE_DECEDEE, 11),
    (Profile.AGE_OSSEUX, 4), (Profile.EXAMEN_OFPRA, 1), (Profile.PERSONNE_RETENUE, 3), (Profile.EXAMEN_ROUTE, 2),
    (Profile.IPM, 3), (Profile.ASSISES, 2), (Profile.RECONSTITUTION, 1), (Profile.ETUDE_DOSSIER, 3),
]
ADULTS = [(AgeBand.AGE_18_PLUS, 90), (AgeBand.AGE_15_17, 6), (AgeBand.NON_DETERMINE, 4)]
VICTIM_AGES = [(AgeBand.AGE_0_2, 2), (AgeBand.AGE_3_5, 3), (AgeBand.AGE_6_10, 6), (AgeBand.AGE_11_14, 8),
               (AgeBand.AGE_15_17, 8), (AgeBand.AGE_18_PLUS, 73)]
NATURES = [(ViolenceNature.COUPS_BLESSURES, 50), (ViolenceNature.SEXUELLE, 20), (ViolenceNature.MALTRAITANCE, 10),
           (ViolenceNature.PSYCHOLOGIQUE, 9), (ViolenceNature.SOUMISSION_CHIMIQUE, 4),
           (ViolenceNature.ACCIDENT_NON_COLLECTIF, 5), (ViolenceNature.ACCIDENT_COLLECTIF, 1),
           (ViolenceNature.ATTENTAT, 1)]
ATTACKS = ["Attentat du 14 juillet 2016 à Nice", "Attentat d'Arras, octobre 2023", "Attaque de la préfecture de police"]
CONTEXTS = [(ViolenceContext.CONJUGALE, 35), (ViolenceContext.INTRA_FAMILIALE, 20),
            (ViolenceContext.VOIE_PUBLIQUE, 20), (ViolenceContext.TRAVAIL, 8), (ViolenceContext.INSTITUTION, 4),
            (ViolenceContext.SCOLAIRE, 5), (ViolenceContext.AUTRE, 8)]
VICTIM_PLACES = [(Location.UMJ, 85), (Location.SERVICE_HOSPITALIER_PUBLIC, 8), (Location.UAPED, 3),
                 (Location.MAISON_DES_FEMMES, 2), (Location.AUTRE, 2)]
CUSTODY_PLACES = [(Location.COMMISSARIAT, 50), (Location.GENDARMERIE, 20), (Location.UMJ, 25),
                  (Location.LOCAUX_DOUANIERS, 2), (Location.AUTRE, 3)]
ITT = [(0, 20), (1, 15), (2, 15), (3, 12), (5, 10), (7, 8), (10, 8), (15, 5), (21, 3), (30, 2), (45, 1), (90, 1)]
DECEASED_TYPES_IML = [((ActType.EXAMEN_EXTERNE,), 45), ((ActType.AUTOPSIE,), 30),
                      ((ActType.LEVEE_DE_CORPS, ActType.EXAMEN_EXTERNE), 15), ((ActType.LEVEE_DE_CORPS,), 6),
                      ((ActType.ANTHROPOLOGIE,), 2), ((ActType.ODONTOLOGIE,), 2)]
DECEASED_TYPES_UMJ = [((ActType.EXAMEN_EXTERNE,), 80), ((ActType.LEVEE_DE_CORPS, ActType.EXAMEN_EXTERNE), 20)]


def _times(rng: random.Random, start: dt.date, end: dt.date, zone) -> dt.datetime:
    day = start + dt.timedelta(days=rng.randrange((end - start).days + 1))
    slot = rng.random()
    if slot < 0.7:
        minutes = rng.randrange(8 * 60 + 30, 18 * 60 + 30)
    elif slot < 0.9:
        minutes = rng.randrange(18 * 60 + 30, 24 * 60)
    else:
        minutes = rng.randrange(0, 8 * 60 + 30)
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), zone)


def _examinations(rng: random.Random, among: Sequence[Examination], chance: float) -> list[Examination]:
    if rng.random() >= chance:
        return []
    return rng.sample(list(among), k=min(len(among), 1 + (rng.random() < 0.3)))


def _fields(profile: Profile, rng: random.Random, post_mortem: bool) -> dict:
    """The profile's fields, as the rules of domain.acts want them."""
    adult = {"person_age_band": _pick(rng, ADULTS), "person_gender": _pick(rng, [(Gender.MASCULIN, 88),
                                                                                 (Gender.FEMININ, 12)])}
    somatic = {"act_types": [ActType.SOMATIQUE]}
    if profile == Profile.VICTIME_VIVANTE:
        natures = [_pick(rng, NATURES)]
        if rng.random() < 0.12:
            natures = list(dict.fromkeys([*natures, _pick(rng, NATURES)]))
        present = rng.random() >= 0.02
        fields = {"location": _pick(rng, VICTIM_PLACES), "person_age_band": _pick(rng, VICTIM_AGES),
                  "person_gender": _pick(rng, [(Gender.FEMININ, 60), (Gender.MASCULIN, 38), (Gender.AUTRE, 2)])}
        if not present:
            return fields | {"person_present": False}
        act_types = _pick(rng, [([ActType.SOMATIQUE], 90), ([ActType.SOMATIQUE, ActType.PSYCHIATRIQUE], 7),
                                ([ActType.PSYCHIATRIQUE], 3)])
        return fields | {
            "act_types": act_types, "violence_natures": natures, "violence_contexts": [_pick(rng, CONTEXTS)],
            "attack": rng.choice(ATTACKS) if ViolenceNature.ATTENTAT in natures else None,
            "itt_days": _pick(rng, ITT) if rng.random() < 0.7 else None,
            "examinations": _examinations(rng, (Examination.TOXICOLOGIE, Examination.BIOLOGIE, Examination.IMAGERIE,
                                                Examination.GENETIQUE), 0.25),
        }
    if profile == Profile.GARDE_A_VUE:
        act_types = _pick(rng, [([ActType.SOMATIQUE], 95), ([ActType.PSYCHIATRIQUE], 3),
                                ([ActType.SOMATIQUE, ActType.PSYCHIATRIQUE], 2)])
        return adult | {"act_types": act_types, "location": _pick(rng, CUSTODY_PLACES),
                        "examinations": _examinations(rng, (Examination.BIOLOGIE, Examination.TOXICOLOGIE), 0.1)}
    if profile == Profile.AGE_OSSEUX:
        return somatic | {"person_gender": Gender.MASCULIN if rng.random() < 0.95 else Gender.FEMININ,
                          "examinations": _examinations(rng, (Examination.RADIOGRAPHIE,
                                                              Examination.PANORAMIQUE_DENTAIRE), 1.0),
                          "location": Location.UMJ}
    if profile == Profile.EXAMEN_OFPRA:
        return somatic | {"person_age_band": _pick(rng, VICTIM_AGES), "person_gender": Gender.FEMININ}
    if profile == Profile.PERSONNE_DECEDEE:
        act_types = list(_pick(rng, DECEASED_TYPES_IML if post_mortem else DECEASED_TYPES_UMJ))
        fields = {"act_types": act_types, "person_age_band": _pick(rng, ADULTS),
                  "person_gender": _pick(rng, [(Gender.MASCULIN, 65), (Gender.FEMININ, 33),
                                               (Gender.NON_DETERMINE, 2)]),
                  "examinations": _examinations(rng, (Examination.TOXICOLOGIE, Examination.ANAPATH,
                                                      Examination.GENETIQUE, Examination.IMAGERIE), 0.4)}
        if rng.random() < 0.5:
            fields["death_cause"] = _pick(rng, [(DeathCause.SUICIDE, 30), (DeathCause.SUICIDE_PROBABLE, 10),
                                                (DeathCause.AUTRE, 60)])
        if ActType.LEVEE_DE_CORPS in act_types:
            fields["distance_band"] = _pick(rng, [(DistanceBand.MOINS_50_KM, 70), (DistanceBand.KM_50_150, 25),
                                                  (DistanceBand.PLUS_150_KM, 5)])
        return fields
    if profile == Profile.PERSONNE_RETENUE:
        return somatic | adult | {"location": _pick(rng, [(Location.CENTRE_DE_RETENTION, 60),
                                                          (Location.COMMISSARIAT, 20), (Location.GENDARMERIE, 10),
                                                          (Location.LOCAUX_DOUANIERS, 10)])}
    if profile == Profile.EXAMEN_ROUTE:
        return somatic | adult | {"location": _pick(rng, [(Location.LIEU_DE_CONTROLE, 50), (Location.COMMISSARIAT, 30),
                                                          (Location.GENDARMERIE, 20)]),
                                  "examinations": _examinations(rng, (Examination.BIOLOGIE,), 0.6)}
    if profile == Profile.IPM:
        return somatic | adult | {"location": _pick(rng, [(Location.COMMISSARIAT, 70), (Location.GENDARMERIE, 20),
                                                          (Location.UMJ, 10)])}
    duration = _pick(rng, [(DurationBand.MOINS_2_H, 40), (DurationBand.H_2_4, 35), (DurationBand.H_4_8, 20),
                           (DurationBand.PLUS_8_H, 5)])
    if profile == Profile.ETUDE_DOSSIER:
        return {"duration_band": duration}
    return {"duration_band": duration, "distance_band": _pick(rng, [(DistanceBand.VISIO, 30),
                                                                    (DistanceBand.MOINS_50_KM, 50),
                                                                    (DistanceBand.KM_50_150, 20)])}


ACT_COLUMNS = [
    "hospital_id", "internal_number", "pv_number", "asker_id", "requisition_date", "sans_plainte", "examined_at",
    "examined_on", "period_of_day", "profile", "act_types", "examinations", "violence_natures", "attack",
    "violence_contexts", "location", "person_age_band", "person_gender", "person_present", "itt_days",
    "death_cause", "distance_band", "duration_band", "weighted_minutes", "added_by", "created_at", "updated_at",
    "version",
]


@dataclass(frozen=True)
class SeededHospital:
    id: int
    finess: str
    departement: str
    can_do_post_mortem: bool
    activity: int


def generate_acts(
    hospitals: Sequence[SeededHospital],
    askers: dict[str, list[int]],
    count: int,
    start: dt.date,
    end: dt.date,
    *,
    seed: int = SEED,
    table: WeightingTable = ANCHOR_WEIGHTING,
    check: bool = True,
) -> Iterator[tuple]:
    """`count` acts as COPY records (ACT_COLUMNS order), hospital by hospital, each in time order
    with its internal numbers. `check`: every act passes domain.acts.act_problems."""
    rng = random.Random(seed)
    total = sum(h.activity for h in hospitals)
    shares = [count * h.activity // total for h in hospitals]
    shares[0] += count - sum(shares)
    minutes_memo: dict[tuple, Decimal | None] = {}
    for hospital, share in zip(hospitals, shares, strict=True):
        zone = local_clock(hospital.departement)
        facts_of_hospital = HospitalFacts(hospital.can_do_post_mortem, hospital.departement)
        own_askers = askers.get(hospital.departement) or [a for ids in askers.values() for a in ids]
        times = sorted(_times(rng, start, end, zone) for _ in range(share))
        sequence, last_pv = {}, None
        for at in times:
            profile = _pick(rng, PROFILE_MIX)
            fields = _fields(profile, rng, hospital.can_do_post_mortem)
            sans_plainte = profile == Profile.VICTIME_VIVANTE and rng.random() < 0.04
            asker_id = pv = requisition_date = None
            if not sans_plainte:
                asker_id = rng.choice(own_askers)
                requisition_date = at.date() - dt.timedelta(days=1 if rng.random() < 0.3 else 0)
                if rng.random() < 0.85:
                    # an investigation often sends several people (victim, suspect) under one PV
                    pv = last_pv if last_pv and rng.random() < 0.15 else (
                        f"{hospital.departement}/{at.year}/{rng.randrange(1, 10**6):06d}")
                    last_pv = pv
            facts = ActFacts(profile, at, sans_plainte=sans_plainte, asker_id=asker_id, pv_number=pv,
                             requisition_date=requisition_date, **fields)
            if check and (problems := act_problems(facts, facts_of_hospital, end)):
                raise ValueError(f"generated an invalid act: {problems}")
            key = (profile, tuple(facts.act_types), tuple(facts.violence_natures), len(facts.examinations),
                   facts.person_age_band, facts.location, facts.duration_band, facts.person_present)
            if key not in minutes_memo:
                minutes_memo[key] = act_minutes(facts, table)
            sequence[at.year] = sequence.get(at.year, 0) + 1
            yield (
                hospital.id, f"{at.year}-{sequence[at.year]:06d}", pv, asker_id, requisition_date, sans_plainte,
                at, at.date(), period_of_day(at, hospital.departement).value, profile.value,
                *([str(v) for v in getattr(facts, name)] for name in ("act_types", "examinations",
                                                                      "violence_natures")),
                facts.attack, [str(v) for v in facts.violence_contexts],
                *(_text(getattr(facts, name)) for name in ("location", "person_age_band", "person_gender")),
                facts.person_present, facts.itt_days,
                *(_text(getattr(facts, name)) for name in ("death_cause", "distance_band", "duration_band")),
                minutes_memo[key], f"import:{hospital.finess}", at, at, 1,
            )


def _text(value) -> str | None:
    return None if value is None else str(value)


async def seed(session: AsyncSession, acts: int = ACTS) -> None:
    today = dt.date.today()
    start, end = today - dt.timedelta(days=730), today - dt.timedelta(days=1)
    places = dict((await session.execute(text(
        "SELECT code, departement || ':' || region FROM ref.communes WHERE code = ANY(:c)"),
        {"c": [h.commune for h in HOSPITALS]})).tuples().all())
    names = dict((await session.execute(text("SELECT code, name FROM ref.communes WHERE code = ANY(:c)"),
                                        {"c": [h.commune for h in HOSPITALS]})).tuples().all())
    rows: list[tuple[DemoHospital, Hospital]] = []
    for demo in HOSPITALS:
        departement, region = places[demo.commune].split(":")
        hospital = Hospital(finess=finess_of(demo.finess_prefix), name=demo.name,
                            address=f"{demo.address}, {names[demo.commune]}", commune=demo.commune,
                            departement=departement, region=region, kind=demo.kind,
                            can_do_post_mortem=demo.can_do_post_mortem,
                            siret=siret_of(demo.siren_prefix) if demo.siren_prefix else None)
        session.add(hospital)
        rows.append((demo, hospital))
    askers_by_departement: dict[str, list[Asker]] = {}
    for demo, hospital in rows:
        city = names[demo.commune]
        for kind, name, _ in ASKER_KINDS:
            asker = Asker(name=name.format(city=city, dep=hospital.departement), type=kind.value,
                          departement=hospital.departement)
            session.add(asker)
            askers_by_departement.setdefault(hospital.departement, []).append(asker)
    await session.flush()
    by_prefix = {demo.finess_prefix: hospital for demo, hospital in rows}
    for prefix, sub, role in MEMBERSHIPS:
        session.add(HospitalMember(hospital_id=by_prefix[prefix].id, sub=sub, role=role, added_by="seed"))
    for sub, region in SUPERVISOR_REGIONS:
        session.add(SupervisorRegion(sub=sub, region=region))
    session.add(WeightingVersion(table=WeightingTableIn.from_domain(ANCHOR_WEIGHTING).model_dump(mode="json"),
                                 created_by="seed"))
    for tariff in _tariffs(start):
        session.add(tariff)
    for staffing in _staffing([h for _, h in rows], start, today):
        session.add(staffing)
    await session.flush()

    seeded = [SeededHospital(h.id, h.finess, h.departement, h.can_do_post_mortem, demo.activity) for demo, h in rows]
    askers = {dep: [a.id for a in askers_of] for dep, askers_of in askers_by_departement.items()}
    raw = await (await session.connection()).get_raw_connection()
    await raw.driver_connection.copy_records_to_table(
        "acts", schema_name="medle", columns=ACT_COLUMNS, records=list(generate_acts(seeded, askers, acts, start, end)))


def _tariffs(start: dt.date) -> list[Tariff]:
    """A plausible fee schedule; the custody examination's price rose on 1 January of this year."""
    first = dt.date(start.year, 1, 1)
    this_year = dt.date(dt.date.today().year, 1, 1)
    rows = [
        (ActType.SOMATIQUE, None, "40.00", first, None),
        (ActType.SOMATIQUE, Profile.GARDE_A_VUE, "50.40", first, this_year - dt.timedelta(days=1)),
        (ActType.SOMATIQUE, Profile.GARDE_A_VUE, "55.00", this_year, None),
        (ActType.PSYCHIATRIQUE, None, "60.00", first, None),
        (ActType.EXAMEN_EXTERNE, None, "110.00", first, None),
        (ActType.LEVEE_DE_CORPS, None, "120.00", first, None),
        (ActType.AUTOPSIE, None, "400.00", first, None),
        (ActType.ANTHROPOLOGIE, None, "250.00", first, None),
        (ActType.ODONTOLOGIE, None, "250.00", first, None),
        (None, Profile.ASSISES, "150.00", first, None),
        (None, Profile.RECONSTITUTION, "200.00", first, None),
        (None, Profile.ETUDE_DOSSIER, "100.00", first, None),
    ]
    return [Tariff(act_type=t.value if t else None, profile=p.value if p else None, amount=Decimal(amount),
                   valid_from=valid_from, valid_to=valid_to, created_by="seed")
            for t, p, amount, valid_from, valid_to in rows]


def _staffing(hospitals: list[Hospital], start: dt.date, today: dt.date) -> list[Staffing]:
    """Every month of every hospital, except two that stopped three months ago (the alert list)."""
    rng = random.Random(SEED)
    stopped = {hospitals[-1].id, hospitals[-2].id}
    rows = []
    for hospital in hospitals:
        last = add_months(first_of_month(today), -3 if hospital.id in stopped else -1)
        doctors = Decimal(rng.randrange(20, 120)) / 10
        for month in months_between(start, last):
            rows.append(Staffing(
                hospital_id=hospital.id, month=month, doctors=doctors, secretaries=(doctors / 2).quantize(
                    Decimal("0.01")), nurses=Decimal(rng.randrange(0, 40)) / 10, executives=Decimal("0.5"),
                auditorium_agents=Decimal(2 if hospital.can_do_post_mortem else 0), others=Decimal("0.2"),
                doctors_target=(doctors * Decimal("1.2")).quantize(Decimal("0.01")), updated_by="seed"))
    return rows

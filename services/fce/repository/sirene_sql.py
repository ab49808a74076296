"""The normalisers of domain/sirene.py, as SQL over the raw staging tables.

Python reads 64-90 k rows/s per core: too slow for 11 million rows. So the stock files are
COPYed as they are into text columns, and these statements make the registry's rows and the
rejections' reasons in the database, in the domain's order and words (a test compares both on
the same files). They use the SQL functions of the initial migration (fce.siret_is_valid...).

Each statement reads the staging table through `values_of` (masked fields as no value). The
fast statement checks identifiers and codes and casts dates unguarded (a malformed date
raises); only then does the careful statement run, with every check of the domain as one CASE
giving the first reason.
"""

from collections.abc import Callable
from dataclasses import dataclass

from services.fce.domain.search import BIGGEST, CLOSED_PENALTY, SECONDARY_PENALTY
from services.fce.domain.sirene import (
    COMPANIES_FILE,
    ESTABLISHMENTS_FILE,
    SUCCESSIONS_FILE,
    columns_read,
    company_from_row,
    establishment_from_row,
    succession_from_row,
)

SCHEMA = "fce"
# The spaces normalise_siren/normalise_siret take away (identifiers._SPACES).
_SPACES = "' ' || chr(9) || chr(160) || chr(8239) || chr(8201)"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Dataset:
    """One stock file, its staging table and the registry table it becomes."""

    name: str  # companies, establishments, successions
    table: str
    file_name: str
    key: tuple[str, ...]  # the table's primary key
    from_row: Callable  # the domain normaliser it mirrors
    processed_column: str  # dateDernierTraitement...

    @property
    def stage(self) -> str:
        return f"_stage_{self.name}"

    @property
    def columns(self) -> tuple[str, ...]:
        return (*columns_read(self.from_row), self.processed_column)


COMPANIES = Dataset("companies", "companies", COMPANIES_FILE, ("siren",), company_from_row,
                    "dateDernierTraitementUniteLegale")
ESTABLISHMENTS = Dataset("establishments", "establishments", ESTABLISHMENTS_FILE, ("siret",), establishment_from_row,
                         "dateDernierTraitementEtablissement")
SUCCESSIONS = Dataset("successions", "successions", SUCCESSIONS_FILE,
                      ("predecessor_siret", "successor_siret", "succeeded_on"), succession_from_row,
                      "dateDernierTraitementLienSuccession")
DATASETS = {d.name: d for d in (COMPANIES, ESTABLISHMENTS, SUCCESSIONS)}


DIFFUSION_COLUMNS = {"companies": "statutDiffusionUniteLegale", "establishments": "statutDiffusionEtablissement"}


def values_of(dataset: Dataset, stage: str = "s") -> str:
    """The staging rows with "[ND]" (masked) fields read as no value, like the normalisers do.

    COPY already made empty fields NULL (FORCE_NULL). Only partially diffusible units (statut
    "P") have masked fields, so only their rows pay for the 34 comparisons: at 11 million rows,
    comparing every field of every row costs more than the rest of the checks.
    """
    plain = ", ".join(f"{stage}.{ident(c)}" for c in dataset.columns)
    status = DIFFUSION_COLUMNS.get(dataset.name)
    if status is None:
        return f"(SELECT {stage}.line, {stage}._digest, {plain} FROM {SCHEMA}.{dataset.stage} {stage})"
    unmasked = ", ".join(f"nullif({stage}.{ident(c)}, '[ND]') AS {ident(c)}" for c in dataset.columns)
    return (f"(SELECT {stage}.line, {stage}._digest, {plain} FROM {SCHEMA}.{dataset.stage} {stage} "
            f"WHERE {stage}.{ident(status)} IS DISTINCT FROM 'P' "
            f"UNION ALL SELECT {stage}.line, {stage}._digest, {unmasked} FROM {SCHEMA}.{dataset.stage} {stage} "
            f"WHERE {stage}.{ident(status)} = 'P')")


def col(alias: str, column: str) -> str:
    return f"{alias}.{ident(column)}"


def quoted(sql: str) -> str:
    """Python's repr() of a text value (an absent one reads as ''), as the domain's messages show it."""
    return f"fce.quoted(coalesce({sql}, ''))"


def identifier_problem(column: str, value: str, kind: str) -> str:
    """domain.sirene._identifier_problem, for a value known to be wrong."""
    length = 14 if kind == "SIRET" else 9
    compact = f"translate({value}, {_SPACES}, '')"
    checksum = f"'{column}: SIREN ' || {compact} || ' has a wrong check digit (Luhn)'"
    if kind == "SIRET":
        checksum = (
            f"CASE WHEN NOT fce.siren_is_valid(left({compact}, 9)) "
            f"THEN '{column}: SIRET ' || {compact} || ' has a wrong check digit in its SIREN part (' "
            f"|| left({compact}, 9) || ')' "
            f"WHEN {compact} LIKE '356000000%' "
            f"THEN '{column}: SIRET ' || {compact} || ' of La Poste must have digits adding up to a multiple of 5' "
            f"ELSE '{column}: SIRET ' || {compact} || ' has a wrong check digit (Luhn)' END"
        )
    return (
        f"CASE WHEN {value} IS NULL THEN '{column} is empty' "
        f"WHEN {compact} !~ '^[0-9]+$' "
        f"THEN '{column}: {kind} must contain only digits (and spaces): ' || {quoted(value)} "
        f"WHEN length({compact}) <> {length} "
        f"THEN '{column}: {kind} must have {length} digits, ' || {quoted(value)} || ' has ' || length({compact}) "
        f"WHEN fce.{kind.lower()}_is_valid({compact}) "
        f"THEN '{column} ' || {quoted(value)} || ' holds spaces: the stock files have bare digits' "
        f"ELSE {checksum} END"
    )


def first_problem(checks: list[tuple[str, str]]) -> str:
    """The reason of the first failing check (condition, reason), NULL for a good row."""
    return "CASE " + " ".join(f"WHEN {condition} THEN {reason}" for condition, reason in checks) + " END"


def bad_date(column: str, value: str) -> tuple[str, str]:
    return (f"{value} IS NOT NULL AND NOT fce.is_iso_date({value})",
            f"'{column} ' || {quoted(value)} || ' is not a date (YYYY-MM-DD)'")


def bad_year(column: str, value: str) -> tuple[str, str]:
    return (f"{value} IS NOT NULL AND NOT fce.is_digits({value}, 4)",
            f"'{column} ' || {quoted(value)} || ' is not a year'")


class Casts:
    """Dates and years: checked first (careful), or cast straight, a malformed value raising (fast)."""

    def __init__(self, careful: bool):
        self.careful = careful

    def date(self, value: str) -> str:
        if self.careful:
            return f"CASE WHEN fce.is_iso_date({value}) THEN {value}::date END"
        # Only YYYY-MM-DD, like date.fromisoformat: any other shape is cast from text that is not a date.
        return (f"(CASE WHEN length({value}) = 10 AND substr({value}, 5, 1) = '-' AND substr({value}, 8, 1) = '-' "
                f"THEN {value} WHEN {value} IS NOT NULL THEN 'no date' END)::date")

    def year(self, value: str) -> str:
        if self.careful:
            return f"CASE WHEN fce.is_digits({value}, 4) THEN {value}::smallint END"
        return (f"(CASE WHEN fce.is_digits({value}, 4) THEN {value} "
                f"WHEN {value} IS NOT NULL THEN 'no year' END)::smallint")

    def processed_at(self, value: str) -> str:
        """INSEE's dateDernierTraitement (Paris civil time, as published); not a reason to reject a row."""
        if self.careful:
            return f"CASE WHEN pg_input_is_valid({value}, 'timestamp') THEN {value}::timestamp END"
        return f"{value}::timestamp"


def yes_no(value: str) -> str:
    return f"CASE {value} WHEN 'O' THEN true WHEN 'N' THEN false END"


def size(band: str) -> str:
    return f"{BIGGEST} - fce.size_order({band})"


def company_problem(u: str = "u") -> str:
    siren, state = col(u, "siren"), col(u, "etatAdministratifUniteLegale")
    start = col(u, "dateDebut")
    return first_problem([
        (f"NOT coalesce(fce.siren_is_valid({siren}), false)", identifier_problem("siren", siren, "SIREN")),
        (f"{state} IS NULL OR {state} NOT IN ('A', 'C')",
         f"'etatAdministratifUniteLegale is ' || {quoted(state)} || ', not A or C'"),
        bad_date("dateCreationUniteLegale", col(u, "dateCreationUniteLegale")),
        (f"{state} = 'C' AND {bad_date('dateDebut', start)[0]}", bad_date("dateDebut", start)[1]),
        bad_year("anneeEffectifsUniteLegale", col(u, "anneeEffectifsUniteLegale")),
    ])


def establishment_problem(u: str = "u") -> str:
    siret, siren, nic = col(u, "siret"), col(u, "siren"), col(u, "nic")
    state, head, start = col(u, "etatAdministratifEtablissement"), col(u, "etablissementSiege"), col(u, "dateDebut")
    return first_problem([
        (f"NOT coalesce(fce.siret_is_valid({siret}), false)", identifier_problem("siret", siret, "SIRET")),
        (f"coalesce({siren}, '') || coalesce({nic}, '') <> {siret}",
         f"'siret ' || {siret} || ' is not siren ' || {quoted(siren)} || ' followed by nic ' || {quoted(nic)}"),
        (f"{state} IS NULL OR {state} NOT IN ('A', 'F')",
         f"'etatAdministratifEtablissement is ' || {quoted(state)} || ', not A or F'"),
        (f"{head} IS NULL OR {head} NOT IN ('true', 'false')",
         f"'etablissementSiege is ' || {quoted(head)} || ', not true or false'"),
        bad_date("dateCreationEtablissement", col(u, "dateCreationEtablissement")),
        (f"{state} = 'F' AND {bad_date('dateDebut', start)[0]}", bad_date("dateDebut", start)[1]),
        bad_year("anneeEffectifsEtablissement", col(u, "anneeEffectifsEtablissement")),
    ])


def succession_problem(u: str = "u") -> str:
    checks = []
    for column in ("siretEtablissementPredecesseur", "siretEtablissementSuccesseur"):
        value = col(u, column)
        checks.append((f"NOT coalesce(fce.siret_is_valid({value}), false)", identifier_problem(column, value, "SIRET")))
    transfer, day = col(u, "transfertSiege"), col(u, "dateLienSuccession")
    return first_problem([
        *checks,
        (f"{transfer} IS NULL OR {transfer} NOT IN ('true', 'false')",
         f"'transfertSiege is ' || {quoted(transfer)} || ', not true or false'"),
        bad_date("dateLienSuccession", day),
        (f"{day} IS NULL", "'dateLienSuccession is empty'"),
    ])


def succession_key(u: str = "u") -> str:
    """Rejection.key of a succession: the wrong SIRET, else the predecessor."""
    predecessor, successor = col(u, "siretEtablissementPredecesseur"), col(u, "siretEtablissementSuccesseur")
    return (f"CASE WHEN coalesce(fce.siret_is_valid({predecessor}), false) "
            f"AND NOT coalesce(fce.siret_is_valid({successor}), false) THEN {successor} ELSE {predecessor} END")


PROBLEMS = {"companies": company_problem, "establishments": establishment_problem, "successions": succession_problem}
REJECTION_KEYS = {"companies": lambda u="u": col(u, "siren"), "establishments": lambda u="u": col(u, "siret"),
                  "successions": succession_key}
RAW_KEYS = {
    "companies": lambda u="u": col(u, "siren"),
    "establishments": lambda u="u": col(u, "siret"),
    "successions": lambda u="u": (f"concat_ws(' ', {col(u, 'siretEtablissementPredecesseur')}, "
                                  f"{col(u, 'siretEtablissementSuccesseur')}, {col(u, 'dateLienSuccession')})"),
}


def commune_code(u: str) -> str:
    """A foreign address has no commune, whatever the file holds there (domain: establishment_from_row)."""
    return f"CASE WHEN {col(u, 'codePaysEtrangerEtablissement')} IS NULL THEN {col(u, 'codeCommuneEtablissement')} END"


def commune_name(u: str) -> str:
    return (f"CASE WHEN {col(u, 'codePaysEtrangerEtablissement')} IS NULL "
            f"THEN {col(u, 'libelleCommuneEtablissement')} END")


def departement(code: str, commune: str = "co") -> str:
    """From the commune referential, or by the code's rule for a commune it does not list (merged
    since): the rule (a regular expression) only runs for those."""
    return f"coalesce({commune}.departement, fce.departement_of_commune({code}))"


def region(commune: str = "co", departement: str = "d") -> str:
    """From the commune referential, else from the departement of the code's rule (joined as `d`)."""
    return f"coalesce({commune}.region, {departement}.region)"


def departement_join(code: str, alias: str = "d", commune: str = "co") -> str:
    """A join rather than a subquery per row: it keeps the statement parallel. Its key is only
    computed (by the rule) for the rows whose region the commune referential does not give."""
    return (f"LEFT JOIN ref.departements {alias} ON {alias}.code = "
            f"CASE WHEN {commune}.region IS NULL THEN fce.departement_of_commune({code}) END ")


def natural_person_name(u: str) -> str:
    """domain.sirene._natural_person_name: "FIRST USAGE-NAME (BIRTH-NAME)"."""
    first = f"coalesce({col(u, 'prenomUsuelUniteLegale')}, {col(u, 'prenom1UniteLegale')})"
    surname, usage = col(u, "nomUniteLegale"), col(u, "nomUsageUniteLegale")
    return (f"concat_ws(' ', {first}, coalesce({usage}, {surname})) || CASE WHEN {usage} IS NOT NULL "
            f"AND {surname} IS NOT NULL AND {usage} <> {surname} THEN ' (' || {surname} || ')' ELSE '' END")


@dataclass(frozen=True)
class Shaping:
    """A table's rows from a staging table: `fields` computes each staging row's own fields once
    (r); `rows(r)` joins them to the lookups, keeps the valid ones and stores them in their order,
    columns named as the table's.

    A rebuild runs them as two statements (the fields into a table first): over a subquery,
    PostgreSQL joins and sorts in one process, while over a table whose statistics it has, each
    worker joins and sorts its share. An import of changes shapes a few % of the rows, which no
    sort orders: it runs `select()`, one statement. SELECTs (not INSERT ... SELECT) so that the
    import runs them as CREATE TABLE ... AS, which PostgreSQL runs with parallel workers (an
    INSERT runs serially)."""

    fields: str
    outer: str  # the select list over r and the lookups
    joins: str
    where: str
    order: str | None = None

    def rows(self, fields: str) -> str:
        """The table's rows, from `fields` (a table made by the first statement)."""
        return f"""
            SELECT {self.outer}
            FROM {fields} r
            {self.joins}
            WHERE {self.where}
            {f'ORDER BY {self.order}' if self.order else ''}
        """

    def select(self) -> str:
        """The table's rows in one statement (the fields as a subquery)."""
        return self.rows(f"({self.fields} OFFSET 0)")  # OFFSET 0: each staging row's fields computed once


def _statement(outer: dict[str, str], inner: dict[str, str], source: str, joins: str, where: str,
               order: str | None = None) -> Shaping:
    """The rows of a table, columns named as its: `inner` computed once per staging row (r), `outer`
    from r and the lookups; stored in `order` when given."""
    return Shaping(
        fields=f"SELECT {', '.join(f'{expression} AS {name}' for name, expression in inner.items())} FROM {source}",
        outer=", ".join(f"{expression} AS {name}" for name, expression in outer.items()),
        joins=joins, where=where, order=order,
    )


# The registry's rows are stored by département, then in rank order: a search reads them in rank
# order, through one département (or a few, for a région) or all of them, so the rows it reads
# next lie on the pages it has just read instead of one page each, anywhere in 3 GB (at 11 M, a
# département's walk read 700 pages instead of 11,000). Not by SIRET within a rank: sorting on a
# third key doubled the sort's time. Each worker sorts its share (3 s at 1 M), then they are merged.
STORED_ORDER = "departement, rank_key"


def companies_select(careful: bool, head_offices: str = f"{SCHEMA}.{ESTABLISHMENTS.stage}") -> Shaping:
    """The valid companies of the staging table, with their head office's place from `head_offices`
    (establishment rows as in the file: the staging table, or what stands for it, see HEAD_OFFICES)."""
    u, cast = "u", Casts(careful)
    category, surname = col(u, "categorieJuridiqueUniteLegale"), col(u, "nomUniteLegale")
    natural = f"({category} = '1000' OR ({category} IS NULL AND {surname} IS NOT NULL))"
    state, sigle, usual = col(u, "etatAdministratifUniteLegale"), col(u, "sigleUniteLegale"), \
        col(u, "denominationUsuelle1UniteLegale")
    denomination = (f"nullif(CASE WHEN {natural} THEN {natural_person_name(u)} "
                    f"ELSE {col(u, 'denominationUniteLegale')} END, '')")
    h = "h"  # the head office's staging row, fields as found
    head = {c: f"nullif(nullif({h}.{ident(c)}, '[ND]'), '')" for c in (
        "codePaysEtrangerEtablissement", "codeCommuneEtablissement", "libelleCommuneEtablissement",
        "codePostalEtablissement")}
    foreign = head["codePaysEtrangerEtablissement"]
    inner = {
        "siren": col(u, "siren"),
        "valid": (f"{company_problem(u)} IS NULL" if careful else
                  f"coalesce(fce.siren_is_valid({col(u, 'siren')}), false) AND {state} IN ('A', 'C')"),
        "denomination": denomination,
        "sigle": sigle,
        "usual_name": usual,
        "legal_category": category,
        "is_natural_person": f"coalesce({natural}, false)",
        "naf": col(u, "activitePrincipaleUniteLegale"),
        "naf_nomenclature": col(u, "nomenclatureActivitePrincipaleUniteLegale"),
        "naf_2025": col(u, "activitePrincipaleNAF25UniteLegale"),
        "headcount_band": col(u, "trancheEffectifsUniteLegale"),
        "headcount_year": cast.year(col(u, "anneeEffectifsUniteLegale")),
        "state": state,
        "ess": yes_no(col(u, "economieSocialeSolidaireUniteLegale")),
        "employer": yes_no(col(u, "caractereEmployeurUniteLegale")),
        "created_on": cast.date(col(u, "dateCreationUniteLegale")),
        "ceased_on": f"CASE WHEN {state} = 'C' THEN {cast.date(col(u, 'dateDebut'))} END",
        "head_office_nic": col(u, "nicSiegeUniteLegale"),
        "diffusion_status": f"coalesce({col(u, 'statutDiffusionUniteLegale')}, 'O')",
        "purged": f"coalesce({col(u, 'unitePurgeeUniteLegale')} = 'true', false)",
        "last_processed_at": cast.processed_at(col(u, COMPANIES.processed_column)),
        "words": f"fce.name_words({denomination})",
        "other_words": f"CASE WHEN {sigle} IS NOT NULL OR {usual} IS NOT NULL "
                       f"THEN fce.name_words(concat_ws(' ', {sigle}, {usual})) END",
        "head_code": f"CASE WHEN {foreign} IS NULL THEN {head['codeCommuneEtablissement']} END",
        "head_commune_name": f"CASE WHEN {foreign} IS NULL THEN {head['libelleCommuneEtablissement']} END",
        "head_postcode": head["codePostalEtablissement"],
        "source_digest": "u._digest",
    }
    outer = {
        **{name: f"r.{name}" for name in inner if name not in (
            "valid", "words", "other_words", "head_code", "head_commune_name", "head_postcode")},
        "naf_is_current": "coalesce(r.naf IS NOT NULL AND r.naf_nomenclature = 'NAFRev2', false)",
        "naf_section": "n.section",
        "postcode": "r.head_postcode",
        "commune_code": "r.head_code",
        "commune_name": "r.head_commune_name",
        "departement": departement("r.head_code"),
        "region": region(),
        "epci": "co.epci",
        "latitude": "co.latitude",
        "longitude": "co.longitude",
        "name_norm": "nullif(array_to_string(r.words, ' '), '')",
        "search_vector": "coalesce(array_to_tsvector(CASE WHEN r.other_words IS NULL THEN r.words "
                         "ELSE coalesce(r.words, '{}') || r.other_words END), '')",
        "rank_key": f"CASE WHEN r.state = 'C' THEN {CLOSED_PENALTY} ELSE 0 END + {size('r.headcount_band')}",
    }
    # The head office is the row whose siren and nic are the company's (a row whose SIRET says
    # otherwise is rejected, and must not give the company a second head office).
    source = (f"{values_of(COMPANIES)} u LEFT JOIN {head_offices} {h} "
              f"ON {h}.siret = {col(u, 'siren')} || {col(u, 'nicSiegeUniteLegale')} "
              f"AND {h}.siren = {col(u, 'siren')} AND {h}.nic = {col(u, 'nicSiegeUniteLegale')} "
              f"AND {h}.{ident('etablissementSiege')} = 'true'")
    joins = (f"LEFT JOIN {SCHEMA}._stage_communes co ON co.code = r.head_code "
             f"{departement_join('r.head_code')}"
             "LEFT JOIN ref.naf n ON n.code = r.naf AND r.naf_nomenclature = 'NAFRev2'")
    return _statement(outer, inner, source, joins, "r.valid", STORED_ORDER)


def own_words(enseigne: str, usual_name: str) -> str:
    """The words of an establishment's own names (its sign, its usual name), NULL if it has none."""
    return (f"CASE WHEN {enseigne} IS NOT NULL OR {usual_name} IS NOT NULL "
            f"THEN fce.name_words(concat_ws(' ', {enseigne}, {usual_name})) END")


def company_fields(c: str, words: str) -> dict[str, str]:
    """An establishment's columns that come from its company (`c`), its own name's `words` added to the
    company's: made with the establishment, and again when only the company changed."""
    return {
        "company_name": f"{c}.denomination",
        "company_sigle": f"{c}.sigle",
        "legal_category": f"{c}.legal_category",
        "ess": f"{c}.ess",
        "name_norm": f"{c}.name_norm",
        "search_vector": f"CASE WHEN {words} IS NULL THEN coalesce({c}.search_vector, '') "
                         f"ELSE coalesce({c}.search_vector, '') || array_to_tsvector({words}) END",
    }


COMPANY_FIELDS = ("denomination", "sigle", "legal_category", "ess", "name_norm", "search_vector")


def establishments_select(companies: str, careful: bool) -> Shaping:
    """The valid establishments, with their company's names from `companies`."""
    u, cast = "u", Casts(careful)
    state, head = col(u, "etatAdministratifEtablissement"), col(u, "etablissementSiege")
    enseigne = (f"coalesce({col(u, 'enseigne1Etablissement')}, {col(u, 'enseigne2Etablissement')}, "
                f"{col(u, 'enseigne3Etablissement')})")
    usual = col(u, "denominationUsuelleEtablissement")
    siret, siren, nic = col(u, "siret"), col(u, "siren"), col(u, "nic")
    inner = {
        "siret": siret,
        # The SIREN part of the SIRET is checked through the company (r.siren_known) when there is one.
        "valid": (f"{establishment_problem(u)} IS NULL" if careful else
                  f"fce.is_digits({siret}, 14) AND {siren} || {nic} = {siret} AND {state} IN ('A', 'F') "
                  f"AND {head} IN ('true', 'false') AND CASE WHEN {siret} LIKE '356000000%' "
                  f"AND {siret} <> '35600000000048' THEN fce.digit_sum({siret}::bigint) % 5 = 0 "
                  f"ELSE fce.siret_luhn({siret}::bigint) % 10 = 0 END"),
        "siren": siren,
        "nic": nic,
        "head_office": f"{head} = 'true'",
        "enseigne": enseigne,
        "usual_name": usual,
        "address_complement": col(u, "complementAdresseEtablissement"),
        "street_number": col(u, "numeroVoieEtablissement"),
        "street_number_suffix": col(u, "indiceRepetitionEtablissement"),
        "street_type": col(u, "typeVoieEtablissement"),
        "street_name": col(u, "libelleVoieEtablissement"),
        "special_distribution": col(u, "distributionSpecialeEtablissement"),
        "postcode": col(u, "codePostalEtablissement"),
        "commune_code": commune_code(u),
        "commune_name": commune_name(u),
        "cedex_code": col(u, "codeCedexEtablissement"),
        "cedex_name": col(u, "libelleCedexEtablissement"),
        "foreign_city": col(u, "libelleCommuneEtrangerEtablissement"),
        "country_code": col(u, "codePaysEtrangerEtablissement"),
        "country_name": col(u, "libellePaysEtrangerEtablissement"),
        "naf": col(u, "activitePrincipaleEtablissement"),
        "naf_nomenclature": col(u, "nomenclatureActivitePrincipaleEtablissement"),
        "naf_2025": col(u, "activitePrincipaleNAF25Etablissement"),
        "headcount_band": col(u, "trancheEffectifsEtablissement"),
        "headcount_year": cast.year(col(u, "anneeEffectifsEtablissement")),
        "state": state,
        "employer": yes_no(col(u, "caractereEmployeurEtablissement")),
        "created_on": cast.date(col(u, "dateCreationEtablissement")),
        "closed_on": f"CASE WHEN {state} = 'F' THEN {cast.date(col(u, 'dateDebut'))} END",
        "diffusion_status": f"coalesce({col(u, 'statutDiffusionEtablissement')}, 'O')",
        "last_processed_at": cast.processed_at(col(u, ESTABLISHMENTS.processed_column)),
        "own_words": own_words(enseigne, usual),
        "source_digest": "u._digest",
    }
    outer = {
        **{name: f"r.{name}" for name in inner if name not in ("valid", "own_words")},
        "departement": departement("r.commune_code"),
        "region": region(),
        "epci": "co.epci",
        "latitude": "co.latitude",
        "longitude": "co.longitude",
        "naf_is_current": "coalesce(r.naf IS NOT NULL AND r.naf_nomenclature = 'NAFRev2', false)",
        "naf_section": "n.section",
        **company_fields("c", "r.own_words"),
        "rank_key": f"CASE WHEN r.state = 'F' THEN {CLOSED_PENALTY} ELSE 0 END "
                    f"+ CASE WHEN r.head_office THEN 0 ELSE {SECONDARY_PENALTY} END + {size('r.headcount_band')}",
    }
    joins = (f"LEFT JOIN {SCHEMA}.{companies} c ON c.siren = r.siren "
             f"LEFT JOIN {SCHEMA}._stage_communes co ON co.code = r.commune_code "
             f"{departement_join('r.commune_code')}"
             "LEFT JOIN ref.naf n ON n.code = r.naf AND r.naf_nomenclature = 'NAFRev2'")
    where = "r.valid" if careful else "r.valid AND (c.siren IS NOT NULL OR fce.siren_is_valid(left(r.siret, 9)))"
    return _statement(outer, inner, f"{values_of(ESTABLISHMENTS)} u", joins, where, STORED_ORDER)


def successions_select(careful: bool) -> Shaping:
    u, cast = "u", Casts(careful)
    inner = {
        "valid": f"{succession_problem(u)} IS NULL",
        "predecessor_siret": col(u, "siretEtablissementPredecesseur"),
        "successor_siret": col(u, "siretEtablissementSuccesseur"),
        "succeeded_on": cast.date(col(u, "dateLienSuccession")),
        "head_office_transfer": f"{col(u, 'transfertSiege')} = 'true'",
        "economic_continuity": f"CASE {col(u, 'continuiteEconomique')} "
                               "WHEN 'true' THEN true WHEN 'false' THEN false END",
        "last_processed_at": cast.processed_at(col(u, SUCCESSIONS.processed_column)),
    }
    outer = {name: f"r.{name}" for name in inner if name != "valid"}
    return _statement(outer, inner, f"{values_of(SUCCESSIONS)} u", "", "r.valid")


def selects(dataset: Dataset, careful: bool) -> Shaping:
    """The rows of fce._next_<table>, columns named as the table's."""
    if dataset is COMPANIES:
        return companies_select(careful)
    if dataset is ESTABLISHMENTS:
        return establishments_select(f"_next_{COMPANIES.table}", careful)
    return successions_select(careful)


def rejections_insert(dataset: Dataset) -> str:
    """The rejected rows of a staging table, with their line and reason ($1: the import source)."""
    problem, key = PROBLEMS[dataset.name](), REJECTION_KEYS[dataset.name]()
    return f"""
        INSERT INTO {SCHEMA}.import_rejections (source_id, line, key, reason)
        SELECT $1, r.line, r.key, r.problem
        FROM (SELECT u.line, {key} AS key, {problem} AS problem FROM {values_of(dataset)} u OFFSET 0) r
        WHERE r.problem IS NOT NULL
        ORDER BY r.line
    """


def duplicates_removal(dataset: Dataset) -> str:
    """Keep the first row of each key and reject the others ($1: the import source)."""
    return f"""
        WITH keyed AS (
            SELECT u.line, {RAW_KEYS[dataset.name]()} AS key FROM {values_of(dataset)} u
        ), ranked AS (
            SELECT line, key, min(line) OVER (PARTITION BY key) AS first FROM keyed WHERE key IS NOT NULL
        ), removed AS (
            DELETE FROM {SCHEMA}.{dataset.stage} s USING ranked r
            WHERE s.line = r.line AND r.line <> r.first
            RETURNING r.line, r.key, r.first
        )
        INSERT INTO {SCHEMA}.import_rejections (source_id, line, key, reason)
        SELECT $1, line, key, '{dataset.key[0]} ' || key || ' is also on line ' || first || ': the first is kept'
        FROM removed
    """


def city_of_arrondissement(commune: str) -> str:
    """Paris, Lyon and Marseille: SIRENE gives the arrondissement; its EPCI is the city's."""
    return (f"CASE WHEN {commune}.code LIKE '751%' THEN '75056' WHEN {commune}.code LIKE '6938%' THEN '69123' "
            f"WHEN {commune}.code LIKE '132%' THEN '13055' END")


COMMUNES_LOOKUP = f"""
    CREATE UNLOGGED TABLE {SCHEMA}._stage_communes AS
    SELECT c.code, c.departement, c.region, coalesce(c.epci, city.epci) AS epci, c.latitude, c.longitude
    FROM ref.communes c
    LEFT JOIN ref.communes city ON c.kind = 'arrondissement' AND city.code = {city_of_arrondissement("c")}
"""

VOCABULARY_SELECT = f"""
    SELECT word, count(*) AS frequency
    FROM (
        SELECT unnest(tsvector_to_array(search_vector)) AS word FROM {SCHEMA}._next_companies
        UNION ALL
        SELECT unnest(fce.name_words(concat_ws(' ', enseigne, usual_name)))
        FROM {SCHEMA}._next_establishments WHERE enseigne IS NOT NULL OR usual_name IS NOT NULL
    ) w
    GROUP BY word
"""


def head_offices_of_changes() -> str:
    """The head offices of the staged companies, as the file has them, for an import of changes:
    the staged line, else the live row made from the same unchanged line (its place columns are
    the line's, "[ND]" read as no value as the head office's place reads it), unless the file
    no longer has it (fce._replaced_establishments: the staged and the removed keys)."""
    s, place = ESTABLISHMENTS.stage, ("codePaysEtrangerEtablissement", "codeCommuneEtablissement",
                                      "libelleCommuneEtablissement", "codePostalEtablissement")
    return f"""(
        SELECT s.siret, s.siren, s.nic, s."etablissementSiege", {', '.join(f's.{ident(c)}' for c in place)}
        FROM {SCHEMA}.{s} s
        UNION ALL
        SELECT e.siret, e.siren, e.nic, 'true', e.country_code, e.commune_code, e.commune_name, e.postcode
        FROM {SCHEMA}.{COMPANIES.stage} c
        JOIN {SCHEMA}.establishments e ON e.siret = (c.siren || c."nicSiegeUniteLegale") COLLATE "C" AND e.head_office
        WHERE NOT EXISTS (SELECT FROM {SCHEMA}._replaced_establishments r WHERE r.key = e.siret)
    )"""


# What made the registry's rows: the shaping statements and the referentials they read. An import
# of changes keeps the rows of unchanged lines, so it is right only if neither changed since.
SHAPED_WITH = """
    SELECT md5($1 || coalesce(string_agg(name || ':' || checksum, ',' ORDER BY name), '')) FROM ref.meta
"""  # the referentials' checksums, as loaded


def shaping_statements() -> str:
    """What the fingerprint covers besides the referentials: the statements, and the lines' digest."""
    return "\n".join([COMMUNES_LOOKUP, companies_select(careful=False).select(),
                      establishments_select("companies", False).select(), VOCABULARY_SELECT, DIGEST])


DIGEST = "xxh3_64 of the line's bytes, minus 2**63"  # stock_lines.digest; another digest means a rebuild


def words_of(table: str, alias: str) -> str:
    """The vocabulary's words that a row of `table` brings (VOCABULARY_SELECT), one per result row."""
    if table == "companies":
        return f"unnest(tsvector_to_array({alias}.search_vector))"
    return f"unnest({own_words(f'{alias}.enseigne', f'{alias}.usual_name')})"


def change_selects(dataset: Dataset, careful: bool) -> Shaping:
    """The rows of fce._changed_<table> in an import of changes: the staged lines only, companies
    placed by head_offices_of_changes(), establishments named by the live (already changed) companies."""
    if dataset is COMPANIES:
        return companies_select(careful, head_offices_of_changes())
    return establishments_select(COMPANIES.table, careful)

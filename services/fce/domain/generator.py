"""Synthetic SIRENE stock files, in exactly INSEE's format, for demos, tests and benchmarks.

Streams the three files (companies, establishments, successions) by chunks of 100,000
establishments, so 11 million take no more memory than a few chunks. Every SIREN and SIRET is valid (Luhn, and
La Poste's sum-of-digits rule); communes and NAF codes are the caller's real ones. Proportions
(documented on the constants below) follow the real stock closely enough for search and import
benchmarks: about 2.7 establishments per company, one head office each, about 15 % closed units,
sole traders, partially diffusible units with "[ND]" fields, foreign and CEDEX addresses, old NAF
nomenclatures on units closed long ago, and head-office transfers in the successions file.

The same seed always gives the same files (for a given Python version and argument lists).
write_next_month writes the same stock a month later (a few % of rows changed, closed, removed
or created), to measure a monthly re-import.
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import os
import random
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from services.fce.domain.identifiers import LA_POSTE_SIREN, numbered_nics, siren_check_digit
from services.fce.domain.sirene import (
    COMPANIES_FILE,
    ESTABLISHMENTS_FILE,
    ETABLISSEMENT_COLUMNS,
    LIEN_SUCCESSION_COLUMNS,
    MASKED,
    SUCCESSIONS_FILE,
    UNITE_LEGALE_COLUMNS,
)

Commune = tuple[str, str, str]  # (code INSEE, name, postcode)


@dataclass(frozen=True)
class GeneratedFiles:
    companies: Path
    establishments: Path
    successions: Path
    company_count: int
    establishment_count: int
    succession_count: int


# fmt: off
# How many establishments a company has, as weights: mostly one, a long tail (mean about 2.7).
ESTABLISHMENTS_PER_COMPANY = {
    1: 520, 2: 210, 3: 100, 4: 60, 5: 40, 6: 25, 8: 20, 10: 12, 15: 7, 25: 5, 60: 2, 150: 1.5,
}
CEASED_COMPANY_SHARE = 0.12  # their establishments are all closed
CLOSED_ESTABLISHMENT_SHARE = 0.05  # among the secondary establishments of active companies
SOLE_TRADER_SHARE = 0.40  # entrepreneurs individuels, named after the person
PARTIALLY_DIFFUSIBLE_SHARE = 0.03  # among sole traders: statut de diffusion "P", fields "[ND]"
HEAD_OFFICE_TRANSFER_SHARE = 0.08  # among multi-establishment companies: a succession link
SUCCEEDED_CLOSURE_SHARE = 0.15  # closed secondary establishments taken over by the next one
OLD_NOMENCLATURE_SHARE = 0.30  # units closed and created before 2008 keep their old NAF
FOREIGN_ADDRESS_SHARE = 0.003
CEDEX_SHARE = 0.01
ENSEIGNE_SHARE = 0.20
USUAL_NAME_SHARE = 0.05  # establishments showing the company's name as their usual name

_FIRST_DAY = date(1950, 1, 1)
_LAST_DAY = date(2026, 10, 31)
_NAF_REV2_FROM = date(2008, 1, 1)

# Legal categories (catégorie juridique, niveau III) of companies that are not sole traders.
_LEGAL_CATEGORIES = {
    "5710": 30, "5499": 22, "6540": 18, "9220": 12, "5720": 8, "5498": 5, "5202": 1, "5599": 1,
    "6316": 0.5, "5308": 0.5, "7210": 0.5, "9300": 0.3, "6220": 0.4, "5485": 0.3,
}
_HEADCOUNT_BANDS = {
    "NN": 5000, "00": 800, "01": 1300, "02": 900, "03": 700, "11": 500, "12": 400, "21": 200,
    "22": 120, "31": 60, "32": 40, "41": 20, "42": 12, "51": 5, "52": 2, "53": 1,
}
_NON_EMPLOYER_BANDS = frozenset({"NN", ""})
_STREET_TYPES = {
    "RUE": 45, "AV": 12, "BD": 5, "CHE": 8, "RTE": 7, "PL": 4, "ALL": 4, "IMP": 4, "QUAI": 1,
    "CRS": 1, "SQ": 1, "LD": 3, "LOT": 2, "RES": 2, "": 1,
}
# Codes of the nomenclatures SIRENE used before NAF rev. 2, kept on units closed long ago.
_OLD_NAF_CODES = {
    "NAFRev1": ("52.1D", "55.3A", "74.1A", "45.2B", "51.1P", "60.2M", "70.3C", "52.4C", "93.0E", "74.8K"),
    "NAF1993": ("52.1D", "55.3A", "74.1G", "45.2A", "51.7Z", "60.2L", "70.2C", "52.2C", "85.1C", "93.0D"),
    "NAP": ("6411", "6701", "5512", "7711", "6702", "6421", "5540", "7912", "8401", "6502"),
}
_FOREIGN_PLACES = (
    ("99132", "ROYAUME-UNI", ("LONDRES", "MANCHESTER", "EDIMBOURG")),
    ("99109", "ALLEMAGNE", ("BERLIN", "FRANCFORT", "MUNICH", "SARREBRUCK")),
    ("99131", "BELGIQUE", ("BRUXELLES", "LIEGE", "ANVERS", "MONS")),
    ("99134", "ESPAGNE", ("MADRID", "BARCELONE", "SAINT-SEBASTIEN")),
    ("99127", "ITALIE", ("MILAN", "TURIN", "VINTIMILLE")),
    ("99140", "SUISSE", ("GENEVE", "LAUSANNE", "BALE")),
    ("99137", "LUXEMBOURG", ("LUXEMBOURG", "ESCH-SUR-ALZETTE")),
    ("99404", "ETATS-UNIS", ("NEW YORK", "SAN FRANCISCO")),
    ("99350", "MAROC", ("CASABLANCA", "RABAT")),
    ("99401", "CANADA", ("MONTREAL", "QUEBEC")),
)

SURNAMES = (
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU",
    "LAURENT", "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL",
    "FOURNIER", "GIRARD", "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT",
    "MULLER", "LEFEVRE", "FAURE", "ANDRE", "MERCIER", "BLANC", "GUERIN", "BOYER", "GARNIER",
    "CHEVALIER", "FRANCOIS", "LEGRAND", "GAUTHIER", "GARCIA", "PERRIN", "ROBIN", "CLEMENT",
    "MORIN", "NICOLAS", "HENRY", "ROUSSEL", "MATHIEU", "GAUTIER", "MASSON", "MARCHAND", "DUVAL",
    "DENIS", "DUMONT", "MARIE", "LEMAIRE", "NOEL", "MEYER", "DUFOUR", "MEUNIER", "BRUN",
    "BLANCHARD", "GIRAUD", "JOLY", "RIVIERE", "LUCAS", "BRUNET", "GAILLARD", "BARBIER", "ARNAUD",
    "MARTINEZ", "GERARD", "ROCHE", "RENARD", "SCHMITT", "ROY", "LEROUX", "COLIN", "VIDAL", "CARON",
    "PICARD", "ROGER", "FABRE", "AUBERT", "LEMOINE", "RENAUD", "DUMAS", "LACROIX", "OLIVIER",
    "PHILIPPE", "BOURGEOIS", "PIERRE", "BENOIT", "REY", "LECLERC", "PAYET", "ROLLAND", "LECLERCQ",
    "GUILLAUME", "LECOMTE", "LOPEZ", "JEAN", "DUPUY", "GUILLOT", "HUBERT", "BERGER", "CARPENTIER",
    "SANCHEZ", "DUPUIS", "MOULIN", "LOUIS", "DESCHAMPS", "HUET", "VASSEUR", "PEREZ", "BOUCHER",
    "FLEURY", "ROYER", "KLEIN", "JACQUET", "ADAM", "PARIS", "POIRIER", "MARTY", "AUBRY", "GUYOT",
    "CARRE", "CHARLES", "RENAULT", "CHARPENTIER", "MENARD", "MAILLARD", "BARON", "BERTIN",
    "BAILLY", "HERVE", "SCHNEIDER", "FERNANDEZ", "LE GALL", "COLLET", "LEGER", "BOUVIER", "JULIEN",
    "PREVOST", "MILLET", "PERROT", "DANIEL", "LE ROUX", "COUSIN", "GERMAIN", "BRETON", "BESSON",
    "LANGLOIS", "REMY", "LE GOFF", "PELLETIER", "LEVEQUE", "PERRIER", "LEBLANC", "BARRE", "LEBRUN",
    "MARCHAL", "WEBER", "MALLET", "HAMON", "BOULANGER", "JACOB", "MONNIER", "MICHAUD", "RODRIGUEZ",
    "GUICHARD", "GILLET", "ETIENNE", "GRONDIN", "POULAIN", "TESSIER", "CHEVALLIER", "COLLIN",
    "CHAUVIN", "DA SILVA", "BOUCHET", "GAY", "LEMAITRE", "BENARD", "MARECHAL", "HUMBERT",
    "REYNAUD", "ANTOINE", "HOARAU", "PERRET", "BARTHELEMY", "CORDIER", "PICHON", "LEJEUNE",
    "GILBERT", "LAMY", "DELAUNAY", "PASQUIER", "CARLIER", "LAPORTE", "BOULAY", "LE BIHAN",
    "KERVELLA", "NGUYEN", "DIALLO", "BENALI", "BOUZID", "TRAN", "MENDES", "FERREIRA", "PEREIRA",
    "HAMEL", "GODARD", "VALLEE", "LEBON", "COULON", "MAURICE", "LEMONNIER", "DELMAS", "BRUNEAU",
    "TANGUY", "QUEMENER", "ETCHEVERRY", "AGOSTINI", "SANTONI", "ZIMMERMANN", "WAGNER", "SCHAEFFER",
    "BECKER", "HOFFMANN", "LOPES", "RIBEIRO", "MOHAMED", "HADDAD", "CHERIF", "MANSOURI", "SAIDI",
    "KONATE", "TRAORE", "CISSE", "LAVAL", "DELORME",
)
MALE_FIRST_NAMES = (
    "JEAN", "PIERRE", "MICHEL", "ANDRE", "PHILIPPE", "ALAIN", "BERNARD", "CHRISTOPHE", "PATRICK",
    "NICOLAS", "DANIEL", "FREDERIC", "LAURENT", "STEPHANE", "DAVID", "ERIC", "JULIEN", "SEBASTIEN",
    "THOMAS", "OLIVIER", "FRANCOIS", "PASCAL", "THIERRY", "ANTOINE", "VINCENT", "MAXIME", "KEVIN",
    "LUCAS", "HUGO", "YANNICK", "KARIM", "MEHDI", "JEROME", "GILLES", "DIDIER", "BRUNO", "JACQUES",
    "SERGE", "CEDRIC", "FABRICE", "ROMAIN", "GUILLAUME", "ALEXANDRE", "BENJAMIN", "CLEMENT",
    "MATHIEU", "ARNAUD", "YOUSSEF", "MAMADOU", "JEAN-PIERRE", "JEAN-LUC", "JEAN-MARC",
)
FEMALE_FIRST_NAMES = (
    "MARIE", "NATHALIE", "ISABELLE", "SYLVIE", "CATHERINE", "FRANCOISE", "SANDRINE", "VALERIE",
    "CHRISTINE", "MONIQUE", "SOPHIE", "CELINE", "STEPHANIE", "JULIE", "AURELIE", "CAROLINE",
    "EMILIE", "CAMILLE", "LAURA", "MANON", "SARAH", "PAULINE", "CHLOE", "LEA", "INES", "FATIMA",
    "AMINA", "VIRGINIE", "SEVERINE", "CORINNE", "PATRICIA", "MARTINE", "NADINE", "BRIGITTE",
    "CHANTAL", "DELPHINE", "ELODIE", "MELANIE", "CLAIRE", "ANNE", "HELENE", "AGNES", "LUCIE",
    "MARIE-CLAIRE", "ANNE-SOPHIE", "NADIA", "SAMIRA", "AICHA", "OCEANE", "MARGAUX",
)
# Trades and the NAF rev. 2 sub-class they go with, so that a "BOULANGERIE" is in 10.71C.
TRADES = (
    ("BOULANGERIE", "10.71C"), ("PATISSERIE", "10.71D"), ("BOUCHERIE", "47.22Z"),
    ("CHARCUTERIE", "10.13B"), ("PRIMEUR", "47.21Z"), ("FROMAGERIE", "47.29Z"),
    ("EPICERIE", "47.11B"), ("SUPERMARCHE", "47.11D"), ("TABAC PRESSE", "47.26Z"),
    ("PHARMACIE", "47.73Z"), ("OPTIQUE", "47.78A"), ("FLEURS", "47.76Z"), ("LIBRAIRIE", "47.61Z"),
    ("RESTAURANT", "56.10A"), ("PIZZERIA", "56.10C"), ("BRASSERIE", "56.10A"), ("CAFE", "56.30Z"),
    ("BAR", "56.30Z"), ("HOTEL", "55.10Z"), ("CAMPING", "55.30Z"), ("TRAITEUR", "56.21Z"),
    ("COIFFURE", "96.02A"), ("INSTITUT DE BEAUTE", "96.02B"), ("PRESSING", "96.01B"),
    ("GARAGE", "45.20A"), ("CARROSSERIE", "45.20A"), ("AUTO-ECOLE", "85.53Z"), ("TAXI", "49.32Z"),
    ("AMBULANCES", "86.90A"), ("TRANSPORTS", "49.41A"), ("DEMENAGEMENTS", "49.42Z"),
    ("PLOMBERIE", "43.22A"), ("CHAUFFAGE", "43.22B"), ("ELECTRICITE", "43.21A"),
    ("MENUISERIE", "43.32A"), ("CHARPENTE", "43.91A"), ("COUVERTURE", "43.91B"),
    ("MACONNERIE", "43.99C"), ("PEINTURE", "43.34Z"), ("CARRELAGE", "43.33Z"),
    ("TERRASSEMENT", "43.12A"), ("PAYSAGES", "81.30Z"), ("NETTOYAGE", "81.21Z"),
    ("SERRURERIE", "25.99B"), ("METALLERIE", "25.11Z"), ("IMPRIMERIE", "18.12Z"),
    ("INFORMATIQUE", "62.02A"), ("CONSEIL", "70.22Z"), ("IMMOBILIER", "68.31Z"),
    ("AGENCE IMMOBILIERE", "68.31Z"), ("EXPERTISE COMPTABLE", "69.20Z"),
    ("ARCHITECTURE", "71.11Z"), ("INGENIERIE", "71.12B"), ("FORMATION", "85.59A"),
    ("SECURITE", "80.10Z"), ("CABINET INFIRMIER", "86.90D"), ("KINESITHERAPIE", "86.90E"),
    ("CABINET DENTAIRE", "86.23Z"), ("VETERINAIRE", "75.00Z"), ("PHOTOGRAPHIE", "74.20Z"),
    ("COMMUNICATION", "73.11Z"), ("VITICULTURE", "01.21Z"), ("ELEVAGE", "01.41Z"),
    ("EXPLOITATION AGRICOLE", "01.11Z"), ("SCIERIE", "16.10A"), ("BATIMENT", "41.20A"),
    ("MAISONS", "41.20A"), ("PISCINES", "43.99D"), ("AIDE A DOMICILE", "88.10A"),
    ("CRECHE", "88.91A"), ("SPORTS", "93.13Z"), ("LOCATION", "77.39Z"),
    ("MAGASIN DE MEUBLES", "47.59A"), ("QUINCAILLERIE", "47.52A"), ("BIJOUTERIE", "47.77Z"),
    ("CHAUSSURES", "47.72A"), ("PRET-A-PORTER", "47.71Z"),
)
PLACE_WORDS = (
    "DU CENTRE", "DE LA GARE", "DU MARCHE", "DE LA PLACE", "DU PORT", "DU CHATEAU", "DU MOULIN",
    "DE LA MAIRIE", "DE L EGLISE", "DU LAC", "DE LA VALLEE", "DES HALLES", "DU PONT", "DU PARC",
    "DE LA PLAGE", "DU BOURG", "DES ALPES", "DE LA COTE", "DU VIEUX PORT", "DES QUATRE CHEMINS",
    "DU LYCEE", "DE LA FONTAINE", "DES VIGNES", "DU CANAL", "DE LA FORET", "DU STADE",
)
REGION_WORDS = (
    "ATLANTIQUE", "PROVENCE", "BRETAGNE", "NORMANDIE", "ALSACE", "LORRAINE", "AQUITAINE",
    "OCCITANIE", "AUVERGNE", "SAVOIE", "VENDEE", "PICARDIE", "CHAMPAGNE", "BOURGOGNE", "TOURAINE",
    "ANJOU", "BERRY", "LIMOUSIN", "PERIGORD", "GASCOGNE", "ARMOR", "ARGOAT", "CEVENNES", "VOSGES",
    "JURA", "MEDITERRANEE", "OCEAN", "ILE DE FRANCE", "VAL DE LOIRE", "PAYS BASQUE", "CORSE",
    "ANTILLES", "REUNION", "GUYANE", "MONT BLANC", "ESTEREL", "MORVAN", "SOLOGNE", "BEAUCE",
)
NATURE_WORDS = (
    "LES TILLEULS", "LES CHENES", "LES PINS", "LES ACACIAS", "LES PEUPLIERS", "LES LILAS",
    "LES ROSES", "LES GLYCINES", "LES MIMOSAS", "LES OLIVIERS", "LES CEDRES", "LES SAULES",
    "LES ERABLES", "LES CHATAIGNIERS", "LES BLEUETS", "LES COQUELICOTS", "LES HIRONDELLES",
    "LES MOUETTES", "LES ALOUETTES", "LES SOURCES", "LES COTEAUX", "LES JARDINS", "LES VERGERS",
    "LES PRAIRIES", "LES GENETS", "LES BRUYERES", "LES EPIS", "LES CIGALES", "LE CLOS FLEURI",
    "LE HAMEAU", "LA COLLINE", "LA SOURCE", "L OREE DU BOIS", "LE MANOIR", "LA BASTIDE",
)
COINED_STARTS = (
    "ALTI", "NOVA", "ARCA", "BIO", "ECO", "TECHNI", "INFO", "MEDI", "AGRO", "HEXA", "OPTI",
    "MULTI", "EURO", "ATLAN", "ALPI", "PYRE", "CELTI", "OCEA", "PROVEN", "NORMA", "AQUI", "SOLI",
    "VITA", "LUMI", "SYNER", "CAPI", "DOMI", "KERA", "AXI", "ORA", "ZEN", "NEO", "ACTI", "INNO",
    "PRIMA", "TERRA", "AERO", "HYDRO", "ELEC", "THERMO", "MECA", "CHRONO", "DIGI", "LOGI",
)
COINED_ENDS = (
    "TEC", "LOG", "SYS", "NET", "PLUS", "CONSEIL", "SERVICES", "DIS", "BAT", "FORM", "MED",
    "TRANS", "IMMO", "GESTION", "INVEST", "DATA", "CONCEPT", "ENERGIE", "HABITAT", "DESIGN",
    "STUDIO", "LAB", "VISION", "PROTECT", "RENOV", "CLEAN", "FIBRE", "SOLAR", "FOOD", "PACK",
)
ASSOCIATION_WORDS = (  # followed by "DE <commune>"
    "COMITE DES FETES", "AMICALE LAIQUE", "FOOTBALL CLUB", "TENNIS CLUB", "ASSOCIATION SPORTIVE",
    "UNION SPORTIVE", "CLUB DES AINES", "ECOLE DE MUSIQUE", "ASSOCIATION DES PARENTS D ELEVES",
    "SOCIETE DE CHASSE", "HARMONIE MUNICIPALE", "JUDO CLUB", "CLUB DE RANDONNEE",
    "ASSOCIATION CULTURELLE", "FOYER RURAL", "AMICALE DES SAPEURS POMPIERS", "RESTOS DU COEUR",
    "BASKET CLUB", "GYMNASTIQUE VOLONTAIRE", "ASSOCIATION D AIDE A DOMICILE",
    "MAISON DES JEUNES ET DE LA CULTURE", "ATELIER THEATRE", "ENTENTE CYCLISTE", "CHORALE",
)
STREET_NAMES = (
    "DE LA REPUBLIQUE", "JEAN JAURES", "DU GENERAL DE GAULLE", "VICTOR HUGO", "PASTEUR",
    "DE LA GARE", "DES ECOLES", "DU MOULIN", "DE L EGLISE", "NATIONALE", "DE PARIS", "DES LILAS",
    "DES ACACIAS", "DU CHATEAU", "DU PORT", "DE LA PLAGE", "FOCH", "GAMBETTA", "CARNOT",
    "DE VERDUN", "DU 8 MAI 1945", "DU 11 NOVEMBRE", "ANATOLE FRANCE", "EMILE ZOLA", "JULES FERRY",
    "LOUIS PASTEUR", "DU MARECHAL FOCH", "PAUL BERT", "SADI CARNOT", "DES VIGNES", "DES PRES",
    "DU BOURG", "DES CHENES", "DES PEUPLIERS", "DU COMMERCE", "DE L INDUSTRIE", "DES ARTISANS",
    "DE LA FONTAINE", "DU CENTRE", "DES JARDINS", "DE LA VALLEE", "DES ROSES", "DU LAVOIR",
    "SAINT MARTIN", "SAINT JEAN", "DU PONT", "DE LA CROIX", "DE LA FORET", "DES CHAMPS", "DU PARC",
    "DE LA PAIX", "DE BRETAGNE", "DE NORMANDIE", "DE LYON", "DE STRASBOURG", "D ALSACE",
    "DES FLEURS", "MOLIERE", "LAMARTINE", "ARISTIDE BRIAND", "GEORGES CLEMENCEAU", "JEAN MOULIN",
    "PIERRE ET MARIE CURIE", "DE LA RESISTANCE", "DES MARTYRS", "DU MARCHE", "DE LA HALLE",
    "DES TANNEURS", "DES FORGES", "DE LA LIBERATION", "DU STADE", "DE LA MAIRIE",
    "DU GENERAL LECLERC", "ALBERT CAMUS", "DES CERISIERS", "DU PRESSOIR", "DE LA TUILERIE",
    "DU VIEUX CHEMIN", "DES HORTENSIAS",
)
ADDRESS_COMPLEMENTS = (
    "BATIMENT A", "BATIMENT B", "ZONE ARTISANALE", "ZONE INDUSTRIELLE", "RESIDENCE LES PINS",
    "CENTRE COMMERCIAL", "LIEU DIT LE BOURG", "PARC D ACTIVITES", "IMMEUBLE LE MERIDIEN",
    "ESCALIER 2", "LOCAL 4", "ZAC DES PORTES", "HAMEAU DE LA FONTAINE", "TECHNOPOLE",
)
FOREIGN_STREETS = (
    "HIGH STREET", "HAUPTSTRASSE", "RUE ROYALE", "CALLE MAYOR", "VIA ROMA", "MAIN STREET",
)
# fmt: on


CHUNK = 100_000  # establishments generated by one worker at a time, from their own random stream


def write_sirene_files(
    out_dir: Path | str,
    establishments: int,
    seed: int,
    communes: Sequence[Commune],
    naf_codes: Sequence[str],
    *,
    commune_weights: Sequence[float] | None = None,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> GeneratedFiles:
    """Write StockUniteLegale, StockEtablissement and LiensSuccession files with this many establishments.

    communes: (code INSEE, name, postcode) of real communes; commune_weights (populations, say)
    put more establishments in big towns. naf_codes: NAF rev. 2 sub-classes ("10.71C").
    Files are made by chunks of 100,000 establishments, each from its own seeded random stream,
    on `workers` processes (default: one per core); the files do not depend on that number.
    on_progress receives the number of establishments written so far, after each chunk.
    """
    if establishments < 1:
        raise ValueError("at least one establishment")
    if not communes or not naf_codes:
        raise ValueError("communes and naf_codes must not be empty")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / COMPANIES_FILE, out / ESTABLISHMENTS_FILE, out / SUCCESSIONS_FILE)
    chunks = _chunks(establishments)
    setting = (seed, list(communes), list(naf_codes), list(commune_weights) if commune_weights is not None else None)
    workers = min(workers or os.cpu_count() or 1, len(chunks))
    company_count = succession_count = written = 0
    with (
        open(paths[0], "w", encoding="utf-8", newline="") as companies_file,
        open(paths[1], "w", encoding="utf-8", newline="") as establishments_file,
        open(paths[2], "w", encoding="utf-8", newline="") as successions_file,
        _chunk_makers(workers, setting) as make,
    ):
        companies_file.write(",".join(UNITE_LEGALE_COLUMNS) + "\n")
        establishments_file.write(",".join(ETABLISSEMENT_COLUMNS) + "\n")
        successions_file.write(",".join(LIEN_SUCCESSION_COLUMNS) + "\n")
        for chunk in make(chunks):
            companies_file.write(chunk.companies)
            establishments_file.write(chunk.establishments)
            successions_file.write(chunk.successions)
            company_count += chunk.company_count
            succession_count += chunk.succession_count
            written += chunk.establishment_count
            if on_progress is not None:
                on_progress(written)
    return GeneratedFiles(*paths, company_count, written, succession_count)


def write_next_month(
    previous: GeneratedFiles,
    out_dir: Path | str,
    seed: int,
    communes: Sequence[Commune],
    naf_codes: Sequence[str],
    *,
    commune_weights: Sequence[float] | None = None,
    changed: float = 0.02,
    closed: float = 0.005,
    removed: float = 0.001,
    created: float = 0.01,
) -> GeneratedFiles:
    """Write the stock of `previous` as INSEE would publish it one month later: the input of a
    monthly re-import benchmark.

    Two monthly stock files differ by a few % of their rows: about 1 % of establishments are
    created in a month, some close, a few leave the stock, others get a new headcount band, sign
    or name. Hence the shares, of the previous month's rows:
    - changed: active companies and active establishments updated: another headcount band (and
      year), or another enseigne for an establishment, another name for a company that is not a
      sole trader (a rename; both start a new period, as in SIRENE);
    - closed: active secondary establishments closed (état F from the month's date);
    - removed: secondary establishments dropped from the stock, and the succession links naming
      them (never a head office: every company keeps its one; no company is dropped);
    - created: new establishments, as a share of the previous ones, with their new companies and
      successions, made by this generator from another seed; companies whose SIREN the stock
      already holds are left out. They are appended: SIREN order is not kept.
    Every touched or new row has the same processing date (dateDernierTraitement...), a month
    after the latest of the previous files; every other row is copied byte for byte.

    The previous files are streamed; memory holds only the new units (the `created` share) and
    the SIRETs removed. out_dir must not hold the previous files. The same seed (and previous
    files) gives the same files.
    """
    for name, share in (("changed", changed), ("closed", closed), ("removed", removed), ("created", created)):
        if not 0 <= share <= 1:
            raise ValueError(f"{name} is a share between 0 and 1, not {share}")
    if changed + closed + removed > 1:
        raise ValueError("changed, closed and removed add up to more than all the establishments")
    sources = (Path(previous.companies), Path(previous.establishments), Path(previous.successions))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / COMPANIES_FILE, out / ESTABLISHMENTS_FILE, out / SUCCESSIONS_FILE)
    if any(path.exists() and path.samefile(source) for path, source in zip(paths, sources, strict=True)):
        raise ValueError(f"{out} holds the previous files: the next month cannot be written over them")

    # One pass to find the month's date (it must follow every processing date) and the sizes.
    latest = b""
    sizes = []
    for source, columns, column in (
        (sources[0], UNITE_LEGALE_COLUMNS, "dateDernierTraitementUniteLegale"),
        (sources[1], ETABLISSEMENT_COLUMNS, "dateDernierTraitementEtablissement"),
        (sources[2], LIEN_SUCCESSION_COLUMNS, "dateDernierTraitementLienSuccession"),
    ):
        file_latest, rows = _latest_value(source, columns, columns.index(column))
        latest = max(latest, file_latest)
        sizes.append(rows)
    month = _NextMonth(seed, _month_later(latest.decode()), communes, naf_codes, commune_weights)

    # SIRENs are drawn among 10^8 prefixes: ask for more to make up for those the stock holds.
    births = month.births(round(created * sizes[1] / max(1 - sizes[0] / _SIREN_PREFIXES, 0.5)))
    newcomers = {line[:9] for lines, _, _ in births for line in lines} - {LA_POSTE_SIREN.encode()}
    with open(paths[0], "wb") as target:
        company_count, taken = month.companies(sources[0], target, changed, newcomers)
        kept = newcomers - taken
        company_count += _append_units(target, (lines for lines, _, _ in births), kept)
    with open(paths[1], "wb") as target:
        establishment_count, gone = month.establishments(sources[1], target, changed, closed, removed)
        establishment_count += _append_units(target, (lines for _, lines, _ in births), kept)
    with open(paths[2], "wb") as target:
        succession_count = _copy_successions(sources[2], target, gone)
        succession_count += _append_units(target, (lines for _, _, lines in births), kept)
    return GeneratedFiles(*paths, company_count, establishment_count, succession_count)


def _csv_field(value: str) -> str:
    """A value as csv.writer (QUOTE_MINIMAL) and INSEE write it: quoted only if it must be."""
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


@dataclass(frozen=True)
class _Chunk:
    companies: str
    establishments: str
    successions: str
    company_count: int
    establishment_count: int
    succession_count: int


_SIREN_PREFIXES = 100_000_000


def _chunks(total: int) -> list[tuple[int, int, int, int]]:
    """(index, establishments, first and end SIREN prefix) of each chunk: SIRENs ascend through
    the files as in INSEE's, each chunk drawing from its own slice of the prefixes."""
    count = -(-total // CHUNK)
    return [
        (
            index,
            min(CHUNK, total - index * CHUNK),
            index * _SIREN_PREFIXES // count,
            (index + 1) * _SIREN_PREFIXES // count,
        )
        for index in range(count)
    ]


@contextmanager
def _chunk_makers(workers: int, setting: tuple) -> Iterator[Callable[[list], Iterator[_Chunk]]]:
    if workers <= 1:
        stock = _SyntheticStock(*setting)
        yield lambda chunks: map(stock.chunk, chunks)
        return
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=setting) as pool:

        def in_order(chunks: list) -> Iterator[_Chunk]:
            # At most two chunks per worker in flight: memory stays flat at 11 million rows.
            pending: deque[Future] = deque()
            for chunk in chunks:
                pending.append(pool.submit(_make_chunk, chunk))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

        yield in_order


_worker_stock: _SyntheticStock | None = None


def _start_worker(*setting) -> None:
    global _worker_stock
    _worker_stock = _SyntheticStock(*setting)


def _make_chunk(chunk: tuple[int, int, int, int]) -> _Chunk:
    assert _worker_stock is not None
    return _worker_stock.chunk(chunk)


def _weighted_pool(weights: dict, size: int) -> list:
    """Exactly `size` entries, each key in proportion to its weight: pool[random index] draws one."""
    total = sum(weights.values())
    pool: list = []
    cumulated = 0.0
    for key, weight in weights.items():
        cumulated += weight
        pool.extend([key] * (round(cumulated / total * size) - len(pool)))
    return pool


def _sirene_label(name: str) -> str:
    """A commune name the way SIRENE prints it: upper case, no accents ("PARIS 8" for arrondissements)."""
    arrondissement = re.fullmatch(r"(.+) (\d+)(?:er|e) Arrondissement", name)
    if arrondissement:
        name = f"{arrondissement[1]} {arrondissement[2]}"
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()


def _of_place(label: str) -> str:
    """ "DE DIJON", "D'AVIGNON", "DU HAVRE", "DES MUREAUX": the French way to say "of" a town."""
    if label.startswith("LE "):
        return f"DU {label[3:]}"
    if label.startswith("LES "):
        return f"DES {label[4:]}"
    if label.startswith(("A", "E", "I", "O", "U", "Y")):
        return f"D'{label}"
    return f"DE {label}"


def _pick(random_: Callable[[], float], pool: Sequence):
    return pool[int(random_() * len(pool))]


# Rows are joined from pre-quoted parts: csv.writer costs 7.7 µs for a 54-field row on the 2-core
# machines here, more than a row's whole budget at 200,000 rows/s. The tests check that the files
# are byte for byte what csv.writer would write.
_NO_FIELDS_17 = "," * 16  # identifiantAdresse, Lambert x/y and the 14 columns of a second address
_HIDDEN_ADDRESS = f"{MASKED},{MASKED},,,,{MASKED},{MASKED}"  # complement, number ... street name
_HIDDEN_PERSON = f"{MASKED},{MASKED},,,,{MASKED},"  # sexe, prénoms 1-4, prénom usuel, pseudonyme
_NO_PERSON = "," * 6
_PERIODS = ("1", "2", "3", "4")
_STREET_TYPE_POOL = _weighted_pool(_STREET_TYPES, 1000)
_CEASED_IN_1024 = round(CEASED_COMPANY_SHARE * 1024)
_SOLE_TRADER_IN_1024 = round(SOLE_TRADER_SHARE * 1024)
_HIDDEN_IN_1024 = round(PARTIALLY_DIFFUSIBLE_SHARE * 1024)
_TRANSFER_IN_1024 = round(HEAD_OFFICE_TRANSFER_SHARE * 1024)
_FOREIGN_IN_1024 = round(FOREIGN_ADDRESS_SHARE * 1024)
_CEDEX_IN_1024 = round(CEDEX_SHARE * 1024)
_USUAL_NAME_IN_1024 = round(USUAL_NAME_SHARE * 1024)
_ESS_CATEGORIES = frozenset({"9220", "5308", "6316", "9300"})


class _SyntheticStock:
    """Pools shared by every chunk (built from the seed), and the making of one chunk.

    Pools have power-of-two sizes so that a few bits of one getrandbits() call pick an entry.
    """

    def __init__(
        self,
        seed: int,
        communes: Sequence[Commune],
        naf_codes: Sequence[str],
        commune_weights: Sequence[float] | None,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        random_ = self.random = self.rng.random
        labelled = []
        for code, name, postcode in communes:
            label = _sirene_label(name)
            # codePostal, libelleCommune, libelleCommuneEtranger, distributionSpeciale, codeCommune,
            # codeCedex, libelleCedex, codePaysEtranger, libellePaysEtranger
            labelled.append((code, label, postcode, f"{postcode},{_csv_field(label)},,,{code},,,,"))
        self.communes = self.rng.choices(labelled, weights=commune_weights, k=1 << 17)
        self.naf_codes = list(naf_codes)
        known = set(naf_codes)
        self.trades = [(trade, naf if naf in known else None) for trade, naf in TRADES]
        self.days = [(_FIRST_DAY + timedelta(days=n)).isoformat() for n in range((_LAST_DAY - _FIRST_DAY).days + 1)]
        self.naf_rev2_day = (_NAF_REV2_FROM - _FIRST_DAY).days
        self.naf_rev1_day = (date(2003, 1, 1) - _FIRST_DAY).days
        self.naf_1993_day = (date(1993, 1, 1) - _FIRST_DAY).days
        self.la_poste_created = (date(1991, 1, 1) - _FIRST_DAY).days
        recent = (date(2016, 1, 1) - _FIRST_DAY).days
        self.processed_at = [
            f"{self.days[recent + int(random_() * (len(self.days) - recent))]}"
            f"T{int(random_() * 24):02d}:{int(random_() * 60):02d}:{int(random_() * 60):02d}"
            for _ in range(1 << 13)
        ]
        self.establishment_counts = _weighted_pool(ESTABLISHMENTS_PER_COMPANY, 1 << 12)
        self.legal_categories = _weighted_pool(_LEGAL_CATEGORIES, 1 << 12)
        # (trancheEffectifs and anneeEffectifs fields, caractereEmployeur)
        self.headcounts = [
            (f"{band},", "N") if band in _NON_EMPLOYER_BANDS else (f"{band},2023", "O")
            for band in _weighted_pool(_HEADCOUNT_BANDS, 1 << 14)
        ]
        self.addresses = [self._address() for _ in range(1 << 16)]
        self.people = [self._person() for _ in range(1 << 16)]
        self.enseignes = [self._enseigne() for _ in range(1 << 16)]

    def _address(self) -> str:
        """complementAdresse, numeroVoie, indiceRepetition, dernierNumeroVoie, its indice, typeVoie, libelleVoie."""
        random_ = self.random
        street_type = _pick(random_, _STREET_TYPE_POOL)
        street = "LE BOURG" if street_type == "LD" else _pick(random_, STREET_NAMES)
        number = str(1 + int(random_() * random_() * 200)) if random_() < 0.8 and street_type != "LD" else ""
        suffix = ("B" if random_() < 0.7 else "T") if number and random_() < 0.04 else ""
        complement = _pick(random_, ADDRESS_COMPLEMENTS) if random_() < 0.08 else ""
        return f"{_csv_field(complement)},{number},{suffix},,,{street_type},{_csv_field(street)}"

    def _person(self) -> tuple[str, str]:
        """A sole trader: (sexe, prénoms 1-4, prénom usuel, pseudonyme) and (nom, nom d'usage) fields."""
        random_ = self.random
        female = random_() < 0.4
        first_name = _pick(random_, FEMALE_FIRST_NAMES if female else MALE_FIRST_NAMES)
        usage_name = _pick(random_, SURNAMES) if female and random_() < 0.15 else ""
        return f"{'F' if female else 'M'},{first_name},,,,{first_name},", f"{_pick(random_, SURNAMES)},{usage_name}"

    def _enseigne(self) -> str:
        random_ = self.random
        if random_() >= ENSEIGNE_SHARE:
            return ""
        trade = _pick(random_, TRADES)[0]
        where = _pick(random_, PLACE_WORDS) if random_() < 0.6 else _pick(random_, REGION_WORDS)
        return _csv_field(f"{trade} {where}")

    def old_naf(self, created_day: int) -> tuple[str, str]:
        if created_day < self.naf_1993_day:
            nomenclature = "NAP"
        elif created_day < self.naf_rev1_day:
            nomenclature = "NAF1993"
        else:
            nomenclature = "NAFRev1"
        return _pick(self.random, _OLD_NAF_CODES[nomenclature]), nomenclature

    def company_name(self, legal_category: str, commune_label: str) -> tuple[str, str | None]:
        """(denomination, NAF of its trade) of a company that is not a sole trader."""
        random_ = self.random
        if legal_category == "6540":  # société civile immobilière
            roll = random_()
            if roll < 0.45:
                return f"SCI {_pick(random_, NATURE_WORDS)}", "68.20B"
            if roll < 0.8:
                return f"SCI {_pick(random_, SURNAMES)}", "68.20B"
            return f"SCI {_pick(random_, SURNAMES)} {_pick(random_, SURNAMES)}", "68.20B"
        if legal_category == "9220":  # association déclarée
            if random_() < 0.75:
                return f"{_pick(random_, ASSOCIATION_WORDS)} {_of_place(commune_label)}", "94.99Z"
            return f"ASSOCIATION {_pick(random_, NATURE_WORDS)} {_pick(random_, REGION_WORDS)}", "94.99Z"
        if legal_category == "7210":  # commune
            return f"COMMUNE {_of_place(commune_label)}", "84.11Z"
        trade, trade_naf = _pick(random_, self.trades)
        roll = random_()
        if roll < 0.25:
            return f"{trade} {_pick(random_, SURNAMES)}", trade_naf
        if roll < 0.40:
            return f"{trade} {_pick(random_, PLACE_WORDS)}", trade_naf
        if roll < 0.50:
            return f"{trade} {_pick(random_, REGION_WORDS)}", trade_naf
        if roll < 0.58:
            return f"{trade} {_of_place(commune_label)}", trade_naf
        if roll < 0.80:
            coined = f"{_pick(random_, COINED_STARTS)}{_pick(random_, COINED_ENDS)}"
            return (f"{coined} {_pick(random_, REGION_WORDS)}" if random_() < 0.3 else coined), None
        if roll < 0.87:
            return f"{_pick(random_, SURNAMES)} ET FILS", trade_naf
        if roll < 0.93:
            return f"ETABLISSEMENTS {_pick(random_, SURNAMES)}", trade_naf
        return f"{_pick(random_, SURNAMES)} {_pick(random_, SURNAMES)} ET ASSOCIES", trade_naf

    def chunk(self, chunk: tuple[int, int, int, int]) -> _Chunk:
        index, total, first_prefix, end_prefix = chunk
        rng = random.Random(f"{self.seed}/{index}")
        self.random = random_ = rng.random  # helpers draw from the chunk's stream too
        bits = rng.getrandbits
        days = self.days
        last_day = len(days) - 1
        naf_codes = self.naf_codes
        counts_pool = self.establishment_counts
        categories = self.legal_categories
        headcounts = self.headcounts
        addresses = self.addresses
        enseignes = self.enseignes
        communes = self.communes
        processed_at = self.processed_at
        company_lines: list[str] = []
        establishment_lines: list[str] = []
        succession_lines: list[str] = []
        written = 0
        la_poste_prefix = int(LA_POSTE_SIREN[:8])
        la_poste = 0
        if first_prefix <= la_poste_prefix < end_prefix and total >= 50:
            la_poste = min(max(total // 100, 3), total // 2)
        # Gaps between SIREN prefixes: even with one establishment per company, the slice suffices.
        gap = (end_prefix - first_prefix - 1) / total - 1
        prefix = first_prefix + int(random_() * gap)  # the next company's

        while written < total:
            # One draw for the company, sliced: establishments 0-11, commune 12-28, legal category
            # 29-40, headcount 41-54, then 10 bits each for ceased, sole trader, hidden, transfer.
            facts = bits(96)
            # La Poste takes its place in SIREN order, or the end of the chunk.
            if la_poste and (prefix >= la_poste_prefix or written >= total - la_poste):
                siren, count, la_poste = LA_POSTE_SIREN, la_poste, 0
            else:
                if prefix == la_poste_prefix:
                    prefix += 1
                digits = f"{prefix:08d}"
                siren = digits + siren_check_digit(digits)
                count = min(counts_pool[facts & 0xFFF], total - written - la_poste)
                prefix += 1 + int(random_() * gap)
            is_la_poste = siren == LA_POSTE_SIREN

            # Creation skewed to recent years, as in the real stock.
            created = last_day - int(random_() * random_() * last_day)
            ceased = not is_la_poste and (facts >> 55) & 0x3FF < _CEASED_IN_1024
            ceased_day = created + int(random_() * (last_day - created)) if ceased else last_day
            head_commune = communes[(facts >> 12) & 0x1FFFF]
            sole_trader = not is_la_poste and (facts >> 65) & 0x3FF < _SOLE_TRADER_IN_1024
            hidden = sole_trader and (facts >> 75) & 0x3FF < _HIDDEN_IN_1024
            diffusion = "P" if hidden else "O"
            if is_la_poste:
                legal_category, denomination, naf = "5599", "LA POSTE", "53.10Z"
                created = self.la_poste_created
            elif sole_trader:
                legal_category, denomination = "1000", ""
                naf = _pick(random_, self.trades)[1] or _pick(random_, naf_codes)
            else:
                legal_category = categories[(facts >> 29) & 0xFFF]
                denomination, naf = self.company_name(legal_category, head_commune[1])
                naf = naf if naf and random_() < 0.85 else _pick(random_, naf_codes)
            nomenclature = "NAFRev2"
            if ceased and ceased_day < self.naf_rev2_day and random_() < OLD_NOMENCLATURE_SHARE:
                naf, nomenclature = self.old_naf(created)
            if is_la_poste:
                band_fields, employer = "53,2023", "O"
            else:
                band_fields, employer = (",", "N") if ceased else headcounts[(facts >> 41) & 0x3FFF]

            # The head office is the first establishment, or the last one after a transfer.
            transfer = count > 1 and not is_la_poste and (facts >> 85) & 0x3FF < _TRANSFER_IN_1024
            head_position = count - 1 if transfer else 0
            if is_la_poste:  # its head office is 35600000000048; other NICs start at 0010x
                nics = ["00048", *numbered_nics(siren, count - 1, 10)]
            else:
                nics = numbered_nics(siren, count)
            company_lines.append(
                self.company_line(
                    siren,
                    diffusion,
                    created,
                    ceased,
                    ceased_day,
                    legal_category,
                    denomination,
                    naf,
                    nomenclature,
                    band_fields,
                    employer,
                    nics[head_position],
                    sole_trader,
                    hidden,
                    is_la_poste,
                )
            )

            taken_over: list[tuple[int, int]] = []  # (position, day) of closures with a successor
            transfer_day = created + int(random_() * (ceased_day - created)) if transfer else 0
            usual = _csv_field(denomination)
            for position, nic in enumerate(nics):
                # One draw, sliced: address 0-15, enseigne 16-31, processing date 32-44,
                # headcount 45-58, commune 59-75, periods 76-77, rare cases 78-87, other NAF 88-95.
                drawn = bits(96)
                rare = (drawn >> 78) & 0x3FF
                if position == head_position:
                    head = "true"
                    opened = transfer_day if transfer else created
                    code, label, postcode, place = head_commune
                else:
                    head = "false"
                    if transfer and position == 0:  # the head office before the transfer
                        opened = created
                    else:
                        opened = created + int(random_() * (ceased_day - created))
                    code, label, postcode, place = communes[(drawn >> 59) & 0x1FFFF]
                if transfer and position == 0:
                    closed_day = transfer_day
                elif ceased:
                    closed_day = ceased_day if head == "true" else opened + int(random_() * (ceased_day - opened))
                elif head == "false" and (roll := random_()) < CLOSED_ESTABLISHMENT_SHARE:
                    closed_day = opened + int(roll / CLOSED_ESTABLISHMENT_SHARE * (last_day - opened))
                    if position < count - 1 and random_() < SUCCEEDED_CLOSURE_SHARE:
                        taken_over.append((position, closed_day))
                else:
                    closed_day = -1

                establishment_naf, establishment_nomenclature = naf, nomenclature
                if closed_day >= 0:
                    state, period_start, band, establishment_employer = "F", closed_day, ",", "N"
                    if (
                        closed_day < self.naf_rev2_day
                        and nomenclature == "NAFRev2"
                        and random_() < OLD_NOMENCLATURE_SHARE
                    ):
                        establishment_naf, establishment_nomenclature = self.old_naf(opened)
                elif head == "true":
                    state, period_start, band, establishment_employer = "A", opened, band_fields, employer
                else:
                    state, period_start = "A", opened
                    band, establishment_employer = headcounts[(drawn >> 45) & 0x3FFF]
                    if (drawn >> 88) < 26:  # 10 %: a secondary establishment in another trade
                        establishment_naf = naf_codes[(drawn >> 16) % len(naf_codes)]

                if hidden:
                    address, enseigne = _HIDDEN_ADDRESS, ""
                else:
                    address, enseigne = addresses[drawn & 0xFFFF], enseignes[(drawn >> 16) & 0xFFFF]
                    if is_la_poste:
                        enseigne = _csv_field(f"BUREAU DE POSTE {label}")
                    if rare < _FOREIGN_IN_1024:
                        address, place = self.foreign_address()
                    elif rare < _FOREIGN_IN_1024 + _CEDEX_IN_1024:
                        place = self.cedex_place(code, label, postcode)
                establishment_lines.append(
                    ",".join(
                        (
                            siren,
                            nic,
                            siren + nic,
                            diffusion,
                            days[opened],
                            band,
                            "",
                            processed_at[(drawn >> 32) & 0x1FFF],
                            head,
                            _PERIODS[(drawn >> 76) & 3],
                            address,
                            place,
                            _NO_FIELDS_17,
                            days[period_start],
                            state,
                            enseigne,
                            "",
                            "",
                            usual if rare >= 1024 - _USUAL_NAME_IN_1024 else "",
                            establishment_naf,
                            establishment_nomenclature,
                            establishment_employer,
                            "\n",
                        )
                    )
                )
            for position, closed_day in taken_over:
                succession_lines.append(
                    f"{siren}{nics[position]},{siren}{nics[position + 1]},{days[closed_day]},false,true,"
                    f"{processed_at[bits(13)]}\n"
                )
            if transfer:
                succession_lines.append(
                    f"{siren}{nics[0]},{siren}{nics[head_position]},{days[transfer_day]},true,true,"
                    f"{processed_at[bits(13)]}\n"
                )
            written += count

        return _Chunk(
            "".join(company_lines),
            "".join(establishment_lines),
            "".join(succession_lines),
            len(company_lines),
            written,
            len(succession_lines),
        )

    def foreign_address(self) -> tuple[str, str]:
        """The street fields and the place fields of an address abroad: a city and a country, no commune."""
        random_ = self.random
        country_code, country_name, cities = _pick(random_, _FOREIGN_PLACES)
        street = f",{1 + int(random_() * 120)},,,,,{_pick(random_, FOREIGN_STREETS)}"
        return street, f",,{_pick(random_, cities)},,,,,{country_code},{country_name}"

    def cedex_place(self, code: str, label: str, postcode: str) -> str:
        random_ = self.random
        cedex = f"{postcode[:2]}{int(random_() * 1000):03d}" if postcode else ""
        number = f" {1 + int(random_() * 20):02d}" if random_() < 0.4 else ""
        box = f"CS {int(random_() * 100_000):05d}" if random_() < 0.5 else f"BP {1 + int(random_() * 999)}"
        return f"{postcode},{_csv_field(label)},,{box},{code},{cedex},{_csv_field(f'{label} CEDEX{number}')},,"

    def company_line(
        self,
        siren,
        diffusion,
        created,
        ceased,
        ceased_day,
        legal_category,
        denomination,
        naf,
        nomenclature,
        band_fields,
        employer,
        head_nic,
        sole_trader,
        hidden,
        is_la_poste,
    ) -> str:
        random_ = self.random
        sigle = usual_name = association_id = ""
        if hidden:
            person, names = _HIDDEN_PERSON, f"{MASKED},"
        elif sole_trader:
            person, names = _pick(random_, self.people)
        else:
            person, names = _NO_PERSON, ","
            roll = random_()
            if roll < 0.05:
                sigle = "".join(word[0] for word in denomination.split() if word[0].isalpha())[:6]
            elif roll < 0.08:
                usual_name = f"{_pick(random_, COINED_STARTS)}{_pick(random_, COINED_ENDS)}"
            if legal_category == "9220":
                association_id = f"W{int(random_() * 1_000_000_000):09d}"
        if is_la_poste:
            category = "GE,2023"
        elif ceased or sole_trader:
            category = ","
        else:
            category = "PME,2023" if random_() < 0.995 else "ETI,2023"
        ess = "O" if legal_category in _ESS_CATEGORIES else ("" if sole_trader else "N")
        days = self.days
        return ",".join(
            (
                siren,
                diffusion,
                "",
                days[created],
                sigle,
                person,
                association_id,
                band_fields,
                _pick(random_, self.processed_at),
                _PERIODS[int(random_() * 4)],
                category,
                days[ceased_day] if ceased else days[created],
                "C" if ceased else "A",
                names,
                _csv_field(denomination),
                usual_name,
                ",",
                legal_category,
                naf,
                nomenclature,
                head_nic,
                ess,
                "",
                employer,
                "\n",
            )
        )


# The same stock one month later (write_next_month): rows are handled as bytes, and only the
# touched ones parsed (csv) and rewritten (_csv_field, as the generator writes them).

RENAMED_SHARE = 0.5  # among changed companies that are not sole traders, the others change headcount
NEW_ENSEIGNE_SHARE = 0.5  # among changed diffusible establishments, the others change headcount
_BAND_ORDER = ("00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41", "42", "51", "52", "53")
_NEVER_RENAMED = frozenset({"1000", "7210"})  # sole traders bear their name; communes keep theirs
_UL = {column: index for index, column in enumerate(UNITE_LEGALE_COLUMNS)}
_ET = {column: index for index, column in enumerate(ETABLISSEMENT_COLUMNS)}


class _NextMonth:
    """The month's date, the random streams drawn from the seed and that date, and the changes."""

    def __init__(
        self,
        seed: int,
        stamp: str,
        communes: Sequence[Commune],
        naf_codes: Sequence[str],
        commune_weights: Sequence[float] | None,
    ) -> None:
        self.seed = seed
        self.stamp = stamp
        self.day = stamp[:10]
        self.headcount_year = str(int(stamp[:4]) - 2)  # INSEE's headcounts are two years behind
        # The date is in every seed, so that chained months with one seed do not repeat themselves.
        derived = int.from_bytes(hashlib.sha256(f"{seed}/{stamp}/created".encode()).digest()[:8], "big")
        self.stock = _SyntheticStock(derived, communes, naf_codes, commune_weights)
        self.stock.processed_at = [stamp] * len(self.stock.processed_at)  # new units are this month's

    def births(self, establishments: int) -> list[tuple[list[bytes], list[bytes], list[bytes]]]:
        """Company, establishment and succession lines of about this many new establishments."""
        made = []
        for chunk in _chunks(establishments):
            rows = self.stock.chunk(chunk)
            made.append(
                tuple(
                    text.encode().splitlines(keepends=True)
                    for text in (rows.companies, rows.establishments, rows.successions)
                )
            )
        return made

    def companies(
        self, source: Path, target: BinaryIO, changed: float, newcomers: set[bytes]
    ) -> tuple[int, set[bytes]]:
        """Copy the companies, a share `changed` of the active ones updated: (rows written, the
        SIRENs of `newcomers` met)."""
        random_ = random.Random(f"{self.seed}/{self.stamp}/companies").random
        self.stock.random = random_  # new names come from this stream too
        write = target.write
        taken = set()
        rows = 0
        stock, header = _open_stock(source, UNITE_LEGALE_COLUMNS)
        with stock:
            write(header)
            for row in stock:
                if b'"' in row:
                    row = _whole_row(row, stock)
                if row[:9] in newcomers:
                    taken.add(row[:9])
                if random_() < changed:
                    fields = _fields(row)
                    if self.update_company(fields, random_):
                        row = _row(fields)
                write(row)
                rows += 1
        return rows, taken

    def update_company(self, fields: list[str], random_: Callable[[], float]) -> bool:
        if fields[_UL["etatAdministratifUniteLegale"]] != "A" or fields[0] == LA_POSTE_SIREN:
            return False
        category = fields[_UL["categorieJuridiqueUniteLegale"]]
        if (
            category not in _NEVER_RENAMED
            and fields[_UL["statutDiffusionUniteLegale"]] == "O"
            and random_() < RENAMED_SHARE
        ):
            name = old_name = fields[_UL["denominationUniteLegale"]]
            while name == old_name:
                name = self.stock.company_name(category, _pick(random_, self.stock.communes)[1])[0]
            fields[_UL["denominationUniteLegale"]] = name
            if fields[_UL["sigleUniteLegale"]]:  # the generator's sigles are initials
                fields[_UL["sigleUniteLegale"]] = "".join(word[0] for word in name.split() if word[0].isalpha())[:6]
            new_period = True
        else:
            new_period = self.move_headcount(
                fields,
                _UL["trancheEffectifsUniteLegale"],
                _UL["anneeEffectifsUniteLegale"],
                _UL["caractereEmployeurUniteLegale"],
                random_,
            )
        if new_period:
            _new_period(fields, _UL["nombrePeriodesUniteLegale"], _UL["dateDebut"], self.day)
        fields[_UL["dateDernierTraitementUniteLegale"]] = self.stamp
        return True

    def establishments(
        self, source: Path, target: BinaryIO, changed: float, closed: float, removed: float
    ) -> tuple[int, set[bytes]]:
        """Copy the establishments, some removed, closed or updated: (rows written, SIRETs removed)."""
        random_ = random.Random(f"{self.seed}/{self.stamp}/establishments").random
        touched = removed + closed + changed
        head, state = _ET["etablissementSiege"], _ET["etatAdministratifEtablissement"]
        write = target.write
        gone = set()
        rows = 0
        stock, header = _open_stock(source, ETABLISSEMENT_COLUMNS)
        with stock:
            write(header)
            for row in stock:
                if b'"' in row:
                    row = _whole_row(row, stock)
                roll = random_()  # one draw a row; its value below `touched` says what happens
                if roll < touched:
                    fields = _fields(row)
                    secondary, active = fields[head] == "false", fields[state] == "A"
                    if roll < removed:
                        if secondary:
                            gone.add(fields[2].encode())
                            continue
                    elif roll < removed + closed:
                        if secondary and active:
                            self.close_establishment(fields)
                            row = _row(fields)
                    elif active:
                        self.update_establishment(fields, random_)
                        row = _row(fields)
                write(row)
                rows += 1
        return rows, gone

    def close_establishment(self, fields: list[str]) -> None:
        fields[_ET["etatAdministratifEtablissement"]] = "F"
        fields[_ET["trancheEffectifsEtablissement"]] = fields[_ET["anneeEffectifsEtablissement"]] = ""
        fields[_ET["caractereEmployeurEtablissement"]] = "N"  # as the generator's closed ones
        _new_period(fields, _ET["nombrePeriodesEtablissement"], _ET["dateDebut"], self.day)
        fields[_ET["dateDernierTraitementEtablissement"]] = self.stamp

    def update_establishment(self, fields: list[str], random_: Callable[[], float]) -> None:
        enseigne = _ET["enseigne1Etablissement"]
        # Units with masked fields show no enseigne; La Poste's are its post offices'.
        if (
            fields[_ET["statutDiffusionEtablissement"]] == "O"
            and fields[0] != LA_POSTE_SIREN
            and random_() < NEW_ENSEIGNE_SHARE
        ):
            sign = old_sign = fields[enseigne]
            while sign == old_sign:
                where = _pick(random_, PLACE_WORDS) if random_() < 0.6 else _pick(random_, REGION_WORDS)
                sign = f"{_pick(random_, TRADES)[0]} {where}"
            fields[enseigne] = sign
            new_period = True
        else:
            new_period = self.move_headcount(
                fields,
                _ET["trancheEffectifsEtablissement"],
                _ET["anneeEffectifsEtablissement"],
                _ET["caractereEmployeurEtablissement"],
                random_,
            )
        if new_period:
            _new_period(fields, _ET["nombrePeriodesEtablissement"], _ET["dateDebut"], self.day)
        fields[_ET["dateDernierTraitementEtablissement"]] = self.stamp

    def move_headcount(
        self, fields: list[str], band: int, year: int, employer: int, random_: Callable[[], float]
    ) -> bool:
        """Move the headcount band one step (a non-employer starts employing): True when the
        employer character changes, which SIRENE records as a new period."""
        if fields[band] in _BAND_ORDER:
            position = _BAND_ORDER.index(fields[band])
            down = position == len(_BAND_ORDER) - 1 or (position > 0 and random_() < 0.5)
            fields[band] = _BAND_ORDER[position - 1 if down else position + 1]
        else:  # "NN" or empty
            fields[band] = "01" if random_() < 0.5 else "00"
        was = fields[employer]
        fields[year], fields[employer] = self.headcount_year, "O"  # as the generator: employer from "00"
        return was != "O"


def _new_period(fields: list[str], periods: int, start: int, day: str) -> None:
    fields[periods] = str(int(fields[periods]) + 1) if fields[periods].isdigit() else "1"
    fields[start] = day


def _latest_value(path: Path, columns: tuple[str, ...], column: int) -> tuple[bytes, int]:
    """The greatest value of one column of a stock file (its timestamps sort as text), and the row count."""
    latest = b""
    rows = 0
    stock, _ = _open_stock(path, columns)
    with stock:
        for row in stock:
            # No quotes: no comma in a value, so a split finds the column at a fraction of csv's cost.
            if b'"' in row:
                value = _fields(_whole_row(row, stock))[column].encode()
            else:
                value = row.split(b",", column + 1)[column]
            if value > latest:
                latest = value
            rows += 1
    return latest.rstrip(b"\r\n"), rows


def _month_later(latest: str) -> str:
    """The same moment a month later (the 31st becomes the month's last day), as SIRENE writes it."""
    if not latest:
        raise ValueError("the previous files have no processing date (dateDernierTraitement...)")
    moment = datetime.fromisoformat(latest[:19])
    year, month = moment.year + moment.month // 12, moment.month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day).isoformat(timespec="seconds")


def _copy_successions(source: Path, target: BinaryIO, gone: set[bytes]) -> int:
    """Copy the succession links but those naming a removed establishment; the number written."""
    write = target.write
    rows = 0
    stock, header = _open_stock(source, LIEN_SUCCESSION_COLUMNS)
    with stock:
        write(header)
        for row in stock:
            if b'"' in row:
                row = _whole_row(row, stock)
            if gone:
                predecessor, successor, _ = row.split(b",", 2)
                if predecessor in gone or successor in gone:
                    continue
            write(row)
            rows += 1
    return rows


def _append_units(target: BinaryIO, chunks: Iterator[list[bytes]], sirens: set[bytes]) -> int:
    """Write the lines of the new units kept (a line starts with its SIREN, or a SIRET holding it)."""
    rows = 0
    for lines in chunks:
        kept = [line for line in lines if line[:9] in sirens]
        target.writelines(kept)
        rows += len(kept)
    return rows


def _open_stock(path: Path, columns: tuple[str, ...]) -> tuple[BinaryIO, bytes]:
    """A stock file of this generator opened in binary after its header, and the header. Rows are
    copied as bytes: each must end with a newline, the last one too."""
    stock = open(path, "rb")  # the caller closes it
    try:
        stock.seek(max(stock.seek(0, os.SEEK_END) - 1, 0))
        if stock.read(1) != b"\n":  # an empty file too
            raise ValueError(f"{path} does not end with a newline")
        stock.seek(0)
        header = stock.readline()
        if header != (",".join(columns) + "\n").encode():
            raise ValueError(f"{path} does not have the header of the stock files this generator writes")
    except BaseException:
        stock.close()
        raise
    return stock, header


def _whole_row(row: bytes, stock: BinaryIO) -> bytes:
    """The row a line begins: a quoted value may hold a newline, the row goes on until its quotes close."""
    while row.count(b'"') % 2 and (more := stock.readline()):
        row += more
    return row


def _fields(row: bytes) -> list[str]:
    return next(csv.reader([row.decode("utf-8")]))


def _row(fields: list[str]) -> bytes:
    return (",".join(map(_csv_field, fields)) + "\n").encode("utf-8")

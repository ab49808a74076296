"""Factories of SIRENE stock files in INSEE's real format, for the fce tests.

`company(...)` and `establishment(...)` give one row as a dict of INSEE's columns with valid
defaults; `write_stock(directory, companies, establishments, successions)` writes the three files
exactly as INSEE does (csv, a header, quoting only when needed).
"""

import csv
import itertools
from pathlib import Path

from services.fce.domain.identifiers import make_siren, make_siret
from services.fce.domain.sirene import (
    COMPANIES_FILE,
    ESTABLISHMENTS_FILE,
    ETABLISSEMENT_COLUMNS,
    LIEN_SUCCESSION_COLUMNS,
    SUCCESSIONS_FILE,
    UNITE_LEGALE_COLUMNS,
)

_numbers = itertools.count(1)


def new_siren() -> str:
    """A valid SIREN in a range the synthetic generator leaves alone (it draws below 99,000,000)."""
    return make_siren(f"99{next(_numbers):06d}")


def company(siren: str, name: str | None = None, **fields) -> dict[str, str]:
    row = {
        "siren": siren, "statutDiffusionUniteLegale": "O", "dateCreationUniteLegale": "2010-05-17",
        "trancheEffectifsUniteLegale": "11", "anneeEffectifsUniteLegale": "2023",
        "dateDernierTraitementUniteLegale": "2025-11-02T10:00:00", "categorieEntreprise": "PME",
        "dateDebut": "2010-05-17", "etatAdministratifUniteLegale": "A", "denominationUniteLegale": name or "",
        "categorieJuridiqueUniteLegale": "5710", "activitePrincipaleUniteLegale": "10.71C",
        "nomenclatureActivitePrincipaleUniteLegale": "NAFRev2", "nicSiegeUniteLegale": "00012",
        "economieSocialeSolidaireUniteLegale": "N", "caractereEmployeurUniteLegale": "O",
    }
    row.update(fields)
    return row


def establishment(siren: str, nic_prefix: str = "0001", *, head_office: bool = True, commune: str = "75102",
                  postcode: str = "75002", commune_name: str = "PARIS 2", **fields) -> dict[str, str]:
    siret = make_siret(siren, nic_prefix)
    row = {
        "siren": siren, "nic": siret[9:], "siret": siret, "statutDiffusionEtablissement": "O",
        "dateCreationEtablissement": "2010-05-17", "trancheEffectifsEtablissement": "11",
        "anneeEffectifsEtablissement": "2023", "dateDernierTraitementEtablissement": "2025-11-02T10:00:00",
        "etablissementSiege": "true" if head_office else "false", "numeroVoieEtablissement": "12",
        "typeVoieEtablissement": "RUE", "libelleVoieEtablissement": "DE LA PAIX",
        "codePostalEtablissement": postcode, "libelleCommuneEtablissement": commune_name,
        "codeCommuneEtablissement": commune, "dateDebut": "2010-05-17", "etatAdministratifEtablissement": "A",
        "activitePrincipaleEtablissement": "10.71C", "nomenclatureActivitePrincipaleEtablissement": "NAFRev2",
        "caractereEmployeurEtablissement": "O",
    }
    row.update(fields)
    return row


def succession(predecessor: str, successor: str, on: str = "2020-01-01", transfer: bool = False) -> dict[str, str]:
    return {"siretEtablissementPredecesseur": predecessor, "siretEtablissementSuccesseur": successor,
            "dateLienSuccession": on, "transfertSiege": "true" if transfer else "false",
            "continuiteEconomique": "true", "dateDernierTraitementLienSuccession": "2020-02-01T00:00:00"}


def _write(path: Path, columns: tuple[str, ...], rows: list[dict], append: bool) -> None:
    with open(path, "a" if append else "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        if not append:
            writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])


def write_stock(directory: Path, companies: list[dict], establishments: list[dict],
                successions: list[dict] = (), append: bool = False) -> tuple[Path, Path, Path]:
    """The three stock files (or rows appended to existing ones)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = directory / COMPANIES_FILE, directory / ESTABLISHMENTS_FILE, directory / SUCCESSIONS_FILE
    _write(paths[0], UNITE_LEGALE_COLUMNS, companies, append)
    _write(paths[1], ETABLISSEMENT_COLUMNS, establishments, append)
    _write(paths[2], LIEN_SUCCESSION_COLUMNS, list(successions), append)
    return paths

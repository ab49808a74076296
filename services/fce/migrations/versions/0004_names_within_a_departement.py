# ruff: noqa: UP007, UP035, I001
"""names within a département: an index on (departement, name_norm, rank, id) for companies and
establishments.

A name typed with a département (a departmental directorate's usual search) read the names
starting with it all over France, checking each row's département: 11,000 rows for 'boucher' in
Guadeloupe at 11 million establishments. With this, the names of that département are one range
of one index, in the order of the name tier.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 13:50:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEXES = (("companies", "siren"), ("establishments", "siret"))


def upgrade() -> None:
    for table, key in INDEXES:
        op.create_index(f"ix_{table}_departement_name_norm_rank_key_{key}", table,
                        ["departement", "name_norm", "rank_key", key], schema="fce")


def downgrade() -> None:
    for table, key in INDEXES:
        op.drop_index(f"ix_{table}_departement_name_norm_rank_key_{key}", table_name=table, schema="fce")

# ruff: noqa: UP007, UP035, I001
"""monthly changes: each registry row keeps the digest of the stock-file line it was made from,
and each import the fingerprint of what shaped its rows (the referentials, the statements).

With them, a monthly import applies only the lines that changed since the last one (a few % of
the stock) instead of rebuilding 11 million rows and their indexes. The fingerprint says when that
is not enough: communes, NAF codes or the shaping statements changed, so every row is made again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 15:15:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    for table in ("companies", "establishments"):
        op.add_column(table, sa.Column("source_digest", sa.BigInteger(), nullable=True), schema="fce")
    op.add_column("import_sources", sa.Column("method", sa.Text(), nullable=True), schema="fce")
    op.add_column("import_sources", sa.Column("shaped_with", sa.Text(), nullable=True), schema="fce")


def downgrade() -> None:
    op.drop_column("import_sources", "method", schema="fce")
    op.drop_column("import_sources", "shaped_with", schema="fce")
    for table in ("companies", "establishments"):
        op.drop_column(table, "source_digest", schema="fce")

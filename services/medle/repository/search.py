"""Accent- and case-insensitive "contains", the way the pg_trgm indexes are built."""

from sqlalchemy import func, literal
from sqlalchemy.sql import ColumnElement


def folded(value) -> ColumnElement:
    """f_unaccent(lower(value)) of a column or of a Python string."""
    return func.f_unaccent(func.lower(literal(value) if isinstance(value, str) else value))


def contains_text(folded_column: ColumnElement, q: str) -> ColumnElement:
    """`folded_column` holds f_unaccent(lower(text)); LIKE wildcards typed by the user are literal."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return folded_column.like(folded(f"%{escaped}%"))

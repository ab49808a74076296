"""What the company and establishment searches share once the rows are found: facets as they
leave the service, and the streamed export of every match."""

import datetime as dt
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from fastapi import Request

from services.fce import schemas
from services.fce.api.criteria import Criteria
from services.fce.domain.search import facet_label
from services.fce.repository import search as searching
from shared.errors import field_error, invalid
from shared.reports import OutputParams, ReportFormat, tabular_response

PARIS = ZoneInfo("Europe/Paris")


def facets_out(result: searching.Result) -> dict[str, list[schemas.FacetValue]] | None:
    if result.facets is None:
        return None
    return {name: [schemas.FacetValue(value=value, label=facet_label(name, value), count=count)
                   for value, count in values]
            for name, values in result.facets.items()}


async def export(request: Request, target: searching.Target, criteria: Criteria, output: OutputParams,
                 columns: Sequence[str], shape: Callable[[dict], dict], filename: str):
    """Every match of the search, in its order, streamed as CSV or XLSX (no ceiling)."""
    if output.format == ReportFormat.json:
        raise invalid([field_error(["query", "format"], "an export is csv or xlsx; the search gives JSON pages")])

    async def rows():
        # Its own session: the request's is committed before the body streams.
        async with request.app.state.sessionmaker() as session:
            async for row in searching.export_rows(session, target, criteria.query, criteria.filters, criteria.sort):
                yield shape(row)

    # Dated, as an agent keeps several: etablissements-2026-11-30.xlsx
    return await tabular_response(rows(), columns, output, f"{filename}-{dt.datetime.now(PARIS):%Y-%m-%d}")

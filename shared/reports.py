"""Reporting helpers: period and territory filters, json/csv/xlsx output, small-cell suppression."""

import csv
import datetime as dt
import io
from collections.abc import AsyncIterable, Iterable, Sequence
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from shared.errors import field_error, invalid
from shared.settings import get_settings
from shared.xlsx import cell_value, xlsx_chunks

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class OutputParams(BaseModel):
    format: ReportFormat
    excel: bool  # CSV for French Excel: ';' separator and a UTF-8 BOM


async def output_params(
    format: Annotated[ReportFormat, Query(description="json, csv or xlsx")] = ReportFormat.json,
    excel: Annotated[bool, Query(description="CSV that opens right in French Excel (';' and BOM)")] = False,
) -> OutputParams:
    return OutputParams(format=format, excel=excel)


Output = Annotated[OutputParams, Depends(output_params)]


class Period(BaseModel):
    start: dt.date | None
    end: dt.date | None  # inclusive


async def period_params(
    from_: Annotated[dt.date | None, Query(alias="from", description="first day, inclusive")] = None,
    to: Annotated[dt.date | None, Query(description="last day, inclusive")] = None,
) -> Period:
    if from_ and to and from_ > to:
        raise invalid([field_error(["query", "to"], "the period ends before it starts")])
    return Period(start=from_, end=to)


PeriodFilter = Annotated[Period, Depends(period_params)]


class Territory(BaseModel):
    departements: list[str]
    regions: list[str]


async def territory_params(
    departement: Annotated[list[str] | None, Query(description="département code(s)")] = None,
    region: Annotated[list[str] | None, Query(description="région code(s)")] = None,
) -> Territory:
    return Territory(departements=departement or [], regions=region or [])


TerritoryFilter = Annotated[Territory, Depends(territory_params)]


def suppress_small_cells(
    rows: list[dict[str, Any]],
    count_fields: Sequence[str],
    *,
    nominative: bool,
    threshold: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Hide counts 1..threshold-1 for readers without nominative access (statistical secrecy:
    a cell of 2 victims in a small département identifies people). Zero is not secret.
    Returns the rows and how many cells were hidden."""
    if nominative:
        return rows, 0
    threshold = threshold if threshold is not None else get_settings().small_cell_threshold
    hidden = 0
    out = []
    for row in rows:
        row = dict(row)
        for name in count_fields:
            value = row.get(name)
            if isinstance(value, (int, float)) and 0 < value < threshold:
                row[name] = None
                hidden += 1
        out.append(row)
    return out, hidden


async def _aiter(rows: Iterable | AsyncIterable):
    if hasattr(rows, "__aiter__"):
        async for row in rows:
            yield row
    else:
        for row in rows:
            yield row


# A spreadsheet runs a cell starting with one of these as a formula (OWASP's CSV injection): a
# company may register a name like =HYPERLINK(...). Excel's CSV has them quoted to stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _excel_text(value: Any) -> Any:
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


async def csv_chunks(rows, columns: Sequence[str], excel: bool, chunk_rows: int = 2000):
    """CSV by chunks of rows; for French Excel (`excel`): ';', a BOM, and no text read as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if excel else ",", lineterminator="\r\n")
    if excel:
        buffer.write("\ufeff")
    writer.writerow(columns)
    shown = _excel_text if excel else (lambda value: value)
    n = 0
    async for row in _aiter(rows):
        writer.writerow(["" if (v := cell_value(row.get(c))) is None else shown(v) for c in columns])
        n += 1
        if n % chunk_rows == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


async def tabular_response(
    rows,
    columns: Sequence[str],
    output: OutputParams,
    filename: str,
    *,
    meta: dict[str, Any] | None = None,
):
    """The same rows as JSON `{items, ...meta}`, a streamed CSV, or an XLSX download."""
    if output.format == ReportFormat.json:
        items = [row async for row in _aiter(rows)]
        return JSONResponse({"items": jsonable_rows(items, columns), **(meta or {})})
    disposition = {"Content-Disposition": f'attachment; filename="{filename}.{output.format.value}"'}
    if output.format == ReportFormat.csv:
        charset = "utf-8-sig" if output.excel else "utf-8"
        return StreamingResponse(csv_chunks(rows, columns, output.excel), media_type=f"text/csv; charset={charset}",
                                 headers=disposition)
    return StreamingResponse(xlsx_chunks(_aiter(rows), columns), media_type=XLSX_MEDIA_TYPE, headers=disposition)


def jsonable_rows(rows: list[dict[str, Any]], columns: Sequence[str]) -> list[dict[str, Any]]:
    def value(v):
        if isinstance(v, (dt.date, dt.datetime)):
            return v.isoformat()
        if hasattr(v, "as_tuple"):  # Decimal
            return float(v)
        return v

    return [{c: value(row.get(c)) for c in columns} for row in rows]

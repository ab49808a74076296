"""The streamed XLSX workbook: what a spreadsheet opens, sheet by sheet, and that it leaves as it is written."""

import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook

from shared.xlsx import xlsx_chunks


async def rows_of(rows):
    for row in rows:
        yield row


async def workbook(rows, columns, **options):
    return load_workbook(io.BytesIO(b"".join([chunk async for chunk in xlsx_chunks(rows_of(rows), columns,
                                                                                  **options)])))


def values(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


async def test_cells_keep_their_types():
    book = await workbook([{"siret": "00012", "n": 3, "share": 0.25, "amount": Decimal("12.50"), "open": True,
                            "on": dt.date(2026, 11, 30), "at": dt.datetime(2026, 11, 30, 8, 15), "none": None,
                            "codes": ["62.01Z", "62.02A"]}],
                          ["siret", "n", "share", "amount", "open", "on", "at", "none", "codes"])
    assert values(book.active) == [
        ["siret", "n", "share", "amount", "open", "on", "at", "none", "codes"],
        ["00012", 3, 0.25, 12.5, True, dt.datetime(2026, 11, 30), "2026-11-30T08:15:00", None, "62.01Z, 62.02A"]]
    assert book.active["F2"].number_format == "yyyy-mm-dd"
    assert book.active.column_dimensions["F"].width >= 12  # a date shows, not ####
    assert book.active["A1"].font.b  # the header


async def test_text_that_xml_forbids_or_escapes_is_kept_readable():
    book = await workbook([{"name": "DUPONT & FILS <SARL>\x01\x1f", "street": "  12 rue \"Haute\" "}],
                          ["name", "street"])
    assert values(book.active)[1] == ["DUPONT & FILS <SARL>", "  12 rue \"Haute\" "]


async def test_rows_beyond_a_sheet_go_on_to_the_next_sheet_with_the_header():
    book = await workbook([{"n": n} for n in range(1, 6)], ["n"], sheet="acts", sheet_rows=3)
    assert book.sheetnames == ["acts", "acts (2)", "acts (3)"]
    assert [values(book[name]) for name in book.sheetnames] == [[["n"], [1], [2]], [["n"], [3], [4]], [["n"], [5]]]


async def test_rows_that_fill_a_sheet_exactly_leave_no_empty_sheet():
    book = await workbook([{"n": 1}, {"n": 2}], ["n"], sheet_rows=3)
    assert book.sheetnames == ["export"] and values(book.active) == [["n"], [1], [2]]


async def test_no_rows_is_a_sheet_with_its_header():
    book = await workbook([], ["siret", "name"])
    assert values(book.active) == [["siret", "name"]]


async def test_the_workbook_leaves_while_its_rows_are_still_read():
    read = 0

    async def counted():
        nonlocal read
        for n in range(10_000):
            read += 1
            yield {"n": n}

    read_at_each_chunk = [read async for _ in xlsx_chunks(counted(), ["n"], chunk_rows=1000)]
    assert read_at_each_chunk[0] == 1000 and len(read_at_each_chunk) == 11

"""An XLSX workbook written as its rows come, streamed: the download starts at once and memory stays
flat, whatever the number of rows.

openpyxl (and XlsxWriter) write a whole workbook before its first byte can leave: openpyxl took
47 s for 50,000 rows of 30 columns here, when the gateway gives up on a service silent for 30 s.
The format needs little for a table: a sheet's XML, written row by row into a ZIP archive that the
standard library writes to a stream. Rows past Excel's limit go on to the next sheet.
"""

import datetime as dt
import math
import re
import zipfile
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

EXCEL_SHEET_ROWS = 1_048_576  # the most rows an Excel sheet holds, its header included
EXCEL_CELL_CHARACTERS = 32_767  # the longest text a cell holds
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of Excel's dates (its 1900 leap-year bug included)
# Characters XML 1.0 forbids (control characters but tab and newlines): Excel refuses a file with one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    # every other .xml part is a sheet: their number is known only at the end, this part comes first
    '<Default Extension="xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_PACKAGE_RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
# Style 0 is the default; style 1 shows a date as 2026-11-30; style 2 is the header, in bold.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    # the header row stays in view while scrolling
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
    'state="frozen"/></sheetView></sheetViews>'
)
_SHEET_END = "</sheetData></worksheet>"


def _column_letters(count: int) -> list[str]:
    letters = []
    for number in range(1, count + 1):
        name = ""
        while number:
            number, rest = divmod(number - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def cell_value(value: Any) -> Any:
    """What a table cell holds, CSV's or XLSX's: a list as its items joined, a moment as ISO text."""
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _cell(reference: str, value: Any, style: str = "") -> str:
    """One cell's XML; "" for an empty one. Text is written inline, so nothing waits for the end."""
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"{style}><v>{int(value)}</v></c>'
    if isinstance(value, (int, Decimal)) or (isinstance(value, float) and math.isfinite(value)):
        return f'<c r="{reference}"{style}><v>{value}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{reference}" s="1"><v>{(value - _EXCEL_EPOCH).days}</v></c>'
    text = _NOT_XML.sub("", str(value))[:EXCEL_CELL_CHARACTERS]
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{reference}" t="inlineStr"{style}><is><t{space}>{escape(text)}</t></is></c>'


class _Pending:
    """The archive's bytes not yet sent: the ZIP writer's file, emptied at each chunk."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


async def xlsx_chunks(rows: AsyncIterable[dict], columns: Sequence[str], sheet: str = "export",
                      sheet_rows: int = EXCEL_SHEET_ROWS, chunk_rows: int = 2000) -> AsyncIterator[bytes]:
    """The workbook's bytes, every `chunk_rows` rows: one sheet named `sheet` with the columns as
    header, then "sheet (2)" and so on past `sheet_rows` rows, each with the header."""
    pending = _Pending()
    book = zipfile.ZipFile(pending, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
    book.writestr("[Content_Types].xml", _CONTENT_TYPES)
    book.writestr("_rels/.rels", _PACKAGE_RELATIONSHIPS)
    book.writestr("xl/styles.xml", _STYLES)
    cells = list(zip(_column_letters(len(columns)), columns, strict=True))
    header = "".join(_cell(f"{letter}1", name, ' s="2"') for letter, name in cells)
    # Columns wide enough for their name and a date (at Excel's default width a date shows as ####).
    widths = "".join(f'<col min="{n}" max="{n}" width="{max(12, len(str(name)) + 3)}" customWidth="1"/>'
                     for n, name in enumerate(columns, 1))
    columns_xml = f"<cols>{widths}</cols>" if widths else ""
    sheets = _Sheets(book, sheet, f'{columns_xml}<sheetData><row r="1">{header}</row>', sheet_rows)
    async for row in rows:
        number = sheets.next_row()
        sheets.lines.append(f'<row r="{number}">'
                            + "".join(_cell(f"{letter}{number}", row.get(name)) for letter, name in cells)
                            + "</row>")
        if len(sheets.lines) == chunk_rows:
            sheets.write_lines()
            yield pending.take()
    sheets.close()
    book.writestr("xl/workbook.xml", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        + "".join(f'<sheet name={quoteattr(name)} sheetId="{n}" r:id="rId{n}"/>'
                  for n, name in enumerate(sheets.names, 1))
        + "</sheets></workbook>"))
    book.writestr("xl/_rels/workbook.xml.rels", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(f'<Relationship Id="rId{n}" '
                  'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                  f'Target="worksheets/sheet{n}.xml"/>' for n in range(1, len(sheets.names) + 1))
        + f'<Relationship Id="rId{len(sheets.names) + 1}" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        "</Relationships>"))
    book.close()
    yield pending.take()


class _Sheets:
    """The workbook's sheets, written one after the other into the archive: a sheet is full at
    `sheet_rows` rows, or near 2 GB of XML (beyond, a ZIP entry needs the ZIP64 format, which older
    Excels warn about)."""

    MOST_BYTES = 2_000_000_000

    def __init__(self, book: zipfile.ZipFile, name: str, top: str, sheet_rows: int):
        """`top`: each sheet's XML from its columns' widths to its header row."""
        self.book, self.name, self.top, self.sheet_rows = book, name, top, sheet_rows
        self.names: list[str] = []
        self.lines: list[str] = []  # rows not yet written into the current sheet
        self.part = None
        self.rows = self.bytes = 0

    def next_row(self) -> int:
        """The number of the next row in its sheet, opening the next sheet if this one is full."""
        if self.part is None or self.rows == self.sheet_rows or self.bytes > self.MOST_BYTES:
            self._next_sheet()
        self.rows += 1
        return self.rows

    def write_lines(self) -> None:
        data = "".join(self.lines).encode()
        self.part.write(data)
        self.bytes += len(data)
        self.lines = []

    def close(self) -> None:
        if self.part is None:  # no rows: one sheet with the header
            self._next_sheet()
        self.write_lines()
        self.part.write(_SHEET_END.encode())
        self.part.close()

    def _next_sheet(self) -> None:
        if self.part is not None:
            self.close()
        self.names.append(self.name[:31] if not self.names else f"{self.name[:24]} ({len(self.names) + 1})")
        self.part = self.book.open(f"xl/worksheets/sheet{len(self.names)}.xml", "w")
        self.part.write(f"{_SHEET_START}{self.top}".encode())
        self.rows, self.bytes = 1, 0

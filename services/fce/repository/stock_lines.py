"""A stock file as raw records (the bytes of each CSV row), with the digest that tells a monthly
import which rows changed since the last one.

The digest is of the row's bytes as INSEE wrote them: equal digests, same row, whatever the row
holds (and whether the import reads that column or not). Reading records is Python work done
while PostgreSQL parses the previous chunk (the other core), so digests cost a rebuild nothing.
"""

import csv
import io
from collections.abc import Iterator, Sequence
from typing import BinaryIO, NamedTuple

import numpy as np
from xxhash import xxh3_64_intdigest

CHUNK_BYTES = 1 << 20
QUOTE = b'"'


_HALF = 1 << 63


def digests_of(records: list[bytes]) -> np.ndarray:
    """The digest of each record: XXH3, 64 bits signed as PostgreSQL's bigint (numpy does the
    arithmetic); never 0, which stands for no digest. Not a cryptographic hash: a changed line keeps
    its digest once in 2**64, and nobody gains by forging one."""
    unsigned = np.fromiter(map(xxh3_64_intdigest, records), dtype=np.uint64, count=len(records))
    signed = (unsigned - np.uint64(_HALF)).view(np.int64)
    signed[signed == 0] = 1
    return signed


def digest(record: bytes) -> int:
    return int(digests_of([record])[0])


def _opens_a_field(data: bytes, end: int) -> bool:
    """Whether a line of data[:end] has an odd number of quotes (few lines have quotes at all)."""
    at = data.find(QUOTE, 0, end)
    while at != -1:
        start, stop = data.rfind(b"\n", 0, at) + 1, data.find(b"\n", at, end)
        stop = end if stop == -1 else stop
        if data.count(QUOTE, start, stop) % 2:
            return True
        at = data.find(QUOTE, stop, end)
    return False


class Batch(NamedTuple):
    """A chunk's worth of records: each one's bytes without its line end, and the line it starts on."""

    numbers: Sequence[int]
    records: list[bytes]


def record_batches(stock: BinaryIO, chunk_bytes: int = CHUNK_BYTES) -> Iterator[Batch]:
    """The records after the header, a chunk's worth at a time. A quoted field may hold line ends:
    a line with an odd number of quotes opens one."""
    line = 1
    carry = b""
    opened: bytes | None = None  # a record whose quoted field goes on over the next lines
    opened_at = 0
    header = True
    while True:
        chunk = stock.read(chunk_bytes)
        if chunk:
            data = carry + chunk
            lines = data.split(b"\n")
            carry = lines.pop()
            end = len(data) - len(carry)
            usual = opened is None and not header and data.find(b"\r", 0, end) == -1 and not _opens_a_field(data, end)
        else:
            lines, carry, usual = ([carry] if carry else []), b"", False
        if usual:  # every line a record: no loop in Python
            if lines:
                yield Batch(range(line, line + len(lines)), lines)
            line += len(lines)
            continue
        numbers, records = [], []
        for text in lines:
            number, line = line, line + 1
            if opened is not None:
                opened += b"\n" + text
                if opened.count(QUOTE) % 2:
                    continue
                text, number, opened = opened, opened_at, None
            elif QUOTE in text and text.count(QUOTE) % 2:
                opened, opened_at = text, number
                continue
            if header:
                header = False
                continue
            numbers.append(number)
            records.append(text[:-1] if text.endswith(b"\r") else text)
        if not chunk and opened is not None:  # a quote never closed: the rest of the file is one bad record
            numbers.append(opened_at)
            records.append(opened)
        if records:
            yield Batch(numbers, records)
        if not chunk:
            return


class UnreadableRecord(ValueError):
    """A record that is not a row of the file: the reason says why."""


def parse(record: bytes, width: int) -> list[str | None]:
    """The record's fields (empty ones as None), as PostgreSQL's COPY would read them."""
    try:
        text = record.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableRecord("row is not valid UTF-8 text") from None
    if "\x00" in text:
        raise UnreadableRecord("row is not valid UTF-8 text")
    try:
        fields = next(csv.reader(io.StringIO(text) if "\n" in text else [text], strict=True), [])
    except csv.Error as problem:  # a quote never closed, or text after a closing quote
        raise UnreadableRecord(f"row is not CSV: {problem}") from None
    if len(fields) != width:
        raise UnreadableRecord(f"row has {len(fields)} fields, the header has {width}")
    return [value or None for value in fields]

"""Records of a stock file as raw bytes: what the digests of a monthly import are made of."""

import io

import pytest

from services.fce.repository.stock_lines import UnreadableRecord, digest, parse, record_batches


def records(data: bytes, chunk_bytes: int = 7) -> list[tuple[int, bytes]]:
    """Small chunks: records cut across chunks must come out whole."""
    return [record for batch in record_batches(io.BytesIO(data), chunk_bytes) for record in zip(*batch, strict=True)]


def test_records_follow_the_header_with_their_line_whatever_the_chunks():
    data = b"siren,name\n123,ALPHA\n456,BETA\n789,GAMMA"  # no line end after the last one
    assert records(data) == records(data, 1 << 20) == [(2, b"123,ALPHA"), (3, b"456,BETA"), (4, b"789,GAMMA")]


def test_a_quoted_field_may_hold_line_ends_and_commas_and_windows_line_ends_are_not_part_of_a_record():
    data = b'siren,name\r\n123,"ALPHA\nET FILS, ""SA"""\r\n456,BETA\r\n'
    assert records(data) == [(2, b'123,"ALPHA\nET FILS, ""SA"""'), (4, b"456,BETA")]
    assert parse(records(data)[0][1], 2) == ["123", 'ALPHA\nET FILS, "SA"']


def test_a_quote_never_closed_makes_one_bad_record_of_the_rest():
    [(line, record)] = records(b'siren,name\n123,"ALPHA\n456,BETA\n')
    assert line == 2
    with pytest.raises(UnreadableRecord, match="row is not CSV"):
        parse(record, 2)


def test_unreadable_records_say_why():
    with pytest.raises(UnreadableRecord, match="not valid UTF-8"):
        parse(b"123,\xff\xfe", 2)
    with pytest.raises(UnreadableRecord, match="row has 3 fields, the header has 2"):
        parse(b"123,A,B", 2)
    assert parse(b"123,", 2) == ["123", None]


def test_digests_tell_lines_apart_even_when_a_value_moves_to_the_next_field():
    assert digest(b"123,A,") != digest(b"123,,A")
    assert digest(b"123,A,") == digest(b"123,A,")
    assert -(2**63) <= digest(b"x") < 2**63


def test_only_keys_of_exactly_their_digits_are_compared_with_the_live_ones():
    from services.fce.repository.changes import keys_of

    records = [b"123456789,00012,12345678900012,O", b"000000001,00010,00000000100010,O",
               b"12345678,00012,1234567800012,O", b" 12345678,00012, 1234567800012,O",
               b'"A, B",00012,12345678900012,O', b"123456789,00012,123456789000123,O",
               b"123456789,00012,1234567890001a,O", b"12345678,000123,12345678900012,O", b"", b"1,2"]
    assert keys_of(records, 2, 14).tolist() == [12345678900012, 100010, -1, -1, -1, -1, -1, 12345678900012, -1, -1]
    assert keys_of([b"123456789,A", b"00000000,B", b"000000001"], 0, 9).tolist() == [123456789, -1, 1]


def test_a_batch_of_digests_is_the_digest_of_each_line():
    from services.fce.repository.stock_lines import digests_of

    lines = [b"123,ALPHA", b"", b"x" * 500]
    assert digests_of(lines).tolist() == [digest(line) for line in lines]

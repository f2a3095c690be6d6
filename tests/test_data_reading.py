"""components/data/reading.py: the text table (header, lines, cells, ragged rows) or the ReadError of a file,
the same with the default block and with blocks so small that line ends and characters are cut between them
(the UTF-8 check and the line-end search go a block at a time)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from components.data import reading
from components.data.reading import ReadError, read_text_table

MODES = ["default", "tiny_blocks"]
OPEN = "a quoted field is not closed: the file may be incomplete"


@pytest.fixture(params=MODES)
def mode(request, monkeypatch):
    if request.param == "tiny_blocks":
        monkeypatch.setattr(reading, "_BLOCK", 8)
    return request.param


def read(tmp_path, data: bytes):
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    table = read_text_table(path)
    assert all(pa.types.is_large_string(c.type) for c in table.columns)  # what pandas keeps: no copy
    return (table.header, table.header_line, table.lines.tolist(), [c.to_pylist() for c in table.columns], table.ragged)


def error(tmp_path, data: bytes) -> tuple[str, int | None]:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    with pytest.raises(ReadError) as info:
        read_text_table(path)
    return info.value.rule, info.value.line


PLAIN = (["a", "b"], 1, [2, 3], [["1", "3"], ["2", "4"]], [])


@pytest.mark.parametrize(
    "data",
    [
        b"a,b\n1,2\n3,4\n",
        b"a,b\r\n1,2\r\n3,4\r\n",
        b"a,b\r1,2\r3,4\r",
        b"a,b\n1,2\n3,4",
        b"\xef\xbb\xbfa,b\n1,2\n3,4\n",
        b"a,b\r\n1,2\n3,4\r",
    ],
    ids=["lf", "crlf", "cr", "no-final-newline", "bom", "mixed"],
)
def test_line_endings_and_bom(tmp_path, mode, data):
    assert read(tmp_path, data) == PLAIN


def test_blank_lines_count_as_lines(tmp_path, mode):
    assert read(tmp_path, b"\na,b\n\n1,2\r\n\r\n3,4\n\n\r\r\n") == (["a", "b"], 2, [4, 6], [["1", "3"], ["2", "4"]], [])


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_a_record_spanning_lines_starts_where_it_starts(tmp_path, mode, newline):
    data = b"a,b\n" + b'"x' + newline + b'y",2\n3,4\n'
    assert read(tmp_path, data) == (["a", "b"], 1, [2, 4], [["x" + newline.decode() + "y", "3"], ["2", "4"]], [])


def test_a_header_spanning_lines(tmp_path, mode):
    assert read(tmp_path, b'"a\nb",c\n1,2\n')[:3] == (["a\nb", "c"], 1, [3])


def test_ragged_rows_are_left_out_with_their_lines(tmp_path, mode):
    assert read(tmp_path, b"a,b\n1,2,3\n\n4,5\n6\n") == (["a", "b"], 1, [4], [["4"], ["5"]], [(2, 3, 2), (5, 1, 2)])


def test_empty_cells_are_missing_and_text_is_kept(tmp_path, mode):
    data = 'a,b,c\nҚазақстан,,"x, ""y"""\nAzərbaycan 😀,2,\n'.encode()
    assert read(tmp_path, data)[3] == [["Қазақстан", "Azərbaycan 😀"], [None, "2"], ['x, "y"', None]]


def test_a_record_longer_than_a_block_is_read(tmp_path, mode):
    long = "x" * 300
    assert read(tmp_path, f"a,b\n{long},2\n3,4\n".encode())[3] == [[long, "3"], ["2", "4"]]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a,b\n1,\x002\n", ("file contains NUL bytes (not a text CSV)", 2)),
        (b"a,b\n1,2\n\xff\n", ("file is not valid UTF-8 (invalid start byte at byte 8)", 3)),
        (b"\xef\xbb\xbfa,b\n1,\xc3", ("file is not valid UTF-8 (unexpected end of data at byte 6)", 2)),
        (b"a,b\n1,\xed\xa0\x80\n", ("file is not valid UTF-8 (invalid continuation byte at byte 6)", 2)),
        (b'a,b\n1,"2\n3,4\n', (f"file cannot be read as CSV ({OPEN})", 4)),
        (b"", ("file is empty (no header row)", None)),
        (b"\n\r\n\r", ("file is empty (no header row)", None)),
        (b"\xef\xbb\xbf", ("file is empty (no header row)", None)),
    ],
    ids=["nul", "not-utf8", "cut-character", "surrogate", "open-quote", "empty", "blank", "bom-only"],
)
def test_read_errors_name_the_line(tmp_path, mode, data, expected):
    assert error(tmp_path, data) == expected


def test_a_quote_inside_an_unquoted_field_is_text(tmp_path, mode):
    assert read(tmp_path, b'a,b\n12" pipe,2\n')[3] == [['12" pipe'], ["2"]]

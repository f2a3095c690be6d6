"""Formula-safe CSV downloads and the zip bundle."""

from __future__ import annotations

import csv
import io
import zipfile

import pandas as pd
import pytest

from components.shaping import export
from components.shaping.export import bundle_zip, defuse, to_safe_csv

DANGEROUS = ["=SUM(A1)", "+1", "-2+3", "@x", "\tx", "\rx", '=HYPERLINK("http://evil","click")', "-"]
HARMLESS = ["Baku", "2012", "1.5", "a=b", "x+1", "'=already", " =spaced", ""]


def read_back(payload: bytes) -> list[list[str]]:
    """The CSV as a spreadsheet would see it: header row first, every cell as text."""
    return list(csv.reader(io.StringIO(payload.decode("utf-8"), newline="")))


@pytest.mark.parametrize("value", DANGEROUS, ids=repr)
def test_dangerous_text_cell_gets_an_apostrophe(value):
    frame = pd.DataFrame({"note": pd.array([value], dtype="str")})
    header, row = read_back(to_safe_csv(frame))
    assert header == ["note"]
    assert row == ["'" + value]


@pytest.mark.parametrize("value", HARMLESS, ids=repr)
def test_harmless_text_cell_is_unchanged(value):
    frame = pd.DataFrame({"note": pd.array([value, "x"], dtype="str")})
    rows = read_back(to_safe_csv(frame))
    assert rows[1] == [value]


@pytest.mark.parametrize("value", DANGEROUS, ids=repr)
def test_dangerous_header_gets_an_apostrophe(value):
    frame = pd.DataFrame({value: pd.array(["Baku"], dtype="str"), "year": pd.array([2012], dtype="Int64")})
    header, row = read_back(to_safe_csv(frame))
    assert header == ["'" + value, "year"]
    assert row == ["Baku", "2012"]


def test_dangerous_text_in_an_object_column_and_missing_cells():
    frame = pd.DataFrame({"note": ["=1+1", None, "@SUM(A1)", "plain"]}, dtype=object)
    rows = read_back(to_safe_csv(frame))
    assert [r[0] for r in rows[1:]] == ["'=1+1", "", "'@SUM(A1)", "plain"]


@pytest.mark.parametrize(
    "make",
    [
        lambda v: pd.array(v, dtype="str"),
        lambda v: pd.array(v, dtype=pd.StringDtype("python")),
        lambda v: pd.array(v, dtype=pd.StringDtype("pyarrow")),
        lambda v: pd.Categorical(v),
        lambda v: pd.array([*v[:-1], 7], dtype=object),  # not all text: checked cell by cell
    ],
    ids=["str", "python-string", "arrow-string", "category", "mixed-object"],
)
def test_every_kind_of_text_column_is_defused(make):
    frame = pd.DataFrame({"note": make(["=1+1", None, "plain", "-3", "last"])})
    cells = [r[0] for r in read_back(to_safe_csv(frame))[1:]]
    assert cells[:4] == ["'=1+1", "", "plain", "'-3"]


def test_numbers_are_left_unchanged_and_parse_back():
    frame = pd.DataFrame(
        {
            "year": pd.array([2012, 2013, None], dtype="Int64"),
            "balance_az": pd.array([-287.69, 12.5, None], dtype="Float64"),
            "change": [-3.0, 0.25, -0.5],
            "delta": [-2, 3, -4],
            "is_derived": pd.array([True, False, None], dtype="boolean"),
            "label": pd.array(["-2+3", "ok", "=A1"], dtype="str"),
        }
    )
    payload = to_safe_csv(frame)
    rows = read_back(payload)
    assert [r[1] for r in rows[1:]] == ["-287.69", "12.5", ""]
    assert [r[2] for r in rows[1:]] == ["-3.0", "0.25", "-0.5"]
    assert [r[3] for r in rows[1:]] == ["-2", "3", "-4"]
    assert [r[5] for r in rows[1:]] == ["'-2+3", "ok", "'=A1"]
    back = pd.read_csv(io.BytesIO(payload))
    assert back["balance_az"].iloc[0] == pytest.approx(-287.69)
    assert back["change"].tolist() == [-3.0, 0.25, -0.5]
    assert back["delta"].tolist() == [-2, 3, -4]
    assert back["year"].iloc[:2].tolist() == [2012, 2013]


def test_datetime_column_is_not_treated_as_text():
    frame = pd.DataFrame({"date_start": pd.to_datetime(["2012-05-01"])})
    assert read_back(to_safe_csv(frame))[1] == ["2012-05-01"]


def test_the_input_frame_is_not_modified():
    frame = pd.DataFrame({"=x": pd.array(["=SUM(A1)"], dtype="str")})
    to_safe_csv(frame)
    assert list(frame.columns) == ["=x"]
    assert frame.iloc[0, 0] == "=SUM(A1)"


def test_csv_is_utf8_without_index():
    frame = pd.DataFrame({"product": pd.array(["Ölçü – şəkər"], dtype="str"), "rank": pd.array([1], dtype="Int64")})
    payload = to_safe_csv(frame)
    assert payload.decode("utf-8") == "product,rank\r\nÖlçü – şəkər,1\r\n"


@pytest.mark.parametrize("value", ["ok\r=1+1", "ok\n=1+1", "ok\r\n@SUM(1+1)", "\r=1+1"], ids=repr)
def test_line_break_inside_a_cell_cannot_start_a_new_row(value):
    frame = pd.DataFrame({"note": pd.array([value], dtype="str"), "year": pd.array([2012], dtype="Int64")})
    rows = read_back(to_safe_csv(frame))
    assert len(rows) == 2
    assert rows[1] == [defuse(value), "2012"]
    assert pd.read_csv(io.BytesIO(to_safe_csv(frame)))["note"].tolist() == [defuse(value)]


@pytest.mark.parametrize("value, expected", [("=1", "'=1"), ("ok", "ok"), (-5, -5), (None, None), (2.5, 2.5)])
def test_defuse_touches_only_text(value, expected):
    assert defuse(value) == expected


def test_bundle_zip_holds_each_table_defused_and_extra_files_byte_identical():
    trade = pd.DataFrame(
        {
            "year": pd.array([2012], dtype="Int64"),
            "flow": pd.array(["total"], dtype="str"),
            "value_usd_m": pd.array([393.43], dtype="Float64"),
            "note": pd.array(["=cmd|' /C calc'!A0"], dtype="str"),
        }
    )
    sources = pd.DataFrame(
        {
            "source_id": pd.array(["huseynov2017"], dtype="str"),
            "title": pd.array(["+Azerbaijan – Kazakhstan relations"], dtype="str"),
        }
    )
    extra = {
        "datapackage.json": b'{"name": "az-kz"}\n',
        "README.md": "Read me – ünïcode\r\n".encode(),
        "blob.bin": bytes(range(256)),
    }
    payload = bundle_zip({"trade_turnover": trade, "sources": sources}, extra)

    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == sorted(["trade_turnover.csv", "sources.csv", *extra])
        assert archive.read("trade_turnover.csv") == to_safe_csv(trade)
        assert archive.read("sources.csv") == to_safe_csv(sources)
        assert read_back(archive.read("trade_turnover.csv"))[1] == ["2012", "total", "393.43", "'=cmd|' /C calc'!A0"]
        assert read_back(archive.read("sources.csv"))[1][1] == "'+Azerbaijan – Kazakhstan relations"
        for name, content in extra.items():
            assert archive.read(name) == content


def test_bundle_zip_empty():
    with zipfile.ZipFile(io.BytesIO(bundle_zip({}, {}))) as archive:
        assert archive.namelist() == []


def test_the_csv_of_any_rows_cut_from_a_frames_records_is_the_csv_of_those_rows():
    """export.csv_records: header + the rows' records == to_safe_csv of those rows, line breaks and quotes inside
    cells, formula cells, missing values, booleans and floats included; a datetime column is refused."""
    import itertools

    frame = pd.DataFrame(
        {
            "year": pd.array([2001, None, 2005, 2010], dtype="Int64"),
            "text": ["plain", 'say "hi"\r\nthen go', "=1+1", None],
            "value": [1.5, -242.52999999999997, None, 3.0],
            "flag": pd.array([True, None, False, True], dtype="boolean"),
            "note": pd.array(["a,b", "c\nd", "", "-x"], dtype="str"),
        }
    )
    records = export.csv_records(frame)
    for n in range(len(frame) + 1):
        for positions in itertools.combinations(range(len(frame)), n):
            assert records.of(positions) == export.to_safe_csv(frame.iloc[list(positions)]), positions
    with pytest.raises(ValueError, match="datetime"):
        export.csv_records(frame.assign(when=pd.to_datetime(["2001-01-01"] * 4)))

"""What the benchmarks rely on: tables from another package file, the fast CSV path, aggregate_trade."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.scale import PACKAGE, SOURCE_IDS, TABLE, synthetic_trade
from components import filters, schema, transforms
from components.loading import DataError, load_table, read_csv_typed

HEADER = "year,month,flow,product,hs_code,value_usd,source_id"


def write(folder: Path, text: str | bytes) -> Path:
    path = folder / "trade_monthly.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def load(folder: Path) -> pd.DataFrame:
    return load_table(TABLE, folder, source_ids=SOURCE_IDS, package=PACKAGE)


def problems(folder: Path) -> list[str]:
    with pytest.raises(DataError) as info:
        load(folder)
    return [str(p) for p in info.value.problems]


# --- a resource from another package file ------------------------------------------------------


def test_another_package_is_read_without_touching_the_app_contract():
    assert schema.table_names(PACKAGE) == [TABLE]
    assert TABLE not in schema.table_names()
    sch = schema.pandera_schema(TABLE, PACKAGE)
    assert list(sch.columns) == schema.contract_columns(TABLE, PACKAGE)
    assert sch.strict is True and list(sch.unique) == ["year", "month", "flow", "hs_code"]
    with pytest.raises(KeyError):
        schema.table_meta(TABLE)


def test_synthetic_table_loads_typed(tmp_path):
    frame = synthetic_trade(500)
    frame.to_csv(tmp_path / "trade_monthly.csv", index=False, lineterminator="\n")
    df = load(tmp_path)
    assert len(df) == 500 and list(df.columns) == schema.contract_columns(TABLE, PACKAGE)
    assert str(df["year"].dtype) == "Int64" and str(df["value_usd"].dtype) == "Float64"
    assert df["product"].dtype == "str"
    assert df["product"].tolist() == frame["product"].tolist()  # quoted commas and quotes survive
    assert np.allclose(df["value_usd"].to_numpy(float), frame["value_usd"].to_numpy())


def test_a_bad_row_in_another_package_names_file_line_and_rule(tmp_path):
    write(tmp_path, f"{HEADER}\n2020,1,kz_to_az,Tea,090210,5,stat_gov_kz\n2020,13,kz_to_az,Tea,090210,5,x_y\n")
    listed = problems(tmp_path)
    assert any(p.startswith("trade_monthly.csv, line 3, column month: value '13' breaks rule 'in_range(1, 12)")
               for p in listed), listed
    assert any("line 3, column source_id: value 'x_y' breaks rule 'source id exists" in p for p in listed), listed


# --- the plain-CSV (Arrow) path gives what the csv module gave ----------------------------------


ROW = "2020,1,kz_to_az,{product},090210,{value},stat_gov_kz"


@pytest.mark.parametrize("product, expected", [
    ('"Petroleum oils, crude"', "Petroleum oils, crude"),
    ('"Parts, ""other"""', 'Parts, "other"'),
    ('12" pipes', '12" pipes'),  # a quote inside an unquoted field is a character
    ('"NA"', "NA"),
    ("NA", "NA"),  # never read as missing
])
def test_quoting_reads_as_the_csv_module_does(tmp_path, product, expected):
    write(tmp_path, f"{HEADER}\n{ROW.format(product=product, value=5)}\n")
    assert load(tmp_path)["product"].tolist() == [expected]


def test_text_after_a_closing_quote_is_still_an_error(tmp_path):
    bad = ROW.format(product='"Te"a', value=6)
    write(tmp_path, f"{HEADER}\n{ROW.format(product='Tea', value=5)}\n{bad}\n")
    listed = problems(tmp_path)
    assert len(listed) == 1 and listed[0].startswith("trade_monthly.csv, line 3: file cannot be read as CSV")


@pytest.mark.parametrize("transform", [
    lambda t: t.replace("\n", "\r\n"),
    lambda t: "\ufeff" + t,
    lambda t: t.rstrip("\n"),
])
def test_line_endings_and_bom_do_not_change_the_frame(tmp_path, transform):
    text = f"{HEADER}\n" + "\n".join(ROW.format(product=p, value=v).replace(",1,", f",{m},", 1) for m, p, v in
                                     [(1, "Tea", 1), (2, '"Oils, crude"', 2.5), (3, "Cotton", 3)]) + "\n"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(tmp_path / "a", text)
    write(tmp_path / "b", transform(text))
    assert load(tmp_path / "a").equals(load(tmp_path / "b"))


def test_line_numbers_count_blank_lines_and_multiline_fields(tmp_path):
    rows = [ROW.format(product="Tea", value=1), "", ROW.format(product='"Two\nlines"', value=2).replace(",1,", ",2,"),
            ROW.format(product="Tea", value=-3).replace(",1,", ",3,")]
    write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    listed = problems(tmp_path)  # header 1, row 2, blank 3, rows at 4-5 and 6
    assert any(p.startswith("trade_monthly.csv, line 6, column value_usd: value '-3'") for p in listed), listed


@pytest.mark.parametrize("value, expected", [("+5", 5), ("007", 7), ("\u0663", 3)])
def test_integers_convert_as_int_does(tmp_path, value, expected):
    write(tmp_path, f"{HEADER}\n2020,{value},kz_to_az,Tea,090210,5,stat_gov_kz\n")
    assert load(tmp_path)["month"].tolist() == [expected]


@pytest.mark.parametrize("value", ["0x10", "1e1", " 5", "5.0"])
def test_integers_python_rejects_stay_rejected(tmp_path, value):
    path = write(tmp_path, f"{HEADER}\n2020,{value},kz_to_az,Tea,090210,5,stat_gov_kz\n")
    _, found = read_csv_typed(path, TABLE, package=PACKAGE)
    assert [(p.line, p.column, p.value, p.rule) for p in found] == [(2, "month", value, "type(integer)")]


@pytest.mark.parametrize("value, expected", [("1e3", 1000.0), ("+.5", 0.5), ("5.", 5.0), ("1E-2", 0.01)])
def test_numbers_convert_as_float_does(tmp_path, value, expected):
    write(tmp_path, f"{HEADER}\n2020,1,kz_to_az,Tea,090210,{value},stat_gov_kz\n")
    assert load(tmp_path)["value_usd"].tolist() == [expected]


@pytest.mark.parametrize("value", ["inf", "nan", "1,5", "0x1p3"])
def test_numbers_python_rejects_stay_rejected(tmp_path, value):
    path = write(tmp_path, f'{HEADER}\n2020,1,kz_to_az,Tea,090210,"{value}",stat_gov_kz\n')
    _, found = read_csv_typed(path, TABLE, package=PACKAGE)
    assert [(p.line, p.column, p.value, p.rule) for p in found] == [(2, "value_usd", value, "type(number)")]


def test_a_field_over_the_csv_limit_is_still_refused(tmp_path):
    write(tmp_path, f"{HEADER}\n2020,1,kz_to_az,{'x' * (csv.field_size_limit() + 1)},090210,5,stat_gov_kz\n")
    listed = problems(tmp_path)
    assert len(listed) == 1 and "file cannot be read as CSV (field larger than field limit" in listed[0]


# --- aggregate_trade -----------------------------------------------------------------------------


@pytest.fixture
def monthly() -> pd.DataFrame:
    return pd.DataFrame({
        "year": pd.array([2010, 2010, 2011, 2011, 2012, None], dtype="Int64"),
        "flow": pd.array(["kz_to_az", "az_to_kz", "kz_to_az", "kz_to_az", "az_to_kz", "kz_to_az"], dtype="str"),
        "product": pd.array(["Tea", "Oil", "Tea", "Oil", "Oil", "Tea"], dtype="str"),
        "value_usd": pd.array([1.0, 2.0, 3.0, 4.0, 5.0, 100.0], dtype="Float64"),
    })


def test_aggregate_trade_sums_inside_the_inclusive_range(monthly):
    out = transforms.aggregate_trade(monthly, 2010, 2011)
    assert list(out.columns) == ["year", "flow", "value_usd"]
    assert out.values.tolist() == [[2010, "az_to_kz", 2.0], [2010, "kz_to_az", 1.0], [2011, "kz_to_az", 7.0]]
    assert str(out["year"].dtype) == "Int64" and str(out["value_usd"].dtype) == "Float64"


def test_aggregate_trade_top_n_largest_first(monthly):
    out = transforms.aggregate_trade(monthly, 2010, 2012, by=("product",), top=1)
    assert out.values.tolist() == [["Oil", 11.0]]
    both = transforms.aggregate_trade(monthly, 2010, 2012, by=["product"], top=5)
    assert both["product"].tolist() == ["Oil", "Tea"]


def test_aggregate_trade_matches_a_bare_groupby(monthly):
    frame = pd.concat([monthly] * 3, ignore_index=True)
    ours = transforms.aggregate_trade(frame, 2011, 2012, by=("year", "product"))
    bare = frame[frame["year"].between(2011, 2012).fillna(False)].groupby(["year", "product"])["value_usd"].sum()
    assert ours.set_index(["year", "product"])["value_usd"].equals(bare)


def test_aggregate_trade_of_an_empty_range(monthly):
    out = transforms.aggregate_trade(monthly, 1990, 1991)
    assert out.empty and list(out.columns) == ["year", "flow", "value_usd"]


def test_year_mask_is_a_numpy_mask(monthly):
    mask = filters.year_mask(monthly, 2011, 2012)
    assert isinstance(mask, np.ndarray) and mask.dtype == bool
    assert mask.tolist() == [False, False, True, True, True, False]
    assert filters.year_mask(monthly, 2011, 2012, keep_missing=True).tolist()[-1] is True

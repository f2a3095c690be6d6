"""Small typed frames shaped like the loaded tables (data/datapackage.json + what the loader adds).

The loader types integer columns as Int64, numbers as Float64, booleans as boolean and text as str;
tables with a `date` column also get `year` (Int64) and `date_start` (first day of the partial date).
"""

from __future__ import annotations

import pandas as pd

S, I, F, B = "str", "Int64", "Float64", "boolean"

COLUMNS: dict[str, dict[str, str]] = {
    "sources": {"source_id": S, "kind": S, "authors": S, "title": S, "publisher": S, "year": I, "doi_or_url": S,
                "cited_in": S, "note": S},
    "trade_turnover": {"year": I, "period": S, "flow": S, "value_usd_m": F, "is_derived": B, "source_id": S,
                       "note": S},
    "trade_products": {"year": I, "period": S, "flow": S, "rank": I, "product": S, "value_usd": F, "source_id": S,
                       "note": S},
    "visits": {"date": S, "date_precision": S, "end_date": S, "visitor": S, "visitor_role": S,
               "visitor_country": S, "host_country": S, "city": S, "visit_type": S, "occasion": S, "source_id": S,
               "note": S},
    "agreements": {"date": S, "date_precision": S, "title": S, "parties": S, "domain": S, "doc_type": S, "city": S,
                   "route_id": S, "source_id": S, "note": S},
    "events": {"date": S, "date_precision": S, "category": S, "event": S, "route_id": S, "countries": S,
               "source_id": S, "note": S},
    "corridor_volumes": {"corridor": S, "year": I, "period": S, "metric": S, "value": F, "unit": S, "status": S,
                         "cargo": S, "source_id": S, "note": S},
    "routes": {"route_id": S, "name": S, "mode": S, "cargo": S, "status": S, "opened_year": I, "length_km": F,
               "capacity": F, "capacity_unit": S, "countries": S, "description": S, "geometry_accuracy": S,
               "geometry_note": S, "source_id": S, "note": S},
    "diaspora": {"group": S, "year": I, "population": I, "population_high": I, "measure": S, "source_id": S,
                 "note": S},
    "indicators": {"topic": S, "indicator": S, "label": S, "country": S, "year": I, "period": S, "value": F,
                   "unit": S, "is_derived": B, "source_id": S, "note": S},
}
PRECISION = {4: "year", 7: "month", 10: "day"}


def _first_day(date: str) -> str:
    return {4: f"{date}-01-01", 7: f"{date}-01", 10: date}[len(date)]


def frame(table: str, records: list[dict]) -> pd.DataFrame:
    """A frame of `table` with the loader's dtypes; missing cells are NA."""
    columns = COLUMNS[table]
    unknown = {key for record in records for key in record} - set(columns)
    assert not unknown, f"not a column of {table}: {unknown}"
    out = pd.DataFrame({name: pd.array([r.get(name) for r in records], dtype=dtype) for name, dtype in columns.items()})
    if "date" in columns:
        if records and "date_precision" not in records[0]:
            out["date_precision"] = pd.array([PRECISION[len(r["date"])] for r in records], dtype=S)
        out["year"] = pd.array([int(r["date"][:4]) for r in records], dtype=I)
        out["date_start"] = pd.to_datetime(pd.Series([_first_day(r["date"]) for r in records], dtype="object"),
                                           format="%Y-%m-%d").astype("datetime64[s]")
    return out


def trade(*rows: tuple) -> pd.DataFrame:
    """trade_turnover rows from (year, period, flow, value_usd_m, is_derived, source_id)."""
    keys = ["year", "period", "flow", "value_usd_m", "is_derived", "source_id"]
    return frame("trade_turnover", [dict(zip(keys, row)) for row in rows])


# Real rows from data/trade_turnover.csv (2001 back-computed; 2009 total only; H1 2016 part-year).
REAL_TRADE = [
    (2001, "annual", "kz_to_az", 99.09, True, "huseynov2017"),
    (2001, "annual", "az_to_kz", 6.59, True, "huseynov2017"),
    (2001, "annual", "total", 106.15, True, "huseynov2017"),
    (2005, "annual", "kz_to_az", 129.0, False, "huseynov2017;azstat_2016"),
    (2005, "annual", "az_to_kz", 3.0, False, "huseynov2017;azstat_2016"),
    (2005, "annual", "total", 132.0, False, "huseynov2017;azstat_2016"),
    (2009, "annual", "total", 236.0, False, "huseynov2017;azstat_2016"),
    (2011, "annual", "kz_to_az", 218.0, False, "huseynov2017;azstat_2016"),
    (2011, "annual", "az_to_kz", 58.0, False, "huseynov2017;azstat_2016"),
    (2011, "annual", "total", 276.0, False, "huseynov2017;azstat_2016"),
    (2012, "annual", "kz_to_az", 340.56, False, "huseynov2017;mineconomy_az_2012"),
    (2012, "annual", "az_to_kz", 52.87, False, "huseynov2017;mineconomy_az_2012"),
    (2012, "annual", "total", 393.43, False, "huseynov2017;mineconomy_az_2012"),
    (2016, "H1", "kz_to_az", 63.84781, False, "huseynov2017;azstat_2016"),
    (2016, "H1", "az_to_kz", 7.65781, False, "huseynov2017;azstat_2016"),
    (2016, "H1", "total", 71.50562, False, "huseynov2017;azstat_2016"),
    (2022, "H1", "total", 326.6, False, "risbekkizi2022;egamberdiyev2023"),
]

REAL_SOURCES = [
    {"source_id": "huseynov2017", "kind": "article", "authors": "Rusif Huseynov",
     "title": "Azerbaijan – Kazakhstan relations: current situation and prospects",
     "publisher": "Przegląd Politologiczny, 2017 (3)", "year": 2017},
    {"source_id": "caspian2018", "kind": "article", "authors": None,
     "title": "Azerbaijan - Kazakhstan: Caspian cooperation and prospects",
     "publisher": "Almaty (journal not named in the text)", "year": 2018},
    {"source_id": "egamberdiyev2023", "kind": "article", "authors": "M.Sh. Egamberdiyev; A.B. Shaldarbekova",
     "title": "Relations between Kazakhstan and Azerbaijan in the current geopolitical environment",
     "publisher": "KazNU International Relations and International Law Journal, 103 (3)", "year": 2023},
    {"source_id": "azstat_2016", "kind": "primary", "authors": "Statistical Committee of the Republic of Azerbaijan",
     "title": "Azerbaijan's Foreign Trade Relations, January-June 2016",
     "publisher": "Statistical Committee of the Republic of Azerbaijan", "year": 2016},
    {"source_id": "mineconomy_az_2012", "kind": "primary", "authors": None,
     "title": "About trade relations between the Republic of Azerbaijan and the Republic of Kazakhstan in 2012",
     "publisher": "Ministry of Economy of Azerbaijan", "year": 2012},
    {"source_id": "trend_2016_09_17", "kind": "primary", "authors": None,
     "title": "Azerbaijan, Kazakhstan to mull energy, transport co-op", "publisher": "Trend News Agency",
     "year": None},
]


def sources() -> pd.DataFrame:
    return frame("sources", REAL_SOURCES)

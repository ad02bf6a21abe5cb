"""UCI Online Retail: registry, loader (every accepted form, every bad-file error) and cleaning rules.

Fixtures are small hand-made tables written to tmp_path; the last test reads the real
file through $LABKIT_REAL_DATA (skipped when unset).
"""

from __future__ import annotations

import gzip
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labkit import schema as S
from labkit.cleaning import online_retail as cleaning
from labkit.cleaning.online_retail import (
    RULES, cancellation_lines, clean_online_retail, match_cancellations,
)
from labkit.datasets import (
    DATASETS, RAW_COLUMNS, find_dataset_file, get_dataset, load_online_retail, real_data_dir,
)

T0 = pd.Timestamp("2010-12-01 08:26")


def _ts(hours: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(hours=hours)


# (InvoiceNo, StockCode, Description, Quantity, hours after T0, UnitPrice, CustomerID, Country, expected)
# expected: a quarantine reason, or "completed"/"cancelled"/"partial" for kept rows
LINES = [
    ("536365", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER ", 6, 0, 2.55, 17850, "United Kingdom", "completed"),
    ("536365", "71053", "WHITE METAL LANTERN", 6, 0, 3.39, 17850, "United Kingdom", "cancelled"),
    ("C536379", "71053", "WHITE METAL LANTERN", -6, 24, 3.39, 17850, "United Kingdom", "cancellation_matched"),
    ("536366", "22633", "HAND WARMER UNION JACK", 12, 1, 1.85, 17850, "United Kingdom", "partial"),
    ("C536380", "22633", "HAND WARMER UNION JACK", -4, 48, 1.85, 17850, "United Kingdom", "cancellation_matched"),
    ("C536381", "22632", "HAND WARMER RED POLKA DOT", -2, 48, 1.85, 17850, "United Kingdom", "cancellation_unmatched"),
    ("536365", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER ", 6, 0, 2.55, 17850, "United Kingdom", "duplicate_line"),
    ("536367", "POST", "POSTAGE", 1, 2, 18.0, 12583, "France", "non_product_code"),
    ("536368", "gift_0001_20", "Dotcomgiftshop Gift Voucher £20.00", 1, 2, 17.02, None, "United Kingdom",
     "non_product_code"),
    ("536369", "21275", "Unknown", -10, 3, 0.0, None, "United Kingdom", "inventory_adjustment"),
    ("536370", "84826", "check", 5, 3, 0.0, None, "United Kingdom", "inventory_adjustment"),
    ("536371", "22139", "RETROSPOT TEA SET CERAMIC 11 PC", 1, 3, 0.0, 12647, "Germany", "non_positive_price"),
    ("536372", "22086", "PAPER CHAIN KIT 50'S CHRISTMAS", 4, 4, 2.95, None, "United Kingdom", "missing_customer"),
    ("536373", "23843", "PAPER CRAFT , LITTLE BIRDIE", 80995, 5, 2.08, 16446, "United Kingdom", "quantity_outlier"),
    ("536374", "85123a", "WHITE HANGING HEART T-LIGHT HOLDER", 2, 5, 2.55, 13047, "United Kingdom", "completed"),
    ("A563185", "B", "Adjust bad debt", 1, 6, 11062.06, None, "United Kingdom", "non_product_code"),
    ("536375", "M", "Manual", 1, 6, 0.0, 12583, "France", "non_product_code"),
    ("541431", "23166", "MEDIUM CERAMIC TOP STORAGE JAR", 74215, 7, 1.04, 12346, "United Kingdom", "cancelled"),
    ("C541433", "23166", "MEDIUM CERAMIC TOP STORAGE JAR", -74215, 7.25, 1.04, 12346, "United Kingdom",
     "cancellation_matched"),
    ("536380", "21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 6, 8, 4.25, 13047, "United Kingdom", "cancelled"),
    ("536381", "21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 6, 9, 4.25, 13047, "United Kingdom", "cancelled"),
    ("C536382", "21730", "GLASS STAR FROSTED T-LIGHT HOLDER", -12, 10, 4.25, 13047, "United Kingdom",
     "cancellation_matched"),
    ("536383", "22752", "SET 7 BABUSHKA NESTING BOXES", 12, 8, 7.65, 15100, "United Kingdom", "cancelled"),
    ("536384", "22752", "SET 7 BABUSHKA NESTING BOXES", 3, 9, 7.65, 15100, "United Kingdom", "completed"),
    ("C536385", "22752", "SET 7 BABUSHKA NESTING BOXES", -12, 10, 7.65, 15100, "United Kingdom",
     "cancellation_matched"),
    ("C536386", "21777", "RECIPE BOX WITH METAL HEART", -1, 11, 7.95, 15100, "United Kingdom",
     "cancellation_unmatched"),
    ("536387", "21777", "RECIPE BOX WITH METAL HEART", 1, 12, 7.95, 15100, "United Kingdom", "completed"),
]
RENAME_II = {"InvoiceNo": "Invoice", "UnitPrice": "Price", "CustomerID": "Customer ID"}


def _raw_frame() -> pd.DataFrame:
    """The hand-made lines as the official .xlsx gives them (numeric ids, float CustomerID)."""
    rows = [dict(zip(RAW_COLUMNS, (inv, code, desc, qty, _ts(h), price, cust, country)))
            for inv, code, desc, qty, h, price, cust, country, _ in LINES]
    df = pd.DataFrame(rows)
    df["CustomerID"] = df["CustomerID"].astype("float64")
    df["InvoiceNo"] = [int(v) if v.isdigit() else v for v in df["InvoiceNo"]]
    df["StockCode"] = pd.Series([int(v) if v.isdigit() else v for v in df["StockCode"]], dtype=object)
    return df


def _expected() -> list[str]:
    return [line[-1] for line in LINES]


def _write_csv(df: pd.DataFrame, path: Path, encoding: str = "utf-8", date_format: str | None = None) -> Path:
    out = df.copy()
    if date_format:
        out["InvoiceDate"] = out["InvoiceDate"].dt.strftime(date_format)
    out.to_csv(path, index=False, encoding=encoding)
    return path


def _check_loaded(raw: pd.DataFrame) -> None:
    assert list(raw.columns) == [*RAW_COLUMNS, "raw_row"]
    assert raw["raw_row"].tolist() == list(range(len(LINES)))
    assert raw["InvoiceNo"].tolist() == [line[0] for line in LINES]
    assert raw["StockCode"].tolist() == [line[1] for line in LINES]
    assert raw["CustomerID"].iloc[0] == "17850" and raw["CustomerID"].isna().sum() == 5
    assert raw["Quantity"].dtype == "int64" and raw["UnitPrice"].dtype == "float64"
    assert raw["InvoiceDate"].iloc[2] == _ts(24)
    assert raw["Description"].iloc[8] == "Dotcomgiftshop Gift Voucher £20.00"
    assert raw["Description"].iloc[0].endswith(" ")  # raw values untouched


# --- registry -------------------------------------------------------------------------------

def test_registry_names_and_folders():
    assert set(DATASETS) == {"synthetic", "online_retail", "online_shoppers", "womens_reviews", "bitext",
                             "fashion_images"}
    assert get_dataset("online_retail").folder == "online_retail"
    assert not get_dataset("synthetic").is_real
    for ds in DATASETS.values():
        assert ds.source and ds.licence
    with pytest.raises(ValueError, match="unknown dataset 'nope'.*online_retail"):
        get_dataset("nope")


def test_real_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("LABKIT_REAL_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="DATA_DIR.*LABKIT_REAL_DATA"):
        real_data_dir()
    assert real_data_dir(str(tmp_path)) == tmp_path
    monkeypatch.setenv("LABKIT_REAL_DATA", str(tmp_path))
    assert real_data_dir() == tmp_path
    with pytest.raises(FileNotFoundError, match="DATA_DIR=.*missing is not a folder"):
        real_data_dir(tmp_path / "missing")


@pytest.mark.parametrize("relative", ["online_retail/Online Retail.xlsx", "online_retail/online_retail_II.xlsx",
                                      "online_retail/online_retail.csv.gz", "ONLINE RETAIL.CSV",
                                      "online_retail/online_retail_2010-2011.parquet"])
def test_find_dataset_file_accepts_official_forms(tmp_path, relative):
    target = tmp_path / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"x")
    assert find_dataset_file("online_retail", tmp_path) == target


def test_find_dataset_file_lists_what_it_looked_for(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        find_dataset_file("online_retail", tmp_path)
    text = str(err.value)
    assert "'Online Retail'" in text and "'online_retail_II'" in text and ".xlsx" in text and ".csv.gz" in text
    assert "archive.ics.uci.edu" in text
    with pytest.raises(ValueError, match="generated"):
        find_dataset_file("synthetic", tmp_path)


# --- loader: accepted forms ------------------------------------------------------------------

def test_load_xlsx_official(tmp_path, capsys):
    path = tmp_path / "online_retail" / "Online Retail.xlsx"
    path.parent.mkdir()
    _raw_frame().to_excel(path, index=False, sheet_name="Online Retail")
    raw = load_online_retail(tmp_path)  # a folder: found through the registry
    _check_loaded(raw)
    assert raw.attrs["sheets"] == ["Online Retail"]
    assert "27 lines from Online Retail.xlsx" in capsys.readouterr().out


def test_load_xlsx_online_retail_ii_two_sheets(tmp_path):
    df = _raw_frame().rename(columns=RENAME_II)
    path = tmp_path / "online_retail_II.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        df.iloc[:10].to_excel(writer, sheet_name="Year 2009-2010", index=False)
        df.iloc[10:].to_excel(writer, sheet_name="Year 2010-2011", index=False)
    raw = load_online_retail(path, verbose=False)
    _check_loaded(raw)  # raw_row continues across the sheets
    assert raw.attrs["sheet_rows"] == {"Year 2009-2010": 10, "Year 2010-2011": len(LINES) - 10}


@pytest.mark.parametrize("encoding, expected", [("utf-8", "utf-8"), ("latin-1", "cp1252"), ("cp1252", "cp1252")])
def test_load_csv_encodings(tmp_path, capsys, encoding, expected):
    path = _write_csv(_raw_frame(), tmp_path / "Online Retail.csv", encoding=encoding, date_format="%m/%d/%Y %H:%M")
    raw = load_online_retail(path)
    _check_loaded(raw)
    assert raw.attrs["encoding"] == expected
    assert f"encoding {expected}" in capsys.readouterr().out


def test_load_csv_gz_ii_columns_iso_dates(tmp_path):
    path = tmp_path / "online_retail_II.csv.gz"
    text = _raw_frame().rename(columns=RENAME_II).to_csv(index=False)
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    _check_loaded(load_online_retail(path, verbose=False))


def test_load_parquet(tmp_path):
    path = tmp_path / "online_retail_2010-2011.parquet"
    df = _raw_frame()
    df["InvoiceNo"] = df["InvoiceNo"].astype(str)
    df["StockCode"] = df["StockCode"].astype(str)
    df.to_parquet(path)
    _check_loaded(load_online_retail(path, verbose=False))


# --- loader: bad files -----------------------------------------------------------------------

def _bad_csv(tmp_path: Path, edit) -> Path:
    df = _raw_frame()
    edit(df)
    return _write_csv(df, tmp_path / "bad.csv")


def test_missing_column_names_file_and_column(tmp_path):
    path = _bad_csv(tmp_path, lambda df: df.pop("Country"))
    with pytest.raises(ValueError, match=r"bad\.csv: .*missing column\(s\) Country"):
        load_online_retail(path, verbose=False)


def test_missing_column_in_one_sheet(tmp_path):
    path = tmp_path / "two.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        _raw_frame().to_excel(writer, sheet_name="Year 2009-2010", index=False)
        _raw_frame().drop(columns="Quantity").to_excel(writer, sheet_name="Year 2010-2011", index=False)
    with pytest.raises(ValueError, match=r"two\.xlsx: sheet 'Year 2010-2011': missing column\(s\) Quantity"):
        load_online_retail(path, verbose=False)


@pytest.mark.parametrize("column, value, expected", [
    ("Quantity", "six", r"column Quantity: expected whole numbers .*'six' \(raw_row 3\)"),
    ("Quantity", "1.5", r"column Quantity: expected whole numbers .*'1.5'"),
    ("UnitPrice", "2,55", r"column UnitPrice: expected numbers .*'2,55'"),
    ("Quantity", None, r"column Quantity: expected whole numbers .*1 missing value\(s\) \(raw_row 3\)"),
    ("StockCode", None, r"column StockCode: expected text, found 1 missing value"),
])
def test_wrong_values_name_file_and_column(tmp_path, column, value, expected):
    def edit(df):
        df[column] = df[column].astype(object)
        df.loc[3, column] = value
    path = _bad_csv(tmp_path, edit)
    with pytest.raises(ValueError, match=r"bad\.csv: the file does not match") as err:
        load_online_retail(path, verbose=False)
    assert re.search(expected, str(err.value)), str(err.value)


def test_bad_date_names_column(tmp_path):
    path = _bad_csv(tmp_path, lambda df: df.__setitem__("InvoiceDate", df["InvoiceDate"].astype(str).where(
        df.index != 4, "yesterday")))
    with pytest.raises(ValueError, match=r"bad\.csv: column InvoiceDate: expected date-times.*'yesterday' \(raw_row 4\)"):
        load_online_retail(path, verbose=False)


@pytest.mark.parametrize("content, expected", [
    (b"", r"empty\.csv: empty file"),
    (b"  \n", r"empty\.csv: empty file"),
    (",".join(RAW_COLUMNS).encode() + b"\n", r"empty\.csv: no data rows"),
])
def test_empty_files(tmp_path, content, expected):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=expected):
        load_online_retail(path, verbose=False)


def test_undecodable_and_binary_csv(tmp_path):
    header = ",".join(RAW_COLUMNS).encode()
    path = tmp_path / "odd.csv"
    path.write_bytes(header + b"\n536365,85123A,BAD \x81\x8d BYTES,6,2010-12-01 08:26,2.55,17850,UK\n")
    with pytest.raises(ValueError, match=r"odd\.csv: undecodable bytes: neither UTF-8 nor cp1252.*0x81"):
        load_online_retail(path, verbose=False)
    path.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(ValueError, match=r"odd\.csv: binary content"):
        load_online_retail(path, verbose=False)


@pytest.mark.parametrize("name, expected", [("corrupt.xlsx", r"corrupt\.xlsx: not a readable \.xlsx workbook"),
                                            ("corrupt.parquet", r"corrupt\.parquet: not a readable parquet"),
                                            ("corrupt.txt", r"corrupt\.txt: unsupported file type")])
def test_corrupt_files(tmp_path, name, expected):
    path = tmp_path / name
    path.write_bytes(b"this is not what the extension says")
    with pytest.raises(ValueError, match=expected):
        load_online_retail(path, verbose=False)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.xlsx: no such file"):
        load_online_retail(tmp_path / "nothere.xlsx")


# --- cleaning rules ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def raw_lines(tmp_path_factory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("or") / "Online Retail.xlsx"
    _raw_frame().to_excel(path, index=False)
    return load_online_retail(path, verbose=False)


def _outcome(result, keep_rows=None) -> list[str]:
    reasons = dict(zip(result.quarantine["raw_row"], result.quarantine["reason"]))
    clean = result.clean.set_index(S.LINE_ID)
    partial = set(result.repaired["cancellation_partial"])
    return [reasons.get(i) or ("partial" if i in partial else clean.loc[i, S.STATUS]) for i in range(len(LINES))]


def test_every_rule_on_hand_made_lines(raw_lines):
    result = clean_online_retail(raw_lines)
    result.check_accounting()
    assert _outcome(result) == _expected()
    report = result.report().set_index("rule")
    assert set(RULES) <= set(report.index)
    assert report.loc["cancellation_matched", "rows_quarantined"] == 5
    assert report.loc["cancellation_matched", "rows_repaired"] == 5
    assert report.loc["stock_code_case", "rows_repaired"] == 1
    assert report.loc["description_whitespace", "rows_repaired"] == 1


def test_clean_table_schema_and_repairs(raw_lines):
    clean = clean_online_retail(raw_lines).clean.set_index(S.LINE_ID, drop=False)
    assert list(clean.columns) == [S.ORDER_ID, S.LINE_ID, S.USER_ID, S.PRODUCT_ID, S.QUANTITY, S.UNIT_PRICE,
                                   S.TIMESTAMP, S.COUNTRY, S.STATUS, S.DESCRIPTION]
    assert clean.loc[3, S.QUANTITY] == 8 and clean.loc[3, S.STATUS] == "completed"  # 12 bought, 4 cancelled
    assert clean.loc[17, S.QUANTITY] == 74215 and clean.loc[17, S.STATUS] == "cancelled"
    assert clean.loc[14, S.PRODUCT_ID] == "85123A" and clean.loc[0, S.DESCRIPTION].endswith("HOLDER")
    assert clean.loc[0, S.USER_ID] == "17850" and clean.loc[0, S.ORDER_ID] == "536365"
    assert (clean[S.QUANTITY] > 0).all() and (clean[S.UNIT_PRICE] > 0).all()


def test_match_prefers_exact_quantity_then_latest(raw_lines):
    pairs = match_cancellations(raw_lines)
    by_cancel = pairs.groupby("cancel_row")["original_row"].apply(sorted).to_dict()
    assert by_cancel == {2: [1], 4: [3], 18: [17], 21: [19, 20], 24: [22]}
    assert pairs.set_index("cancel_row").loc[4, "units"] == 4


def test_keep_guests_and_max_quantity(raw_lines):
    result = clean_online_retail(raw_lines, keep_guests=True, max_quantity=100_000)
    result.check_accounting()
    outcome = _outcome(result)
    assert outcome[12] == "completed" and outcome[13] == "completed"
    assert pd.isna(result.clean.set_index(S.LINE_ID).loc[12, S.USER_ID])
    with pytest.raises(ValueError, match="max_quantity"):
        clean_online_retail(raw_lines, max_quantity=0)


def test_clean_rejects_other_columns(raw_lines):
    assert cleaning.RAW_COLUMNS == RAW_COLUMNS  # defined twice so cleaning does not import pandera
    with pytest.raises(ValueError, match="lacks column\\(s\\) raw_row"):
        match_cancellations(raw_lines.drop(columns="raw_row"))
    with pytest.raises(ValueError, match="lacks column\\(s\\) InvoiceNo, UnitPrice, CustomerID.*load_online_retail"):
        clean_online_retail(raw_lines.rename(columns=RENAME_II))


# --- the real file -----------------------------------------------------------------------------

@pytest.mark.real_data
def test_real_online_retail(real_data):
    start = time.perf_counter()
    raw = load_online_retail(real_data, verbose=False)
    loaded = time.perf_counter()
    result = clean_online_retail(raw)
    done = time.perf_counter()
    print(f"\nonline_retail: load {loaded - start:.2f} s, clean {done - loaded:.2f} s, "
          f"total {done - start:.2f} s")
    print(result.report()[["rule", "rows_repaired", "rows_quarantined"]].to_string(index=False))
    result.check_accounting()
    assert result.n_raw == len(raw) == 541_909
    assert int(cancellation_lines(raw).sum()) == 9_288
    assert int(raw["CustomerID"].isna().sum()) == 135_080
    counts = result.quarantine["reason"].value_counts()
    assert counts["cancellation_matched"] > 0 and counts["duplicate_line"] == 5_268
    clean = result.clean
    assert (clean[S.QUANTITY] > 0).all() and (clean[S.UNIT_PRICE] > 0).all()
    assert clean[S.USER_ID].notna().all()
    assert set(clean[S.STATUS]) == {"completed", "cancelled"}
    famous = clean.set_index(S.LINE_ID).loc[clean[S.LINE_ID][clean[S.QUANTITY] > 70_000]]
    assert len(famous) == 2 and (famous[S.STATUS] == "cancelled").all()  # 80,995 and 74,215


def test_infinite_price_is_quarantined_with_its_own_reason(tmp_path):
    """#16: a parquet file with UnitPrice = inf kept the line and made revenue inf."""
    df = _raw_frame()
    df.loc[0, "UnitPrice"] = np.inf
    df.loc[3, "UnitPrice"] = -np.inf
    path = tmp_path / "retail.parquet"
    df.assign(InvoiceNo=df["InvoiceNo"].astype(str), StockCode=df["StockCode"].astype(str)).to_parquet(path)
    result = clean_online_retail(load_online_retail(path, verbose=False))
    result.check_accounting()
    reasons = result.quarantine.set_index("raw_row")["reason"]
    assert reasons[0] == "non_finite_number" and reasons[3] == "non_finite_number"
    assert np.isfinite(result.clean[S.UNIT_PRICE]).all()


def test_mixed_encoding_csv_is_decoded_line_by_line(tmp_path):
    """#16: one stray latin-1 byte in a UTF-8 file turned every accent of the file into mojibake."""
    df = _raw_frame()
    df.loc[0, "Description"] = "CAFÉ AU LAIT MUG"
    path = _write_csv(df, tmp_path / "retail.csv", date_format="%m/%d/%Y %H:%M")
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"WHITE", "WHITÉ".encode("latin-1"))  # line 3 of the file: data row 1
    path.write_bytes(b"\n".join(lines))
    with pytest.warns(UserWarning, match="mixed encodings: utf-8, cp1252 on line 3"):
        raw = load_online_retail(path, verbose=False)
    assert raw["Description"].iloc[0] == "CAFÉ AU LAIT MUG"
    assert raw["Description"].iloc[1] == "WHITÉ METAL LANTERN"
    assert raw.attrs["encoding"] == "utf-8, cp1252 on line 3"


def test_semicolon_csv_is_read_and_utf16_named(tmp_path):
    df = _raw_frame()
    path = tmp_path / "retail.csv"
    out = df.assign(InvoiceDate=df["InvoiceDate"].dt.strftime("%d/%m/%Y %H:%M"))
    out.to_csv(path, index=False, sep=";")
    raw = load_online_retail(path, verbose=False)
    assert len(raw) == len(LINES) and raw.attrs["separator"] == ";"
    out.to_csv(path, index=False, encoding="utf-16")
    with pytest.raises(ValueError, match="UTF-16"):
        load_online_retail(path, verbose=False)


def _dates_file(tmp_path, stamps: list[str]) -> Path:
    df = pd.concat([_raw_frame().iloc[[0]]] * len(stamps), ignore_index=True)
    df["InvoiceNo"] = [str(536365 + i) for i in range(len(stamps))]
    df["InvoiceDate"] = stamps
    path = tmp_path / "retail.csv"
    df.to_csv(path, index=False)
    return path


def test_day_first_dates_with_days_up_to_12_are_read_day_first(tmp_path):
    """#16: a UK export of 1-12 December was read month-first (1 Dec 2009 became 12 Jan 2009)."""
    stamps = [f"{d:02d}/12/2009 {h:02d}:00" for d in range(1, 13) for h in (9, 14)]
    raw = load_online_retail(_dates_file(tmp_path, stamps), verbose=False)
    assert raw["InvoiceDate"].min() == pd.Timestamp("2009-12-01 09:00")
    assert raw["InvoiceDate"].max() == pd.Timestamp("2009-12-12 14:00")
    assert raw.attrs["date_format"].startswith("%d/%m")
    # the same days month-first (a US export of 1-12 January ... December) stay month-first
    stamps = [f"12/{d:02d}/2009 {h:02d}:00" for d in range(1, 13) for h in (9, 14)]
    raw = load_online_retail(_dates_file(tmp_path, stamps), verbose=False)
    assert raw["InvoiceDate"].max() == pd.Timestamp("2009-12-12 14:00")


def test_ambiguous_date_order_is_refused_and_can_be_set(tmp_path):
    path = _dates_file(tmp_path, ["01/02/2010 10:00", "02/01/2010 11:00"])
    with pytest.raises(ValueError, match=r"retail\.csv: column InvoiceDate: every day is <= 12.*dayfirst=True"):
        load_online_retail(path, verbose=False)
    raw = load_online_retail(path, dayfirst=True, verbose=False)
    assert raw["InvoiceDate"].tolist() == [pd.Timestamp("2010-02-01 10:00"), pd.Timestamp("2010-01-02 11:00")]
    raw = load_online_retail(path, dayfirst=False, verbose=False)
    assert raw["InvoiceDate"].iloc[0] == pd.Timestamp("2010-01-02 10:00")


def test_bad_date_error_names_the_bad_row(tmp_path):
    path = _dates_file(tmp_path, ["12/1/2010 8:26", "12/13/2010 9:00", "not a date"])
    with pytest.raises(ValueError, match=r"found 'not a date' \(raw_row 2\)"):
        load_online_retail(path, verbose=False)


def test_far_date_is_quarantined_and_the_split_refuses_empty_periods(tmp_path):
    """#16: one date mistyped as 2099 passed cleaning and the split put the test period in 2081-2099."""
    from labkit.splits import course_split

    stamps = pd.date_range("2010-12-01 09:00", periods=400, freq="D")
    df = pd.concat([_raw_frame().iloc[[0]]] * len(stamps), ignore_index=True)
    df["InvoiceNo"] = [str(536365 + i) for i in range(len(stamps))]
    df["InvoiceDate"] = stamps
    df.loc[200, "InvoiceDate"] = pd.Timestamp("2099-06-01 10:00")
    with pytest.raises(ValueError, match=r"cannot fill the course split: the train period .* largest gap runs from 2012-01-04 to 2099-06-01"):
        course_split(df["InvoiceDate"])
    result = clean_online_retail(df)
    result.check_accounting()
    assert result.quarantine.set_index("raw_row")["reason"].to_dict() == {200: "date_outlier"}
    split = course_split(result.clean[S.TIMESTAMP])
    assert split.test_end == pd.Timestamp("2012-01-04")


def test_quantity_beyond_int64_is_refused_not_wrapped(tmp_path):
    """#16: Quantity 1e20 became -9.2e18 and was quarantined as a stock adjustment."""
    df = _raw_frame()
    df["Quantity"] = df["Quantity"].astype("float64")
    df.loc[3, "Quantity"] = 1e20
    path = tmp_path / "retail.parquet"
    df.assign(InvoiceNo=df["InvoiceNo"].astype(str), StockCode=df["StockCode"].astype(str)).to_parquet(path)
    with pytest.raises(ValueError, match=r"column Quantity: expected whole numbers \(int64.*1e\+20 \(raw_row 3\)"):
        load_online_retail(path, verbose=False)


def test_cleaner_names_a_column_of_the_wrong_type():
    """A table built by hand (not by the loader) with text quantities or text dates: a message, not a TypeError."""
    from labkit.cleaning.online_retail import clean_online_retail

    raw = pd.DataFrame({"InvoiceNo": ["1", "2"], "StockCode": ["A", "B"], "Description": ["x", "y"],
                        "Quantity": ["3", "three"], "InvoiceDate": pd.to_datetime(["2011-01-01", "2011-01-02"]),
                        "UnitPrice": [1.0, 2.0], "CustomerID": ["1", "2"], "Country": ["UK", "UK"], "raw_row": [0, 1]})
    with pytest.raises(ValueError, match=r"column 'Quantity' must be a numeric column.*'three' at row 1"):
        clean_online_retail(raw)
    raw["Quantity"] = [3, 4]
    raw["InvoiceDate"] = ["2011-01-01", "2011-01-02"]
    with pytest.raises(ValueError, match="column 'InvoiceDate' must be a datetime column"):
        clean_online_retail(raw)


def _two_year_workbook(path: Path) -> Path:
    """Online Retail II's shape: sheet 2 repeats four lines of sheet 1 (its last days) and adds one new line."""
    df = _raw_frame().rename(columns=RENAME_II)
    new = df.iloc[[26]].assign(Quantity=2, InvoiceDate=_ts(200))
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        df.to_excel(writer, sheet_name="Year 2009-2010", index=False)
        pd.concat([df.iloc[[0, 6, 14, 26]], new]).to_excel(writer, sheet_name="Year 2010-2011", index=False)
    return path


def test_two_year_workbook_overlap_is_quarantined_as_overlap(tmp_path):
    raw = load_online_retail(_two_year_workbook(tmp_path / "online_retail_II.xlsx"), verbose=False)
    assert raw.attrs["sheet_rows"] == {"Year 2009-2010": len(LINES), "Year 2010-2011": 5}
    result = clean_online_retail(raw)
    reasons = result.quarantine.set_index("raw_row")["reason"]
    second = range(len(LINES), len(LINES) + 5)
    # line 0 is in sheet 1 twice (lines 0 and 6), so both of its copies in sheet 2 are overlap
    assert [reasons.get(r, "kept") for r in second] == ["sheet_overlap"] * 4 + ["kept"]
    assert reasons.get(6) == "duplicate_line" and (reasons == "duplicate_line").sum() == 1
    assert result.n_raw == len(result.clean) + len(result.quarantine) == len(LINES) + 5
    first = clean_online_retail(raw[raw["raw_row"] < len(LINES)].reset_index(drop=True))
    assert (reasons[reasons.index < len(LINES)] == first.quarantine.set_index("raw_row")["reason"]).all()


def test_one_sheet_of_the_workbook_is_picked_and_named(tmp_path, capsys):
    path = _two_year_workbook(tmp_path / "online_retail_II.xlsx")
    raw = load_online_retail(path, sheet="2010-2011")
    assert len(raw) == 5 and raw.attrs["sheets"] == ["Year 2010-2011"]
    out = capsys.readouterr().out
    assert "sheets 'Year 2010-2011' (5)" in out and "not read: ['Year 2009-2010']" in out
    assert len(load_online_retail(path, sheet=0, verbose=False)) == len(LINES)
    assert (clean_online_retail(raw).quarantine["reason"] != "sheet_overlap").all()  # one sheet: no overlap
    for bad in ("Year", 2, "2012"):
        with pytest.raises(ValueError, match=r"online_retail_II\.xlsx: sheet=.* matches no single sheet.*Year 2009-2010"):
            load_online_retail(path, sheet=bad)
    parquet = tmp_path / "or.parquet"
    raw.drop(columns="raw_row").to_parquet(parquet)
    with pytest.raises(ValueError, match=r"or\.parquet: sheet='x' applies to an \.xlsx workbook only"):
        load_online_retail(parquet, sheet="x")

"""What every synthetic-track cleaner shares: raw reading, the clean schema, reference checks.

The shop's conventions live here (CustomerID = user_id + 10,000, StockCode ``P00042``,
InvoiceNo = order_id + 500,000, the documented code lists), plus the rules that check a
row against the other tables (known customer, test account, catalogue product, export
end). Introduced in 01_data_cleaning (synthetic track).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .. import schema as S
# the shop's conventions; INVOICE_OFFSET and CUSTOMER_OFFSET are re-exported for the other cleaners
from ..world.conventions import (AGE_BANDS, CATEGORIES, CUSTOMER_OFFSET, DEVICES,  # noqa: F401
                                 INVOICE_OFFSET, REGIONS, SEGMENTS)
from ..world.store import World
from .rules import blank, code_to_id, duplicate_flags, parse_timestamp
from .triage import Triage

CUSTOMER_CODE = r"^(\d+)$"  # CustomerID, minus CUSTOMER_OFFSET
STOCK_CODE = r"^P(\d{5})$"  # product stock codes; anything else is a service line (POST, M, ...)
INVOICE_CODE = r"^[Cc]?(\d+)$"  # InvoiceNo, minus INVOICE_OFFSET ("C" marks a cancellation)
RAW_STATUSES = ("dispatched", "completed", "returned", "cancelled")
VOCABULARIES: dict[str, tuple[str, ...]] = {
    S.CATEGORY: CATEGORIES, S.REGION: REGIONS, S.DEVICE: DEVICES, S.AGE_BAND: AGE_BANDS,
    S.SEGMENT: SEGMENTS, S.EVENT_TYPE: S.EVENT_TYPES, S.INTENT: S.INTENTS, S.STATUS: RAW_STATUSES,
}
PLAIN_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$"
PLAIN_NUMBER = r"^-?\d+(\.\d+)?$"

# the clean tables' columns and dtypes (as in the world's parquet files)
SCHEMAS: dict[str, dict[str, object]] = {
    "users": {S.USER_ID: "int32", S.SIGNUP_DATE: "datetime64[us]", S.REGION: "str", S.COUNTRY: "str",
              S.DEVICE: "str", S.AGE_BAND: "str", S.SEGMENT: "str"},
    "products": {S.PRODUCT_ID: "int32", S.CATEGORY: "str", S.SUBCATEGORY: "str", S.BRAND: "str",
                 S.COLOUR: "str", S.BASE_PRICE: "float64", S.LAUNCH_DATE: "datetime64[us]", S.TITLE: "str",
                 S.DESCRIPTION: "str"},
    "orders": {S.LINE_ID: "int64", S.ORDER_ID: "int64", S.USER_ID: "int32", S.PRODUCT_ID: "int32",
               S.QUANTITY: "int32", S.UNIT_PRICE: "float64", S.TIMESTAMP: "datetime64[us]", S.COUNTRY: "str",
               S.STATUS: "str", S.PROMISED_DATE: "datetime64[us]", S.DELIVERED_DATE: "datetime64[us]"},
    "events": {S.EVENT_ID: "int64", S.SESSION_ID: "int64", S.USER_ID: "int32", S.PRODUCT_ID: "int32",
               S.TIMESTAMP: "datetime64[ms]", S.EVENT_TYPE: pd.CategoricalDtype(list(S.EVENT_TYPES)),
               S.DWELL_SECONDS: "int32", S.DEVICE: pd.CategoricalDtype(list(DEVICES))},
    "reviews": {S.REVIEW_ID: "int64", S.USER_ID: "int32", S.PRODUCT_ID: "int32", S.ORDER_ID: "int64",
                S.TIMESTAMP: "datetime64[us]", S.RATING: "int8", S.TEXT: "str"},
    "messages": {S.MESSAGE_ID: "int64", S.USER_ID: "int32", S.TIMESTAMP: "datetime64[us]", S.ORDER_ID: "Int64",
                 S.PRODUCT_ID: "Int32", S.TEXT: "str", S.INTENT: "str"},
}


@dataclass
class Reference:
    """What a table is checked against: known users and products, test accounts, export end, prices."""

    user_ids: np.ndarray
    test_user_ids: np.ndarray
    product_ids: np.ndarray
    export_end: pd.Timestamp
    prices: pd.DataFrame | None = None  # date, product_id, price: the shop's price list


def read_raw_file(path: str | Path, newlines_in_values: bool = True) -> pd.DataFrame:
    """Read a raw CSV or JSON-lines file with every column as ``str`` (01_data_cleaning).

    Nothing is coerced: numbers stay their text (``"0042"``, ``"1.50"``), blanks and JSON
    nulls become ``""``. Row ``i`` of the result is data row ``i`` of the file (the
    numbering of ``raw_row``). ``newlines_in_values=False`` reads a CSV without
    multi-line quoted values about twice as fast (used for the events file).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"raw file {str(path)!r} does not exist")
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            rows = [json.loads(line, parse_int=str, parse_float=str) for line in fh if line.strip()]
        df = pd.DataFrame.from_records(rows)
        return df.fillna("").astype("str")
    if path.suffix != ".csv":
        raise ValueError(f"raw file {path.name!r}: expected a .csv or .jsonl file")
    with path.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh), None)
    if not header:
        raise ValueError(f"raw file {path.name!r} has no header row")
    opts = pacsv.ConvertOptions(column_types={c: pa.string() for c in header}, strings_can_be_null=False,
                                quoted_strings_can_be_null=False)
    parse = pacsv.ParseOptions(newlines_in_values=newlines_in_values)
    table = pacsv.read_csv(path, parse_options=parse, convert_options=opts)
    return table.to_pandas().astype("str")


def load_raw(world: World, table: str) -> pd.DataFrame:
    """The raw export file of ``table`` (``orders``, ``events``, ``users`` ...) as ``str`` columns."""
    return read_raw_file(world.raw_path(table), newlines_in_values=table != "events")


def conform(columns: dict[str, object], table: str) -> pd.DataFrame:
    """Assemble a clean table in the column order and dtypes of :data:`SCHEMAS`."""
    schema = SCHEMAS[table]
    if set(columns) != set(schema):
        raise ValueError(f"{table}: clean columns {sorted(columns)} differ from the schema {sorted(schema)}")
    return pd.DataFrame({c: pd.Series(columns[c]).reset_index(drop=True).astype(t) for c, t in schema.items()})


def flag_duplicates(tri: Triage, raw: pd.DataFrame, key: str, key_values: pd.Series | None = None) -> None:
    """Quarantine exact copies and later rows of an already seen ``key`` (the first row is kept)."""
    exact, conflicting = duplicate_flags(raw, key, None if key_values is None else key_values.fillna(-1))
    tri.flag(exact, "exact_duplicate", "identical copy of an earlier row: the first copy is kept")
    tri.flag(conflicting, "conflicting_duplicate",
             f"{key} already seen with other values: the first row of each {key} is kept")


def int_values(values: pd.Series, mask: np.ndarray) -> np.ndarray:
    """The masked rows of a nullable integer column as int64 (missing as 0: callers keep none)."""
    return values.to_numpy(dtype=np.int64, na_value=0)[mask]


def check_customer(tri: Triage, values: pd.Series, ref: Reference, scope: np.ndarray | None = None,
                   blank_rule: str = "missing_customer") -> pd.Series:
    """user_id from CustomerID; quarantine blank, malformed, test and unknown customers."""
    scope = np.ones(len(values), dtype=bool) if scope is None else scope
    uid = code_to_id(values, CUSTOMER_CODE, CUSTOMER_OFFSET)
    empty = blank(values)
    tri.flag(scope & empty, blank_rule, "no CustomerID: the row cannot be attributed to a customer")
    tri.flag(scope & uid.isna().to_numpy(), "invalid_customer_id", "CustomerID is not a number")
    known = uid.fillna(-1).to_numpy(dtype=np.int64)
    tri.flag(scope & np.isin(known, ref.test_user_ids), "test_account",
             "the shop's own test account (internal e-mail domain or segment 'internal' in customers.csv)")
    tri.flag(scope & ~np.isin(known, ref.user_ids), "unknown_customer", "CustomerID not in the clean customers")
    return uid


def check_product(tri: Triage, values: pd.Series, ref: Reference, scope: np.ndarray | None = None,
                  optional: bool = False, service_rule: str = "non_product_line") -> pd.Series:
    """product_id from StockCode; quarantine service codes and codes missing from the catalogue."""
    scope = np.ones(len(values), dtype=bool) if scope is None else scope
    pid = code_to_id(values, STOCK_CODE)
    empty = blank(values) if optional else np.zeros(len(values), dtype=bool)
    tri.flag(scope & pid.isna().to_numpy() & ~empty, service_rule,
             "StockCode is not a product code (P + 5 digits): postage, fees, manual lines")
    known = pid.fillna(-1).to_numpy(dtype=np.int64)
    tri.flag(scope & ~np.isin(known, ref.product_ids) & ~empty, "orphan_product",
             "product code not in the product catalogue (products.csv)")
    return pid


def check_time(tri: Triage, values: pd.Series, export_end: pd.Timestamp, column: str, scope: np.ndarray | None = None,
               unit: str = "us", optional: bool = False, parsed: pd.Series | None = None) -> pd.Series:
    """Parse a timestamp column (unless ``parsed`` is given); quarantine unparseable and future times."""
    scope = np.ones(len(values), dtype=bool) if scope is None else scope
    ts = parse_timestamp(values, column, errors="coerce", unit=unit) if parsed is None else parsed
    nat = ts.isna().to_numpy()
    if optional:
        nat &= ~blank(values)
    tri.flag(scope & nat, f"unparseable_{column.lower()}", f"{column} missing or not a recognised date/time")
    tri.flag(scope & (ts >= export_end).to_numpy(), "future_timestamp",
             f"{column} at or after the export end ({export_end}): clock or test data")
    repair_formats(tri, values, column)
    return ts


def repair_formats(tri: Triage, values: pd.Series, column: str) -> None:
    """Name the repairs of a date/time column by the raw format that was parsed."""
    s = values.astype("str")
    odd = ~blank(values) & ~s.str.match(PLAIN_TIMESTAMP).to_numpy(dtype=bool)
    if not odd.any():
        return
    slash = odd & s.str.match(r"^\d{1,2}/\d{1,2}/\d{4}").to_numpy(dtype=bool)
    zone = odd & s.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).to_numpy(dtype=bool)
    tri.repair(slash, "mixed_date_format", "day-first dd/mm/YYYY dates parsed day first")
    tri.repair(zone, "timezone_offset", "ISO 8601 time with a UTC offset converted to UTC, zone dropped")
    tri.repair(odd & ~slash & ~zone, "timestamp_format", "other ISO 8601 spellings parsed")


def repair_labels(tri: Triage, values: pd.Series, vocabulary: tuple[str, ...], column: str) -> None:
    """Record rows whose label was a variant (case, spaces, separators, typo) of a vocabulary label."""
    tri.repair(~values.isin(vocabulary).to_numpy(dtype=bool), "category_label_variant",
               f"{column}: case/space/separator variants and typos mapped to the code list (difflib)")

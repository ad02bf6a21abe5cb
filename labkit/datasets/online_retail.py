"""Read UCI Online Retail (or Online Retail II) into one canonical raw table, checked with pandera.

Both releases and their usual conversions are accepted: ``.xlsx`` (every sheet,
concatenated), ``.csv`` / ``.csv.gz`` (UTF-8, else cp1252/latin-1) and ``.parquet``. Both
column conventions (``InvoiceNo``/``UnitPrice``/``CustomerID`` and Online Retail II's
``Invoice``/``Price``/``Customer ID``) become :data:`RAW_COLUMNS`; values are otherwise left
as in the file, so that cleaning (``labkit.cleaning.online_retail``) sees the raw data.
Introduced in 01_data_cleaning.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa

from ..schema import RAW_ROW
from .registry import resolve_dataset_path
from .retail_files import file_error, read_csv, read_parquet, read_xlsx

RAW_COLUMNS = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
               "CustomerID", "Country")
# header (lower case, without spaces, underscores or BOM) -> canonical column
_ALIASES = {"invoiceno": "InvoiceNo", "invoice": "InvoiceNo", "stockcode": "StockCode",
            "description": "Description", "quantity": "Quantity", "invoicedate": "InvoiceDate",
            "unitprice": "UnitPrice", "price": "UnitPrice", "customerid": "CustomerID",
            "country": "Country"}
_DATE_FORMATS = ("ISO8601", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S")


def _as_number(s: pd.Series) -> pd.Series:
    """Numbers of a column as float (text such as '12' or ' 2.55' parsed; anything else NaN)."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    return pd.to_numeric(s.astype("str").str.strip(), errors="coerce")


_INT64_SAFE = 2.0 ** 53  # whole numbers a float64 holds exactly, far inside int64 (1e20 used to wrap to -9.2e18)
_WHOLE = pa.Check(lambda s: ((_as_number(s) % 1 == 0) & (_as_number(s).abs() < _INT64_SAFE)) | s.isna(),
                  name="whole_numbers")
_NUMBER = pa.Check(lambda s: _as_number(s).notna() | s.isna(), name="numbers")

# Why pandera: the expected raw table is declared once, next to the loader, instead of a
# pile of if-statements; it is a maintained, widely used library; and with lazy=True it
# reports every failing column with example values at once, which _schema_message condenses.
# VALUES_SCHEMA checks the file's values before conversion (so 1.5 units or 'abc' are
# reported, not silently cast); RAW_SCHEMA is the typed table that load_online_retail returns.
VALUES_SCHEMA = pa.DataFrameSchema(
    {
        "InvoiceNo": pa.Column(nullable=False),
        "StockCode": pa.Column(nullable=False),
        "Quantity": pa.Column(nullable=False, checks=_WHOLE),
        "InvoiceDate": pa.Column(nullable=False),
        "UnitPrice": pa.Column(nullable=False, checks=_NUMBER),
        "Country": pa.Column(nullable=False),
    },
    name="online_retail file values",
)
RAW_SCHEMA = pa.DataFrameSchema(
    {
        "InvoiceNo": pa.Column(str, nullable=False),
        "StockCode": pa.Column(str, nullable=False),
        "Description": pa.Column(str, nullable=True),
        "Quantity": pa.Column("int64", nullable=False),
        "InvoiceDate": pa.Column(pa.DateTime, nullable=False),
        "UnitPrice": pa.Column("float64", nullable=False),
        "CustomerID": pa.Column(str, nullable=True),
        "Country": pa.Column(str, nullable=False),
        RAW_ROW: pa.Column("int64", unique=True),
    },
    strict=True,
    ordered=True,
    name="online_retail raw",
)
_EXPECTED = {"Quantity": "whole numbers (int64, below 2**53 in size)", "UnitPrice": "numbers (float64)",
             "InvoiceDate": "date-times", "InvoiceNo": "text", "StockCode": "text",
             "Description": "text", "CustomerID": "text", "Country": "text", RAW_ROW: "row numbers"}


def _canonical_columns(path: Path, sheet: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Rename either column convention to RAW_COLUMNS; error on missing or doubled columns."""
    where = f"sheet {sheet!r}: " if sheet else ""
    mapping: dict[str, str] = {}
    for col in frame.columns:
        key = re.sub(r"[\s_\ufeff]+", "", str(col)).lower()
        if key in _ALIASES:
            target = _ALIASES[key]
            if target in mapping.values():
                raise file_error(path, f"{where}two columns map to {target!r}; keep one of them")
            mapping[col] = target
    missing = [c for c in RAW_COLUMNS if c not in mapping.values()]
    if missing:
        raise file_error(path, f"{where}missing column(s) {', '.join(missing)}; expected the columns "
                          f"{', '.join(RAW_COLUMNS)} (or Online Retail II's Invoice, Price, Customer ID), "
                          f"found {', '.join(map(str, frame.columns))}")
    return frame.rename(columns=mapping)[list(RAW_COLUMNS)]


def _id_strings(s: pd.Series, strip_dot_zero: bool = False) -> pd.Series:
    """Identifiers as text: 536365 -> '536365', 17850.0 -> '17850'; missing stays missing."""
    if pd.api.types.is_float_dtype(s):
        whole = bool((s.dropna() % 1 == 0).all())
        out = (s.astype("Int64") if whole else s).astype("str")
    elif pd.api.types.is_object_dtype(s):
        values = s.to_numpy(dtype=object, copy=True)
        floats = np.fromiter((isinstance(v, float) and v == v and v.is_integer() for v in values),
                             dtype=bool, count=len(values))
        values[floats] = [str(int(v)) for v in values[floats]]
        out = pd.Series(values, index=s.index).astype("str")
    else:
        out = s.astype("str")
    return out.str.replace(r"^(\d+)\.0+$", r"\1", regex=True) if strip_dot_zero else out


def _parse_dates(path: Path, s: pd.Series, dayfirst: bool | None = None) -> tuple[pd.Series, str]:
    """InvoiceDate as datetime64: ISO, or the m/d/Y and d/m/Y forms of the CSV copies.

    When every day is <= 12 both slash orders parse. The order is then taken from the whole
    column: a shop sells on most days, so the reading whose dates fill their span densely
    wins (1-12 December read month-first becomes one day in each month of a year); a column
    that neither reading explains clearly is refused, asking for ``dayfirst``.
    """
    if pd.api.types.is_datetime64_any_dtype(s):
        return s, "datetime"
    text = s.astype("str")
    orders = {False: _DATE_FORMATS[1::2], True: _DATE_FORMATS[2::2]}  # month-first, day-first
    fits: dict[bool, tuple[pd.Series, str]] = {}
    for first in ([dayfirst] if dayfirst is not None else [False, True]):
        for fmt in orders[first]:
            try:
                fits[first] = pd.to_datetime(text, format=fmt), fmt
                break
            except (ValueError, TypeError):
                continue
    if not fits:
        try:
            return pd.to_datetime(text, format="ISO8601"), "ISO8601"
        except (ValueError, TypeError):
            pass
    if len(fits) == 1:
        return next(iter(fits.values()))
    if len(fits) == 2:
        density = {k: v.dt.normalize().nunique() / ((v.max() - v.min()).days + 1) for k, (v, _) in fits.items()}
        if max(density.values()) >= 3 * min(density.values()):
            return fits[max(density, key=density.get)]
        raise file_error(path, f"column InvoiceDate: every day is <= 12, so {text.iloc[0]!r} reads as "
                          f"{fits[False][0].iloc[0]:%d %b %Y} (month first) or {fits[True][0].iloc[0]:%d %b %Y} "
                          f"(day first), and the column does not tell which; pass dayfirst=True (d/m/Y, "
                          f"e.g. UK exports) or dayfirst=False (m/d/Y) to load_online_retail")
    order = {None: "", True: " day first (dayfirst=True)", False: " month first (dayfirst=False)"}[dayfirst]
    forms = [f for f in (_DATE_FORMATS if dayfirst is None else orders[dayfirst])]
    for fmt in forms:  # name the first value the expected forms cannot read
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        if parsed.notna().any():
            break
    bad = parsed.isna().to_numpy()
    row = int(np.argmax(bad)) if bad.any() else 0
    raise file_error(path, f"column InvoiceDate: expected date-times{order} like '2010-12-01 08:26:00' or "
                      f"'12/1/2010 8:26', found {text.iloc[row]!r} (raw_row {row})")


def _schema_message(path: Path, err: pandera.errors.SchemaErrors) -> str:
    """Condense pandera's failure cases into one line per column: what was expected, what was found."""
    cases = err.failure_cases
    lines = []
    for column, group in cases.groupby("column", sort=False, dropna=False):
        nulls = group["check"].astype(str).str.contains("nullable")
        found = []
        if nulls.any():
            rows = ", ".join(map(str, group.loc[nulls, "index"].head(3)))
            found.append(f"{int(nulls.sum())} missing value(s) (raw_row {rows})")
        bad = group[~nulls]
        if len(bad):
            examples = ", ".join(f"{v!r} (raw_row {i})" for v, i in
                                 zip(bad["failure_case"].head(3), bad["index"].head(3)))
            found.append(f"{len(bad)} bad value(s) such as {examples}")
        what = _EXPECTED.get(str(column), "valid values")
        lines.append(f"column {column}: expected {what}, found {'; '.join(found)}")
    return f"{path.name}: the file does not match the Online Retail schema:\n  " + "\n  ".join(lines)


def load_online_retail(path_or_dir: str | os.PathLike, *, dayfirst: bool | None = None,
                       sheet: str | int | None = None, verbose: bool = True) -> pd.DataFrame:
    """Read an Online Retail file (or find it in a data folder) as the canonical raw table.

    Returns :data:`RAW_COLUMNS` plus ``raw_row`` (0-based data-row number in the file,
    continuing across the sheets of an .xlsx), validated with :data:`RAW_SCHEMA`.
    ``df.attrs`` records the file, format, encoding (CSV), date format and sheets. Text dates
    with slashes are read month-first or day-first as the column shows; ``dayfirst`` forces one.
    An .xlsx is read sheet after sheet (Online Retail II: 'Year 2009-2010', 'Year 2010-2011');
    ``sheet`` picks one by index, name or part of its name ('2010-2011'). Raises
    ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file, column and
    what was expected for an empty, corrupt, undecodable or mis-typed file. Reading the
    official .xlsx takes a minute or two; convert it once to parquet to re-read in a second.
    Introduced in 01_data_cleaning.
    """
    path = resolve_dataset_path(path_or_dir, "online_retail", "an Online Retail .xlsx, .csv, .csv.gz or .parquet file")
    name = path.name.lower()
    readers = {".xlsx": read_xlsx, ".csv": read_csv, ".csv.gz": read_csv, ".parquet": read_parquet}
    suffix = next((s for s in readers if name.endswith(s)), None)
    if suffix is None:
        raise file_error(path, f"unsupported file type; expected one of {', '.join(readers)}")
    if sheet is not None and suffix != ".xlsx":
        raise file_error(path, f"sheet={sheet!r} applies to an .xlsx workbook only; this is a {suffix} file")
    parts, info = readers[suffix](path, sheet) if suffix == ".xlsx" else readers[suffix](path)

    frames = [_canonical_columns(path, sheet, frame) for sheet, frame in parts]
    raw = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(RAW_COLUMNS))
    if len(raw) == 0:
        raise file_error(path, "no data rows; expected a header line followed by invoice lines")
    for col in ("InvoiceNo", "StockCode"):
        raw[col] = _id_strings(raw[col])
    raw["CustomerID"] = _id_strings(raw["CustomerID"], strip_dot_zero=True)
    for col in ("Description", "Country"):
        raw[col] = raw[col].astype("str")
    raw["InvoiceDate"], info["date_format"] = _parse_dates(path, raw["InvoiceDate"], dayfirst)
    raw[RAW_ROW] = np.arange(len(raw), dtype=np.int64)
    try:
        VALUES_SCHEMA.validate(raw, lazy=True)
        raw["Quantity"] = _as_number(raw["Quantity"]).astype("int64")
        raw["UnitPrice"] = _as_number(raw["UnitPrice"])
        raw = RAW_SCHEMA.validate(raw, lazy=True)
    except pandera.errors.SchemaErrors as err:
        raise ValueError(_schema_message(path, err)) from None

    if "sheets" in info:
        sizes = [len(f) for f in frames]
        info["sheet_rows"] = dict(zip(info["sheets"], sizes))
    raw.attrs.update({"source": path.name, "format": suffix, **info})
    if verbose:
        extra = f", encoding {info['encoding']}" if "encoding" in info else ""
        if "sheets" in info:
            extra += f", sheets {', '.join(f'{k!r} ({v:,})' for k, v in info['sheet_rows'].items())}"
            skipped = [n for n in info["sheets_in_file"] if n not in info["sheet_rows"]]
            extra += f"; not read: {skipped} (sheet=...)" if skipped else ""
        print(f"online_retail: {len(raw):,} lines from {path.name}{extra}")
    return raw

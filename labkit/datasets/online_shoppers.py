"""Read UCI Online Shoppers Purchasing Intention (12,330 sessions, label ``Revenue``), checked with pandera.

One row per session, 18 columns of aggregated session features (:data:`SHOPPERS_COLUMNS`).
Accepted forms: ``.csv`` / ``.csv.gz`` (the UCI file), ``.parquet`` and ``.xlsx``. Values are
validated before conversion, so a bad cell is reported (file, column, expected, examples
with their row numbers) instead of being silently cast or dropped; every row of the file
is returned. ``Weekend`` becomes ``bool`` and ``Revenue`` the 0/1 label (``int64``), whether the
file spells them ``TRUE``/``FALSE``, ``True``/``False``, bools or 1/0. Introduced in 03_lstm.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from .registry import resolve_dataset_path

COUNT_COLUMNS = ("Administrative", "Informational", "ProductRelated")
DURATION_COLUMNS = ("Administrative_Duration", "Informational_Duration", "ProductRelated_Duration")
RATE_COLUMNS = ("BounceRates", "ExitRates", "SpecialDay")
CODE_COLUMNS = ("OperatingSystems", "Browser", "Region", "TrafficType")
SHOPPERS_COLUMNS = (
    "Administrative", "Administrative_Duration", "Informational", "Informational_Duration",
    "ProductRelated", "ProductRelated_Duration", "BounceRates", "ExitRates", "PageValues", "SpecialDay",
    "Month", "OperatingSystems", "Browser", "Region", "TrafficType", "VisitorType", "Weekend", "Revenue",
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# the UCI file writes 'June'; accept the usual spellings of every month (compared ignoring case)
MONTH_SPELLINGS = {m.lower(): m for m in MONTHS} | {
    "june": "Jun", "july": "Jul", "sept": "Sep", "january": "Jan", "february": "Feb", "march": "Mar",
    "april": "Apr", "august": "Aug", "september": "Sep", "october": "Oct", "november": "Nov",
    "december": "Dec"}
VISITOR_TYPES = ("Returning_Visitor", "New_Visitor", "Other")
_TRUE, _FALSE = {"true", "1", "1.0", "yes"}, {"false", "0", "0.0", "no"}


def _as_number(s: pd.Series) -> pd.Series:
    """Numbers of a column as float (text such as '12' or ' 0.2' parsed; anything else NaN)."""
    if pd.api.types.is_bool_dtype(s):
        return pd.Series(float("nan"), index=s.index)
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    return pd.to_numeric(s.astype("str").str.strip(), errors="coerce")


def _as_flag(s: pd.Series) -> pd.Series:
    """True/False of a flag column: bools, 'TRUE'/'FALSE' (any case), 1/0; anything else missing."""
    text = s.astype("str").str.strip().str.lower()
    return pd.Series(pd.NA, index=s.index, dtype="boolean").mask(text.isin(_TRUE), True).mask(text.isin(_FALSE), False)


def _whole_at_least(low: float) -> pa.Check:
    return pa.Check(lambda s: (_as_number(s) % 1 == 0) & (_as_number(s) >= low), name=f"whole_numbers_>={low:g}")


def _between(low: float, high: float | None = None) -> pa.Check:
    def check(s: pd.Series) -> pd.Series:
        x = _as_number(s)
        return (x >= low) & (x <= high) if high is not None else x >= low
    return pa.Check(check, name=f"numbers_in_[{low:g},{'inf' if high is None else f'{high:g}'}]")


_FLAG = pa.Check(lambda s: _as_flag(s).notna(), name="flag")
_MONTH = pa.Check(lambda s: s.astype("str").str.strip().str.lower().isin(MONTH_SPELLINGS), name="month")
_VISITOR = pa.Check(lambda s: s.astype("str").str.strip().isin(VISITOR_TYPES), name="visitor_type")

# Why pandera: as for Online Retail, the expected table is declared once and lazy=True reports
# every failing column at once. VALUES_SCHEMA checks the file's values before conversion;
# SHOPPERS_SCHEMA is the typed table that load_online_shoppers returns.
VALUES_SCHEMA = pa.DataFrameSchema(
    {**{c: pa.Column(nullable=False, checks=_whole_at_least(0)) for c in COUNT_COLUMNS},
     **{c: pa.Column(nullable=False, checks=_between(0)) for c in DURATION_COLUMNS + ("PageValues",)},
     **{c: pa.Column(nullable=False, checks=_between(0, 1)) for c in RATE_COLUMNS},
     **{c: pa.Column(nullable=False, checks=_whole_at_least(1)) for c in CODE_COLUMNS},
     "Month": pa.Column(nullable=False, checks=_MONTH),
     "VisitorType": pa.Column(nullable=False, checks=_VISITOR),
     "Weekend": pa.Column(nullable=False, checks=_FLAG),
     "Revenue": pa.Column(nullable=False, checks=_FLAG)},
    name="online_shoppers file values",
)
_TYPES = {**{c: "int64" for c in COUNT_COLUMNS + CODE_COLUMNS},
          **{c: "float64" for c in DURATION_COLUMNS + RATE_COLUMNS + ("PageValues",)},
          "Month": str, "VisitorType": str, "Weekend": bool, "Revenue": "int64"}
SHOPPERS_SCHEMA = pa.DataFrameSchema(
    {c: pa.Column(_TYPES[c], nullable=False) for c in SHOPPERS_COLUMNS}
    | {"Revenue": pa.Column("int64", pa.Check.isin([0, 1]), nullable=False)},
    strict=True, ordered=True, name="online_shoppers",
)
_EXPECTED = {**{c: "whole numbers >= 0" for c in COUNT_COLUMNS},
             **{c: "numbers >= 0" for c in DURATION_COLUMNS + ("PageValues",)},
             **{c: "numbers in [0, 1]" for c in RATE_COLUMNS},
             **{c: "whole-number codes >= 1" for c in CODE_COLUMNS},
             "Month": "month names (Jan .. Dec, or the file's 'June')",
             "VisitorType": f"one of {', '.join(VISITOR_TYPES)}",
             "Weekend": "TRUE/FALSE (or True/False, 1/0)", "Revenue": "TRUE/FALSE (or True/False, 1/0)"}


def _fail(path: Path, message: str) -> ValueError:
    return ValueError(f"{path.name}: {message}")


def _read(path: Path) -> pd.DataFrame:
    name = path.name.lower()
    try:
        if name.endswith((".csv", ".csv.gz")):
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
        if name.endswith(".parquet"):
            return pd.read_parquet(path)
        if name.endswith(".xlsx"):
            return pd.read_excel(path, engine="openpyxl")
    except pd.errors.EmptyDataError as err:
        raise _fail(path, "empty file; expected a header line and one line per session") from err
    except ImportError:
        raise
    except Exception as err:  # parser, decoding, gzip, pyarrow and openpyxl raise many types
        raise _fail(path, f"not a readable file ({type(err).__name__}: {err})") from err
    raise _fail(path, "unsupported file type; expected .csv, .csv.gz, .parquet or .xlsx")


def _schema_message(path: Path, err: pandera.errors.SchemaErrors) -> str:
    """One line per failing column: what was expected, how many rows failed, a few examples."""
    lines = []
    for column, group in err.failure_cases.groupby("column", sort=False, dropna=False):
        examples = ", ".join(f"{v!r} (row {i})" for v, i in zip(group["failure_case"].head(3), group["index"].head(3)))
        lines.append(f"column {column}: expected {_EXPECTED.get(str(column), 'valid values')}, "
                     f"found {len(group)} bad value(s) such as {examples}")
    return (f"{path.name}: the file does not match the Online Shoppers schema (rows are 0-based data rows):\n  "
            + "\n  ".join(lines))


def load_online_shoppers(path_or_dir: str | os.PathLike, verbose: bool = True) -> pd.DataFrame:
    """Read the Online Shoppers file (or find it in a data folder) as a typed, validated table.

    Returns the 18 :data:`SHOPPERS_COLUMNS` in file order, one row per session (none dropped),
    with ``Weekend`` as bool and ``Revenue`` as 0/1 int64. Extra columns (e.g. a saved index)
    are left out and listed in ``df.attrs['extra_columns']``; ``df.attrs`` also records the
    file, the row count, the positive rate and the number of exact duplicate rows (kept).
    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file, the
    column and what was expected for a missing column or any invalid value.
    Introduced in 03_lstm.
    """
    path = resolve_dataset_path(path_or_dir, "online_shoppers",
                                "online_shoppers_intention.csv (or .csv.gz, .parquet, .xlsx)")
    raw = _read(path)
    missing = [c for c in SHOPPERS_COLUMNS if c not in raw.columns]
    if missing:
        raise _fail(path, f"missing column(s) {', '.join(missing)}; expected the columns "
                          f"{', '.join(SHOPPERS_COLUMNS)}, found {', '.join(map(str, raw.columns))}")
    if len(raw) == 0:
        raise _fail(path, "no data rows; expected a header line followed by one line per session")
    extra = [str(c) for c in raw.columns if c not in SHOPPERS_COLUMNS]
    df = raw[list(SHOPPERS_COLUMNS)].reset_index(drop=True)
    try:
        VALUES_SCHEMA.validate(df, lazy=True)
        out = pd.DataFrame(index=df.index)
        for col in SHOPPERS_COLUMNS:
            if col in ("Weekend", "Revenue"):
                out[col] = _as_flag(df[col]).astype(bool)
            elif col in ("Month", "VisitorType"):
                out[col] = df[col].astype("str").str.strip()
            else:
                out[col] = _as_number(df[col]).astype(_TYPES[col])
        out["Revenue"] = out["Revenue"].astype("int64")
        out = SHOPPERS_SCHEMA.validate(out, lazy=True)
    except pandera.errors.SchemaErrors as err:
        raise ValueError(_schema_message(path, err)) from None

    n, positives, dups = len(out), int(out["Revenue"].sum()), int(out.duplicated().sum())
    out.attrs.update({"source": path.name, "rows": n, "positives": positives, "positive_rate": positives / n,
                      "duplicate_rows": dups, "extra_columns": extra})
    if verbose:
        note = f"; extra column(s) left out: {', '.join(extra)}" if extra else ""
        print(f"online_shoppers: {n:,} sessions from {path.name}, {positives:,} with Revenue "
              f"({positives / n:.1%}), {dups:,} exact duplicate rows kept{note}")
    return out

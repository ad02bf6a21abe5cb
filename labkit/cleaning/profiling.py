"""Profile a raw table before cleaning it: missingness, duplicates, value shapes, ranges.

Data-quality work starts by looking (01_data_cleaning): these helpers summarise a raw
table whose columns may still be strings, without changing it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_DIGITS, _UPPER, _LOWER = re.compile(r"\d+"), re.compile(r"[A-Z]+"), re.compile(r"[a-z]+")


def profile_columns(df: pd.DataFrame) -> pd.DataFrame:
    """One row per column: dtype, missing (null or blank) share, distinct values, an example."""
    if df.empty:
        raise ValueError("profile_columns: the table is empty; expected at least one row")
    rows = []
    for col in df.columns:
        s = df[col]
        blank = s.isna() | (s.astype(str).str.strip() == "") if s.dtype == object or str(s.dtype).startswith(
            "str") else s.isna()
        rows.append({"column": col, "dtype": str(s.dtype), "missing": float(np.mean(blank)),
                     "distinct": int(s.nunique(dropna=True)),
                     "example": str(s.dropna().iloc[0]) if s.notna().any() else ""})
    return pd.DataFrame(rows).set_index("column")


def value_shapes(values: pd.Series, top: int = 8) -> pd.Series:
    """Counts of value *shapes* (digits → 9, capitals → A, lower case → a), most common first.

    ``"2023-03-05 14:22:01"`` and ``"05/03/2023 14:22:01"`` get different shapes, so
    mixed date formats, currency symbols and stray whitespace stand out at a glance.
    """
    text = values.astype("string").fillna("<NA>")
    shape = text.str.replace(_DIGITS, "9", regex=True).str.replace(_UPPER, "A", regex=True)
    shape = shape.str.replace(_LOWER, "a", regex=True)
    return shape.value_counts().head(top).rename("rows")


def duplicate_summary(df: pd.DataFrame, key: str | None = None) -> pd.Series:
    """Exact duplicate rows, and (given a row ``key``) rows sharing it but differing elsewhere."""
    if key is not None and key not in df.columns:
        raise ValueError(f"duplicate_summary: column {key!r} not found; columns are {list(df.columns)}")
    exact = df.duplicated(keep="first")
    out = {"rows": len(df), "exact_duplicates": int(exact.sum())}
    if key is not None:
        out["same_key_other_values"] = int((df[key].duplicated(keep="first") & ~exact).sum())
    return pd.Series(out)

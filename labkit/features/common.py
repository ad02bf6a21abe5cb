"""Small helpers shared by the feature modules: id indexes, one-hot columns (02); table checks live in labkit.frames."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema as S

NEVER_DAYS = 999.0  # "days since" value for something that never happened before the cut-off
def sorted_index(values: pd.Series | np.ndarray) -> pd.Index:
    """A sorted Index of the distinct non-missing ids (ints or strings)."""
    return pd.Index(pd.unique(pd.Series(values).dropna())).sort_values()


def codes_of(index: pd.Index, values: pd.Series | np.ndarray) -> np.ndarray:
    """Position of each value in ``index`` (-1 if absent); fast when the index is 0..n-1-like ints."""
    vals = np.asarray(values)
    if (pd.api.types.is_integer_dtype(index.dtype) and vals.dtype.kind in "iu" and len(index)
            and index[-1] - index[0] == len(index) - 1 and index.is_monotonic_increasing):
        code = vals.astype(np.int64) - int(index[0])
        return np.where((code >= 0) & (code < len(index)), code, -1)
    return index.get_indexer(vals)


def category_codes(products: pd.DataFrame | None, product_index: pd.Index) -> tuple[np.ndarray, list[str]]:
    """Category code of each product of ``product_index`` and the category names (one "all" if none)."""
    if products is None or S.CATEGORY not in products.columns:
        return np.zeros(len(product_index), dtype=np.int64), ["all"]
    cats = products.set_index(S.PRODUCT_ID)[S.CATEGORY].reindex(product_index).fillna("unknown").astype(str)
    names = sorted(cats.unique())
    return pd.Index(names).get_indexer(cats).astype(np.int64), names


def one_hot(values: pd.Series, prefix: str, levels: list[str] | None = None) -> pd.DataFrame:
    """0/1 float32 columns ``<prefix>_<level>`` for the sorted levels (or the given ones)."""
    values = values.astype("string").fillna("unknown")
    levels = sorted(values.unique()) if levels is None else list(levels)
    out = {f"{prefix}_{lv}": (values == lv).to_numpy(np.float32) for lv in levels}
    return pd.DataFrame(out, index=values.index)


def days_between(end_ns: int | np.ndarray, then_ns: np.ndarray) -> np.ndarray:
    """Days from ``then_ns`` to ``end_ns`` (float), NEVER_DAYS where ``then_ns`` is missing (< 0)."""
    d = (np.asarray(end_ns, dtype=np.float64) - then_ns) / 86_400e9
    return np.where(then_ns < 0, NEVER_DAYS, d).astype(np.float32)


def savez_fast(path: str | Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write arrays to an ``.npz`` (readable by ``np.load``) compressed at zlib level 1:
    several times faster than ``np.savez_compressed``, a third of ``np.savez``'s size here."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for key, value in arrays.items():
            with zf.open(f"{key}.npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.asarray(value), allow_pickle=False)
    return path

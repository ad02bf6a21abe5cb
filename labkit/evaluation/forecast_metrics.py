"""Point-forecast metrics of daily demand (03_lstm; reused by 06 and 07).

* ``wape`` = sum |pred - y| / sum y -- one number over all rows, dominated by the big sellers.
* ``rmse`` = sqrt(mean (pred - y)^2).
* ``bias`` = sum (pred - y) / sum y -- above 0: over-forecast.
* ``mase`` = mean over rows of |pred - y| / scale(product), where scale(product) is the
  in-sample MAE of the weekly seasonal naive forecast on that product's training history:
  the mean of |y_t - y_{t-7}| over the days t <= ``end`` (the last day of the train part)
  on which the product was on sale on both t and t-7 (:func:`seasonal_scale`). Products
  with fewer than ``min_pairs`` such days (launched late) or a zero scale get NaN and
  their rows are left out of MASE (the tables report how many rows MASE covers).
  MASE < 1: better than the seasonal naive was in-sample.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .. import schema as S

SEASON = 7


def _arrays(y: object, pred: object) -> tuple[np.ndarray, np.ndarray]:
    y, pred = np.asarray(y, dtype=np.float64), np.asarray(pred, dtype=np.float64)
    if y.shape != pred.shape:
        raise ValueError(f"y and pred must have the same shape, got {y.shape} and {pred.shape}")
    if len(y) == 0:
        raise ValueError("y and pred are empty")
    if np.isnan(y).any() or np.isnan(pred).any():
        raise ValueError(f"y and pred must not hold NaN (got {int(np.isnan(y).sum())} in y, "
                         f"{int(np.isnan(pred).sum())} in pred)")
    return y, pred


def wape(y: object, pred: object) -> float:
    """Weighted absolute percentage error: sum |pred - y| / sum y (0 is perfect)."""
    y, pred = _arrays(y, pred)
    if y.sum() <= 0:
        raise ValueError("wape: the actuals sum to zero; WAPE is undefined")
    return float(np.abs(pred - y).sum() / y.sum())


def rmse(y: object, pred: object) -> float:
    """Root mean squared error, in units."""
    y, pred = _arrays(y, pred)
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def bias(y: object, pred: object) -> float:
    """Relative bias: sum (pred - y) / sum y (above 0: the forecast is too high)."""
    y, pred = _arrays(y, pred)
    if y.sum() <= 0:
        raise ValueError("bias: the actuals sum to zero; the relative bias is undefined")
    return float((pred - y).sum() / y.sum())


def mase(y: object, pred: object, scale: object) -> float:
    """Mean of |pred - y| / scale over the rows whose scale is finite and > 0 (see the module doc)."""
    y, pred = _arrays(y, pred)
    scale = np.asarray(scale, dtype=np.float64)
    if scale.shape != y.shape:
        raise ValueError(f"scale must have one value per row, got shape {scale.shape} for {y.shape}")
    ok = np.isfinite(scale) & (scale > 0)
    if not ok.any():
        raise ValueError("mase: no row has a positive, finite scale (no product has a training history)")
    return float(np.mean(np.abs(pred[ok] - y[ok]) / scale[ok]))


def seasonal_scale(panel: pd.DataFrame, end: object, season: int = SEASON, min_pairs: int = 28) -> pd.Series:
    """Per product: mean |y_t - y_{t-season}| over days t <= ``end`` on sale on t and t-season.

    ``panel`` is the dense product x day table of :func:`labkit.features.demand.demand_panel`
    (``product_id``, ``date``, ``units``, ``on_sale``). NaN for products with fewer than
    ``min_pairs`` pairs or a zero scale.
    """
    missing = [c for c in (S.PRODUCT_ID, S.DATE, S.UNITS, "on_sale") if c not in panel.columns]
    if missing:
        raise ValueError(f"panel: missing columns {missing}; expected the demand panel")
    p = panel[pd.DatetimeIndex(panel[S.DATE]) <= pd.Timestamp(end)].sort_values([S.PRODUCT_ID, S.DATE])
    pids = p[S.PRODUCT_ID].drop_duplicates().to_numpy()
    if len(p) == 0 or len(p) % len(pids):
        raise ValueError("panel: expected a dense product x day table with days up to `end`")
    y = p[S.UNITS].to_numpy(np.float64).reshape(len(pids), -1)
    live = p["on_sale"].to_numpy(bool).reshape(len(pids), -1)
    both = live[:, season:] & live[:, :-season]
    err = np.where(both, np.abs(y[:, season:] - y[:, :-season]), 0.0).sum(axis=1)
    n = both.sum(axis=1)
    scale = np.where((n >= min_pairs) & (err > 0), err / np.maximum(n, 1), np.nan)
    return pd.Series(scale, index=pd.Index(pids, name=S.PRODUCT_ID), name="mase_scale")


def forecast_table(df: pd.DataFrame, pred_cols: Sequence[str], scale: pd.Series | None = None,
                   y_col: str = S.UNITS) -> pd.DataFrame:
    """One row per forecast column: wape, rmse, mase (if ``scale`` is given), bias, and the rows scored."""
    _check_cols(df, [y_col, *pred_cols])
    rows = {}
    for col in pred_cols:
        r = {"wape": wape(df[y_col], df[col]), "rmse": rmse(df[y_col], df[col])}
        if scale is not None:
            s = scale.reindex(df[S.PRODUCT_ID]).to_numpy()
            r["mase"] = mase(df[y_col], df[col], s)
            r["mase_rows"] = int((np.isfinite(s) & (s > 0)).sum())
        r["bias"] = bias(df[y_col], df[col])
        r["rows"] = len(df)
        rows[col] = r
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


def per_horizon(df: pd.DataFrame, pred_col: str | Sequence[str], metric: str = "wape",
                y_col: str = S.UNITS) -> pd.DataFrame:
    """A horizon x model table of ``metric`` (wape, rmse or bias) for one or several forecast columns."""
    funcs = {"wape": wape, "rmse": rmse, "bias": bias}
    if metric not in funcs:
        raise ValueError(f"metric must be one of {sorted(funcs)}, got {metric!r}")
    cols = [pred_col] if isinstance(pred_col, str) else list(pred_col)
    _check_cols(df, [y_col, S.HORIZON, *cols])
    f = funcs[metric]
    out = {c: df.groupby(S.HORIZON).apply(lambda g, c=c: f(g[y_col], g[c]), include_groups=False) for c in cols}
    return pd.DataFrame(out).rename_axis(S.HORIZON)


def _check_cols(df: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"missing column(s) {missing}; got {list(df.columns)}")

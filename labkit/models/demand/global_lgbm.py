"""A global LightGBM through mlforecast, the peer a practitioner would pick instead of 03's (07_evaluation).

03's LightGBM learns from features that 02 hand-built for each (origin, product, horizon).
The off-the-shelf route is Nixtla's mlforecast: one global model over every product's daily
units, with lags, rolling means and the weekday computed by the library, refitted at each
forecast origin on the history up to that day and rolled forward *recursively* over the
14 days (each day's forecast becomes the next day's lag 1, mlforecast's default).

Leakage: at an origin the model sees units up to the origin only. The exogenous inputs of
the target days (``exog``) must be known in advance: the planned price and discount and
the calendar. A column with NaN is refused: the real-data panels fill ``price`` from the
day's sales, so its NaN would tell the model which days sold nothing.

mlforecast 1.1 is installed with ``--no-deps`` (it works with the course's pandas 3).
Tests: tests/test_peers.py.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ... import schema as S
from ...frames import require
from .forecast import panel_matrix, row_index

HORIZON = 14
LAGS = (1, 7, 14, 28)
EXOG = (S.PRICE, S.DISCOUNT, S.PROMO_INTENSITY, S.IS_HOLIDAY)  # planned or calendar: known ahead
LGBM_PARAMS: dict[str, object] = {
    "objective": "tweedie", "tweedie_variance_power": 1.2, "n_estimators": 500, "learning_rate": 0.03,
    "num_leaves": 31, "min_child_samples": 50, "subsample": 0.8, "subsample_freq": 1,
    "colsample_bytree": 0.8, "reg_lambda": 1.0, "verbose": -1}


def _exog(panel: pd.DataFrame, exog: Sequence[str] | None) -> list[str]:
    """The exogenous columns to use: all of ``exog`` (checked), or by default those of EXOG without NaN."""
    if exog is None:
        return [c for c in EXOG if c in panel.columns and panel[c].notna().all()]
    require(panel, list(exog), "panel (exog)")
    bad = [c for c in exog if panel[c].isna().any()]
    if bad:
        raise ValueError(f"exog: column(s) {bad} hold NaN, i.e. are not known ahead for every day "
                         "(observed prices leak which days sold); drop them from exog")
    return list(exog)


def global_lgbm_forecasts(panel: pd.DataFrame, rows: pd.DataFrame, *, lags: Sequence[int] = LAGS,
                          exog: Sequence[str] | None = None, product_feature: bool = False,
                          params: dict[str, object] | None = None, seed: int = 0, threads: int = 1,
                          horizon: int = HORIZON) -> np.ndarray:
    """Forecast every row (origin, product_id, horizon) with mlforecast + LightGBM refitted per origin.

    ``panel``: the dense product x day demand panel (``product_id``, ``date``, ``units``;
    ``on_sale`` if present: each product's history starts on its first on-sale day).
    ``rows``: the forecast rows, e.g. 03's saved test forecasts. ``exog``: target-day inputs
    known ahead (default: the planned price, discount, promotion intensity and holiday flag,
    those present without NaN; ``[]`` for none). ``product_feature``: the product id as a
    categorical static feature (off: no better on 03's validation origins). Returns the
    expected units of each row, in the rows' order.
    """
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean, SeasonalRollingMean

    if not lags or min(lags) < 1:
        raise ValueError(f"lags: expected positive lags, got {list(lags)}")
    if horizon < 1:
        raise ValueError(f"horizon: expected >= 1, got {horizon}")
    pids, dates, _ = panel_matrix(panel)  # checks product_id, date, units and density
    pi, oi = row_index(rows, pids, dates)  # checks origin, product_id, horizon; ValueError if not in the panel
    h = rows[S.HORIZON].to_numpy(int)
    if ((h < 1) | (h > horizon)).any():
        raise ValueError(f"rows: horizons must lie in 1 .. {horizon}")
    if (oi + h >= len(dates)).any():
        raise ValueError(f"rows: {int((oi + h >= len(dates)).sum())} target days lie after the panel's last day")
    cols = _exog(panel, exog)
    p = panel.sort_values([S.PRODUCT_ID, S.DATE])
    df = pd.DataFrame({"unique_id": p[S.PRODUCT_ID].to_numpy(),
                       "ds": pd.DatetimeIndex(p[S.DATE]).as_unit("ns"), "y": p[S.UNITS].to_numpy(np.float64)})
    for c in cols:
        df[c] = p[c].to_numpy(np.float64)
    static = []
    if product_feature:
        df["product"] = pd.Categorical(df["unique_id"], categories=pids)
        static = ["product"]
    live = (p["on_sale"].astype(bool).groupby(p[S.PRODUCT_ID]).cummax().to_numpy()
            if "on_sale" in p.columns else np.ones(len(p), bool))
    model = lgb.LGBMRegressor(**{**LGBM_PARAMS, **(params or {}), "random_state": seed, "n_jobs": threads,
                                 "deterministic": True, "force_row_wise": True})
    out = np.full(len(rows), np.nan)
    for o in np.unique(oi):
        origin = dates[o]
        train = df[live & (df["ds"] <= origin)]
        mine = oi == o
        known = pd.Index(train["unique_id"].unique())
        if (absent := known.get_indexer(pids[pi[mine]]) < 0).any():
            raise ValueError(f"rows: product(s) {sorted(set(pids[pi[mine]][absent].tolist()))} have no on-sale "
                             f"history up to origin {origin.date()}")
        steps = int(h[mine].max())
        fc = MLForecast(models={"lgbm": model}, freq="D", lags=list(lags),
                        lag_transforms={1: [RollingMean(7), RollingMean(28)],
                                        7: [SeasonalRollingMean(season_length=7, window_size=4)]},
                        date_features=["day_of_week"], num_threads=1)
        ahead = df[df["unique_id"].isin(known) & (df["ds"] > origin)
                   & (df["ds"] <= origin + pd.Timedelta(days=steps))]
        with warnings.catch_warnings():  # young products: lags before launch are NaN, which LightGBM handles
            warnings.filterwarnings("ignore", message="Found null values")
            warnings.filterwarnings("ignore", message="The following series were dropped")
            warnings.filterwarnings("ignore", message="The copy keyword is deprecated")  # utilsforecast on pandas 3
            fc.fit(train, static_features=static, dropna=True)
            pred = fc.predict(steps, X_df=ahead[["unique_id", "ds", *cols]] if cols else None)
        step = ((pred["ds"] - origin) // pd.Timedelta(days=1)).to_numpy(int)
        table = pd.Series(pred["lgbm"].to_numpy(np.float64),
                          index=pd.MultiIndex.from_arrays([pred["unique_id"], step]))
        pos = table.index.get_indexer(pd.MultiIndex.from_arrays([pids[pi[mine]], h[mine]]))
        if (pos < 0).any():
            raise ValueError(f"rows: {int((pos < 0).sum())} rows at origin {origin.date()} got no forecast")
        out[mine] = table.to_numpy()[pos]
    return np.maximum(out, 0.0)

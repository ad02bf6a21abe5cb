"""Real-data demand forecasting on UCI Online Retail (introduced in 03_lstm, online_retail track).

The synthetic track of 03 forecasts every product of the world 14 days ahead with seasonal
naive, a moving average, LightGBM and a global LSTM. This module gives the same models
what they need on a real order-line table (the cleaned, completed lines of notebook 01/02):

* :func:`top_products` -- the ``top_n`` products by units sold up to the end of the train
  period (never later: choosing products by their test sales would be a leak).
* :func:`retail_products` -- a minimal product table for :class:`~labkit.models.demand.lstm.
  LSTMForecaster`: one category ("unknown": the data has none), the median unit price up
  to the end of train as base price, and the first sale day as launch date (the panel's
  ``on_sale`` flag uses the same rule: on sale from the first sale on).
* :func:`retail_demand_data` -- the dense panel, the demand rows of
  :func:`labkit.features.build.demand_rows` (as ``build_from_orders`` builds them), the
  product table and the split, for those products only, so the track runs in seconds.
* :func:`forecast_track` -- fits and scores every forecaster of the synthetic track.

Real data has no price list, promotions or holidays: the panel's discount is NaN (read as
no discount) and the calendar is plain (:func:`labkit.features.demand.plain_calendar`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from ... import schema as S
from ...evaluation.forecast_metrics import forecast_table, per_horizon, seasonal_scale
from ...features.build import demand_rows
from ...features.demand import demand_panel, plain_calendar
from ...frames import require as _require
from ...splits import CourseSplit, course_split
from .forecast import LightGBMForecaster, ensemble, moving_average, seasonal_naive

NEEDED = (S.ORDER_ID, S.USER_ID, S.PRODUCT_ID, S.QUANTITY, S.UNIT_PRICE, S.TIMESTAMP)


def order_days(orders: pd.DataFrame) -> pd.Series:
    """Every day from the first to the last order (days without orders included), as in 02."""
    _require(orders, [S.TIMESTAMP], "orders")
    ts = pd.to_datetime(orders[S.TIMESTAMP])
    return pd.Series(pd.date_range(ts.min().normalize(), ts.max().normalize(), freq="D"), name=S.DATE)


def top_products(orders: pd.DataFrame, split: CourseSplit, top_n: int) -> np.ndarray:
    """The ``top_n`` product ids with the most units up to ``split.train_end`` (ties: by id)."""
    if top_n < 1:
        raise ValueError(f"top_n must be >= 1, got {top_n}")
    seen = orders[pd.to_datetime(orders[S.TIMESTAMP]).dt.normalize() <= split.train_end]
    units = seen.groupby(S.PRODUCT_ID)[S.QUANTITY].sum()
    units = units.reset_index().sort_values([S.QUANTITY, S.PRODUCT_ID], ascending=[False, True])
    return units[S.PRODUCT_ID].to_numpy()[:top_n]


def retail_products(orders: pd.DataFrame, split: CourseSplit) -> pd.DataFrame:
    """Minimal product table (product_id, category, base_price, launch_date) from order lines."""
    _require(orders, [S.PRODUCT_ID, S.UNIT_PRICE, S.TIMESTAMP], "orders")
    day = pd.to_datetime(orders[S.TIMESTAMP]).dt.normalize()
    g = orders.assign(_day=day).groupby(S.PRODUCT_ID)
    early = orders[day <= split.train_end].groupby(S.PRODUCT_ID)[S.UNIT_PRICE].median()
    price = early.reindex(g.size().index).fillna(g[S.UNIT_PRICE].median())
    out = pd.DataFrame({S.PRODUCT_ID: price.index, S.CATEGORY: "unknown",
                        S.BASE_PRICE: np.maximum(price.to_numpy(np.float64), 0.01),
                        S.LAUNCH_DATE: g["_day"].min().reindex(price.index).to_numpy()})
    return out.reset_index(drop=True)


def retail_demand_data(orders: pd.DataFrame, top_n: int = 50, split: CourseSplit | None = None,
                       every_days: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, CourseSplit]:
    """(panel, demand features, products, split) of the ``top_n`` products of ``orders``.

    ``split`` defaults to :func:`labkit.splits.course_split` of every day between the first
    and the last order (notebook 02's split on real data). The panel covers all those days
    (plain calendar); the demand rows are those of ``build_from_orders`` for these products.
    """

    _require(orders, NEEDED, "orders")
    if len(orders) == 0:
        raise ValueError("orders: no rows")
    days = order_days(orders)
    split = split or course_split(days)
    keep = top_products(orders, split, top_n)
    sub = orders[orders[S.PRODUCT_ID].isin(keep)].reset_index(drop=True)
    panel = demand_panel(sub, calendar=plain_calendar(pd.DatetimeIndex(days)))
    features = demand_rows({"orders": sub}, split, panel, every_days=every_days)
    return panel, features, retail_products(sub, split), split


def forecast_track(orders: pd.DataFrame, top_n: int = 50, lstm_epochs: int = 3, batch_size: int = 256,
                   seed: int = 0, threads: int | None = None, lstm_kw: dict[str, Any] | None = None,
                   verbose: bool = False) -> dict[str, Any]:
    """Fit and score seasonal naive, moving average, LightGBM, LSTM and LSTM+LightGBM on test.

    ``threads`` is LightGBM's (None: :func:`labkit.runtime.default_threads`; on a busy 2-core
    machine 2 OpenMP threads spin-wait, up to 100x slower); the LSTM uses torch's thread
    count (``labkit.start`` pins it).

    Returns ``table`` (:func:`~labkit.evaluation.forecast_metrics.forecast_table`: wape, rmse,
    mase, bias), ``per_horizon`` (WAPE by horizon; horizons without any sale, e.g. the shop's
    closed Saturdays, are left out), the test rows with one column per model
    (``test``), the fitted ``lightgbm`` and ``lstm``, ``split``, the daily ``panel``, ``products`` and ``seconds``.
    """
    from .lstm import LSTMForecaster  # torch: loaded only when the LSTM trains

    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    panel, df, products, split = retail_demand_data(orders, top_n)
    seconds["data"] = time.perf_counter() - t0
    tr, va = df[df[S.PART] == "train"], df[df[S.PART] == "valid"]
    te = df[df[S.PART] == "test"].reset_index(drop=True)
    preds = {"seasonal_naive": seasonal_naive(panel, te), "moving_average_28": moving_average(panel, te, 28)}
    t0 = time.perf_counter()
    lgbm = LightGBMForecaster(seed=seed, threads=threads).fit(tr, va, verbose=verbose)
    preds["lightgbm"] = lgbm.predict(te)
    seconds["lightgbm"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    kw = {"epochs": lstm_epochs, "batch_size": batch_size, "seed": seed, "verbose": verbose,
          **(lstm_kw or {})}
    lstm = LSTMForecaster(**kw).fit(panel, products, split)
    preds["lstm"] = lstm.predict(te)
    seconds["lstm"] = time.perf_counter() - t0
    preds["lstm_lightgbm"] = ensemble(preds["lstm"], preds["lightgbm"])
    for name, p in preds.items():
        te[name] = p
    table = forecast_table(te, list(preds), seasonal_scale(panel, split.train_end))
    sold = te.groupby(S.HORIZON)[S.UNITS].transform("sum") > 0  # closed days (Saturdays): WAPE undefined
    return {"table": table, "per_horizon": per_horizon(te[sold], list(preds)), "test": te, "lightgbm": lgbm,
            "lstm": lstm, "split": split, "panel": panel, "products": products, "seconds": seconds}

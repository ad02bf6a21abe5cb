"""Rolling-origin backtest of demand models: frozen vs retrained (07_evaluation, "retraining and drift").

At each of the last ``last`` weekly origins ``o`` of the demand rows (``load_features(profile,
"demand_features")``), two versions of one model forecast the rows of ``o``:

* **frozen** -- fitted once, on the rows whose target day is before ``frozen_before`` (default:
  the first backtest origin, i.e. the original training period), and never updated;
* **retrained** -- refitted at ``o`` on every row whose target day is before ``o``
  (``target_date < origin``: only demand already observed when the forecast is made).

Both are scored by WAPE on the rows of ``o`` (all horizons). ``gain = wape_frozen - wape_retrained``
above 0 means retraining paid at that origin. The model is any ``fit(rows) -> object with
.predict(rows)``; :func:`lightgbm_fitter` wraps 03's :class:`LightGBMForecaster` with one config.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from .. import schema as S
from ..frames import require
from .forecast_metrics import wape

FESTIVAL_FLAG = "is_festival"  # target-day calendar feature of labkit.features.demand


class Predictor(Protocol):
    """Anything with ``predict(rows) -> one forecast per row``."""

    def predict(self, rows: pd.DataFrame) -> np.ndarray: ...


Fitter = Callable[[pd.DataFrame], Predictor]


def weekly_origins(rows: pd.DataFrame, last: int | None = None) -> pd.DatetimeIndex:
    """The distinct origins of ``rows`` in time order (the last ``last`` of them when given)."""
    require(rows, [S.ORIGIN], "rows")
    origins = pd.DatetimeIndex(rows[S.ORIGIN].drop_duplicates().sort_values())
    if last is not None:
        if not isinstance(last, int) or last < 1:
            raise ValueError(f"last must be a positive int, got {last!r}")
        if last > len(origins):
            raise ValueError(f"last: asked for {last} origins, rows hold only {len(origins)}")
        origins = origins[-last:]
    return origins


def known_before(rows: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Rows whose target day is strictly before ``day`` (what can be trained on at origin ``day``)."""
    return rows.loc[rows[S.TARGET_DATE] < day]


def rolling_forecasts(rows: pd.DataFrame, fit: Fitter, refit_every: int = 1, min_history: int = 5) -> pd.DataFrame:
    """Every origin's rows forecast by a model fitted on the past only (06_reinforcement_learning, Part 6).

    The model is refitted at every ``refit_every``-th origin on the rows whose target day is before it
    (:func:`known_before`); origins whose past spans fewer than ``min_history`` origins are left out.
    Returns origin, product_id, horizon, target_date, units and ``forecast``, one row per row forecast.
    """
    require(rows, [S.ORIGIN, S.PRODUCT_ID, S.HORIZON, S.TARGET_DATE, S.UNITS], "rows")
    for name, value in (("refit_every", refit_every), ("min_history", min_history)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: expected a positive int, got {value!r}")
    out, model, fitted = [], None, 0
    for origin in weekly_origins(rows):
        train = known_before(rows, origin)
        if train[S.ORIGIN].nunique() < min_history:
            continue
        if model is None or fitted % refit_every == 0:
            model = fit(train)
        fitted += 1
        test = rows.loc[rows[S.ORIGIN] == origin, [S.ORIGIN, S.PRODUCT_ID, S.HORIZON, S.TARGET_DATE, S.UNITS]]
        out.append(test.assign(forecast=np.asarray(model.predict(rows.loc[test.index]), dtype=np.float64)))
    if not out:
        raise ValueError(f"rows: no origin has {min_history} origins of history before it (min_history)")
    return pd.concat(out, ignore_index=True)


def rolling_backtest(rows: pd.DataFrame, fit: Fitter, last: int = 8, origins: Sequence[object] | None = None,
                     frozen_before: object = None, baselines: Mapping[str, Callable[[pd.DataFrame], np.ndarray]]
                     | None = None) -> pd.DataFrame:
    """One row per backtest origin: WAPE of the frozen and the retrained model (and of ``baselines``).

    ``origins``: the backtest origins (default: the last ``last`` origins of ``rows``).
    ``frozen_before``: the frozen model trains on rows with ``target_date < frozen_before``
    (default: the first backtest origin). Columns: origin, rows, train_rows (of the retrained
    fit), festival_share (share of the origin's rows on festival days, if ``is_festival`` is a
    column), wape_frozen, wape_retrained, gain, one ``wape_<name>`` per baseline, seconds.
    """
    require(rows, [S.ORIGIN, S.TARGET_DATE, S.UNITS], "rows")
    todo = weekly_origins(rows, last) if origins is None else pd.DatetimeIndex(origins)
    if len(todo) == 0:
        raise ValueError("origins: no backtest origins")
    missing = todo.difference(pd.DatetimeIndex(rows[S.ORIGIN].unique()))
    if len(missing):
        raise ValueError(f"origins: {list(missing.date[:3])} have no rows")
    start = pd.Timestamp(frozen_before) if frozen_before is not None else todo[0]
    if start > todo[0]:
        raise ValueError(f"frozen_before: {start.date()} is after the first backtest origin {todo[0].date()}")
    history = known_before(rows, start)
    if len(history) == 0:
        raise ValueError(f"frozen_before: no rows with {S.TARGET_DATE} before {start.date()}")
    frozen = fit(history)
    out = []
    for origin in todo:
        t0 = time.perf_counter()
        test = rows.loc[rows[S.ORIGIN] == origin]
        train = known_before(rows, origin)
        model = fit(train)
        y = test[S.UNITS].to_numpy()
        rec = {S.ORIGIN: origin, "rows": len(test), "train_rows": len(train),
               "wape_frozen": wape(y, frozen.predict(test)), "wape_retrained": wape(y, model.predict(test))}
        if FESTIVAL_FLAG in test.columns:
            rec["festival_share"] = float(test[FESTIVAL_FLAG].mean())
        for name, forecast in (baselines or {}).items():
            rec[f"wape_{name}"] = wape(y, forecast(test))
        rec["seconds"] = round(time.perf_counter() - t0, 2)
        out.append(rec)
    table = pd.DataFrame(out)
    table.insert(table.columns.get_loc("wape_retrained") + 1, "gain", table["wape_frozen"] - table["wape_retrained"])
    return table

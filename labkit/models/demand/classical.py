"""Classical per-series forecasters from statsforecast, the peers a practitioner tries first (03b_online_retail).

One model per product and forecast origin, fitted on the product's daily units from its
first on-sale day up to the origin, forecasting the next ``HORIZON`` days:

* ``AutoETS`` -- exponential smoothing with the error, trend and season (7 days) chosen by
  AICc, as the forecasting literature's default for one series;
* ``CrostonOptimized`` and ``TSB`` -- the intermittent-demand methods: Croston smooths the
  size of the non-zero demands and the gaps between them; TSB (Teunter-Syntetos-Babai)
  smooths the size and the *probability* of a sale, so a product that stops selling
  forecasts down instead of staying flat;
* ``SeasonalNaive`` -- the last same weekday repeated, the floor every model must beat
  (opt-in: ``classical_models(names=...)``; 07_evaluation lists it next to 03's own).

statsforecast's models are called on numpy arrays (``model.forecast(y, h)``), not through
its pandas front end: the course pins pandas 3, which statsforecast 2.1's metadata does not
list yet, so it is installed with ``--no-deps`` (``requirements-nodeps.txt``); the models
themselves are numba code that never touches pandas. Tests: tests/test_forecast.py, tests/test_peers.py.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ... import schema as S
from .forecast import panel_matrix, row_index

HORIZON = 14
MIN_HISTORY = 14  # days of history below which a series is forecast by its mean (too short to fit)
MODELS = ("statsforecast_ets", "statsforecast_croston", "statsforecast_tsb", "statsforecast_seasonal_naive")
DEFAULT_MODELS = MODELS[:3]


def classical_models(season: int = 7, names: Sequence[str] = DEFAULT_MODELS) -> dict[str, Callable[[], object]]:
    """name -> factory of a fresh statsforecast model (import deferred: numba compiles on first use).

    ``names``: any of :data:`MODELS` (default: AutoETS, Croston and TSB, as 03b uses them).
    """
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise ValueError(f"names: unknown model(s) {unknown}; choose from {list(MODELS)}")
    with warnings.catch_warnings():  # statsforecast imports tqdm.auto, which warns in a notebook without widgets
        warnings.filterwarnings("ignore", message="IProgress not found")
        from statsforecast.models import TSB, AutoETS, CrostonOptimized, SeasonalNaive

    factories = {"statsforecast_ets": lambda: AutoETS(season_length=season),
                 "statsforecast_croston": lambda: CrostonOptimized(),
                 "statsforecast_tsb": lambda: TSB(alpha_d=0.1, alpha_p=0.1),
                 "statsforecast_seasonal_naive": lambda: SeasonalNaive(season_length=season)}
    return {n: factories[n] for n in names}


def classical_forecasts(panel: pd.DataFrame, rows: pd.DataFrame,
                        models: dict[str, Callable[[], object]] | None = None) -> dict[str, np.ndarray]:
    """Forecast every row (origin, product_id, horizon <= 14) with each model: ``{name: expected units}``.

    Each (product, origin) pair is fitted once per model on the units of its on-sale days
    from the first one up to the origin; forecasts below zero (additive ETS) are set to 0.
    """
    if models is None:
        models = classical_models()
    pids, dates, units = panel_matrix(panel)
    live = panel_matrix(panel, "on_sale")[2] > 0 if "on_sale" in panel.columns else np.ones_like(units, bool)
    pi, oi = row_index(rows, pids, dates)
    h = rows[S.HORIZON].to_numpy(int)
    if ((h < 1) | (h > HORIZON)).any():
        raise ValueError(f"rows: horizons must lie in 1 .. {HORIZON}")
    pairs, inv = np.unique(np.column_stack([pi, oi]), axis=0, return_inverse=True)
    first = np.where(live.any(1), live.argmax(1), units.shape[1])
    out = {}
    for name, make in models.items():
        path = np.zeros((len(pairs), HORIZON))
        for k, (p, o) in enumerate(pairs):
            y = units[p, first[p]: o + 1]
            if len(y) < MIN_HISTORY or not np.isfinite(y).all() or y.max() == y.min():
                path[k] = y.mean() if len(y) else 0.0
                continue
            path[k] = np.maximum(make().forecast(y=y.astype(np.float64), h=HORIZON)["mean"], 0.0)
        out[name] = path[inv.ravel(), h - 1]
    return out

"""Daily demand forecasts 14 days ahead (03_lstm, task 2): baselines, LightGBM, ensemble, artifact.

Every forecaster takes forecast rows (``origin``, ``product_id``, ``horizon``; the rows of
``load_features(profile, "demand_features")``) and returns one prediction per row, using
only data up to each row's origin plus the target day's planned calendar and prices:

* :func:`seasonal_naive` -- the last observed same weekday: units on target - 7*ceil(h/7).
* :func:`moving_average` -- mean units of the 28 days up to the origin (on-sale days).
* :class:`LightGBMForecaster` -- one global gradient-boosted model on the demand features
  (the M5 winners' pattern): Tweedie/Poisson objective, a few configurations tuned by
  early stopping on the validation part, then refit on train + validation.
* the global LSTM is in :mod:`labkit.models.demand.lstm`; :func:`ensemble` averages.

:func:`save_forecasts` writes the test forecasts that 06 (inventory) and 07 (evaluation) read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ... import schema as S
from ...artifacts import DEFAULT_DATASET, ArtifactStore
from ...evaluation.backtest import weekly_origins
from ...evaluation.forecast_metrics import wape
from ...frames import require as _require
from ...runtime import default_threads

DEMAND_KEYS = [S.ORIGIN, S.PRODUCT_ID, S.HORIZON, S.TARGET_DATE, S.PART, S.UNITS]
SAVE_KEYS = [S.ORIGIN, S.PRODUCT_ID, S.HORIZON, S.TARGET_DATE, S.UNITS]
# a small grid: objective x tree size (learning rate 0.05, early stopping on validation)
LGBM_CONFIGS: tuple[dict[str, object], ...] = (
    {"objective": "tweedie", "tweedie_variance_power": 1.2, "num_leaves": 15, "min_data_in_leaf": 100},
    {"objective": "tweedie", "tweedie_variance_power": 1.5, "num_leaves": 15, "min_data_in_leaf": 100},
    {"objective": "poisson", "num_leaves": 15, "min_data_in_leaf": 100},
    {"objective": "tweedie", "tweedie_variance_power": 1.2, "num_leaves": 31, "min_data_in_leaf": 50},
)
LGBM_BASE = {"learning_rate": 0.05, "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1,
             "lambda_l2": 1.0, "verbose": -1}


def panel_matrix(panel: pd.DataFrame, column: str = S.UNITS) -> tuple[np.ndarray, pd.DatetimeIndex, np.ndarray]:
    """(product ids, days, product x day matrix of ``column``) from the dense demand panel."""
    _require(panel, [S.PRODUCT_ID, S.DATE, column], "panel")
    p = panel.sort_values([S.PRODUCT_ID, S.DATE])
    pids = p[S.PRODUCT_ID].drop_duplicates().to_numpy()
    dates = pd.DatetimeIndex(p[S.DATE].drop_duplicates().sort_values())
    if len(p) != len(pids) * len(dates):
        raise ValueError("panel: expected a dense product x day table (labkit.features.demand.demand_panel)")
    return pids, dates, p[column].to_numpy(np.float64).reshape(len(pids), len(dates))


def row_index(rows: pd.DataFrame, pids: np.ndarray, dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Panel row (product) and column (origin day) of each forecast row; ValueError if absent."""
    _require(rows, [S.ORIGIN, S.PRODUCT_ID, S.HORIZON], "rows")
    pi = pd.Index(pids).get_indexer(rows[S.PRODUCT_ID])
    oi = dates.get_indexer(pd.DatetimeIndex(rows[S.ORIGIN]).as_unit(dates.unit))
    if (pi < 0).any() or (oi < 0).any():
        raise ValueError(f"rows: {int((pi < 0).sum())} product ids and {int((oi < 0).sum())} origins "
                         "are not in the panel")
    return pi, oi


def seasonal_naive(panel: pd.DataFrame, rows: pd.DataFrame, season: int = 7) -> np.ndarray:
    """Units on the last same weekday known at the origin: day target - season * ceil(h / season)."""
    pids, dates, units = panel_matrix(panel)
    pi, oi = row_index(rows, pids, dates)
    h = rows[S.HORIZON].to_numpy(int)
    if (h < 1).any():
        raise ValueError("rows: horizons must be >= 1")
    src = oi + h - season * np.ceil(h / season).astype(int)  # <= oi by construction
    return np.where(src >= 0, units[pi, np.maximum(src, 0)], 0.0)


def moving_average(panel: pd.DataFrame, rows: pd.DataFrame, window: int = 28) -> np.ndarray:
    """Mean units over the ``window`` days ending on the origin, counting on-sale days only."""
    pids, dates, units = panel_matrix(panel)
    live = panel_matrix(panel, "on_sale")[2] if "on_sale" in panel.columns else np.ones_like(units)
    pi, oi = row_index(rows, pids, dates)
    z = np.zeros((len(pids), 1))
    cu = np.concatenate([z, np.cumsum(units * live, axis=1)], axis=1)
    cn = np.concatenate([z, np.cumsum(live, axis=1)], axis=1)
    lo = np.maximum(oi + 1 - window, 0)
    n = cn[pi, oi + 1] - cn[pi, lo]
    return np.where(n > 0, (cu[pi, oi + 1] - cu[pi, lo]) / np.maximum(n, 1), 0.0)


def feature_names(frame: pd.DataFrame) -> list[str]:
    """LightGBM inputs: every demand feature plus the horizon (keys, part and label excluded)."""
    return [S.HORIZON] + [c for c in frame.columns if c not in DEMAND_KEYS]


@dataclass
class LightGBMForecaster:
    """Global LightGBM on the demand features, tuned on validation, refit on train + validation."""

    configs: Sequence[dict[str, object]] = LGBM_CONFIGS
    max_rounds: int = 3000
    early_stopping: int = 100
    refit: bool = True
    seed: int = 0
    threads: int | None = None  # LightGBM threads (None: labkit.runtime.default_threads)
    features: list[str] = field(default_factory=list)
    params: dict[str, object] = field(default_factory=dict)
    rounds: int = 0
    tuning: pd.DataFrame | None = None
    booster: object = None

    def _params(self, config: dict[str, object]) -> dict[str, object]:
        return {**LGBM_BASE, **config, "seed": self.seed, "num_threads": self.threads or default_threads(),
                "deterministic": True}

    def fit(self, train: pd.DataFrame, valid: pd.DataFrame, verbose: bool = True) -> "LightGBMForecaster":
        """Try each config with early stopping on ``valid`` (Tweedie/Poisson deviance), keep the best valid WAPE."""
        import lightgbm as lgb

        for name, df in (("train", train), ("valid", valid)):
            _require(df, [S.UNITS, S.HORIZON], name)
            if len(df) == 0:
                raise ValueError(f"{name}: no rows")
        self.features = feature_names(train)
        rows = []
        best = (np.inf, None, 0)
        for config in self.configs:
            t0 = time.perf_counter()
            params = self._params(config)
            dtrain = lgb.Dataset(train[self.features], train[S.UNITS].to_numpy(), free_raw_data=False)
            dvalid = lgb.Dataset(valid[self.features], valid[S.UNITS].to_numpy(), reference=dtrain)
            model = lgb.train(params, dtrain, self.max_rounds, valid_sets=[dvalid],
                              callbacks=[lgb.early_stopping(self.early_stopping, verbose=False)])
            score = wape(valid[S.UNITS], model.predict(valid[self.features], num_iteration=model.best_iteration))
            rows.append({**config, "rounds": model.best_iteration, "valid_wape": score,
                         "seconds": round(time.perf_counter() - t0, 1)})
            if verbose:
                print(f"lightgbm {config}: {model.best_iteration} rounds, valid WAPE {score:.4f}")
            if score < best[0]:
                best = (score, model, model.best_iteration)
                self.params = params
        self.tuning = pd.DataFrame(rows)
        self.rounds = max(int(best[2]), 1)
        self.booster = best[1]
        if self.refit:
            both = pd.concat([train, valid], ignore_index=True)
            self.booster = lgb.train(self.params, lgb.Dataset(both[self.features], both[S.UNITS].to_numpy()),
                                     self.rounds)
        return self

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """Expected units of each row (ValueError before ``fit``)."""
        if self.booster is None:
            raise ValueError("LightGBMForecaster: call fit() first")
        _require(rows, self.features, "rows")
        kw = {} if self.refit else {"num_iteration": self.rounds}
        return np.maximum(self.booster.predict(rows[self.features], **kw), 0.0)


def ensemble(*preds: np.ndarray, weights: Sequence[float] | None = None) -> np.ndarray:
    """Weighted average of forecasts (default: plain mean), e.g. LSTM and LightGBM."""
    if not preds:
        raise ValueError("ensemble: give at least one forecast")
    arr = np.stack([np.asarray(p, dtype=np.float64) for p in preds])
    w = np.full(len(preds), 1 / len(preds)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(preds),) or not np.isclose(w.sum(), 1.0):
        raise ValueError(f"weights: expected {len(preds)} weights summing to 1, got {weights}")
    return np.tensordot(w, arr, axes=1)


def save_forecasts(rows: pd.DataFrame, preds: dict[str, np.ndarray], profile: str, name: str = "demand_test",
                   seed: int = 0, dataset: str = DEFAULT_DATASET, root: Path | None = None) -> Path:
    """Write the artifact ``forecasts/<name>`` of (profile, seed, dataset): keys, ``units``, one column per model."""
    _require(rows, SAVE_KEYS, "rows")
    out = rows[SAVE_KEYS].reset_index(drop=True).copy()
    for model, p in preds.items():
        p = np.asarray(p, dtype=np.float64)
        if p.shape != (len(out),) or np.isnan(p).any():
            raise ValueError(f"preds[{model!r}]: expected {len(out)} finite values, got shape {p.shape}")
        if model in out.columns:
            raise ValueError(f"preds: model name {model!r} clashes with a key column")
        out[model] = p
    store = ArtifactStore(profile, seed, dataset, root)
    path = store.path(f"forecasts/{name}")
    out.to_parquet(path, index=False)
    store.record(f"forecasts/{name}", {"rows": len(out), "models": sorted(preds)})
    return path


def load_forecasts(profile: str, name: str = "demand_test", seed: int = 0, dataset: str = DEFAULT_DATASET,
                   root: Path | None = None) -> pd.DataFrame:
    """Read forecasts written by :func:`save_forecasts` (06 and 07 start here); the error names 03 if missing."""
    return pd.read_parquet(ArtifactStore(profile, seed, dataset, root).require(f"forecasts/{name}"))


def lightgbm_fitter(config: Mapping[str, object] | None = None, seed: int = 0, threads: int = 1,
                    valid_origins: int = 4) -> Callable[[pd.DataFrame], LightGBMForecaster]:
    """``fit(rows)`` for :class:`LightGBMForecaster` with one config (default ``LGBM_CONFIGS[0]``): 07's backtest.

    Early stopping uses the rows of the last ``valid_origins`` origins given; the trees are then
    refit on all rows given. Fitting rows: those with target days up to the first validation origin.
    """
    import lightgbm as lgb

    if valid_origins < 1:
        raise ValueError(f"valid_origins must be >= 1, got {valid_origins}")
    cfg = dict(config if config is not None else LGBM_CONFIGS[0])

    def fit(rows: pd.DataFrame) -> LightGBMForecaster:
        origins = weekly_origins(rows)
        if len(origins) <= valid_origins:
            raise ValueError(f"rows: {len(origins)} origins, need more than valid_origins={valid_origins}")
        first = origins[-valid_origins]
        train = rows.loc[rows[S.TARGET_DATE] <= first]
        valid = rows.loc[rows[S.ORIGIN] >= first]
        model = LightGBMForecaster(configs=[cfg], seed=seed, threads=threads, refit=False)
        model.fit(train, valid, verbose=False)
        model.booster = lgb.train(model.params, lgb.Dataset(rows[model.features], rows[S.UNITS].to_numpy()),
                                  model.rounds)  # refit on every row given, early-stopped round count
        return model

    return fit

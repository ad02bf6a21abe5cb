"""Purchase-intent models of 03_lstm: logistic regression, tuned LightGBM, LSTM/GRU, an ensemble.

Every model trains on the train part, picks its settings on the validation part (the
same number of configurations for LightGBM and the sequence model: an honest budget)
and is scored once on test next to the state oracle (:mod:`labkit.models.purchase_intent.data`)::

    data = load_intent("quick")
    train, valid, test = (data.part(p) for p in ("train", "valid", "test"))
    gbm = fit_lightgbm(train, valid, budget=5)
    seq, runs = tune_sequence_classifier(train, valid, sequence_configs(prof, budget=5))
    ens = fit_ensemble({"lstm": seq.predict(valid), "lightgbm": gbm.predict(valid)}, valid.y)
    ens.predict({"lstm": seq.predict(test), "lightgbm": gbm.predict(test)})
"""

from __future__ import annotations

import itertools
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ...profiles import get_profile
from ...runtime import default_threads
from .data import ORACLE, IntentData, load_intent
from .sequence import (
    SeqConfig,
    SequenceClassifier,
    SequenceModel,
    StaticScaler,
    fit_sequence_classifier,
    tune_sequence_classifier,
)

__all__ = [
    "ORACLE", "Ensemble", "IntentData", "LightGBMIntent", "SeqConfig", "SequenceClassifier", "SequenceModel",
    "StaticScaler", "fit_ensemble", "fit_lightgbm", "fit_logreg", "fit_sequence_classifier",
    "learning_curve", "lightgbm_configs", "load_intent", "sequence_configs",
    "tune_sequence_classifier",
]

LGBM_GRID = {
    "num_leaves": [15, 31, 63, 127],
    "min_child_samples": [20, 50, 100, 200],
    "learning_rate": [0.02, 0.05, 0.1],
    "feature_fraction": [0.5, 0.7, 0.9],
    "lambda_l2": [0.0, 1.0, 10.0],
}
LGBM_DEFAULT = {"num_leaves": 31, "min_child_samples": 50, "learning_rate": 0.05, "feature_fraction": 0.7,
                "lambda_l2": 1.0}


def _columns(data: IntentData, features: list[str] | None) -> np.ndarray:
    if features is None:
        return data.X
    unknown = sorted(set(features) - set(data.features))
    if unknown:
        raise ValueError(f"features: unknown column(s) {unknown[:10]}")
    return data.X[:, [data.features.index(f) for f in features]]


def fit_logreg(train: IntentData, features: list[str] | None = None, C: float = 1.0,
               class_weight: str | dict | None = None):
    """Logistic regression on signed-log, standardized static features (a scikit-learn Pipeline).

    Score with ``model.predict_proba(X)[:, 1]``; ``X`` the same ``features`` columns. ``class_weight``
    (scikit-learn's, e.g. ``"balanced"``) reweights the classes: 07_evaluation's miscalibrated case.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    model = make_pipeline(FunctionTransformer(lambda X: np.sign(X) * np.log1p(np.abs(X))), StandardScaler(),
                          LogisticRegression(C=C, max_iter=2000, class_weight=class_weight))
    model.fit(_columns(train, features), train.y)
    model.features_ = features
    return model


def lightgbm_configs(budget: int, seed: int = 0) -> list[dict[str, float]]:
    """``budget`` LightGBM settings: a sensible default first, then distinct random draws from :data:`LGBM_GRID`."""
    if budget < 1:
        raise ValueError(f"budget must be >= 1, got {budget}")
    grid = [dict(zip(LGBM_GRID, v)) for v in itertools.product(*LGBM_GRID.values())]
    rng = np.random.default_rng(seed)
    draws = [grid[i] for i in rng.permutation(len(grid)) if grid[i] != LGBM_DEFAULT]
    return [dict(LGBM_DEFAULT)] + draws[:budget - 1]


@dataclass
class LightGBMIntent:
    """The best booster of a tuning run, its settings and every trial (validation AUC, rounds, seconds)."""

    booster: object
    params: dict[str, object]
    features: list[str] | None
    trials: pd.DataFrame = field(repr=False)

    def predict(self, data: IntentData) -> np.ndarray:
        return self.booster.predict(_columns(data, self.features), num_iteration=self.booster.best_iteration)


def fit_lightgbm(train: IntentData, valid: IntentData, features: list[str] | None = None,
                        budget: int = 5, seed: int = 0, threads: int | None = None, max_rounds: int = 3000,
                        patience: int = 100) -> LightGBMIntent:
    """Try ``budget`` configurations (:func:`lightgbm_configs`), each with early stopping on validation
    AUC; keep the best. ``trials`` records every configuration's AUC, rounds and seconds."""
    import lightgbm as lgb

    Xt, Xv = _columns(train, features), _columns(valid, features)
    names = features or train.features
    dtrain = lgb.Dataset(Xt, train.y, feature_name=names, free_raw_data=False,
                         params={"feature_pre_filter": False, "verbose": -1})
    dvalid = lgb.Dataset(Xv, valid.y, reference=dtrain, feature_name=names)
    best, rows = None, []
    for i, cfg in enumerate(lightgbm_configs(budget, seed)):
        params = {"objective": "binary", "metric": "auc", "verbose": -1, "num_threads": threads or default_threads(), "seed": seed,
                  "deterministic": True, "bagging_fraction": 0.8, "bagging_freq": 1, **cfg}
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Overriding the parameters from Reference Dataset")
            booster = lgb.train(params, dtrain, max_rounds, valid_sets=[dvalid],
                                callbacks=[lgb.early_stopping(patience, verbose=False)])
        auc = booster.best_score["valid_0"]["auc"]
        rows.append({**cfg, "valid_auc": auc, "rounds": booster.best_iteration,
                     "seconds": round(time.perf_counter() - t0, 1)})
        if best is None or auc > best[0]:
            best = (auc, booster, params)
    return LightGBMIntent(best[1], best[2], features, pd.DataFrame(rows))


def sequence_configs(profile: object, budget: int = 5, max_train_rows: int | None = None,
                     last_events: int | None = None) -> list[SeqConfig]:
    """``budget`` sequence-model settings around the profile's epochs and batch size: the default
    first, then learning rate, dropout and weight decay varied (the same budget LightGBM gets)."""

    prof = get_profile(profile)
    if budget < 1:
        raise ValueError(f"budget must be >= 1, got {budget}")
    base = {"epochs": prof.lstm_epochs, "batch_size": prof.batch_size, "max_train_rows": max_train_rows,
            "max_valid_rows": prof.seq_valid_rows, "last_events": last_events}
    variants = [{}, {"lr": 1e-3}, {"lr": 4e-3}, {"dropout": 0.3, "weight_decay": 1e-4}, {"lr": 4e-3, "dropout": 0.3},
                {"lr": 2e-3, "weight_decay": 1e-3}]
    return [SeqConfig(**base, **v) for v in (variants * (budget // len(variants) + 1))[:budget]]


def _rank(p: np.ndarray) -> np.ndarray:
    return (pd.Series(p).rank(method="average").to_numpy() / len(p)) if len(p) else p


@dataclass(frozen=True)
class Ensemble:
    """A weighted mean of models' probabilities (``method="mean"``) or of their rank fractions (``"rank"``)."""

    weights: dict[str, float]
    method: str = "mean"
    valid_auc: float = float("nan")

    def predict(self, probs: dict[str, np.ndarray]) -> np.ndarray:
        missing = sorted(set(self.weights) - set(probs))
        if missing:
            raise ValueError(f"probs: missing model(s) {missing}")
        f = _rank if self.method == "rank" else (lambda p: np.asarray(p, dtype=np.float64))
        return sum(w * f(probs[k]) for k, w in self.weights.items())


def fit_ensemble(valid_probs: dict[str, np.ndarray], y_valid: np.ndarray, method: str = "mean",
                 steps: int = 20) -> Ensemble:
    """Weights on a grid of 1/``steps`` (summing to 1) maximising validation ROC-AUC."""
    from sklearn.metrics import roc_auc_score

    if method not in ("mean", "rank"):
        raise ValueError(f"method must be 'mean' or 'rank', got {method!r}")
    names = list(valid_probs)
    if len(names) < 2:
        raise ValueError(f"valid_probs: need at least two models, got {names}")
    if len(names) > 4:
        raise ValueError("fit_ensemble searches a weight grid: use at most 4 models")
    lengths = {len(v) for v in valid_probs.values()} | {len(y_valid)}
    if len(lengths) != 1:
        raise ValueError(f"valid_probs and y_valid must have one length, got {sorted(lengths)}")
    best = None
    for combo in itertools.product(range(steps + 1), repeat=len(names) - 1):
        if sum(combo) > steps:
            continue
        w = dict(zip(names, [c / steps for c in combo] + [(steps - sum(combo)) / steps]))
        ens = Ensemble(w, method)
        auc = roc_auc_score(y_valid, ens.predict(valid_probs))
        if best is None or auc > best.valid_auc + 1e-12:
            best = Ensemble(w, method, float(auc))
    return best


def learning_curve(fit_fn: Callable[[IntentData], Callable[[IntentData], np.ndarray]], train: IntentData,
                   sizes: list[int], evaluate_on: IntentData, seed: int = 0) -> pd.DataFrame:
    """ROC-AUC on ``evaluate_on`` of models trained on the rows of ``sizes`` random training users.

    ``fit_fn(train_subset)`` trains a model and returns its predict function (data -> probabilities).
    One row per size: n_users, n_rows, roc_auc, seconds.
    """
    from sklearn.metrics import roc_auc_score

    if not sizes:
        raise ValueError("sizes: need at least one number of users")
    rows = []
    for n in sizes:
        sub = train.sample_users(int(n), seed=seed)
        t0 = time.perf_counter()
        predict = fit_fn(sub)
        auc = roc_auc_score(evaluate_on.y, predict(evaluate_on))
        rows.append({"n_users": int(n), "n_rows": len(sub), "roc_auc": float(auc),
                     "seconds": round(time.perf_counter() - t0, 1)})
    return pd.DataFrame(rows)

"""Online Shoppers (UCI) purchase intent from aggregated session features: MLP vs LightGBM, 5-fold CV.

The real-data track of 03_lstm: the file has no event sequences, only per-session
aggregates, so the comparison is a tabular one. Every preprocessing step, tuning choice and
(optional) resampling is fitted inside the training fold; the test fold is only scored::

    df = load_online_shoppers(DATA_DIR)
    table = cross_validate_shoppers(df, folds=5, seed=0, threads=2)
    summarise_cv(table)          # roc_auc / pr_auc mean and std per model

Introduced in 03_lstm.
"""

from __future__ import annotations

import time
import warnings
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from ...datasets.online_shoppers import (CODE_COLUMNS, COUNT_COLUMNS, DURATION_COLUMNS, MONTH_SPELLINGS, MONTHS,
                                        RATE_COLUMNS, VISITOR_TYPES)

__all__ = ["HEAVY_COLUMNS", "LGBM_CONFIGS", "MODELS", "cross_validate_shoppers", "fit_lightgbm", "fit_mlp",
           "oversample", "shoppers_features", "shoppers_folds", "summarise_cv"]

HEAVY_COLUMNS = COUNT_COLUMNS + DURATION_COLUMNS + ("PageValues",)  # heavy-tailed: log1p before scaling
# the tuning budget of LightGBM: these settings, each early-stopped on an inner validation split
LGBM_CONFIGS = (
    {"num_leaves": 15, "learning_rate": 0.05, "min_child_samples": 20, "feature_fraction": 0.8},
    {"num_leaves": 31, "learning_rate": 0.05, "min_child_samples": 50, "feature_fraction": 0.8},
    {"num_leaves": 7, "learning_rate": 0.05, "min_child_samples": 50, "feature_fraction": 0.6},
)
Fitted = Callable[[pd.DataFrame], np.ndarray]  # X -> purchase probability


def shoppers_features(df: pd.DataFrame, categorical: str = "onehot") -> tuple[pd.DataFrame, np.ndarray]:
    """Model inputs ``X`` and the 0/1 label ``y`` (``Revenue``) of a loaded Online Shoppers table.

    Numeric columns are kept as they are (counts, durations, rates, ``PageValues``, and the
    integer codes OperatingSystems/Browser/Region/TrafficType); ``Weekend`` becomes 0/1.
    ``categorical="onehot"``: Month and VisitorType one-hot over fixed categories (all 12
    months, 3 visitor types), so every fold has the same columns. ``"category"``: Month,
    VisitorType and the 4 codes as pandas categoricals (for LightGBM). Nothing derived from
    the label or from other rows; ``X`` keeps ``df``'s index. Introduced in 03_lstm.
    """
    if categorical not in ("onehot", "category"):
        raise ValueError(f"categorical must be 'onehot' or 'category', got {categorical!r}")
    missing = [c for c in HEAVY_COLUMNS + RATE_COLUMNS + CODE_COLUMNS + ("Month", "VisitorType", "Weekend", "Revenue")
               if c not in df.columns]
    if missing:
        raise ValueError(f"missing column(s) {', '.join(missing)}; expected a table from load_online_shoppers")
    month = df["Month"].astype("str").str.strip().str.lower().map(MONTH_SPELLINGS)
    if month.isna().any():
        raise ValueError(f"column Month: unknown value {df['Month'][month.isna()].iloc[0]!r}; expected Jan .. Dec")
    month = pd.Categorical(month, categories=MONTHS)
    visitor = pd.Categorical(df["VisitorType"].astype("str"), categories=VISITOR_TYPES)
    X = df[list(HEAVY_COLUMNS + RATE_COLUMNS + CODE_COLUMNS)].astype("float64")
    if categorical == "onehot":
        parts = [X, pd.get_dummies(pd.Series(month, index=df.index), prefix="Month", dtype="float64"),
                 pd.get_dummies(pd.Series(visitor, index=df.index), prefix="VisitorType", dtype="float64")]
        X = pd.concat(parts, axis=1)
    else:
        for col in CODE_COLUMNS:
            X[col] = pd.Categorical(df[col].astype("int64"), categories=sorted(df[col].astype("int64").unique()))
        X["Month"], X["VisitorType"] = month, visitor
    X["Weekend"] = df["Weekend"].astype(bool).astype("float64")
    return X, df["Revenue"].to_numpy(dtype=np.int64)


def shoppers_folds(y: np.ndarray, folds: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) positions of ``StratifiedKFold(folds, shuffle=True, random_state=seed)``."""
    from sklearn.model_selection import StratifiedKFold

    return list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))


def oversample(X: pd.DataFrame, y: np.ndarray, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Random oversampling: repeat minority-class rows (drawn with replacement) until the classes balance.

    Only ever called on training rows (see :func:`cross_validate_shoppers`); rows keep their index.
    Caveat: the MLP's early-stopping split is drawn after oversampling, so copies of a row sit on
    both sides of it (measured on the real file: MLP AUC 0.904 with oversampling vs 0.927 without).
    """
    rng = np.random.default_rng(seed)
    counts = np.bincount(y, minlength=2)
    minority = int(np.argmin(counts))
    extra = rng.choice(np.flatnonzero(y == minority), counts.max() - counts.min(), replace=True)
    take = np.concatenate([np.arange(len(y)), extra])
    return X.iloc[take], y[take]


def _resampler(resample: str) -> Callable[[pd.DataFrame, np.ndarray, int], tuple[pd.DataFrame, np.ndarray]]:
    if resample == "none":
        return lambda X, y, seed: (X, y)
    if resample == "oversample":
        return lambda X, y, seed: oversample(X, y, seed)  # looked up at call time (tests spy on it)
    raise ValueError(f"resample must be 'none' or 'oversample', got {resample!r}")


def fit_lightgbm(X: pd.DataFrame, y: np.ndarray, seed: int = 0, threads: int = 1, resample: str = "none",
             max_rounds: int = 2000, patience: int = 50) -> Fitted:
    """LightGBM tuned inside the training rows only: 20 % of them (stratified) are an inner validation
    split; each of :data:`LGBM_CONFIGS` is early-stopped on its AUC; the best setting is refitted on
    all training rows for its best number of rounds. Resampling touches the inner training part
    (and the refit), never the inner validation split. ``X`` as ``shoppers_features(categorical="category")``.
    """
    import lightgbm as lgb
    from sklearn.model_selection import train_test_split

    fit_rows, val_rows = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=seed)
    Xf, yf = _resampler(resample)(X.iloc[fit_rows], y[fit_rows], seed)
    base = {"objective": "binary", "metric": "auc", "verbose": -1, "num_threads": threads, "seed": seed,
            "deterministic": True, "force_row_wise": True, "bagging_fraction": 0.8, "bagging_freq": 1}
    best = (-1.0, None, 0)
    for cfg in LGBM_CONFIGS:
        dfit = lgb.Dataset(Xf, yf, params={"verbose": -1})
        dval = lgb.Dataset(X.iloc[val_rows], y[val_rows], reference=dfit)
        booster = lgb.train({**base, **cfg}, dfit, max_rounds, valid_sets=[dval],
                            callbacks=[lgb.early_stopping(patience, verbose=False)])
        auc = booster.best_score["valid_0"]["auc"]
        if auc > best[0]:
            best = (auc, cfg, booster.best_iteration)
    Xa, ya = _resampler(resample)(X, y, seed)
    final = lgb.train({**base, **best[1]}, lgb.Dataset(Xa, ya, params={"verbose": -1}), max(best[2], 1))
    return lambda Xt: final.predict(Xt)


def fit_mlp(X: pd.DataFrame, y: np.ndarray, seed: int = 0, threads: int = 1, resample: str = "none",
            hidden: tuple[int, ...] = (64, 32)) -> Fitted:
    """scikit-learn MLP: log1p + standard scaling of :data:`HEAVY_COLUMNS`, scaling of the rates,
    one-hot of the 4 integer codes, then ``MLPClassifier(early_stopping=True)`` (its 10 % validation
    split is carved from the training rows). Every step is fitted on the training rows only.
    ``X`` as ``shoppers_features(categorical="onehot")``. BLAS runs single-threaded whatever
    ``threads`` says: its matrices (batches of 256 rows, ~70 inputs, 64 units) are too small to gain from threads.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
    from threadpoolctl import threadpool_limits

    heavy, codes = list(HEAVY_COLUMNS), list(CODE_COLUMNS)
    rest = [c for c in X.columns if c not in heavy + codes]
    prep = ColumnTransformer([
        ("heavy", make_pipeline(FunctionTransformer(np.log1p), StandardScaler()), heavy),
        ("codes", OneHotEncoder(handle_unknown="ignore", min_frequency=10, sparse_output=False), codes),
        ("rest", StandardScaler(), rest)])
    net = MLPClassifier(hidden, alpha=1e-3, batch_size=256, learning_rate_init=3e-3, max_iter=200,
                        early_stopping=True, validation_fraction=0.1, n_iter_no_change=20, random_state=seed)
    model = make_pipeline(prep, net)
    Xr, yr = _resampler(resample)(X, y, seed)
    with threadpool_limits(1), warnings.catch_warnings():  # tiny matmuls: extra BLAS threads only spin
        warnings.filterwarnings("ignore", category=UserWarning, message=".*unknown categories.*")
        model.fit(Xr, yr)

    def predict(Xt: pd.DataFrame) -> np.ndarray:
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, message=".*unknown categories.*")
            return model.predict_proba(Xt)[:, 1]
    return predict


MODELS = {"lgbm": (fit_lightgbm, "category"), "mlp": (fit_mlp, "onehot")}  # name -> (fit, feature encoding)


def cross_validate_shoppers(df: pd.DataFrame, models: Iterable[str] = ("lgbm", "mlp"), folds: int = 5,
                            seed: int = 0, threads: int = 1, resample: str = "none",
                            max_rows: int | None = None) -> pd.DataFrame:
    """Stratified ``folds``-fold CV of each model on a loaded Online Shoppers table.

    One row per (model, fold): ``roc_auc``, ``pr_auc`` (average precision), ``seconds`` (fit +
    predict), ``n_train``, ``n_test``, ``test_positive_rate``. The folds are the same for every
    model (:func:`shoppers_folds`). ``resample="oversample"`` balances the classes of the training
    rows only (:func:`oversample`); the default ``"none"`` suits ROC-AUC, which does not depend
    on the class ratio. ``max_rows`` keeps a stratified random subset first (quick runs).
    ``threads`` is LightGBM's ``num_threads``; 1 is the default because on 10k rows a second
    OpenMP thread gains little and, when the cores are shared, busy-waits (measured: 2 s per
    fold with 1 thread, 28 s with 2 on a loaded 2-core machine; the AUCs were identical).
    Deterministic for a fixed ``seed`` and ``threads``. Introduced in 03_lstm.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    models = list(models)
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; expected some of {', '.join(MODELS)}")
    _resampler(resample)  # validate early
    if max_rows is not None and max_rows < len(df):
        from sklearn.model_selection import train_test_split
        keep, _ = train_test_split(np.arange(len(df)), train_size=max_rows, stratify=df["Revenue"],
                                   random_state=seed)
        df = df.iloc[np.sort(keep)]
    inputs = {enc: shoppers_features(df, enc)[0] for enc in {MODELS[m][1] for m in models}}
    y = df["Revenue"].to_numpy(dtype=np.int64)
    rows = []
    for k, (train, test) in enumerate(shoppers_folds(y, folds, seed)):
        for name in models:
            fit, enc = MODELS[name]
            X = inputs[enc]
            t0 = time.perf_counter()
            predict = fit(X.iloc[train], y[train], seed=seed, threads=threads, resample=resample)
            p = predict(X.iloc[test])
            rows.append({"model": name, "fold": k, "roc_auc": roc_auc_score(y[test], p),
                         "pr_auc": average_precision_score(y[test], p), "seconds": time.perf_counter() - t0,
                         "n_train": len(train), "n_test": len(test), "test_positive_rate": y[test].mean()})
    return pd.DataFrame(rows)


def summarise_cv(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and (sample) std of ROC-AUC, PR-AUC and seconds per model, best ROC-AUC first."""
    out = table.groupby("model")[["roc_auc", "pr_auc", "seconds"]].agg(["mean", "std"])
    out.columns = [f"{metric}_{stat}" for metric, stat in out.columns]
    return out.sort_values("roc_auc_mean", ascending=False)

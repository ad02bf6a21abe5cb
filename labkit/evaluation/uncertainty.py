"""Confidence intervals for a score, and for the difference of two models' scores (07_evaluation).

Rows of a test set are rarely independent: one user contributes a row per cut-off, one product a
row per origin and horizon. Resampling rows then pretends there is more evidence than there is and
gives intervals that are too narrow. These helpers resample the **unit** the rows depend on (the
*cluster bootstrap*): draw units with replacement, keep every row of each drawn unit.

A unit drawn c times counts c times, so a replicate is the same rows with weights c; every metric
here is a weighted metric ``metric(y, pred, w) -> float`` (WAPE, ROC-AUC, macro-F1, R^2 all take
sample weights), which keeps 1,000 replicates cheap.

:func:`bootstrap_ci` gives a percentile interval of one score; :func:`paired_bootstrap` the interval
of the *difference* between two models scored on the same replicates, which is far narrower than
comparing two separate intervals (the models share the hard rows); :func:`leaderboard` puts both in
one table. :func:`delong` is the classic closed-form test for two ROC-AUCs on the same rows; it takes
rows as independent, which is what 07 puts next to the cluster bootstrap. Tests: tests/test_uncertainty.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from scipy import stats
from sklearn import metrics as skm

Metric = Callable[[np.ndarray, np.ndarray, np.ndarray], float]


def wape(y: np.ndarray, pred: np.ndarray, w: np.ndarray) -> float:
    """Weighted absolute percentage error: sum w |y - pred| / sum w y (lower is better)."""
    return float(np.sum(w * np.abs(y - pred)) / np.sum(w * y))


def roc_auc(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> float:
    """ROC-AUC with sample weights (higher is better): the weighted share of (positive, negative) pairs
    ranked right, ties counting one half. Equal to sklearn's ``roc_auc_score(y, p, sample_weight=w)``,
    several times faster, which matters over 1,000 replicates."""
    _, group = np.unique(p, return_inverse=True)  # tied scores share a group, groups in score order
    pos = np.bincount(group, weights=w * (y == 1))
    neg = np.bincount(group, weights=w * (y != 1))
    below = np.cumsum(neg) - neg
    return float(np.sum(pos * (below + 0.5 * neg)) / (pos.sum() * neg.sum()))


def macro_f1(y: np.ndarray, probs: np.ndarray, w: np.ndarray) -> float:
    """Macro-F1 of the most probable class; ``probs`` has one column per class (higher is better).

    F1 per class from the weighted confusion matrix, averaged over the classes present in ``y`` or
    predicted (sklearn's ``f1_score(..., average="macro")``)."""
    k = probs.shape[1]
    y = y.astype(np.int64)
    conf = np.bincount(y * k + probs.argmax(axis=1), weights=w, minlength=k * k).reshape(k, k)
    tp = np.diag(conf)
    denom = conf.sum(axis=0) + conf.sum(axis=1)  # 2 tp + fp + fn
    present = denom > 0
    return float(np.mean(2 * tp[present] / denom[present]))


def r2(y: np.ndarray, pred: np.ndarray, w: np.ndarray) -> float:
    """Coefficient of determination with sample weights (higher is better)."""
    return float(skm.r2_score(y, pred, sample_weight=w))



def unit_weights(units: object, n: int, seed: int) -> np.ndarray:
    """``n`` cluster-bootstrap replicates as row weights, shape (n, rows): how often each row's unit was drawn."""
    codes, uniques = pd.factorize(pd.Series(np.asarray(units)), sort=True)
    if len(codes) == 0:
        raise ValueError("units: expected at least one row")
    if (codes < 0).any():
        raise ValueError("units: missing values (every row needs the unit it depends on)")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: expected a positive number of replicates, got {n!r}")
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(uniques), np.full(len(uniques), 1 / len(uniques)), size=n)
    return counts[:, codes].astype(np.float64)


def _check(y: object, preds: Mapping[str, object], units: object) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    y = np.asarray(y)
    units = np.asarray(units)
    if len(units) != len(y):
        raise ValueError(f"units: expected one unit per row ({len(y)}), got {len(units)}")
    out = {}
    for name, p in preds.items():
        p = np.asarray(p, dtype=np.float64)
        if p.shape[0] != len(y):
            raise ValueError(f"predictions {name!r}: expected {len(y)} rows, got {p.shape[0]}")
        if not np.isfinite(p).all():
            raise ValueError(f"predictions {name!r}: contain NaN or infinite values")
        out[name] = p
    return y, out, units


def bootstrap_ci(metric: Metric, y: object, pred: object, units: object, n: int = 500, seed: int = 0,
                 level: float = 0.95) -> dict[str, float]:
    """The score on all rows and its percentile interval over ``n`` cluster-bootstrap replicates."""
    return leaderboard(metric, y, {"model": pred}, units, n=n, seed=seed, level=level).iloc[0, :3].to_dict()


def paired_bootstrap(metric: Metric, y: object, a: object, b: object, units: object, n: int = 500, seed: int = 0,
                     level: float = 0.95) -> dict[str, float]:
    """score(a) - score(b) on all rows, its interval, and the share of replicates where the sign flips."""
    board = leaderboard(metric, y, {"a": a, "b": b}, units, baseline="b", n=n, seed=seed, level=level)
    return board.loc["a", ["diff", "diff_lo", "diff_hi", "flip_share"]].to_dict()


def leaderboard(metric: Metric, y: object, preds: Mapping[str, object], units: object,
                baseline: str | None = None, n: int = 500, seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """One row per model: score, CI (``lo``, ``hi``); with ``baseline``, the paired difference to it.

    ``diff`` = score(model) - score(baseline) with its CI from the same replicates; ``flip_share`` is
    the share of replicates whose difference has the opposite sign (a bootstrap p-value, one-sided);
    ``real`` says whether the CI of the difference excludes 0.
    """
    y, preds, units = _check(y, preds, units)
    if not 0 < level < 1:
        raise ValueError(f"level: expected a probability in (0, 1), got {level}")
    if baseline is not None and baseline not in preds:
        raise ValueError(f"baseline: {baseline!r} is not among the models {sorted(preds)}")
    weights = unit_weights(units, n, seed)
    ones = np.ones(len(y))
    point = {m: metric(y, p, ones) for m, p in preds.items()}
    reps = {m: np.array([metric(y, p, w) for w in weights]) for m, p in preds.items()}
    q = [(1 - level) / 2, (1 + level) / 2]
    rows = {}
    for m in preds:
        lo, hi = np.quantile(reps[m], q)
        row = {"score": point[m], "lo": lo, "hi": hi}
        if baseline is not None:
            d = reps[m] - reps[baseline]
            diff = point[m] - point[baseline]
            row.update(diff=diff, diff_lo=np.quantile(d, q[0]), diff_hi=np.quantile(d, q[1]),
                       flip_share=float(np.mean(np.sign(d) != np.sign(diff))) if diff != 0 else 1.0)
            row["real"] = bool(row["diff_lo"] > 0 or row["diff_hi"] < 0)
        rows[m] = row
    return pd.DataFrame(rows).T.infer_objects()


def _placements(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's structural components: for each positive, the share of negatives it outranks (ties 1/2),
    and for each negative, the share of positives that outrank it. Their means are the ROC-AUC."""
    pos, neg = p[y == 1], p[y != 1]
    ranks_all = stats.rankdata(np.concatenate([pos, neg]))  # midranks: ties count one half
    v10 = (ranks_all[:len(pos)] - stats.rankdata(pos)) / len(neg)
    v01 = 1 - (ranks_all[len(pos):] - stats.rankdata(neg)) / len(pos)
    return v10, v01


def delong(y: object, a: object, b: object, level: float = 0.95) -> dict[str, float]:
    """DeLong's test of ROC-AUC(a) - ROC-AUC(b) on the same rows (DeLong, DeLong & Clarke-Pearson 1988).

    Var(diff) = Var(V10_a - V10_b) / positives + Var(V01_a - V01_b) / negatives, from the placements
    of :func:`_placements`; returns ``diff``, its normal interval ``lo``, ``hi``, ``z`` and the
    two-sided ``p``. Every row counts as an independent draw: no units (07_evaluation compares it with
    :func:`paired_bootstrap`).
    """
    y, preds, _ = _check(y, {"a": a, "b": b}, np.zeros(len(np.asarray(y))))
    if not 0 < level < 1:
        raise ValueError(f"level: expected a probability in (0, 1), got {level}")
    if not set(np.unique(y)) <= {0, 1} or len(np.unique(y)) < 2:
        raise ValueError("y: expected binary labels 0/1 with both classes present")
    (a10, a01), (b10, b01) = (_placements(y, preds[m]) for m in ("a", "b"))
    diff = float(a10.mean() - b10.mean())
    se = float(np.sqrt(np.var(a10 - b10, ddof=1) / len(a10) + np.var(a01 - b01, ddof=1) / len(a01)))
    half = stats.norm.ppf((1 + level) / 2) * se
    z = diff / se if se > 0 else (0.0 if diff == 0 else np.inf * np.sign(diff))
    return {"diff": diff, "lo": diff - half, "hi": diff + half, "z": float(z),
            "p": float(2 * stats.norm.sf(abs(z)))}

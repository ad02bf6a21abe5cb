"""Binary classification scores for purchase intent (03_lstm, reused by 05 and 07).

``classification_report(y, p, threshold)`` gives the ranking scores (ROC-AUC, PR-AUC),
the scores at one threshold (accuracy, precision, recall, F1), the probability scores
(log loss, ECE) and the base rate, all as fractions in [0, 1] (log loss in nats).
``choose_threshold`` picks the threshold on validation, never on test;
``reliability_table`` is the calibration plot's data.

ECE (expected calibration error) uses 15 equal-mass bins: the rows are sorted by
predicted probability and cut into 15 bins of (nearly) equal size; ECE is the
row-weighted mean over bins of |observed positive rate - mean predicted probability|.
Equal-mass bins keep every bin populated when probabilities crowd near 0, as they do
for a 12 % base rate. A perfectly calibrated predictor has ECE near 0 (exactly 0 only
in the limit: finite bins carry sampling noise of about sqrt(p (1 - p) / bin size)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics as skm

ECE_BINS = 15
THRESHOLD_METRICS = ("f1", "accuracy", "balanced_accuracy")


def _check(y: object, p: object, need_both: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Validated 0/1 labels (int) and probabilities (float64) of the same length."""
    y = np.asarray(y)
    p = np.asarray(p, dtype=np.float64)
    if y.ndim != 1 or p.ndim != 1:
        raise ValueError(f"y and p must be 1-D, got shapes {y.shape} and {p.shape}")
    if len(y) != len(p):
        raise ValueError(f"y and p must have the same length, got {len(y)} and {len(p)}")
    if len(y) == 0:
        raise ValueError("y and p are empty")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"y must hold only 0/1 labels, got values {np.unique(y)[:10]}")
    if not np.isfinite(p).all() or p.min() < 0 or p.max() > 1:
        raise ValueError("p must hold probabilities in [0, 1] (no NaN); apply a sigmoid to logits first")
    if need_both and len(np.unique(y)) < 2:
        raise ValueError("y holds one class only: ROC-AUC and PR-AUC are undefined")
    return y.astype(np.int64), p


def reliability_table(y: object, p: object, bins: int = ECE_BINS, strategy: str = "quantile") -> pd.DataFrame:
    """One row per probability bin: p_lo, p_hi, n, mean_p, frac_pos, gap (frac_pos - mean_p).

    ``strategy="quantile"`` makes equal-mass bins (the ECE's), ``"uniform"`` equal-width
    bins over [0, 1] (empty ones dropped).
    """
    y, p = _check(y, p, need_both=False)
    if not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be an int >= 1, got {bins!r}")
    if strategy == "quantile":
        order = np.argsort(p, kind="stable")
        groups = [g for g in np.array_split(order, min(bins, len(p))) if len(g)]
    elif strategy == "uniform":
        idx = np.minimum((p * bins).astype(np.int64), bins - 1)
        groups = [np.flatnonzero(idx == b) for b in range(bins)]
        groups = [g for g in groups if len(g)]
    else:
        raise ValueError(f"strategy must be 'quantile' or 'uniform', got {strategy!r}")
    rows = [(p[g].min(), p[g].max(), len(g), p[g].mean(), y[g].mean()) for g in groups]
    table = pd.DataFrame(rows, columns=["p_lo", "p_hi", "n", "mean_p", "frac_pos"])
    table["gap"] = table["frac_pos"] - table["mean_p"]
    table.index.name = "bin"
    return table


def expected_calibration_error(y: object, p: object, bins: int = ECE_BINS) -> float:
    """ECE over ``bins`` equal-mass bins (see the module docstring)."""
    t = reliability_table(y, p, bins, "quantile")
    return float((t["n"] * t["gap"].abs()).sum() / t["n"].sum())


def classification_report(y: object, p: object, threshold: float = 0.5) -> dict[str, float]:
    """roc_auc, pr_auc, accuracy, precision, recall, f1, log_loss, ece, base_rate and threshold.

    ``p`` are probabilities of the positive class; a row is predicted positive when
    ``p >= threshold``. PR-AUC is average precision (its chance level is the base rate).
    """
    y, p = _check(y, p)
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    pred = (p >= threshold).astype(np.int64)
    return {
        "roc_auc": float(skm.roc_auc_score(y, p)),
        "pr_auc": float(skm.average_precision_score(y, p)),
        "accuracy": float(skm.accuracy_score(y, pred)),
        "precision": float(skm.precision_score(y, pred, zero_division=0)),
        "recall": float(skm.recall_score(y, pred, zero_division=0)),
        "f1": float(skm.f1_score(y, pred, zero_division=0)),
        "log_loss": float(skm.log_loss(y, np.clip(p, 1e-7, 1 - 1e-7), labels=[0, 1])),
        "ece": expected_calibration_error(y, p),
        "base_rate": float(y.mean()),
        "threshold": float(threshold),
    }


def choose_threshold(y_valid: object, p_valid: object, metric: str = "f1", max_candidates: int = 1000) -> float:
    """The threshold that maximises ``metric`` (f1, accuracy or balanced_accuracy) on validation.

    Candidates are the distinct predicted probabilities (thinned to ``max_candidates``
    quantiles when there are more); ties go to the highest threshold.
    """
    if metric not in THRESHOLD_METRICS:
        raise ValueError(f"metric must be one of {THRESHOLD_METRICS}, got {metric!r}")
    y, p = _check(y_valid, p_valid)
    cand = np.unique(p)
    if len(cand) > max_candidates:
        cand = np.unique(np.quantile(p, np.linspace(0, 1, max_candidates)))
    # counts of positives / negatives predicted positive at each candidate (p >= t)
    order = np.argsort(p)
    ps, ys = p[order], y[order]
    first = np.searchsorted(ps, cand, side="left")
    pos_above = np.concatenate([np.cumsum(ys[::-1])[::-1], [0]])[first]
    n_above = len(p) - first
    n_pos, n_neg = ys.sum(), len(ys) - ys.sum()
    tp, fp = pos_above, n_above - pos_above
    fn, tn = n_pos - tp, n_neg - fp
    if metric == "f1":
        score = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros(len(cand)), where=(2 * tp + fp + fn) > 0)
    elif metric == "accuracy":
        score = (tp + tn) / len(y)
    else:
        score = 0.5 * (tp / n_pos + tn / n_neg)
    best = np.flatnonzero(score == score.max())[-1]
    return float(cand[best])

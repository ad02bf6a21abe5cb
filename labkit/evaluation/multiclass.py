"""Multiclass scores and a fair decision rule (introduced in 04_bert, used by every classifier after).

* :func:`macro_f1_report` -- accuracy, macro-F1 and per-class precision / recall / F1.
* :func:`class_bias_tuning` / :func:`apply_bias` -- per-class additive log-probability
  biases chosen on validation to maximise macro-F1. Apply them to every model compared
  or to none: a tuned model against an untuned one is not a fair comparison.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

BIAS_GRID = tuple(np.round(np.arange(-2.0, 2.01, 0.1), 2))


def labels_array(y: object, name: str) -> np.ndarray:
    """``y`` as a 1-d integer array of class ids (ValueError naming ``name`` otherwise)."""
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0 or not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise ValueError(f"{name}: expected a non-empty 1-d array of class ids 0, 1, ..., got {y.dtype} "
                         f"of shape {y.shape}")
    return y


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    """Macro-F1 over the classes present in ``y`` (a class never predicted scores 0)."""
    return float(f1_score(y, pred, average="macro", labels=np.unique(y), zero_division=0))


def macro_f1_report(y: object, pred: object, labels: Sequence[str] | None = None) -> dict[str, float]:
    """Accuracy, macro-F1 and per-class precision / recall / F1 (keys like ``recall_negative``).

    ``labels`` names the classes 0..k-1 (default: their ids); every class counts in the
    macro average, also one never predicted (F1 0).
    """
    y, pred = np.asarray(y), np.asarray(pred)
    if y.shape != pred.shape or y.ndim != 1 or y.size == 0:
        raise ValueError(f"y and pred: expected two 1-d arrays of the same length, got {y.shape} and {pred.shape}")
    k = int(max(y.max(), pred.max())) + 1 if labels is None else len(labels)
    names = [str(i) for i in range(k)] if labels is None else [str(n) for n in labels]
    if max(y.max(), pred.max()) >= k or min(y.min(), pred.min()) < 0:
        raise ValueError(f"y and pred: expected class ids 0..{k - 1} ({', '.join(names)})")
    p, r, f, n = precision_recall_fscore_support(y, pred, labels=np.arange(k), zero_division=0)
    out = {"accuracy": float(accuracy_score(y, pred)), "macro_f1": float(f.mean()), "n": int(y.size)}
    for i, name in enumerate(names):
        out.update({f"precision_{name}": float(p[i]), f"recall_{name}": float(r[i]), f"f1_{name}": float(f[i])})
    return out


def apply_bias(probs: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Probabilities shifted by per-class log-biases and renormalised: softmax(log p + b)."""
    probs, bias = np.asarray(probs, dtype=np.float64), np.asarray(bias, dtype=np.float64)
    if probs.ndim != 2 or bias.shape != (probs.shape[1],):
        raise ValueError(f"expected probs (n, k) and bias (k,), got {probs.shape} and {bias.shape}")
    z = np.log(np.clip(probs, 1e-12, None)) + bias
    z -= z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def class_bias_tuning(probs_valid: np.ndarray, y_valid: object, grid: Sequence[float] = BIAS_GRID,
                      rounds: int = 3) -> np.ndarray:
    """Per-class log-prob biases (class 0 fixed at 0) that maximise validation macro-F1.

    Coordinate ascent from zero biases over ``grid``; a change is kept only when it raises
    the validation macro-F1, so the result never scores below the plain argmax on
    validation. Judge it on the test part: the gain there is what counts.
    """
    probs = np.asarray(probs_valid, dtype=np.float64)
    y = labels_array(y_valid, "y_valid")
    if probs.ndim != 2 or probs.shape[0] != len(y) or y.max() >= probs.shape[1]:
        raise ValueError(f"probs_valid: expected (n_valid, n_classes) with n_valid={len(y)} and a column "
                         f"per class id in y_valid, got {probs.shape}")
    logp = np.log(np.clip(probs, 1e-12, None))
    bias = np.zeros(probs.shape[1])

    def score(b: np.ndarray) -> float:
        return macro_f1(y, (logp + b).argmax(1))

    best = score(bias)
    for _ in range(rounds):
        improved = False
        for c in range(1, probs.shape[1]):
            for v in grid:
                trial = bias.copy()
                trial[c] = v
                s = score(trial)
                if s > best + 1e-12:
                    best, bias, improved = s, trial, True
        if not improved:
            break
    return bias

"""Text-classification baselines and fair comparisons (introduced in 04_bert).

* :func:`fit_tfidf_logreg` -- TF-IDF of word 1-2-grams + logistic regression, ``C`` chosen on
  validation macro-F1 from a small grid (the baseline any BERT must beat).
* :func:`fit_embedding_logreg` -- the same on frozen sentence embeddings
  (:func:`labkit.models.bert.embed`): what pretraining gives without fine-tuning.
* :func:`macro_f1_report` -- accuracy, macro-F1 and per-class precision / recall / F1.
* :func:`class_bias_tuning` / :func:`apply_bias` -- per-class additive log-probability
  biases chosen on validation to maximise macro-F1. Apply them to every model compared
  or to none: a tuned model against an untuned one is not a fair comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

C_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
BIAS_GRID = tuple(np.round(np.arange(-2.0, 2.01, 0.1), 2))


@dataclass
class TunedText:
    """A fitted text classifier: ``predict_proba(X)`` (texts for TF-IDF, embeddings otherwise)."""

    model: object  # sklearn Pipeline
    C: float
    scores: pd.DataFrame = field(repr=False)  # C, valid_macro_f1 (one row per grid value)

    def predict_proba(self, X: object) -> np.ndarray:
        """Class probabilities, (n, n_classes)."""
        return self.model.predict_proba(X)

    def predict(self, X: object) -> np.ndarray:
        """Most probable class ids."""
        return self.predict_proba(X).argmax(1)


def _labels(y: object, name: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0 or not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise ValueError(f"{name}: expected a non-empty 1-d array of class ids 0, 1, ..., got {y.dtype} "
                         f"of shape {y.shape}")
    return y


def _macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, pred, average="macro", labels=np.unique(y), zero_division=0))


def _tune(prep, X_train: object, y_train: object, X_valid: object, y_valid: object, Cs: Sequence[float],
          scale: bool, max_iter: int) -> TunedText:
    """Fit ``prep`` on train once, then logistic regression for each C; keep the best on validation."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    y_train, y_valid = _labels(y_train, "y_train"), _labels(y_valid, "y_valid")
    if len(np.unique(y_train)) < 2:
        raise ValueError("y_train: expected at least two classes")
    if not Cs or min(Cs) <= 0:
        raise ValueError(f"Cs: expected positive regularisation strengths, got {Cs!r}")
    steps = [("features", prep)] if prep is not None else []
    if scale:
        steps.append(("scale", StandardScaler()))
    head = Pipeline(steps) if steps else None
    A_train = head.fit_transform(X_train) if head else np.asarray(X_train)
    A_valid = head.transform(X_valid) if head else np.asarray(X_valid)
    if A_train.shape[0] != len(y_train) or A_valid.shape[0] != len(y_valid):
        raise ValueError(f"expected one label per row: train {A_train.shape[0]} rows / {len(y_train)} labels, "
                         f"valid {A_valid.shape[0]} rows / {len(y_valid)} labels")
    rows, best = [], None
    for C in Cs:
        lr = LogisticRegression(C=float(C), max_iter=max_iter).fit(A_train, y_train)
        f1 = _macro_f1(y_valid, lr.predict(A_valid))
        rows.append({"C": float(C), "valid_macro_f1": f1})
        if best is None or f1 > best[0]:
            best = (f1, float(C), lr)
    model = Pipeline([*(head.steps if head else []), ("logreg", best[2])])
    return TunedText(model, best[1], pd.DataFrame(rows))


def fit_tfidf_logreg(train_texts: Sequence[str], y_train: object, valid_texts: Sequence[str], y_valid: object,
                     Cs: Sequence[float] = C_GRID, min_df: int = 1, max_features: int | None = 200_000,
                     max_iter: int = 2000) -> TunedText:
    """TF-IDF (word 1-2-grams, sublinear tf, fitted on train only) + logistic regression, C tuned."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    for name, t in (("train_texts", train_texts), ("valid_texts", valid_texts)):
        if isinstance(t, str) or not all(isinstance(x, str) for x in t):
            raise ValueError(f"{name}: expected a list of strings")
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=min_df, max_features=max_features,
                          strip_accents="unicode")
    return _tune(vec, list(train_texts), y_train, list(valid_texts), y_valid, Cs, scale=False, max_iter=max_iter)


def fit_embedding_logreg(train_emb: np.ndarray, y_train: object, valid_emb: np.ndarray, y_valid: object,
                         Cs: Sequence[float] = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0), max_iter: int = 2000) -> TunedText:
    """Standardised frozen embeddings + logistic regression, C tuned on validation macro-F1."""
    for name, a in (("train_emb", train_emb), ("valid_emb", valid_emb)):
        if np.asarray(a).ndim != 2:
            raise ValueError(f"{name}: expected a 2-d array (n_texts, dim), got shape {np.shape(a)}")
    return _tune(None, train_emb, y_train, valid_emb, y_valid, Cs, scale=True, max_iter=max_iter)


def macro_f1_report(y: object, pred: object, labels: Sequence[str] | None = None) -> dict[str, float]:
    """Accuracy, macro-F1 and per-class precision / recall / F1 (keys like ``recall_negative``).

    ``labels`` names the classes 0..k-1 (default: their ids); every class counts in the
    macro average, also one never predicted (F1 0).
    """
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

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
    y = _labels(y_valid, "y_valid")
    if probs.ndim != 2 or probs.shape[0] != len(y) or y.max() >= probs.shape[1]:
        raise ValueError(f"probs_valid: expected (n_valid, n_classes) with n_valid={len(y)} and a column "
                         f"per class id in y_valid, got {probs.shape}")
    logp = np.log(np.clip(probs, 1e-12, None))
    bias = np.zeros(probs.shape[1])

    def score(b: np.ndarray) -> float:
        return _macro_f1(y, (logp + b).argmax(1))

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

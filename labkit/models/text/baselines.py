"""Text-classification baselines and fair comparisons (introduced in 04_bert).

* :func:`fit_tfidf_logreg` -- TF-IDF of word 1-2-grams + logistic regression, ``C`` chosen on
  validation macro-F1 from a small grid (the baseline any BERT must beat).
* :func:`fit_embedding_logreg` -- the same on frozen sentence embeddings
  (:func:`labkit.models.text.embeddings.embed`): what pretraining gives without fine-tuning.

Their scores (macro-F1 reports, the class-bias decision rule) live in
:mod:`labkit.evaluation.multiclass`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ...evaluation.multiclass import labels_array, macro_f1

C_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)


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


def _tune(prep, X_train: object, y_train: object, X_valid: object, y_valid: object, Cs: Sequence[float],
          scale: bool, max_iter: int, class_weights: Sequence[str | None] = (None,)) -> TunedText:
    """Fit ``prep`` on train once, then logistic regression for each (C, class weight); keep the best on validation."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    y_train, y_valid = labels_array(y_train, "y_train"), labels_array(y_valid, "y_valid")
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
    if not class_weights or any(w not in (None, "balanced") for w in class_weights):
        raise ValueError(f"class_weights: expected a grid of None and/or 'balanced', got {class_weights!r}")
    rows, best = [], None
    for weight in class_weights:
        for C in Cs:
            lr = LogisticRegression(C=float(C), max_iter=max_iter, class_weight=weight).fit(A_train, y_train)
            f1 = macro_f1(y_valid, lr.predict(A_valid))
            rows.append({"C": float(C), **({"class_weight": str(weight)} if len(class_weights) > 1 else {}),
                         "valid_macro_f1": f1})
            if best is None or f1 > best[0]:
                best = (f1, float(C), lr)
    model = Pipeline([*(head.steps if head else []), ("logreg", best[2])])
    return TunedText(model, best[1], pd.DataFrame(rows))


def fit_tfidf_logreg(train_texts: Sequence[str], y_train: object, valid_texts: Sequence[str], y_valid: object,
                     Cs: Sequence[float] = C_GRID, min_df: int = 1, max_features: int | None = 200_000,
                     max_iter: int = 2000, class_weights: Sequence[str | None] = (None,)) -> TunedText:
    """TF-IDF (word 1-2-grams, sublinear tf, fitted on train only) + logistic regression, C tuned.

    ``class_weights``: the class weightings tried with each C (04b: ``(None, "balanced")``).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    for name, t in (("train_texts", train_texts), ("valid_texts", valid_texts)):
        if isinstance(t, str) or not all(isinstance(x, str) for x in t):
            raise ValueError(f"{name}: expected a list of strings")
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=min_df, max_features=max_features,
                          strip_accents="unicode")
    return _tune(vec, list(train_texts), y_train, list(valid_texts), y_valid, Cs, scale=False, max_iter=max_iter,
                 class_weights=class_weights)


def fit_embedding_logreg(train_emb: np.ndarray, y_train: object, valid_emb: np.ndarray, y_valid: object,
                         Cs: Sequence[float] = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0), max_iter: int = 2000) -> TunedText:
    """Standardised frozen embeddings + logistic regression, C tuned on validation macro-F1."""
    for name, a in (("train_emb", train_emb), ("valid_emb", valid_emb)):
        if np.asarray(a).ndim != 2:
            raise ValueError(f"{name}: expected a 2-d array (n_texts, dim), got shape {np.shape(a)}")
    return _tune(None, train_emb, y_train, valid_emb, y_valid, Cs, scale=True, max_iter=max_iter)

"""Are explanations faithful? SHAP, LIME and a deletion test (07_evaluation).

An attribution says which inputs a prediction rests on. The deletion test checks that claim
against the model itself: delete each row's ``k`` top-attributed inputs and, on the same rows,
``k`` random inputs; the score must drop more for the top-k. Usage in 07_evaluation::

    A = shap_values_lgbm(gbm.booster, X)                        # (n, d) log-odds contributions
    res = deletion_test(A, replace_features(X, X_train.mean(0)), logit_fn, ks=(1, 3, 5))
    deletion_summary(res, units=user_ids)                         # gap top - random, bootstrap CI by user

    exps = [lime_text(model.predict_proba, t, label=y) for t, y in zip(texts, ys)]
    A, delete = text_deletion_inputs(exps)                        # NaN-padded word weights, word dropper

Attributions are signed towards the score: the top-k are the k largest values (the inputs that
push the score up the most), so deleting them should lower it. ``NaN`` marks padding (a review
with fewer words than the longest one); random draws pick among the non-NaN inputs only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from .uncertainty import unit_weights

__all__ = ["TextExplanation", "deletion_summary", "deletion_test", "lime_text", "replace_features",
           "shap_values_lgbm", "text_deletion_inputs"]

Mask = np.ndarray  # bool (n, d): True = delete this input


def _ks(ks: int | Sequence[int]) -> list[int]:
    out = [ks] if isinstance(ks, (int, np.integer)) else list(ks)
    if not out or any(not isinstance(k, (int, np.integer)) or k < 1 for k in out):
        raise ValueError(f"ks: expected positive integers, got {ks!r}")
    return [int(k) for k in out]


def deletion_test(attributions: np.ndarray, delete: Callable[[Mask], object], score: Callable[[object], np.ndarray],
                  ks: int | Sequence[int] = (1, 3, 5), seed: int = 0, n_random: int = 1) -> pd.DataFrame:
    """Per-row score drops after deleting the top-k attributed inputs and k random inputs (07_evaluation).

    ``attributions`` (n, d), NaN = no such input; ``delete(mask)`` returns the n rows with the masked
    inputs deleted; ``score(rows)`` returns n scores. Random inputs come from one seeded random order
    per row, shared by every k (nested subsets); ``n_random`` orders are averaged. One output row per
    (row, k): ``row, k, score, drop_top, drop_random`` (drop = original score - score after deletion).
    """
    A = np.asarray(attributions, dtype=np.float64)
    if A.ndim != 2 or 0 in A.shape:
        raise ValueError(f"attributions: expected a non-empty 2-d array (n, d), got shape {A.shape}")
    ks = _ks(ks)
    if not isinstance(n_random, (int, np.integer)) or n_random < 1:
        raise ValueError(f"n_random: expected a positive integer, got {n_random!r}")
    valid = ~np.isnan(A)
    n, d = A.shape
    fewest = int(valid.sum(1).min())
    if max(ks) > fewest:
        raise ValueError(f"ks: k={max(ks)} exceeds the inputs available (d={d}, fewest in a row: {fewest})")

    def run(mask: Mask) -> np.ndarray:
        s = np.asarray(score(delete(mask)), dtype=np.float64)
        if s.shape != (n,):
            raise ValueError(f"score: expected {n} scores, one per row, got shape {s.shape}")
        return s

    def drop(order: np.ndarray, k: int) -> np.ndarray:
        mask = np.zeros((n, d), dtype=bool)
        np.put_along_axis(mask, order[:, :k], True, axis=1)
        return base - run(mask)

    base = run(np.zeros((n, d), dtype=bool))
    top = np.argsort(-np.where(valid, A, -np.inf), axis=1, kind="stable")
    rng = np.random.default_rng(seed)
    randoms = [np.argsort(np.where(valid, rng.random((n, d)), np.inf), axis=1) for _ in range(n_random)]
    frames = [pd.DataFrame({"row": np.arange(n), "k": k, "score": base, "drop_top": drop(top, k),
                            "drop_random": np.mean([drop(o, k) for o in randoms], axis=0)}) for k in ks]
    return pd.concat(frames, ignore_index=True)


def deletion_summary(result: pd.DataFrame, units: Sequence[object] | None = None, n_boot: int = 1000,
                     seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Mean drops per k and the gap top - random with a bootstrap CI over ``units`` (07_evaluation).

    ``units`` (one per row of the test, e.g. user ids; default: each row its own unit): whole units
    are resampled, so rows of one user are not counted as independent evidence. Columns: k, rows,
    units, drop_top, drop_random, gap, gap_low, gap_high, top_wins (share of rows with top > random).
    """
    need = {"row", "k", "drop_top", "drop_random"}
    if not isinstance(result, pd.DataFrame) or not need <= set(result.columns):
        raise ValueError(f"result: expected deletion_test's frame with columns {sorted(need)}")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot: expected a positive integer, got {n_boot!r}")
    if not 0 < level < 1:
        raise ValueError(f"level: expected a probability in (0, 1), got {level!r}")
    n = int(result["row"].max()) + 1
    u = np.arange(n) if units is None else np.asarray(units)
    if u.shape != (n,):
        raise ValueError(f"units: expected one unit per row ({n}), got shape {u.shape}")
    rows = []
    for k, g in result.groupby("k", sort=True):
        r = g["row"].to_numpy()
        gap = (g["drop_top"] - g["drop_random"]).to_numpy()
        w = unit_weights(u[r], n_boot, seed)  # the cluster bootstrap of 07's leaderboards
        boot = (w @ gap) / w.sum(axis=1)
        lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
        rows.append({"k": int(k), "rows": len(g), "units": int(pd.unique(u[r]).size),
                     "drop_top": g["drop_top"].mean(), "drop_random": g["drop_random"].mean(),
                     "gap": gap.mean(), "gap_low": lo, "gap_high": hi, "top_wins": float((gap > 0).mean())})
    return pd.DataFrame(rows)


def replace_features(X: np.ndarray, fill: np.ndarray) -> Callable[[Mask], np.ndarray]:
    """Tabular deletion: masked cells of ``X`` (n, d) take ``fill`` (d,), e.g. the training median."""
    X, fill = np.asarray(X), np.asarray(fill, dtype=np.asarray(X).dtype)
    if X.ndim != 2 or fill.shape != (X.shape[1],):
        raise ValueError(f"fill: expected one value per column of X {X.shape}, got shape {fill.shape}")

    def delete(mask: Mask) -> np.ndarray:
        if mask.shape != X.shape:
            raise ValueError(f"mask: expected shape {X.shape}, got {mask.shape}")
        return np.where(mask, fill[None, :], X)
    return delete


def shap_values_lgbm(booster: object, X: np.ndarray, num_iteration: int | None = None,
                     return_base: bool = False) -> np.ndarray | tuple[np.ndarray, float]:
    """TreeSHAP values (n, d) of a binary LightGBM booster, in log-odds (07_evaluation).

    Uses the booster's best iteration (as ``predict`` does) unless ``num_iteration`` is given; the
    values plus the base value add up to the raw score. Older shap returned a list [negative,
    positive] and some versions (n, d, 2): both are reduced to the positive class.
    """
    import lightgbm as lgb
    import shap

    if not isinstance(booster, lgb.Booster):
        raise ValueError(f"booster: expected a lightgbm.Booster (e.g. LightGBMIntent.booster), got {type(booster)}")
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != booster.num_feature():
        raise ValueError(f"X: expected shape (n, {booster.num_feature()}), got {X.shape}")
    it = num_iteration or booster.best_iteration or booster.current_iteration()
    if it < booster.current_iteration():  # keep only the trees predict() uses
        booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=it))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*shap values output has changed.*")
        explainer = shap.TreeExplainer(booster)
        values = explainer.shap_values(X)
    if isinstance(values, list):
        values = values[-1]
    values = np.asarray(values, dtype=np.float64)
    values = values[..., -1] if values.ndim == 3 else values
    base = float(np.atleast_1d(explainer.expected_value)[-1])
    return (values, base) if return_base else values


@dataclass(frozen=True)
class TextExplanation:
    """LIME word weights of one text towards class ``label``: one weight per distinct word (07_evaluation)."""

    text: str
    label: int
    words: list[str]
    weights: np.ndarray
    indexed: object = field(repr=False)  # lime's IndexedString: removes every occurrence of a word

    def top(self, n: int = 5) -> list[tuple[str, float]]:
        """The ``n`` words that push the most towards ``label``."""
        order = np.argsort(-self.weights, kind="stable")[:n]
        return [(self.words[i], float(self.weights[i])) for i in order]

    def without(self, mask: np.ndarray) -> str:
        """The text with the masked words (every occurrence) dropped, as LIME perturbs it."""
        return self.indexed.inverse_removing(np.flatnonzero(np.asarray(mask)[:len(self.words)]))


def lime_text(predict_proba: Callable[[list[str]], np.ndarray], text: str, label: int, num_samples: int = 300,
              seed: int = 0) -> TextExplanation:
    """LIME (:class:`lime.lime_text.LimeTextExplainer`, bag of words) for one text and class.

    A fresh explainer seeded with ``seed`` per call, so a text's weights do not depend on what was
    explained before; every distinct word gets a weight. ``num_samples`` perturbed texts are scored.
    """
    from lime.lime_text import IndexedString, LimeTextExplainer

    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text: expected a non-empty string, got {text!r}")
    if not isinstance(num_samples, (int, np.integer)) or num_samples < 10:
        raise ValueError(f"num_samples: expected an integer >= 10, got {num_samples!r}")
    explainer = LimeTextExplainer(random_state=seed)
    n_words = IndexedString(text, bow=explainer.bow, split_expression=explainer.split_expression).num_words()
    if n_words == 0:
        raise ValueError(f"text: no words to explain in {text!r}")
    exp = explainer.explain_instance(text, predict_proba, labels=(int(label),), num_features=n_words,
                                     num_samples=int(num_samples))
    indexed = exp.domain_mapper.indexed_string
    weights = np.zeros(indexed.num_words())
    for i, w in exp.local_exp[int(label)]:
        weights[i] = w
    return TextExplanation(text, int(label), [str(indexed.word(i)) for i in range(indexed.num_words())], weights,
                           indexed)


def text_deletion_inputs(explanations: Sequence[TextExplanation]) -> tuple[np.ndarray, Callable[[Mask], list[str]]]:
    """NaN-padded word weights (n, most words) and a ``delete(mask)`` that drops the masked words."""
    if not explanations or not all(isinstance(e, TextExplanation) for e in explanations):
        raise ValueError("explanations: expected a non-empty list of TextExplanation (from lime_text)")
    d = max(len(e.words) for e in explanations)
    A = np.full((len(explanations), d), np.nan)
    for i, e in enumerate(explanations):
        A[i, :len(e.words)] = e.weights
    return A, lambda mask: [e.without(m) for e, m in zip(explanations, np.asarray(mask))]

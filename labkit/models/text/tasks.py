"""Text-classification tasks of 04_bert and the experiments run on them (introduced in 04_bert).

* :class:`TextTask` -- texts, class ids and the course ``part`` of every row, plus its class
  names and any slice columns (e.g. ``has_negation``); the same object for the synthetic
  world and the real datasets, so the notebook code does not change with ``DATASET``.
* :func:`review_task`, :func:`message_task` -- the synthetic world's reviews (3-class
  sentiment or 5-class rating, with the world's negation / contrast flags and the
  noise-free rating as the oracle) and support messages (8 intents); the part follows
  the course-wide time split.
* :func:`more_task` -- 04's extra tasks (:data:`MORE_TASKS`), as many as ``profile.bert_more_tasks``.
* the real tracks' tasks (Women's reviews, Bitext, a learner's file) are in :mod:`.real`.
* :func:`subsample` -- a seeded, stratified cap on the rows of each part (the profiles' budget).
* :func:`tune_fine_tune` -- fine-tune one model per learning rate and keep the best on
  validation macro-F1 (the honest tuning both pretrained and scratch models get).
* :func:`learning_curve` -- macro-F1 vs number of training texts for several model setups.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ... import schema as S
from ...datasets.text_data import LABEL_ID as LABEL  # the class id of a TextTask row
from ...evaluation.multiclass import apply_bias, class_bias_tuning, macro_f1
from ...frames import require, sentiment_of_rating
from ...labels import message_labels, review_labels
from ...splits import course_split
from ...world.store import ensure_world

HARD = "hard"  # review slice: a negation or a contrast in the text
PARTS = ("train", "valid", "test")
# Learning rates tried on validation, in order (a profile's bert_tune_budget takes the first
# ones). The pretrained model wants small ones: 2e-4 won on 600 quick-world reviews, 1e-4
# on 3,000 in a prototype, 5e-5 underfit in 2 epochs. Random weights want larger ones
# (3e-4 learned on 600 reviews in 4 epochs, 1e-3 collapsed to the majority class).
PRETRAINED_LRS = (2e-4, 1e-4, 5e-5)
SCRATCH_LRS = (3e-4, 5e-4, 1e-4)
CURVE_FRACTIONS = (1 / 16, 1 / 8, 1 / 4, 1 / 2)  # learning-curve sizes; a profile takes the last bert_curve_points


@dataclass(frozen=True)
class TextTask:
    """One text-classification task: ``frame`` has ``text``, ``label_id`` and ``part`` columns."""

    name: str
    classes: tuple[str, ...]
    frame: pd.DataFrame = field(repr=False)
    oracle: str | None = None  # column of ``frame`` with the oracle's class id, if the data knows one

    def __post_init__(self) -> None:
        require(self.frame, [S.TEXT, LABEL, S.PART], f"text task {self.name!r}")
        y = self.frame[LABEL].to_numpy()
        if len(y) and (y.min() < 0 or y.max() >= len(self.classes)):
            raise ValueError(f"text task {self.name!r}: label_id must be in 0..{len(self.classes) - 1} "
                             f"({', '.join(self.classes)}), found {y.min()}..{y.max()}")
        missing = [p for p in PARTS if not (self.frame[S.PART] == p).any()]
        if missing:
            raise ValueError(f"text task {self.name!r}: no rows in part(s) {missing}; expected train, valid and test")

    def part(self, part: str) -> pd.DataFrame:
        """The rows of one part (``train``, ``valid`` or ``test``)."""
        if part not in PARTS:
            raise ValueError(f"part: expected one of {PARTS}, got {part!r}")
        return self.frame[self.frame[S.PART] == part]

    def texts(self, part: str) -> list[str]:
        return self.part(part)[S.TEXT].tolist()

    def y(self, part: str) -> np.ndarray:
        return self.part(part)[LABEL].to_numpy(np.int64)

    def sizes(self) -> pd.DataFrame:
        """Rows per part and class (a table to display)."""
        counts = pd.crosstab(self.frame[S.PART], self.frame[LABEL]).reindex(index=list(PARTS), fill_value=0)
        counts.columns = [self.classes[c] for c in counts.columns]
        counts["total"] = counts.sum(axis=1)
        return counts


def _world_texts(profile: object, seed: int, table: str):
    world = ensure_world(profile, seed, verbose=False)
    split = course_split(world.table("calendar"))
    labeller = review_labels if table == "reviews" else message_labels
    return world, labeller(world.table(table), split)


def review_task(profile: object = None, seed: int = 0, target: str = "sentiment") -> TextTask:
    """The world's reviews: ``target`` = ``"sentiment"`` (3 classes) or ``"rating"`` (5 classes).

    Slice flags from the world's truth: ``has_negation``, ``has_contrast`` and ``hard``
    (either). The oracle column ``oracle`` is the class of the rating before the world added
    its rating noise: the best any model reading the text could do.
    """

    if target not in ("sentiment", "rating"):
        raise ValueError(f"target: expected 'sentiment' or 'rating', got {target!r}")
    world, reviews = _world_texts(profile, seed, "reviews")
    truth = world.truth("reviews", [S.REVIEW_ID, "rating_noise_free", "has_negation", "has_contrast"])
    df = reviews.merge(truth, on=S.REVIEW_ID, how="left", validate="one_to_one")
    if df["rating_noise_free"].isna().any():
        raise ValueError("truth_reviews: every review needs its rating_noise_free; the world looks incomplete")
    df[HARD] = df["has_negation"] | df["has_contrast"]
    if target == "sentiment":
        df[LABEL], df["oracle"], classes = df[S.SENTIMENT].astype(np.int64), sentiment_of_rating(
            df["rating_noise_free"]).astype(np.int64), S.SENTIMENTS
    else:
        df[LABEL], df["oracle"] = df[S.RATING].astype(np.int64) - 1, df["rating_noise_free"].astype(np.int64) - 1
        classes = ("1 star", "2 stars", "3 stars", "4 stars", "5 stars")
    keep = [S.REVIEW_ID, S.PRODUCT_ID, S.TIMESTAMP, S.TEXT, S.RATING, LABEL, S.PART, "oracle",
            "has_negation", "has_contrast", HARD]
    return TextTask(f"reviews:{target}", tuple(classes), df[keep].reset_index(drop=True), oracle="oracle")


def message_task(profile: object = None, seed: int = 0) -> TextTask:
    """The world's support messages: 8 intents (``schema.INTENTS``), parts by time."""
    _, msgs = _world_texts(profile, seed, "messages")
    df = msgs.assign(**{LABEL: msgs[S.INTENT_ID].astype(np.int64)})
    return TextTask("messages:intent", tuple(S.INTENTS),
                    df[[S.MESSAGE_ID, S.TIMESTAMP, S.TEXT, S.INTENT, LABEL, S.PART]].reset_index(drop=True))


MORE_TASKS = ("rating", "message_intent")  # 04's extra tasks; a profile runs the first bert_more_tasks of them


def more_task(name: str, profile: object = None, seed: int = 0) -> TextTask:
    """One of 04's extra tasks (:data:`MORE_TASKS`): the 5-class rating or the 8 support-message intents."""
    if name == "rating":
        return review_task(profile, seed, "rating")
    if name == "message_intent":
        return message_task(profile, seed)
    raise ValueError(f"task: expected one of {MORE_TASKS}, got {name!r}")


def subsample(task: TextTask, max_train: int, max_eval: int | None = None, seed: int = 0) -> TextTask:
    """At most ``max_train`` training rows and ``max_eval`` rows in valid and test (seeded, stratified).

    Rows beyond the cap are left out of this run (the printed sizes say how many); ``None``
    keeps a part whole. Stratified: each class keeps its share.
    """
    from sklearn.model_selection import train_test_split

    for name, cap in (("max_train", max_train), ("max_eval", max_eval)):
        if cap is not None and (not isinstance(cap, (int, np.integer)) or cap < len(task.classes)):
            raise ValueError(f"{name}: expected an int >= the number of classes ({len(task.classes)}) or None, "
                             f"got {cap!r}")
    keep = []
    for part, cap in (("train", max_train), ("valid", max_eval), ("test", max_eval)):
        rows = task.part(part)
        if cap is None or len(rows) <= cap:
            keep.append(rows)
            continue
        y = rows[LABEL].to_numpy()
        strat = y if np.unique(y, return_counts=True)[1].min() >= 2 else None
        idx, _ = train_test_split(np.arange(len(rows)), train_size=int(cap), stratify=strat, random_state=seed)
        keep.append(rows.iloc[np.sort(idx)])
    frame = pd.concat(keep)
    frame.attrs.update(task.frame.attrs)
    return replace(task, frame=frame)


def tune_fine_tune(task: TextTask, lrs: Sequence[float], epochs: int, name_or_path: str | None = None,
                   scratch: bool = False, max_length: int = 64, batch_size: int = 32, seed: int = 0,
                   train_rows: int | None = None, warmup_ratio: float = 0.1, length_bucket: int | None = None,
                   log_dir: str | Path | None = None, class_weights=None):
    """Fine-tune one model per learning rate; keep the best by validation macro-F1.

    Returns ``(model, tokenizer, trials)``: ``trials`` has one row per learning rate (best
    validation macro-F1, its epoch, seconds, samples/s). ``train_rows`` fine-tunes on a seeded
    stratified subset of the training part (the learning curve). ``scratch``: the same
    architecture from random weights (see :func:`labkit.models.text.bert.load_classifier`).
    ``length_bucket``: passed to :func:`labkit.models.text.bert.fine_tune` (04's exercise on speed).
    ``log_dir``: TensorBoard logs, one subfolder per learning rate (``lr0.0002``; 04's loss curves).
    ``class_weights``: one cross-entropy weight per class (04b), passed to ``fine_tune``.
    """
    from . import bert  # transformers and torch: loaded only when a model is trained

    if not lrs:
        raise ValueError("lrs: expected at least one learning rate")
    if train_rows is not None:
        task = subsample(task, train_rows, None, seed)
    train_x, train_y, valid_x, valid_y = task.texts("train"), task.y("train"), task.texts("valid"), task.y("valid")
    rows, best = [], None
    for lr in lrs:
        model, tok = bert.load_classifier(name_or_path, len(task.classes), scratch=scratch, seed=seed)
        model, hist = bert.fine_tune(model, tok, train_x, train_y, valid_x, valid_y, lr=float(lr), epochs=epochs,
                                     batch_size=batch_size, max_length=max_length, seed=seed,
                                     warmup_ratio=warmup_ratio, length_bucket=length_bucket,
                                     log_dir=None if log_dir is None else Path(log_dir) / f"lr{lr:g}",
                                     class_weights=class_weights)
        rows.append({"lr": float(lr), "valid_macro_f1": hist.attrs["best_valid_macro_f1"],
                     "best_epoch": hist.attrs["best_epoch"], "epochs": epochs, "train_texts": len(train_x),
                     "seconds": hist.attrs["train_seconds"], "samples_per_s": hist.attrs["samples_per_s"]})
        if best is None or rows[-1]["valid_macro_f1"] > best[0]:
            best = (rows[-1]["valid_macro_f1"], model, tok, hist)
    trials = pd.DataFrame(rows)
    trials.attrs["history"] = best[3]
    return best[1], best[2], trials


def curve_sizes(n_train: int, n_classes: int, points: int) -> list[int]:
    """The ``points`` largest learning-curve sizes below ``n_train`` (CURVE_FRACTIONS; 0 gives none).

    Each size keeps at least ten texts per class. Introduced in 04's learning curve.
    """
    if not isinstance(points, (int, np.integer)) or not 0 <= points <= len(CURVE_FRACTIONS):
        raise ValueError(f"points: expected an int in 0..{len(CURVE_FRACTIONS)}, got {points!r}")
    fractions = CURVE_FRACTIONS[len(CURVE_FRACTIONS) - points:]
    return sorted({min(n_train, max(n_classes * 10, int(n_train * f))) for f in fractions})


def learning_curve(task: TextTask, sizes: Sequence[int], setups: dict[str, dict], seed: int = 0,
                   max_length: int = 64, batch_size: int = 32, name_or_path: str | None = None,
                   max_epoch_factor: int = 4) -> pd.DataFrame:
    """Test macro-F1 vs training texts: one row per (setup, size).

    ``setups`` maps a name to ``tune_fine_tune`` keywords (``lrs``, ``epochs``, ``scratch``);
    ``epochs`` is the count for the full training part. A smaller training set gets
    proportionally more epochs (the same number of optimisation steps, at most
    ``max_epoch_factor`` times the epochs): with a fixed epoch count a small set would get
    only a handful of updates, and the curve would measure under-training, not data.
    """
    from sklearn.metrics import f1_score

    from . import bert  # transformers and torch: loaded only when a model is trained

    n_full = len(task.part("train"))
    rows = []
    for size in sizes:
        for name, kw in setups.items():
            kw = dict(kw)
            base = int(kw.pop("epochs"))
            epochs = int(min(base * max_epoch_factor, np.ceil(base * n_full / max(int(size), 1))))
            t0 = time.perf_counter()
            model, tok, trials = tune_fine_tune(task, epochs=epochs, name_or_path=name_or_path, seed=seed,
                                                train_rows=int(size), max_length=max_length,
                                                batch_size=batch_size, **kw)
            pred = bert.predict_proba(model, tok, task.texts("test"), max_length=max_length).argmax(1)
            rows.append({"setup": name, "train_texts": int(trials["train_texts"].iloc[0]), "epochs": epochs,
                         "lr": float(trials.loc[trials["valid_macro_f1"].idxmax(), "lr"]),
                         "valid_macro_f1": float(trials["valid_macro_f1"].max()),
                         "test_macro_f1": float(f1_score(task.y("test"), pred, average="macro")),
                         "seconds": time.perf_counter() - t0})
    return pd.DataFrame(rows, columns=["setup", "train_texts", "epochs", "lr", "valid_macro_f1", "test_macro_f1",
                                       "seconds"])


def compare(task: TextTask, probs: dict[str, dict[str, np.ndarray]], slices: Sequence[str] = (),
            bias: bool = False) -> pd.DataFrame:
    """Test accuracy and macro-F1 of every model (and macro-F1 on each boolean slice column).

    ``probs[model]`` holds ``"valid"`` and ``"test"`` class probabilities. With ``bias`` every
    model first gets per-class biases tuned on its own validation probabilities
    (:func:`labkit.evaluation.multiclass.class_bias_tuning`): the same decision rule for all.
    The task's oracle, if it has one, is the last row.
    """

    test, y = task.part("test"), task.y("test")
    masks = {s: test[s].to_numpy(bool) for s in slices}

    def row(pred: np.ndarray) -> dict[str, float]:
        out = {"accuracy": float((pred == y).mean()), "macro_f1": macro_f1(y, pred)}
        out.update({f"macro_f1[{s}]": macro_f1(y[m], pred[m]) for s, m in masks.items()})
        return out

    rows = {}
    for name, p in probs.items():
        if set(p) != {"valid", "test"} or len(p["test"]) != len(y):
            raise ValueError(f"probs[{name!r}]: expected 'valid' and 'test' probabilities ({len(y)} test rows)")
        pt = apply_bias(p["test"], class_bias_tuning(p["valid"], task.y("valid"))) if bias else p["test"]
        rows[name] = row(np.asarray(pt).argmax(1))
    if task.oracle:
        rows["oracle"] = row(test[task.oracle].to_numpy(np.int64))
    return pd.DataFrame(rows).T

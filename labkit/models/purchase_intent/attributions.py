"""Integrated gradients over a user's events for 03's LSTM, and the event-deletion check (07_evaluation).

* :func:`event_attributions` -- one score per event slot: integrated gradients (captum) of
  the purchase logit with respect to the recurrent layer's input, i.e. the concatenated
  per-event vector (six embeddings + four relation flags), summed over its dimensions.
  The baseline of every real event is the padding vector (all six embeddings have
  ``padding_idx=0``, so padding is the zero vector; flags 0) at the same slot, the
  sequence length unchanged. Padding slots get exactly 0. Scores sum (up to ``delta``)
  to logit(events) - logit(all events set to padding).
* :func:`delete_events` -- the sequences with some events removed. The model reads
  left-padded sequences (padding only on the left; it right-aligns them by the mask), so a
  deleted event cannot become a hole: the older events shift one slot right and a
  padding slot appears on the left. Later events' gap / relation fields and the static
  features still describe the full history (the event is removed from the sequence, not
  from the world).
* :func:`deletion_check` -- per row: the score, the score with the k most positively
  attributed events deleted, and with k random real events deleted (07 takes the gap
  and its bootstrap CI).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
import pandas as pd
import torch

from ... import schema as S
from .data import SEQ_FIELDS, IntentData
from .sequence import SequenceModel, no_memory_fill, to_tensors

SCORES = ("prob", "logit")


@dataclass(frozen=True)
class EventAttributions:
    """``scores`` (n, window) aligned with ``data.seqs`` (left-padded, 0 at padding); ``delta``
    (n,) the completeness error of each row; ``data`` the rows cut to the model's window."""

    scores: np.ndarray
    delta: np.ndarray
    data: IntentData
    seconds: float


def model_window(model: SequenceModel, data: IntentData) -> IntentData:
    """``data`` cut to the newest ``model.config.last_events`` slots, as :meth:`SequenceModel.predict` does."""
    n = model.config.last_events
    return data.last_events(min(n, data.seq_len)) if n else data


def _logits_from_rnn_input(model: torch.nn.Module, batch: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The model's logits with the recurrent layer's input replaced by ``x`` (a forward pre-hook:
    nothing of ``SequenceClassifier.forward`` is copied here)."""
    handle = model.rnn.register_forward_pre_hook(lambda module, args: (x,))
    try:
        return model(batch)
    finally:
        handle.remove()


def _rnn_input(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    seen: list[torch.Tensor] = []
    handle = model.rnn.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach()))
    try:
        with torch.no_grad():
            model(batch)
    finally:
        handle.remove()
    return seen[0]


def event_attributions(model: SequenceModel, data: IntentData, n_steps: int = 32,
                       batch_size: int = 64) -> EventAttributions:
    """Integrated gradients of the purchase logit per event slot (Gauss-Legendre, ``n_steps`` points).

    The logit, not the probability, is explained: the sigmoid saturates near 0 and 1,
    which would squeeze the attributions of confident rows. Rows are processed
    ``batch_size`` at a time (each costs ``n_steps`` forward and backward passes).
    """
    from captum.attr import IntegratedGradients

    if not isinstance(n_steps, int) or n_steps < 2:
        raise ValueError(f"n_steps must be an int >= 2, got {n_steps!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    if len(data) == 0:
        raise ValueError("data: no rows to attribute")
    t0 = time.perf_counter()
    data = model_window(model, data)
    net = model.model.eval()
    tensors = to_tensors(data, model.scaler)
    keys = list(tensors)
    width = data.seq_len
    scores, deltas = np.zeros((len(data), width)), np.zeros(len(data))

    def forward(x: torch.Tensor, *values: torch.Tensor) -> torch.Tensor:
        return _logits_from_rnn_input(net, dict(zip(keys, values)), x)

    ig = IntegratedGradients(forward)
    with no_memory_fill():
        for s in range(0, len(data), batch_size):
            batch = {k: v[s:s + batch_size] for k, v in tensors.items()}
            x = _rnn_input(net, batch)
            attr, delta = ig.attribute(x, torch.zeros_like(x), additional_forward_args=tuple(batch.values()),
                                       n_steps=n_steps, return_convergence_delta=True)
            right = attr.sum(-1).detach().double().numpy()  # (b, steps): real events first (right-aligned)
            lengths = batch["mask"].long().sum(1).numpy()
            for i, n in enumerate(lengths):  # back to the left-padded layout of data.seqs
                if n:
                    scores[s + i, width - n:] = right[i, :n]
            deltas[s:s + len(lengths)] = delta.detach().double().numpy()
    return EventAttributions(scores, deltas, data, time.perf_counter() - t0)


def delete_events(data: IntentData, delete: np.ndarray) -> IntentData:
    """``data`` without the events marked in ``delete`` ((n, seq_len) bool; marks on padding are ignored).

    Each row keeps its remaining events in order, newest last; the freed slots become
    padding on the left (every field 0), so the left-padding convention holds.
    """
    delete = np.asarray(delete)
    if delete.shape != (len(data), data.seq_len) or delete.dtype != bool:
        raise ValueError(f"delete must be a bool array of shape {(len(data), data.seq_len)}, "
                         f"got {delete.dtype} {delete.shape}")
    keep = data.seqs["mask"].astype(bool) & ~delete
    width = data.seq_len
    order = np.argsort(np.where(keep, np.arange(width)[None, :], -1), axis=1, kind="stable")
    pad = np.arange(width)[None, :] < (width - keep.sum(1))[:, None]
    seqs = {}
    for k in SEQ_FIELDS:
        moved = np.take_along_axis(data.seqs[k], order, axis=1)
        moved[pad] = 0
        seqs[k] = moved
    return replace(data, seqs=seqs)


def _score(model: SequenceModel, data: IntentData, score: str) -> np.ndarray:
    p = model.predict(data)
    if score == "prob":
        return p
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)


def deletion_check(model: SequenceModel, data: IntentData, ks: Sequence[int] = (1, 3), score: str = "prob",
                   attributions: EventAttributions | None = None, n_steps: int = 32,
                   seed: int = 0) -> pd.DataFrame:
    """One row per (data row, k): ``original``, ``top_k`` (the k events with the largest positive-
    direction attribution deleted) and ``random_k`` (k real events drawn at random, seeded per
    row) scores; rows with at most k real events are left out for that k.

    ``score``: ``"prob"`` (the predicted purchase probability) or ``"logit"``. Ranks use the
    signed attribution (towards purchase), so deleting the top events should lower the score.
    ``attributions``: reuse a result of :func:`event_attributions` on the same rows.
    """
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}")
    ks = [int(k) for k in ks]
    if not ks or any(k < 1 for k in ks):
        raise ValueError(f"ks must be a non-empty list of ints >= 1, got {ks}")
    attr = attributions if attributions is not None else event_attributions(model, data, n_steps)
    if len(attr.data) != len(data):
        raise ValueError(f"attributions: computed on {len(attr.data)} rows, data has {len(data)}")
    t0 = time.perf_counter()
    win = attr.data
    real = win.seqs["mask"].astype(bool)
    n_real = real.sum(1)
    original = _score(model, win, score)
    rng = [np.random.default_rng([seed, i]) for i in range(len(win))]
    noise = np.stack([r.random(win.seq_len) for r in rng]) if len(win) else np.zeros((0, win.seq_len))
    top_rank = np.argsort(np.argsort(np.where(real, -attr.scores, np.inf), axis=1, kind="stable"), axis=1)
    rnd_rank = np.argsort(np.argsort(np.where(real, noise, np.inf), axis=1, kind="stable"), axis=1)
    frames = []
    for k in ks:
        rows = np.flatnonzero(n_real > k)
        sub = win.take(rows)
        top = _score(model, delete_events(sub, top_rank[rows] < k), score)
        rnd = _score(model, delete_events(sub, rnd_rank[rows] < k), score)
        frames.append(pd.DataFrame({"row": rows, S.USER_ID: sub.labels[S.USER_ID].to_numpy(), "k": k,
                                    "n_events": n_real[rows], "original": original[rows], "top_k": top,
                                    "random_k": rnd}))
    out = pd.concat(frames, ignore_index=True)
    out.attrs.update({"score": score, "attribution_seconds": attr.seconds,
                      "deletion_seconds": time.perf_counter() - t0})
    return out

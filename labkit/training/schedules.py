"""Learning-rate schedules stepped once per optimizer step, with warm-up.

Introduced in 03_lstm; reused by 04_bert and 05_multimodal_fusion. Both schedules are
one small formula inside a ``torch.optim.lr_scheduler.LambdaLR``, so they are easy to
read and plot, and their state is two numbers (safe for ``weights_only`` checkpoints).
"""

from __future__ import annotations

import math

import torch

ONECYCLE_START = 1 / 25  # OneCycleLR's div_factor: start at lr / 25
ONECYCLE_END = 1 / (25 * 1e4)  # and final_div_factor: end at lr / (25 * 10^4)
ONECYCLE_PCT = 0.3  # warm-up share when warmup_steps is 0 (OneCycleLR's pct_start)


def _cos(start: float, end: float, progress: float) -> float:
    """Cosine interpolation from ``start`` (progress 0) to ``end`` (progress 1)."""
    return end + (start - end) * (1 + math.cos(math.pi * min(max(progress, 0.0), 1.0))) / 2


def lr_factor(step: int, total_steps: int, kind: str | None, warmup_steps: int = 0) -> float:
    """Multiplier of the base learning rate at optimizer step ``step`` (0-based).

    ``"cosine"``: linear warm-up to 1 over ``warmup_steps``, then cosine decay to 0.
    ``"onecycle"``: cosine rise from 1/25 to 1 over the warm-up (``warmup_steps``, or 30 %
    of the steps when 0), then cosine decay to 1/(25*10^4), like ``OneCycleLR``.
    """
    if total_steps < 1:
        raise ValueError(f"total_steps must be >= 1, got {total_steps}")
    if kind is None:
        return 1.0
    if kind == "cosine":
        warm = min(warmup_steps, total_steps)
        if step < warm:
            return (step + 1) / warm
        return _cos(1.0, 0.0, (step - warm) / max(total_steps - warm, 1))
    if kind == "onecycle":
        warm = min(warmup_steps or round(ONECYCLE_PCT * total_steps), total_steps)
        if step < warm:
            return _cos(ONECYCLE_START, 1.0, step / warm)
        return _cos(1.0, ONECYCLE_END, (step - warm) / max(total_steps - warm, 1))
    raise ValueError(f"scheduler must be None, 'cosine' or 'onecycle', got {kind!r}")


def make_scheduler(optimizer: torch.optim.Optimizer, kind: str | None, total_steps: int,
                   warmup_steps: int = 0) -> torch.optim.lr_scheduler.LambdaLR | None:
    """A per-step ``LambdaLR`` following :func:`lr_factor`, or ``None`` when ``kind`` is None."""
    if kind is None:
        return None
    lr_factor(0, total_steps, kind, warmup_steps)  # validates kind and total_steps

    def factor(step: int) -> float:
        return lr_factor(step, total_steps, kind, warmup_steps)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)

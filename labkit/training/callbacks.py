"""The small helpers around the loop: early stopping, TensorBoard logging, progress bars.

Introduced in 03_lstm; reused by 04, 05 and 06. Each is a few lines on purpose: the
loop in ``loop.py`` calls them at fixed points, there is no plug-in machinery.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Iterable

TQDM_ENV = "TQDM_DISABLE"
FALSE_WORDS = ("", "0", "false", "no", "off")


class EarlyStopping:
    """Track the best validation metric and count epochs without improvement.

    An epoch improves when its metric beats the best by more than ``min_delta``
    (upwards for ``mode="max"``, downwards for ``"min"``); ``patience`` epochs in a row
    without improvement mean stop (``patience=None``: never).
    """

    def __init__(self, patience: int | None, mode: str = "max", min_delta: float = 0.0) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.patience, self.mode, self.min_delta = patience, mode, min_delta
        self.best: float | None = None
        self.best_epoch = 0
        self.bad_epochs = 0

    def update(self, metric: float, epoch: int) -> bool:
        """Record one epoch's metric; return True when it is the new best."""
        if self.best is None:
            improved = True
        elif self.mode == "max":
            improved = metric > self.best + self.min_delta
        else:
            improved = metric < self.best - self.min_delta
        if improved:
            self.best, self.best_epoch, self.bad_epochs = float(metric), epoch, 0
        else:
            self.bad_epochs += 1
        return improved

    @property
    def should_stop(self) -> bool:
        return self.patience is not None and self.bad_epochs >= self.patience

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch, self.bad_epochs = state["best"], state["best_epoch"], state["bad_epochs"]


class TensorBoardLogger:
    """Per-epoch scalars to TensorBoard (``loss/train``, ``loss/valid``, ``metric/valid``, ``lr``,
    ``throughput/samples_per_s``); does nothing when ``log_dir`` is None.

    ``first_epoch`` > 1 (a resumed run) discards events the interrupted run wrote after
    its last checkpoint, so curves do not show the lost epoch twice.
    """

    SCALARS = {"train_loss": "loss/train", "valid_loss": "loss/valid", "valid_metric": "metric/valid",
               "lr": "lr", "samples_per_s": "throughput/samples_per_s", "grad_norm": "grad_norm/max"}

    def __init__(self, log_dir: str | Path | None, first_epoch: int = 1) -> None:
        self.writer = None
        if log_dir is not None:
            from torch.utils.tensorboard import SummaryWriter  # imported only when used

            Path(log_dir).mkdir(parents=True, exist_ok=True)
            self.writer = SummaryWriter(log_dir=str(log_dir), purge_step=first_epoch if first_epoch > 1 else None)

    def log_epoch(self, record: dict[str, Any]) -> None:
        if self.writer is None:
            return
        for key, tag in self.SCALARS.items():
            value = record.get(key)
            if value is not None and math.isfinite(value):
                self.writer.add_scalar(tag, value, global_step=record["epoch"])
        self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def tensorboard_scalars(log_dir: str | Path) -> "pd.DataFrame":
    """The per-epoch scalars of the newest TensorBoard log in ``log_dir``: one row per epoch, one
    column per tag (``loss/train``, ``loss/valid``, ...). Introduced in 03_lstm (loss curves)."""
    import pandas as pd
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # heavy: on use

    files = sorted(Path(log_dir).glob("events.out.tfevents.*"), key=lambda f: f.stat().st_mtime_ns)
    if not files:
        raise FileNotFoundError(f"{log_dir}: no TensorBoard event file (train with TrainConfig(tensorboard_dir=...))")
    acc = EventAccumulator(str(files[-1]))
    acc.Reload()
    columns = {tag: {e.step: e.value for e in acc.Scalars(tag)} for tag in acc.Tags()["scalars"]}
    return pd.DataFrame(columns).rename_axis("epoch").sort_index()


def progress_disabled(enabled: bool = True) -> bool:
    """True when bars are off: ``enabled`` False or ``$TQDM_DISABLE`` set to a true value (read now)."""
    return not enabled or os.environ.get(TQDM_ENV, "").strip().lower() not in FALSE_WORDS


def progress_bar(iterable: Iterable, total: int | None, desc: str, enabled: bool = True):
    """A tqdm bar over ``iterable`` (plain text, works in terminals and notebooks)."""
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="batch", leave=False, dynamic_ncols=True,
                disable=progress_disabled(enabled))

"""Training settings, the result of a run, and the default run folders.

Introduced in 03_lstm (LSTM/GRU models); reused by 04_bert, 05_multimodal_fusion and
06_reinforcement_learning. ``TrainConfig`` is checked when it is built, so a typo in a
notebook parameter fails at once with the field's name instead of mid-training.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..paths import runs_dir

PRECISIONS = ("auto", "fp32", "bf16")
SCHEDULERS = (None, "cosine", "onecycle")
MODES = ("min", "max")
DEVICES = (None, "cpu", "cuda", "mps")
# fields that define the optimisation itself: a resumed run must use the same values
RESUME_FIELDS = ("lr", "weight_decay", "grad_clip", "scheduler", "warmup_steps", "seed", "precision",
                 "mode", "min_delta")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class TrainConfig:
    """Everything :func:`labkit.training.fit` needs besides the model, data and loss.

    ``patience`` epochs without improvement of the validation metric stop training
    (``None``: never stop early); ``mode`` says whether the metric should go down
    (``"min"``) or up (``"max"``; the default metric, minus the validation loss, goes up).
    ``precision="auto"`` means bf16 autocast on CUDA and fp32 on CPU/MPS. ``device=None``
    asks :func:`labkit.runtime.pick_device`. ``scheduler`` is ``None``, ``"cosine"``
    (linear warm-up over ``warmup_steps`` optimizer steps, then cosine decay to 0) or
    ``"onecycle"`` (``torch.optim.lr_scheduler.OneCycleLR``'s learning-rate shape:
    warm-up from lr/25 to lr over ``warmup_steps``, or 30 % of the steps when 0, then
    cosine down to lr/(25·10^4)). ``batch_size`` is informational (the loader decides; it is
    recorded with the run). ``checkpoint_dir`` / ``tensorboard_dir`` ``None`` = off.
    """

    epochs: int = 3
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int | None = None
    grad_clip: float | None = None
    patience: int | None = None
    mode: str = "max"
    min_delta: float = 0.0
    precision: str = "auto"
    device: str | None = None
    seed: int | None = 0
    scheduler: str | None = None
    warmup_steps: int = 0
    log_every: int = 50
    checkpoint_dir: str | Path | None = None
    keep_checkpoints: int = 2
    tensorboard_dir: str | Path | None = None
    progress: bool = True
    verbose: bool = True

    def __post_init__(self) -> None:
        def bad(name: str, expected: str) -> ValueError:
            return ValueError(f"TrainConfig.{name} must be {expected}, got {getattr(self, name)!r}")

        for name in ("epochs", "log_every", "keep_checkpoints"):
            if not _is_int(getattr(self, name)) or getattr(self, name) < 1:
                raise bad(name, "an int >= 1")
        if not _is_number(self.lr) or self.lr <= 0:
            raise bad("lr", "a finite number > 0")
        for name in ("weight_decay", "min_delta"):
            if not _is_number(getattr(self, name)) or getattr(self, name) < 0:
                raise bad(name, "a finite number >= 0")
        if self.batch_size is not None and (not _is_int(self.batch_size) or self.batch_size < 1):
            raise bad("batch_size", "None or an int >= 1")
        if self.grad_clip is not None and (not _is_number(self.grad_clip) or self.grad_clip <= 0):
            raise bad("grad_clip", "None (no clipping) or a finite number > 0 (the max gradient norm)")
        if self.patience is not None and (not _is_int(self.patience) or self.patience < 1):
            raise bad("patience", "None (no early stopping) or an int >= 1")
        if self.mode not in MODES:
            raise bad("mode", f"one of {MODES}")
        if self.precision not in PRECISIONS:
            raise bad("precision", f"one of {PRECISIONS}")
        if self.device not in DEVICES:
            raise bad("device", f"one of {DEVICES}")
        if self.seed is not None and not _is_int(self.seed):
            raise bad("seed", "None or an int")
        if self.scheduler not in SCHEDULERS:
            raise bad("scheduler", f"one of {SCHEDULERS}")
        if not _is_int(self.warmup_steps) or self.warmup_steps < 0:
            raise bad("warmup_steps", "an int >= 0")
        if self.warmup_steps and self.scheduler is None:
            raise bad("warmup_steps", "0 when scheduler is None (warm-up belongs to a scheduler)")
        for name in ("checkpoint_dir", "tensorboard_dir"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, (str, Path)) or str(value) == ""):
                raise bad(name, "None or a folder path")
        for name in ("progress", "verbose"):
            if not isinstance(getattr(self, name), bool):
                raise bad(name, "True or False")

    def replace(self, **changes: Any) -> "TrainConfig":
        """A copy with some fields changed (validated again)."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s) {unknown}; expected some of {sorted(known)}")
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """Plain values only (paths as strings): safe for checkpoints and JSON."""
        out = dataclasses.asdict(self)
        for name in ("checkpoint_dir", "tensorboard_dir"):
            out[name] = None if out[name] is None else str(out[name])
        return out


@dataclass
class TrainResult:
    """What :func:`fit` returns: one history row per epoch and the best epoch.

    Each ``history`` row has ``epoch`` (1-based), ``train_loss``, ``valid_loss``,
    ``valid_metric``, ``lr`` (at the end of the epoch), ``grad_norm`` (largest gradient
    norm before clipping; ``None`` without ``grad_clip``), ``seconds`` (whole epoch),
    ``train_seconds``, ``samples_per_s`` (training throughput) and ``improved`` (new best).
    """

    history: list[dict[str, Any]]
    best_epoch: int
    best_metric: float | None
    stopped_early: bool
    device: str
    resumed_from: int | None = None
    checkpoint: str | None = None
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def epochs_run(self) -> int:
        return len(self.history)

    def frame(self):
        """The history as a pandas DataFrame indexed by epoch."""
        import pandas as pd

        return pd.DataFrame(self.history).set_index("epoch")


def run_paths(profile_name: object, run_name: str) -> tuple[Path, Path]:
    """Default ``(checkpoint_dir, tensorboard_dir)`` of a run: ``runs/<profile>/checkpoints/<run>``
    and ``runs/<profile>/tensorboard/<run>`` (folders are created by :func:`fit` when used).

    ``profile_name`` is a profile name or a :class:`labkit.Profile`. Introduced in 03_lstm.
    """

    name = getattr(profile_name, "name", profile_name)
    if not isinstance(name, str) or not name:
        raise ValueError(f"profile_name must be a profile name or Profile, got {profile_name!r}")
    if not isinstance(run_name, str) or not run_name.strip() or any(c in run_name for c in "/\\") \
            or run_name in (".", ".."):
        raise ValueError(f"run_name must be a plain folder name (no slashes), got {run_name!r}")
    base = runs_dir(name)
    return base / "checkpoints" / run_name, base / "tensorboard" / run_name

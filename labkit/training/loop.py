"""The course's training loop: ``fit`` a model (``predict`` is in ``predict.py``).

Introduced in 03_lstm (LSTM/GRU on event sequences); reused by 04_bert,
05_multimodal_fusion and 06_reinforcement_learning.

Why plain PyTorch and not Lightning (or Keras, or a Trainer class)? The course teaches
the loop itself: forward, loss, backward, clip, step, schedule, validate, keep the best,
save, resume. Here each of those is one visible line in one readable file, with no hidden
magic -- no hooks fired from elsewhere, no trainer state machine, no implicit device or
precision plugins -- so a learner can step through it, and determinism and exact resume
stay under our control.

Batches are ``(inputs, target)``, ``(a, b, ..., target)`` or a dict with ``"target"``
(see ``batches.py``); ``loss_fn(outputs, target)`` returns the batch's mean loss.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from ..paths import relative
from ..runtime import pick_device, seed_everything
from .batches import call_model, split_batch, to_device, to_host
from .callbacks import EarlyStopping, TensorBoardLogger, progress_bar
from .checkpoint import (checkpoint_path, latest_checkpoint, load_checkpoint, prune_checkpoints, rng_state,
                         save_checkpoint, set_rng_state)
from .config import RESUME_FIELDS, TrainConfig, TrainResult
from .schedules import make_scheduler

CHECKPOINT_FORMAT = 1
LossFn = Callable[[Any, torch.Tensor], torch.Tensor]
MetricFn = Callable[[np.ndarray, np.ndarray], float]


def _show(path) -> str:
    """A path for printing: relative to the repo root when inside it (no machine paths in outputs)."""
    try:
        return relative(path)
    except FileNotFoundError:
        return str(path)


def _autocast(device: torch.device, amp_dtype: torch.dtype | None):
    """bf16 autocast when ``amp_dtype`` is set, else nothing (plain fp32)."""
    return torch.autocast(device.type, dtype=amp_dtype) if amp_dtype is not None else contextlib.nullcontext()


# --- one epoch -----------------------------------------------------------------------

def _train_epoch(model, loader, loss_fn, optimizer, scheduler, config: TrainConfig, device, amp_dtype,
                 epoch: int) -> dict[str, Any]:
    """Train one epoch; return loss, samples, largest pre-clip gradient norm and seconds."""
    model.train()
    total_steps, samples, loss_sum, pending = len(loader), 0, 0.0, []
    grad_max: torch.Tensor | None = None
    bar = progress_bar(loader, total_steps, f"epoch {epoch}/{config.epochs}", config.progress)
    start = time.perf_counter()
    for step, batch in enumerate(bar, 1):
        inputs, target = split_batch(batch)
        inputs, target = to_device(inputs, device), to_device(target, device)
        with _autocast(device, amp_dtype):
            loss = loss_fn(call_model(model, inputs), target)
        if step == 1 and (not isinstance(loss, torch.Tensor) or loss.ndim != 0):
            raise ValueError(f"loss_fn must return a scalar tensor (the batch mean), got "
                             f"{tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip is not None:
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            grad_max = norm if grad_max is None else torch.maximum(grad_max, norm)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        n = len(target)
        samples += n
        pending.append(loss.detach().float() * n)
        # check for nan/inf every log_every steps (one device sync), naming the exact step
        if step % config.log_every == 0 or step == total_steps:
            losses = torch.stack(pending)
            finite = torch.isfinite(losses)
            if not bool(finite.all()):
                bad = int((~finite).nonzero()[0, 0])
                value = float(losses[bad])
                raise FloatingPointError(
                    f"training loss became {value} at epoch {epoch}, step {step - len(pending) + bad + 1} of "
                    f"{total_steps}; lower lr, set grad_clip, or check inputs/targets for nan and the loss "
                    "for log(0) (e.g. BCEWithLogitsLoss on raw scores instead of BCELoss)")
            loss_sum += float(losses.double().sum())
            pending = []
            bar.set_postfix(loss=f"{loss_sum / samples:.4f}", refresh=False)
    seconds = time.perf_counter() - start
    return {"train_loss": loss_sum / samples, "samples": samples, "train_seconds": seconds,
            "grad_norm": None if grad_max is None else float(grad_max)}


def _evaluate(model, loader, loss_fn, device, amp_dtype, keep: bool, epoch: int):
    """Mean validation loss, plus all outputs and targets (CPU tensors) when ``keep``."""
    model.eval()
    loss_sum, samples, outs, targets = 0.0, 0, [], []
    with torch.no_grad():
        for batch in loader:
            inputs, target = split_batch(batch)
            inputs, target = to_device(inputs, device), to_device(target, device)
            with _autocast(device, amp_dtype):
                out = call_model(model, inputs)
                loss = loss_fn(out, target)
            loss_sum += float(loss.float()) * len(target)
            samples += len(target)
            if keep:
                if not isinstance(out, torch.Tensor) or not isinstance(target, torch.Tensor):
                    raise TypeError("metric_fn needs the model to return a tensor and targets to be tensors")
                outs.append(to_host(out))
                targets.append(to_host(target))
    if samples == 0:
        raise ValueError("valid_loader yielded no batches")
    valid_loss = loss_sum / samples
    if not math.isfinite(valid_loss):
        raise FloatingPointError(f"validation loss became {valid_loss} at epoch {epoch}")
    if not keep:
        return valid_loss, None, None
    return valid_loss, torch.cat(outs), torch.cat(targets)


# --- fit -------------------------------------------------------------------------------

def _check_args(model, train_loader, valid_loader, config, metric_fn, resume) -> int:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    try:
        steps = len(train_loader)
    except TypeError:
        raise ValueError("train_loader must have a length (a DataLoader over a map-style dataset)") from None
    if steps == 0:
        raise ValueError("train_loader is empty")
    if valid_loader is None and (config.patience is not None or metric_fn is not None):
        raise ValueError("patience and metric_fn need a valid_loader")
    if metric_fn is None and config.mode == "min" and valid_loader is not None:
        raise ValueError("mode='min' with the default metric (minus the validation loss) would keep the worst "
                         "epoch: use mode='max', or pass a metric_fn that should go down")
    if resume and config.checkpoint_dir is None:
        raise ValueError("resume=True needs config.checkpoint_dir")
    return steps


def _check_resumable(state: dict[str, Any], config: TrainConfig, steps: int, path) -> None:
    saved = state["config"]
    fields = RESUME_FIELDS + (("epochs",) if config.scheduler is not None else ())
    diff = [f"{k}: {saved.get(k)!r} -> {getattr(config, k)!r}" for k in fields if saved.get(k) != getattr(config, k)]
    if state["steps_per_epoch"] != steps:
        diff.append(f"steps per epoch: {state['steps_per_epoch']} -> {steps} (different data or batch size)")
    if diff:
        raise ValueError(f"cannot resume from {_show(path)}: the run differs from the checkpoint's "
                         f"({'; '.join(diff)}); use a new checkpoint_dir or resume=False")


@dataclass
class _Run:
    """What a run carries from epoch to epoch (and through a checkpoint)."""

    history: list[dict[str, Any]] = field(default_factory=list)
    best_state: dict[str, torch.Tensor] | None = None
    first_epoch: int = 1
    resumed_from: int | None = None
    stopped_early: bool = False
    last_path: Path | None = None
    saved_rng: dict[str, Any] | None = None


def _resume(run: _Run, config: TrainConfig, steps: int, model, optimizer, scheduler, stopper) -> None:
    """Load the latest checkpoint of ``config.checkpoint_dir`` into the model, optimiser, ... and ``run``."""
    run.last_path = latest_checkpoint(config.checkpoint_dir)
    if run.last_path is None:
        if config.verbose:
            print(f"resume: no checkpoint in {_show(config.checkpoint_dir)}, starting at epoch 1")
        return
    state = load_checkpoint(run.last_path)
    _check_resumable(state, config, steps, run.last_path)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    stopper.load_state_dict(state["early_stopping"])
    run.history, run.best_state = state["history"], state["best_model"]
    run.stopped_early = state["stopped_early"]
    run.resumed_from = run.first_epoch = state["epoch"] + 1
    run.saved_rng = state["rng"]
    if config.verbose:
        print(f"resumed from {_show(run.last_path)} (epoch {state['epoch']} of {config.epochs})")


def _checkpoint(run: _Run, epoch: int, config: TrainConfig, steps: int, model, optimizer, scheduler, stopper,
                train_loader) -> None:
    """Save everything an exact resume needs after ``epoch``; keep the newest ``keep_checkpoints``."""
    run.last_path = save_checkpoint({
        "format": CHECKPOINT_FORMAT, "epoch": epoch, "stopped_early": run.stopped_early,
        "steps_per_epoch": steps, "config": config.as_dict(), "history": run.history,
        "model": model.state_dict(), "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "early_stopping": stopper.state_dict(), "best_model": run.best_state,
        "rng": rng_state([train_loader]),
    }, checkpoint_path(config.checkpoint_dir, epoch))
    prune_checkpoints(config.checkpoint_dir, config.keep_checkpoints)


def fit(model: torch.nn.Module, train_loader, valid_loader, loss_fn: LossFn, config: TrainConfig | None = None,
        metric_fn: MetricFn | None = None, optimizer: torch.optim.Optimizer | None = None, *,
        resume: bool = False) -> TrainResult:
    """Train ``model`` for ``config.epochs`` epochs; return the history, with the best epoch's
    weights restored into ``model``.

    ``metric_fn(outputs, targets)`` gets NumPy arrays of the whole validation set and
    returns a float (default: minus the validation loss, so higher is better; set
    ``config.mode`` to match your metric). ``optimizer`` defaults to AdamW with
    ``config.lr`` and ``config.weight_decay`` (which are ignored when you pass one).
    With ``config.checkpoint_dir`` a checkpoint is written after every epoch;
    ``resume=True`` continues from the latest one (or starts fresh when there is none)
    and ends with the same weights as an uninterrupted run. ``valid_loader=None`` trains
    without validation (the last epoch counts as best). ``fit`` first seeds Python, NumPy
    and torch with ``config.seed`` (``None``: leaves them as they are), so shuffling and
    dropout are reproducible; build the model before calling it. Introduced in 03_lstm.
    """
    config = config or TrainConfig()
    steps = _check_args(model, train_loader, valid_loader, config, metric_fn, resume)
    if config.seed is not None:
        seed_everything(config.seed)
    device = torch.device(pick_device(config.device, verbose=config.verbose))
    use_bf16 = config.precision == "bf16" or (config.precision == "auto" and device.type == "cuda")
    amp_dtype = torch.bfloat16 if use_bf16 else None
    model.to(device)
    if optimizer is None:
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = make_scheduler(optimizer, config.scheduler, config.epochs * steps, config.warmup_steps)
    stopper = EarlyStopping(config.patience, config.mode, config.min_delta)
    run = _Run()
    if resume:
        _resume(run, config, steps, model, optimizer, scheduler, stopper)
    history = run.history

    logger = TensorBoardLogger(config.tensorboard_dir, first_epoch=run.first_epoch)
    try:
        if run.saved_rng is not None:  # the last step before training: nothing may draw random numbers after it
            set_rng_state(run.saved_rng, [train_loader])
        for epoch in range(run.first_epoch, config.epochs + 1):
            if run.stopped_early:
                break
            epoch_start = time.perf_counter()
            record: dict[str, Any] = {"epoch": epoch}
            stats = _train_epoch(model, train_loader, loss_fn, optimizer, scheduler, config, device, amp_dtype, epoch)
            valid_loss = metric = None
            improved = True
            if valid_loader is not None:
                valid_loss, outs, targets = _evaluate(model, valid_loader, loss_fn, device, amp_dtype,
                                                      metric_fn is not None, epoch)
                metric = -valid_loss if metric_fn is None else float(metric_fn(outs.numpy(), targets.numpy()))
                if not math.isfinite(metric):
                    raise ValueError(f"metric_fn returned {metric} at epoch {epoch}")
                improved = stopper.update(metric, epoch)
                if improved:
                    run.best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
                run.stopped_early = stopper.should_stop
            record.update(train_loss=stats["train_loss"], valid_loss=valid_loss, valid_metric=metric,
                          lr=float(optimizer.param_groups[0]["lr"]), grad_norm=stats["grad_norm"],
                          seconds=time.perf_counter() - epoch_start, train_seconds=stats["train_seconds"],
                          samples_per_s=stats["samples"] / stats["train_seconds"], improved=improved)
            history.append(record)
            if config.checkpoint_dir is not None:
                _checkpoint(run, epoch, config, steps, model, optimizer, scheduler, stopper, train_loader)
            logger.log_epoch(record)
            if config.verbose:
                print(_epoch_line(record, config.epochs))
    finally:
        logger.close()

    best_epoch = stopper.best_epoch if valid_loader is not None else len(history)
    if run.best_state is not None and valid_loader is not None:
        model.load_state_dict(run.best_state)
    if config.verbose and valid_loader is not None and history:
        why = (f"early stop after epoch {len(history)} (no improvement for {config.patience} epochs); "
               if run.stopped_early else "")
        print(f"{why}best epoch {best_epoch} (metric {stopper.best:.4f}) restored")
    return TrainResult(history=history, best_epoch=best_epoch, best_metric=stopper.best,
                       stopped_early=run.stopped_early, device=device.type, resumed_from=run.resumed_from,
                       checkpoint=None if run.last_path is None else str(run.last_path), config=config.as_dict())


def _epoch_line(record: dict[str, Any], epochs: int) -> str:
    """One line per epoch, without timings (notebook outputs stay identical between runs)."""
    line = f"epoch {record['epoch']}/{epochs}: train loss {record['train_loss']:.4f}"
    if record["valid_loss"] is not None:
        line += f", valid loss {record['valid_loss']:.4f}, metric {record['valid_metric']:.4f}"
        line += " *" if record["improved"] else ""
    return line

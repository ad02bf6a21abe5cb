"""Checkpoints that resume a run exactly: atomic files, plain contents, every RNG state.

Introduced in 03_lstm; reused by 04, 05 and 06. A checkpoint is a dict of tensors and
plain Python values only (no NumPy arrays, no pickled objects), so it loads with
``torch.load(..., weights_only=True)`` -- the safe way to open a file you did not write.
Besides model, optimizer and scheduler it keeps the random-number state of Python,
NumPy, torch (CPU and CUDA) and of any ``torch.Generator`` the training DataLoader
shuffles with, so the resumed run draws the same batches and dropout masks.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import torch

FILE_PATTERN = re.compile(r"^epoch_(\d{4,})\.pt$")
PLAIN_TYPES = (str, int, float, bool, type(None))


def checkpoint_path(folder: str | Path, epoch: int) -> Path:
    """``folder/epoch_0003.pt`` for epoch 3."""
    return Path(folder) / f"epoch_{epoch:04d}.pt"


def list_checkpoints(folder: str | Path) -> list[Path]:
    """The finished checkpoint files of a folder, oldest epoch first (temporary files skipped)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := FILE_PATTERN.match(p.name))]
    return [p for _, p in sorted(found)]


def latest_checkpoint(folder: str | Path) -> Path | None:
    """The checkpoint of the latest epoch in ``folder``, or ``None`` when there is none."""
    files = list_checkpoints(folder)
    return files[-1] if files else None


def check_plain(obj: Any, where: str = "checkpoint") -> None:
    """Raise TypeError naming the first value that ``weights_only=True`` could not load."""
    if isinstance(obj, torch.Tensor) or isinstance(obj, PLAIN_TYPES):
        return
    if isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, (str, int)):
                raise TypeError(f"{where}: key {key!r} is a {type(key).__name__}, not str or int")
            check_plain(value, f"{where}[{key!r}]")
        return
    if isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            check_plain(value, f"{where}[{i}]")
        return
    raise TypeError(f"{where} is a {type(obj).__module__}.{type(obj).__name__}; checkpoints hold only "
                    "tensors and plain Python values (so they load with weights_only=True)")


def save_checkpoint(state: dict[str, Any], path: str | Path) -> Path:
    """Write ``state`` atomically: to a temporary file in the same folder, fsync, then rename.

    A crash while writing leaves the previous checkpoint intact (never a half-written file).
    """
    check_plain(state)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            torch.save(state, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    try:  # make the rename itself durable (not possible on every OS/filesystem)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
    return path


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint onto the CPU with ``weights_only=True`` (no arbitrary code runs)."""
    return torch.load(Path(path), map_location="cpu", weights_only=True)


def prune_checkpoints(folder: str | Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` latest checkpoints of ``folder``; return the deleted files."""
    if keep < 1:
        raise ValueError(f"keep must be >= 1, got {keep}")
    old = list_checkpoints(folder)[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    return old


# --- random-number state -------------------------------------------------------------

def loader_generators(loader: object) -> list[torch.Generator]:
    """Every distinct ``torch.Generator`` a DataLoader (or its samplers) shuffles with, in a fixed order.

    ``DataLoader(shuffle=True)`` without a generator draws from torch's global RNG,
    which :func:`rng_state` saves anyway; these are the explicitly seeded ones.
    """
    found: list[torch.Generator] = []
    seen: set[int] = set()

    def visit(obj: object, depth: int) -> None:
        if obj is None or depth > 3:
            return
        gen = getattr(obj, "generator", None)
        if isinstance(gen, torch.Generator) and id(gen) not in seen:
            seen.add(id(gen))
            found.append(gen)
        for name in ("sampler", "batch_sampler"):
            visit(getattr(obj, name, None), depth + 1)

    visit(loader, 0)
    return found


def rng_state(loaders: Iterable[object] = ()) -> dict[str, Any]:
    """The state of every random-number generator a training step can touch, as plain values."""
    version, mt, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    state: dict[str, Any] = {
        "python": {"version": version, "state": torch.tensor(mt, dtype=torch.int64), "gauss_next": gauss},
        "numpy": {"name": name, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else [],
        "loaders": [[g.get_state() for g in loader_generators(loader)] for loader in loaders],
    }
    return state


def set_rng_state(state: dict[str, Any], loaders: Iterable[object] = ()) -> None:
    """Restore what :func:`rng_state` saved (loaders in the same order as when saving)."""
    py = state["python"]
    random.setstate((py["version"], tuple(int(v) for v in py["state"].tolist()), py["gauss_next"]))
    npy = state["numpy"]
    np.random.set_state((npy["name"], npy["keys"].numpy().astype(np.uint32), npy["pos"], npy["has_gauss"],
                         npy["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    loaders = list(loaders)
    for i, (loader, saved) in enumerate(zip(loaders, state["loaders"])):
        gens = loader_generators(loader)
        if len(gens) != len(saved):
            raise ValueError(f"loader {i} shuffles with {len(gens)} generator(s) but the checkpoint saved "
                             f"{len(saved)}: build the DataLoader the same way as in the interrupted run")
        for gen, gen_state in zip(gens, saved):
            gen.set_state(gen_state)

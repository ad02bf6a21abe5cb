"""Seeding, thread pinning and device choice (introduced in 00_data_tour, used by 03-06)."""

from __future__ import annotations

import os
import random

import numpy as np

from .profiles import get_profile


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and torch; on CPU also ask torch for deterministic kernels."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    try:
        import torch
    except ImportError:  # torch is optional for the data notebooks
        return
    torch.manual_seed(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def default_threads() -> int:
    """Threads for torch and LightGBM: ``$OMP_NUM_THREADS``, else every core but one (1 to 8).

    Leaving a core free matters on small machines: on the course's 2-core machine, with one
    other busy process, two OpenMP threads trained 03's LSTM 7x slower than one thread
    (242 vs 1,813 samples/s) and LightGBM 14x slower (benchmarks/README.md).
    """
    return int(os.environ.get("OMP_NUM_THREADS", 0)) or min(max((os.cpu_count() or 1) - 1, 1), 8)


def set_threads(n: int | None = None) -> int:
    """Pin torch's intra-op threads (CPU runs are bit-identical at a fixed count); default :func:`default_threads`."""
    import torch

    n = n or default_threads()
    if n < 1:
        raise ValueError(f"thread count must be >= 1, got {n}")
    torch.set_num_threads(n)
    return n


def pick_device(prefer: str | None = None, verbose: bool = True) -> str:
    """Choose CUDA, then Apple MPS, then CPU; print one line saying which and why."""
    import torch

    if prefer is not None:
        if prefer not in ("cuda", "mps", "cpu"):
            raise ValueError(f"device must be 'cuda', 'mps' or 'cpu', got {prefer!r}")
        device, why = prefer, "requested"
    elif torch.cuda.is_available():
        device, why = "cuda", f"CUDA GPU found ({torch.cuda.get_device_name(0)})"
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device, why = "mps", "Apple GPU (MPS) found, no CUDA"
    else:
        device, why = "cpu", "no CUDA or MPS device found"
    if verbose:
        print(f"device: {device} ({why})")
    return device


def start(profile: object = None, seed: int = 0, threads: int | None = None, synthetic: bool = True,
          **overrides: object):
    """Notebook preamble: resolve the profile, seed everything, pin threads, print one line.

    ``profile`` is the notebook's PROFILE parameter (``None`` → ``$LABKIT_PROFILE`` or
    ``quick``); other parameters that are not ``None`` override profile values.
    ``synthetic=False`` (the real-data companions): the line names the model sizes only, not
    the synthetic world's users and products; the companion then prints what it loaded.
    Introduced in 00_data_tour; the first code cell of every notebook calls it.
    """

    prof = get_profile(profile, **overrides)
    seed_everything(seed)
    try:
        set_threads(threads)
    except ImportError:
        pass
    if synthetic:
        print(f"profile {prof.name!r}: {prof.n_users:,} users, {prof.n_products:,} products, "
              f"{prof.n_days} days from {prof.start_date}; seed {seed}")
    else:
        print(f"profile {prof.name!r} (model sizes and budgets; the data is a real dataset, read below); seed {seed}")
    return prof

"""Record the metrics a notebook reports, and read them back for the course summary.

``runs/<profile>/metrics.json`` holds ``{key: {metric: value}}`` where ``key`` is the
notebook's file stem (``03_lstm``) or ``<stem>:<dataset>`` for a real-data track, with
``@seed<k>`` appended for a run of another seed than 0 (``03_lstm@seed1``).
Introduced in 00_data_tour; every notebook ends with a call to :func:`record_metrics`.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from numbers import Real
from pathlib import Path

from .paths import runs_dir

METRICS_FILE = "metrics.json"


def metrics_path(profile: str, root: Path | None = None) -> Path:
    return runs_dir(profile, root) / METRICS_FILE


def metric_key(notebook: str, dataset: str | None = None, seed: int = 0) -> str:
    """``03_lstm`` for the synthetic world, ``03_lstm:online_retail`` for a real track, ``03_lstm@seed1`` for seed 1."""
    stem = Path(notebook).stem
    if not stem or not stem[:2].isdigit():
        raise ValueError(f"notebook must be a course notebook stem like '03_lstm', got {notebook!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    key = stem if dataset in (None, "", "synthetic") else f"{stem}:{dataset}"
    return key if seed == 0 else f"{key}@seed{seed}"


def _clean(metrics: dict[str, object]) -> dict[str, float | int]:
    if not isinstance(metrics, dict) or not metrics:
        raise ValueError("metrics must be a non-empty dict of name -> number")
    out: dict[str, float | int] = {}
    for name, value in metrics.items():
        if hasattr(value, "item"):  # numpy / torch scalars
            value = value.item()
        if isinstance(value, bool):
            value = int(value)
        if not isinstance(value, Real) or not math.isfinite(float(value)):
            raise ValueError(f"metric {name!r} must be a finite number, got {value!r}")
        out[str(name)] = int(value) if isinstance(value, int) else float(value)
    return out


def load_metrics(profile: str, root: Path | None = None) -> dict[str, dict[str, float | int]]:
    """All metrics recorded so far for a profile ({} if none)."""
    path = metrics_path(profile, root)
    return json.loads(path.read_text()) if path.exists() else {}


def record_metrics(
    notebook: str,
    metrics: dict[str, object],
    profile: str,
    dataset: str | None = None,
    root: Path | None = None,
    seed: int = 0,
) -> dict[str, float | int]:
    """Merge ``metrics`` into ``runs/<profile>/metrics.json`` under the notebook's key (:func:`metric_key`)."""
    key = metric_key(notebook, dataset, seed)
    values = _clean(metrics)
    path = metrics_path(profile, root)
    data = load_metrics(profile, root)
    data.setdefault(key, {}).update(values)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")  # atomic replace
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
    os.replace(tmp, path)
    return values


def summary_table(profile: str, root: Path | None = None) -> str:
    """A plain-text table of every recorded metric, one row per notebook and metric."""
    data = load_metrics(profile, root)
    if not data:
        return f"no metrics recorded yet for profile {profile!r}"
    rows = [(key, name, value) for key in sorted(data) for name, value in sorted(data[key].items())]
    width = max(len(k) for k, _, _ in rows)
    mwidth = max(len(m) for _, m, _ in rows)
    lines = [f"{'notebook':<{width}}  {'metric':<{mwidth}}  value", "-" * (width + mwidth + 12)]
    for key, name, value in rows:
        shown = f"{value:d}" if isinstance(value, int) else f"{value:.4f}"
        lines.append(f"{key:<{width}}  {name:<{mwidth}}  {shown}")
    return "\n".join(lines)

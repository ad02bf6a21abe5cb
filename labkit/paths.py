"""Where the course reads and writes: everything lives under the repository root.

Introduced in 00_data_tour. Generated data, artifacts and runs go into ignored folders
of the repo (``data/world``, ``artifacts``, ``runs``), never into the user's home.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT_ENV = "LABKIT_ROOT"
RUNS_ENV = "LABKIT_RUNS_DIR"  # the test suite points this at .cache/test-runs, away from your runs/
_MARKERS = ("pyproject.toml", "labkit")


def repo_root(start: str | Path | None = None) -> Path:
    """Find the repository root (the folder holding ``pyproject.toml`` and ``labkit/``).

    ``$LABKIT_ROOT`` wins; otherwise search upwards from ``start`` (default: the current
    directory), then from this file's location, so notebooks, tests and the CLI agree.
    """
    if os.environ.get(ROOT_ENV):
        return Path(os.environ[ROOT_ENV]).resolve()
    candidates = [Path(start or Path.cwd()).resolve(), Path(__file__).resolve().parent]
    for base in candidates:
        for folder in (base, *base.parents):
            if all((folder / m).exists() for m in _MARKERS):
                return folder
    raise FileNotFoundError(
        f"could not find the course repository root above {candidates[0]}; "
        f"set {ROOT_ENV} to the folder that holds pyproject.toml"
    )


def world_dir(profile: str, seed: int = 0, root: Path | None = None) -> Path:
    """Folder of the generated synthetic world for a profile and seed."""
    return (root or repo_root()) / "data" / "world" / f"{profile}-seed{seed}"


def artifacts_dir(profile: str, root: Path | None = None) -> Path:
    """Per-profile folder for features, models and forecasts that notebooks hand on."""
    path = (root or repo_root()) / "artifacts" / profile
    path.mkdir(parents=True, exist_ok=True)
    return path


def runs_dir(profile: str, root: Path | None = None) -> Path:
    """Per-profile folder for executed notebooks, metrics and TensorBoard logs.

    ``runs/<profile>`` under the repo root; ``$LABKIT_RUNS_DIR/<profile>`` when that is set
    and no ``root`` is given (``make test`` does this so a test run never touches ``runs/``).
    """
    base = Path(os.environ[RUNS_ENV]) if root is None and os.environ.get(RUNS_ENV) else (root or repo_root()) / "runs"
    path = base / profile
    path.mkdir(parents=True, exist_ok=True)
    return path


def relative(path: str | Path, root: Path | None = None) -> str:
    """``path`` relative to the repo root, for printing (no machine paths in outputs)."""
    path = Path(path).resolve()
    try:
        return path.relative_to(root or repo_root()).as_posix()
    except ValueError:
        return path.name

"""Fixtures: one quick world shared by the whole test session (the notebooks use it too)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import labkit

REAL_DATA_ENV = "LABKIT_REAL_DATA"


@pytest.fixture(scope="session")
def quick_world() -> labkit.World:
    """The default world of every notebook: profile quick, seed 0 (generated if missing)."""
    return labkit.ensure_world("quick", 0, verbose=False)


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder of real datasets ($LABKIT_REAL_DATA); skip when unset, fail when required.

    ``.ci/run`` sets ``LABKIT_REQUIRE_REAL_DATA=1``, so this project's CI fails rather than
    skips when the data is missing; a learner (or a GitHub runner) without it gets a skip.
    """
    value = os.environ.get(REAL_DATA_ENV)
    if not value:
        if os.environ.get("LABKIT_REQUIRE_REAL_DATA"):
            pytest.fail(f"{REAL_DATA_ENV} is not set but LABKIT_REQUIRE_REAL_DATA is: point it at ../shared/data")
        pytest.skip(f"{REAL_DATA_ENV} not set: real-data tests skipped (see data/README.md)")
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"{REAL_DATA_ENV}={value} is not a folder")
    return path


@pytest.fixture(scope="module")
def one_torch_thread():
    """Pin torch to one thread for a module (fast, deterministic model tests), then restore it."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

"""pytest configuration shared by tests/ and the nbval run over notebooks/.

- nbval runs with ``--nbval-lax``: every cell of every notebook is executed (an error fails
  it), and only cells tagged ``nbval-check-output`` have their text output compared with the
  committed one. Those are the deterministic cells: counts, schemas, data tables, the
  accounting of cleaned rows. Model results are checked by ``tests/test_lessons.py`` on the
  metrics the run recorded: within measured tolerances and as the orderings the prose claims.
- Recorded metrics of a test run go to ``.cache/test-runs/<profile>/metrics.json``
  (``$LABKIT_RUNS_DIR``), emptied at the start of every session, never to ``runs/``.
- Tests marked ``after_notebooks`` run after every notebook, whatever the order of the paths
  on the command line.
- The real-data companion notebooks (``01b_online_retail`` ...) are skipped, with the reason,
  when ``$LABKIT_REAL_DATA`` is not set; ``.ci/run`` sets it and ``LABKIT_REQUIRE_REAL_DATA``,
  so CI runs them and fails if the data is missing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
TEST_RUNS = ROOT / ".cache" / "test-runs"
_NOTEBOOK_OUTCOMES: dict[str, list[str]] = {}  # notebook stem -> outcome of each nbval cell item


def pytest_configure(config):
    shutil.rmtree(TEST_RUNS, ignore_errors=True)
    TEST_RUNS.mkdir(parents=True, exist_ok=True)
    os.environ["LABKIT_RUNS_DIR"] = str(TEST_RUNS)  # inherited by nbval's and papermill's kernels


def pytest_collectstart(collector):
    """nbval: compare text outputs only; images and HTML tables vary with library versions."""
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("image/png", "image/svg+xml", "text/html", "application/javascript", "stderr")


def pytest_collection_modifyitems(config, items):
    """Run the ``after_notebooks`` tests last (a stable sort keeps every other order); skip the
    real-data companions' cells when there is no real data (and it is not required)."""
    items.sort(key=lambda item: item.get_closest_marker("after_notebooks") is not None)
    if os.environ.get("LABKIT_REAL_DATA") or os.environ.get("LABKIT_REQUIRE_REAL_DATA"):
        return
    from labkit.datasets import companion_notebooks

    companions = set(companion_notebooks())
    skip = pytest.mark.skip(reason="real-data companion notebook: LABKIT_REAL_DATA not set (see data/README.md)")
    for item in items:
        path, _, cell = item.nodeid.partition("::")
        if path.endswith(".ipynb") and Path(path).stem in companions:
            item.add_marker(skip)


def pytest_runtest_logreport(report):
    """Remember how each notebook's nbval cells ended: the lesson tests read only fresh runs."""
    path, _, cell = report.nodeid.partition("::")
    if path.endswith(".ipynb") and cell and (report.failed or report.when == "call"):
        _NOTEBOOK_OUTCOMES.setdefault(Path(path).stem, []).append("failed" if report.failed else report.outcome)


@pytest.fixture(scope="session")
def notebook_outcomes(request) -> dict[str, list[str]]:
    """``{stem: [outcome per executed cell]}`` of the notebooks nbval ran in this session so far.

    Also lists the stems nbval collected (``[]`` until they run), so a test can tell
    "not run in this session" (absent) from "run and failed".
    """
    for item in request.session.items:
        path, _, cell = item.nodeid.partition("::")
        if path.endswith(".ipynb") and cell:
            _NOTEBOOK_OUTCOMES.setdefault(Path(path).stem, [])
    return _NOTEBOOK_OUTCOMES

"""The instructor's report (``python -m labkit report``): one page of a run, missing notebooks named, and a
headless browser that renders its tables and figures."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from labkit.report import report_html, write_report


def _png() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1, 2], [1, 0, 2])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture
def run_root(tmp_path: Path) -> Path:
    """A tiny course run: 00 executed and recorded, 01 recorded under another profile's parameters, the rest absent."""
    run = tmp_path / "runs" / "quick"
    run.mkdir(parents=True)
    (run / "metrics.json").write_text(json.dumps({"00_data_tour": {"n_users": 4000, "state_oracle_auc": 0.8123},
                                                  "01_data_cleaning": {"rows_raw": 12}}))
    cell = {"cell_type": "code", "source": "plot", "metadata": {}, "execution_count": 1,
            "outputs": [{"output_type": "display_data", "data": {"image/png": _png(), "text/plain": "<Figure>"},
                         "metadata": {}}]}
    for stem, prof in (("00_data_tour", "quick"), ("01_data_cleaning", "cpu")):
        nb = {"cells": [cell], "metadata": {"papermill": {"duration": 61.5, "start_time": "2026-12-06T10:00:00",
                                                          "exception": None, "parameters": {"PROFILE": prof}}},
              "nbformat": 4, "nbformat_minor": 5}
        (run / f"{stem}.ipynb").write_text(json.dumps(nb))
    return tmp_path


def test_the_report_shows_every_notebook_and_names_what_is_missing(run_root):
    page = report_html("quick", run_root)
    assert "state_oracle_auc" in page and "0.8123" in page and "4,000" in page
    assert page.count("data:image/png;base64,") == 2
    assert "Not in this run: no metrics and no 03_lstm.ipynb" in page
    assert "07_evaluation" in page  # listed, not silently dropped
    assert "ran with PROFILE=cpu, not quick" in page  # 01's run belongs to another profile
    assert re.search(r"<td>torch</td><td>\d", page)  # library versions
    assert "07_evaluation has not run with this profile" in page  # no leaderboards: said, not hidden
    out = write_report("quick", run_root)
    assert out == run_root / "runs" / "quick" / "report.html" and out.read_text().startswith("<!DOCTYPE html>")


def test_the_report_carries_07s_leaderboards_with_their_intervals(run_root):
    import pandas as pd

    run = run_root / "runs" / "quick"
    pd.DataFrame({"task": ["daily demand"] * 2, "model": ["moving_average", "lightgbm"], "score": [0.651, 0.619],
                  "lo": [0.599, 0.570], "hi": [0.723, 0.681], "diff": [0.0, -0.032], "diff_lo": [0.0, -0.05],
                  "diff_hi": [0.0, -0.012], "real": [False, True]}).to_csv(run / "leaderboards.csv", index=False)
    page = report_html("quick", run_root)
    assert "<td>lightgbm</td><td class=\"n\">0.6190</td><td>0.570 to 0.681</td><td>-0.032 (-0.050 to -0.012)</td>" \
           "<td>yes</td>" in page
    pd.DataFrame({"task": ["x"], "score": [1.0]}).to_csv(run / "leaderboards.csv", index=False)
    with pytest.raises(ValueError, match=r"leaderboards.csv: missing column\(s\) \['model', 'lo'"):
        report_html("quick", run_root)


def test_a_profile_without_a_run_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"profile 'cpu': no metrics and no executed notebooks in .*make course PROFILE=cpu"):
        report_html("cpu", tmp_path)
    with pytest.raises(ValueError, match="unknown profile"):
        report_html("laptop", tmp_path)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not found: `make browser` installs Debian's chromium")
def test_the_page_renders_in_a_headless_browser(run_root, tmp_path):
    page = write_report("quick", run_root)
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--user-data-dir={tmp_path / 'chromium'}"]
    # the DOM after the browser parsed it, with a script that reports what rendered: tables with rows, and
    # images the browser decoded (naturalWidth > 0 only for a valid embedded PNG)
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace(
        "</body>", "<script>document.title = 'rows=' + document.querySelectorAll('tr').length + ' decoded=' + "
                   "[...document.images].filter(i => i.complete && i.naturalWidth > 0).length;</script></body>"))
    dom = subprocess.run([*flags, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()], capture_output=True,
                         text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    m = re.search(r"<title>rows=(\d+) decoded=(\d+)</title>", dom.stdout)
    assert m, dom.stdout[:500]
    assert int(m[1]) > 20 and int(m[2]) == 2
    shot = tmp_path / "page.png"
    done = subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1200,2000", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and shot.stat().st_size > 10_000, done.stderr[-2000:]

"""results/<profile>.md: generated from a profile's recorded metrics and papermill timings."""

import json

import pytest

from labkit.recording import record_metrics
from labkit.results import notebook_times, profile_table, results_markdown, write_results


def _fake_run(root, stem, seconds, exception=None):
    nb = {"cells": [], "metadata": {"papermill": {"duration": seconds, "start_time": "2026-12-06T00:03:47.3+00:00",
                                                  "exception": exception}}}
    (root / "runs" / "cpu").mkdir(parents=True, exist_ok=True)
    (root / "runs" / "cpu" / f"{stem}.ipynb").write_text(json.dumps(nb))


def test_results_markdown_lists_every_metric_and_time(tmp_path, capsys):
    record_metrics("03_lstm", {"auc_lstm": 0.73251, "n_rows": 79001}, "cpu", root=tmp_path)
    record_metrics("04_bert", {"review_macro_f1_bert": 0.7}, "cpu", root=tmp_path)
    _fake_run(tmp_path, "03_lstm", 600.0)
    _fake_run(tmp_path, "04_bert", 1200.0, exception=True)
    (tmp_path / "runs" / "cpu" / "notes.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
    assert [r["notebook"] for r in notebook_times("cpu", tmp_path)] == ["03_lstm", "04_bert"]  # not a papermill run
    text = results_markdown("cpu", tmp_path)
    assert "| auc_lstm | 0.733 |" in text and "| n_rows | 79,001 |" in text and "### 04_bert" in text
    assert "| 03_lstm | 2026-12-06 00:03 | 10.0 |" in text and "| 04_bert (failed) |" in text
    assert "| **all** | | **30.0** |" in text and "`n_users=20000`" in text
    out = write_results("cpu", tmp_path)
    assert out == tmp_path / "results" / "cpu.md" and out.read_text().startswith("# Results of the `cpu` profile")
    table = profile_table("cpu", "03_lstm", {"auc_lstm": "LSTM test ROC-AUC"}, tmp_path)
    assert table.index.tolist() == ["LSTM test ROC-AUC"] and table.iloc[0, 0] == 0.73251
    assert table.columns[0].startswith("cpu profile (") and table.columns[0].endswith("results/cpu.md)")
    gru = profile_table("cpu", "03_lstm", {"auc_lstm": "LSTM", "auc_gru": "GRU"}, tmp_path)
    assert gru.loc["LSTM"].iloc[0] == 0.73251 and gru.loc["GRU"].isna().all()
    assert "results/cpu.json has no 03_lstm metric(s) ['auc_gru']" in capsys.readouterr().out
    none = profile_table("gpu", "03_lstm", {"auc_lstm": "x"}, tmp_path)
    assert none.isna().all().all() and none.columns[0] == "gpu profile (no committed run, results/gpu.md)"
    assert "make results PROFILE=gpu" in capsys.readouterr().out


def test_results_without_a_run_say_what_to_run(tmp_path):
    with pytest.raises(ValueError, match="make course PROFILE=gpu"):
        results_markdown("gpu", tmp_path)

"""labkit core: profiles, paths, metrics recorder, runtime helpers and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import labkit
from labkit import paths, profiles, runtime
from labkit import recording as metrics


def test_profiles_are_frozen_and_overridable(monkeypatch):
    quick = labkit.get_profile("quick")
    with pytest.raises(Exception):
        quick.n_users = 1  # frozen dataclass
    assert labkit.get_profile("quick", n_users=123).n_users == 123
    assert labkit.get_profile("quick", n_users=None) == quick  # None parameters are ignored
    monkeypatch.setenv(profiles.PROFILE_ENV, "cpu")
    assert labkit.get_profile(None).name == "cpu"
    monkeypatch.setenv(profiles.PROFILE_ENV, "tiny")
    with pytest.raises(ValueError, match="unknown profile 'tiny'"):
        labkit.get_profile(None)
    sizes = [labkit.PROFILES[p].n_users for p in ("quick", "cpu", "gpu")]
    assert sizes == sorted(sizes)


def test_repo_root_is_found_from_anywhere(tmp_path, monkeypatch):
    root = paths.repo_root()
    assert (root / "pyproject.toml").exists() and (root / "labkit").is_dir()
    monkeypatch.chdir(root / "notebooks")
    assert paths.repo_root() == root
    monkeypatch.chdir(tmp_path)  # outside the repo: found from labkit's own location
    assert paths.repo_root() == root
    assert paths.relative(root / "data" / "x.csv") == "data/x.csv"


def test_metrics_are_recorded_merged_and_read_back(tmp_path):
    metrics.record_metrics("03_lstm", {"auc": 0.91, "epochs": 3}, profile="quick", root=tmp_path)
    metrics.record_metrics("03_lstm", {"wape": np.float32(0.4)}, profile="quick", root=tmp_path)
    metrics.record_metrics("03_lstm", {"auc": 0.8}, profile="quick", dataset="online_retail", root=tmp_path)
    metrics.record_metrics("03_lstm", {"auc": 0.7}, profile="quick", root=tmp_path, seed=1)  # beside seed 0
    data = json.loads((tmp_path / "runs" / "quick" / "metrics.json").read_text())
    assert data["03_lstm"] == {"auc": 0.91, "epochs": 3, "wape": pytest.approx(0.4)}
    assert data["03_lstm:online_retail"] == {"auc": 0.8} and data["03_lstm@seed1"] == {"auc": 0.7}
    assert metrics.metric_key("03_lstm", "bitext", 2) == "03_lstm:bitext@seed2"
    assert metrics.load_metrics("quick", root=tmp_path) == data
    table = metrics.summary_table("quick", root=tmp_path)
    assert "03_lstm:online_retail" in table and "0.9100" in table
    with pytest.raises(ValueError, match="'auc' must be a finite number"):
        metrics.record_metrics("03_lstm", {"auc": float("nan")}, profile="quick", root=tmp_path)
    with pytest.raises(ValueError, match="course notebook stem"):
        metrics.record_metrics("lstm", {"auc": 0.5}, profile="quick", root=tmp_path)
    with pytest.raises(ValueError, match="non-empty dict"):
        metrics.record_metrics("03_lstm", {}, profile="quick", root=tmp_path)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        metrics.record_metrics("03_lstm", {"auc": 0.5}, profile="quick", root=tmp_path, seed=-1)


def test_seeding_is_reproducible_and_device_is_named(capsys):
    import torch

    runtime.seed_everything(7)
    a = (np.random.rand(3), torch.rand(3))
    runtime.seed_everything(7)
    b = (np.random.rand(3), torch.rand(3))
    assert np.array_equal(a[0], b[0]) and torch.equal(a[1], b[1])
    with pytest.raises(ValueError, match="seed must be an int"):
        runtime.seed_everything("7")
    device = runtime.pick_device()
    assert device in ("cpu", "cuda", "mps")
    assert capsys.readouterr().out.startswith(f"device: {device} (")
    with pytest.raises(ValueError, match="device must be"):
        runtime.pick_device("tpu")
    assert runtime.set_threads(1) == 1 and torch.get_num_threads() == 1


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labkit", *args], capture_output=True, text=True, timeout=300)


def test_cli_world_writes_a_world_and_rejects_bad_input(tmp_path):
    out = tmp_path / "w"
    done = _cli("world", "--profile", "quick", "--seed", "3", "--out", str(out), "--no-raw")
    assert done.returncode == 0, done.stderr
    assert "wrote the 'quick' world (seed 3)" in done.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and "raw_export" not in manifest
    bad = _cli("world", "--seed", "abc")
    assert bad.returncode == 2 and "--seed must be an int" in bad.stderr
    bad = _cli("world", "--profile", "huge")
    assert bad.returncode == 2 and "invalid choice: 'huge'" in bad.stderr
    bad = _cli("course", "--only", "42", "--profile", "quick")
    assert bad.returncode != 0 and "unknown notebook number" in bad.stderr


def test_world_cache_key_ignores_model_settings():
    from labkit.profiles import WORLD_FIELDS, get_profile

    quick = get_profile("quick")
    assert quick.world_dict() == get_profile("quick", lstm_epochs=9, tune_budget=7).world_dict()
    assert quick.world_dict() != get_profile("quick", n_users=500).world_dict()
    assert set(quick.world_dict()) == set(WORLD_FIELDS)


def test_default_threads_leaves_a_core_free_unless_told(monkeypatch):
    import os

    from labkit.runtime import default_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert default_threads() == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert default_threads() == min(max((os.cpu_count() or 1) - 1, 1), 8)


def test_start_names_the_synthetic_world_only_when_it_is_used(capsys):
    import labkit

    labkit.start("quick", 0, threads=1)
    assert "4,000 users, 40 products" in capsys.readouterr().out
    labkit.start("quick", 0, threads=1, synthetic=False)
    out = capsys.readouterr().out
    assert "users" not in out and "real dataset" in out and "seed 0" in out

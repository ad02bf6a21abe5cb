"""Smoke test of benchmarks/bench_rl.py: tiny sizes, output structure only (no timing checks)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_rl.py"


def test_bench_rl_writes_three_rows(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_rl", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "rl.json"
    result = bench.main(["--steps", "2000", "--out", str(out)])
    assert json.loads(out.read_text()) == result
    assert [r["environment"].split(",")[0].split(" ")[0] for r in result["rows"]] == ["VecInventory", "InventoryEnv", "Stable-Baselines3"]
    assert all(r["steps_per_s"] > 0 for r in result["rows"])
    with pytest.raises(ValueError, match="--steps"):
        bench.main(["--steps", "0", "--out", str(out)])


def test_bench_rl_agents_adds_two_training_rows_and_restores_the_threads(tmp_path):
    import torch

    spec = importlib.util.spec_from_file_location("bench_rl", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    threads = torch.get_num_threads()
    result = bench.main(["--steps", "2000", "--agents", "8192", "--threads", "1", "--out", str(tmp_path / "rl.json")])
    assert [r["environment"].split(" ")[0] for r in result["rows"][3:]] == ["06's", "Stable-Baselines3"]
    assert all(r["steps_per_s"] > 0 for r in result["rows"]) and result["torch_threads"] == 1
    assert torch.get_num_threads() == threads
    with pytest.raises(ValueError, match="--agents"):
        bench.main(["--agents", "-1", "--out", str(tmp_path / "rl.json")])

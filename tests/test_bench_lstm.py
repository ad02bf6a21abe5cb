"""Smoke test of benchmarks/bench_lstm.py: tiny cases on the CPU, output structure only (no timings)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_lstm.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_lstm", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_cpu_run_table_and_json(bench, tmp_path):
    before = torch.get_num_threads()
    try:
        result = bench.run_benchmark(devices=("cpu",), threads=1, quick=True)
    finally:
        torch.set_num_threads(before)
    assert result["benchmark"] == "lstm_training_throughput" and result["quick"] and result["epochs"] == 2
    rows = result["rows"]
    assert [(r["seq_len"], r["batch_size"]) for r in rows] == [(6, 16), (6, 32)]
    for row in rows:
        assert set(bench.ROW_KEYS) <= set(row) and row["device"] == "cpu" and row["precision"] == "fp32"
        assert row["samples_per_s"] > 0 and row["n_train"] == bench.QUICK["n_train"]
    lines = bench.markdown_table(result).splitlines()
    assert lines[0].startswith("| device | precision | seq len | batch |")
    assert sum(line.startswith("| cpu (1 thread) |") for line in lines) == 2
    path = bench.write_result(result, tmp_path / "out" / "lstm.json")
    assert json.loads(path.read_text())["rows"][0]["seq_len"] == 6
    args = bench.parse_args(["--quick", "--devices", "cpu", "--threads", "1"])
    assert args.quick and args.devices == "cpu" and args.threads == 1
    with pytest.raises(SystemExit):
        bench.main(["--devices", "tpu"])

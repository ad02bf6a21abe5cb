"""Smoke test of benchmarks/bench_world.py: tiny sizes, output structure only (no timing checks)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_world.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_world", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def result(bench):
    sizes = {name: bench.QUICK_SIZES[name] for name in ("small", "large")}
    return bench.run_benchmark(sizes, seed=0, timeout=120)


def test_result_structure(bench, result):
    assert result["benchmark"] == "world_generation" and result["raw_export"] is True
    assert [r["size"] for r in result["rows"]] == ["small", "large"]
    for row, name in zip(result["rows"], ("small", "large")):
        assert set(bench.ROW_KEYS) <= set(row)
        spec = bench.QUICK_SIZES[name]
        assert (row["users"], row["products"], row["days"]) == (spec["n_users"], spec["n_products"], spec["n_days"])
        assert row["events"] > 0 and row["seconds"] > 0 and row["peak_rss_mb"] > 0
        assert row["peak_rss_mb"] >= row["import_rss_mb"]
        assert math.isclose(row["events_per_second"], row["events"] / row["seconds"], rel_tol=0.01)
    assert result["rows"][1]["events"] > result["rows"][0]["events"]
    assert isinstance(result["exponent_time_vs_events"], float)
    assert result["targets"]["cpu_profile_ok"] is None  # no `cpu` profile among tiny sizes
    json.dumps(result)  # serialisable as written to benchmarks/out/


def test_markdown_table_and_write(bench, result, tmp_path):
    table = bench.markdown_table(result)
    lines = table.splitlines()
    assert lines[0].startswith("| size | profile | users |") and len(lines[0].split("|")) == len(lines[1].split("|"))
    assert sum(ln.startswith("| small |") or ln.startswith("| large |") for ln in lines) == 2
    assert "scaling exponent" in table
    path = bench.write_result(result, tmp_path / "out" / "world.json")
    assert json.loads(path.read_text())["rows"][0]["size"] == "small"


def test_fit_exponent_and_sizes(bench):
    assert bench.fit_exponent([1e3, 1e4, 1e5], [2.0, 20.0, 200.0]) == pytest.approx(1.0)
    assert bench.fit_exponent([1e3, 1e4], [1.0, 100.0]) == pytest.approx(2.0)
    assert bench.fit_exponent([5.0], [1.0]) is None
    assert list(bench.select_sizes("small,medium,large")) == ["small", "medium", "large"]
    assert bench.SIZES["large"] == {"profile": "cpu"}
    with pytest.raises(SystemExit):
        bench.select_sizes("huge")
    args = bench.parse_args(["--quick", "--sizes", "small"])
    assert args.quick and args.sizes == "small"

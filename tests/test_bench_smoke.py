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


# --- benchmarks/bench_pipeline.py: cleaning (01) and feature building (02) ----------------

PIPELINE = BENCH.with_name("bench_pipeline.py")


@pytest.fixture(scope="module")
def pipeline():
    spec = importlib.util.spec_from_file_location("bench_pipeline", PIPELINE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pipeline_result(pipeline):
    sizes = {name: pipeline.QUICK_SIZES[name] for name in ("small", "large")}
    return pipeline.run_benchmark(sizes, seed=0, timeout=120, real_data=False)


def test_pipeline_result_structure(pipeline, pipeline_result):
    res = pipeline_result
    assert res["benchmark"] == "cleaning_and_features" and res["steps"] == list(pipeline.STEPS)
    assert [(r["size"], r["step"]) for r in res["rows"]] == [
        (size, step) for size in ("small", "large") for step in pipeline.STEPS]
    for row in res["rows"]:
        assert set(pipeline.ROW_KEYS) <= set(row)
        spec = pipeline.QUICK_SIZES[row["size"]]
        assert (row["users"], row["products"], row["days"]) == (spec["n_users"], spec["n_products"], spec["n_days"])
        assert row["raw_rows"] > 0 and row["input_rows"] > 0 and row["seconds"] > 0
        assert row["peak_rss_mb"] >= row["import_rss_mb"] > 0
        assert math.isclose(row["rows_per_second"], row["input_rows"] / row["seconds"], rel_tol=0.01)
    by = {(r["size"], r["step"]): r for r in res["rows"]}
    small, large = by["small", "clean_pandas"], by["large", "clean_pandas"]
    assert small["input_rows"] == small["raw_rows"] and large["raw_rows"] > small["raw_rows"]
    assert set(small["detail"]["clean_rows"]) == {"users", "products", "orders", "events", "reviews", "messages"}
    assert set(by["small", "clean_sql"]["detail"]["clean_rows"]) == {"orders", "events"}
    assert by["small", "clean_sql"]["input_rows"] < small["raw_rows"]
    from labkit.features import FEATURE_ARTIFACTS

    assert by["small", "features"]["detail"]["artifacts"] == len(FEATURE_ARTIFACTS)
    for step in pipeline.STEPS:
        assert isinstance(res["exponents_vs_raw_rows"][step]["time"], float)
    assert res["targets"]["cpu_clean_plus_features_ok"] is None  # no `cpu` profile among tiny sizes
    assert "skipped" in res["online_retail"]
    json.dumps(res)  # serialisable as written to benchmarks/out/


def test_pipeline_leaves_repo_artifacts_alone(pipeline_result):
    # build_features ran under a temporary $LABKIT_ROOT: nothing of the tiny worlds reached the repo
    # (the benchmark's worlds are folders named "world"; the repo's are "<profile>-seed<seed>")
    manifest = Path(__file__).resolve().parents[1] / "artifacts" / "quick" / "features" / "manifest.json"
    if manifest.exists():
        built = json.loads(manifest.read_text()).get("artifacts", {})
        assert all(config.get("world") != "world" for config in built.values())


def test_pipeline_markdown_and_args(pipeline, pipeline_result, tmp_path):
    table = pipeline.markdown_table(pipeline_result)
    lines = table.splitlines()
    assert lines[0].startswith("| size | profile | users | raw rows | step |")
    assert len(lines[0].split("|")) == len(lines[1].split("|"))
    assert sum(ln.startswith("| small |") or ln.startswith("| large |") for ln in lines) == 2 * len(pipeline.STEPS)
    assert table.count("scaling exponent") == len(pipeline.STEPS) and "UCI Online Retail: skipped" in table
    path = pipeline.write_result(pipeline_result, tmp_path / "out" / "pipeline.json")
    assert json.loads(path.read_text())["rows"][0]["size"] == "small"
    assert pipeline.SIZES["large"] == {"profile": "cpu"}
    assert all(pipeline.SIZES[k] == pipeline._bw.SIZES[k] for k in ("medium", "large", "quick"))
    assert pipeline.SIZES["small"]["n_users"] == pipeline._bw.SIZES["small"]["n_users"]
    assert pipeline.select_steps("features,clean_sql") == ("features", "clean_sql")
    with pytest.raises(SystemExit):
        pipeline.select_steps("train")
    with pytest.raises(SystemExit):
        pipeline.select_sizes("huge", quick=True)
    args = pipeline.parse_args(["--quick", "--sizes", "small", "--steps", "features"])
    assert args.quick and args.sizes == "small" and args.steps == "features"
    assert "skipped" in pipeline.run_real(None) and "skipped" in pipeline.run_real(str(tmp_path))


@pytest.mark.real_data
def test_pipeline_online_retail_row(pipeline, real_data):
    row = pipeline.run_real(str(real_data), timeout=120)
    if "skipped" in row:
        pytest.skip(row["skipped"])
    assert row["lines"] == row["clean_rows"] + row["quarantined_rows"] > 0
    assert row["seconds"] >= row["load_seconds"] and isinstance(row["ok"], bool)


def test_bert_buckets_benchmark_smoke(tmp_path):
    """benchmarks/bench_bert_buckets.py --quick: one seed, random then bucketed batches, JSON written."""
    spec = importlib.util.spec_from_file_location("bench_bert_buckets", BENCH.with_name("bench_bert_buckets.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "b.json"
    result = module.main(["--quick", "--seeds", "0", "--bucket", "2", "--threads", "1", "--out", str(out)])
    assert json.loads(out.read_text())["rows"] == result["rows"]
    assert [r["length_bucket"] for r in result["rows"]] == [None, 2] and result["train_texts"] == 48
    for r in result["rows"]:
        assert r["fit_seconds"] > 0 and 0 <= r["test_macro_f1"] <= 1 and 0 <= r["test_macro_f1[hard]"] <= 1


def test_image_features_benchmark_smoke(tmp_path):
    """benchmarks/bench_image_features.py --quick: one size and batch, JSON written, a positive rate."""
    spec = importlib.util.spec_from_file_location("bench_image_features", BENCH.with_name("bench_image_features.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "i.json"
    result = module.main(["--quick", "--threads", "1", "--out", str(out)])
    assert json.loads(out.read_text())["rows"] == result["rows"]
    (row,) = result["rows"]
    assert (row["task"], row["input_px"], row["batch"], row["images"]) == ("features", 64, 4, 8)
    assert row["images_per_s"] > 0

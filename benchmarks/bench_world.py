"""Benchmark: synthetic-world generation time and peak memory at three sizes.

Each size runs ``labkit.world.generate_world(profile, seed=0, out=tmpdir)`` (raw export on)
in a fresh Python subprocess, so the peak resident memory (``ru_maxrss`` read inside the
child) belongs to that run alone. Per size it reports users, products, days, events,
wall seconds, CPU seconds, events per second and peak RSS, then fits the scaling exponent
of time against events (least squares on log-log) and checks the course's targets:
the ``cpu`` profile world in at most 60 s on 2 cores, exponent at most 1.15.

    .venv/bin/python benchmarks/bench_world.py                 # what `make bench` runs
    .venv/bin/python benchmarks/bench_world.py --sizes small,medium
    .venv/bin/python benchmarks/bench_world.py --quick         # tiny sizes, smoke test

Results go to ``benchmarks/out/world.json`` (ignored by git; ``world_quick.json`` with
``--quick``) and a Markdown table is printed. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_OUT = HERE / "out" / "world.json"

# Sizes span 10x in users (and so about 10x in events) at ~125 users per product over
# two years. "large" is the `cpu` profile itself (20,000 users, 160 products, 728 days),
# which is the quick profile with those three overrides: the generator reads only the
# world fields of a profile, so both give the same world.
SIZES: dict[str, dict[str, object]] = {
    "small": {"profile": "quick", "n_users": 2_000, "n_products": 16, "n_days": 728},
    "medium": {"profile": "quick", "n_users": 6_000, "n_products": 48, "n_days": 728},
    "large": {"profile": "cpu"},
    # opt-in only (not in the default run): the notebooks' default world
    "quick": {"profile": "quick"},
}
# --quick: tiny worlds for a smoke test (seconds, not minutes); same names so --sizes works.
QUICK_SIZES: dict[str, dict[str, object]] = {
    "small": {"profile": "quick", "n_users": 150, "n_products": 6, "n_days": 60},
    "medium": {"profile": "quick", "n_users": 300, "n_products": 6, "n_days": 60},
    "large": {"profile": "quick", "n_users": 600, "n_products": 6, "n_days": 60},
}
DEFAULT_SIZES = ("small", "medium", "large")
TARGET_CPU_SECONDS = 60.0  # the `cpu` profile world on 2 cores
TARGET_EXPONENT = 1.15
ROW_KEYS = ("size", "profile", "users", "products", "days", "events", "seconds", "cpu_seconds",
            "events_per_second", "peak_rss_mb", "import_rss_mb", "disk_mb", "load_before")


# --- child: one generation in a fresh interpreter ---------------------------------------


def _child(spec: dict[str, object], out_dir: str, seed: int) -> dict[str, object]:
    """Runs inside the subprocess: generate one world and measure it."""
    import resource

    sys.path.insert(0, str(ROOT))
    import labkit
    from labkit.world import generate_world

    import_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    spec = dict(spec)
    name = str(spec.pop("profile"))
    prof = labkit.get_profile(name, **spec)
    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    path = generate_world(prof, seed=seed, out=Path(out_dir) / "world", raw=True)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    manifest = json.loads((path / "manifest.json").read_text())
    disk = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    events = int(manifest["tables"]["events"]["rows"])
    raw = manifest.get("raw_export", {}).get("tables", {})
    return {
        "profile": name,
        "users": prof.n_users,
        "products": prof.n_products,
        "days": prof.n_days,
        "events": events,
        "orders_lines": int(manifest["tables"]["orders"]["rows"]),
        "table_rows": int(sum(t["rows"] for t in manifest["tables"].values())),
        "raw_rows": int(sum(t["rows"] for t in raw.values())),
        "seconds": round(seconds, 3),
        "cpu_seconds": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 3),
        "events_per_second": round(events / seconds, 1) if seconds > 0 else None,
        "peak_rss_mb": round(after.ru_maxrss / 1024, 1),
        "import_rss_mb": round(import_rss_kb / 1024, 1),
        "disk_mb": round(disk / 2**20, 1),
    }


# --- parent: run the sizes, fit, report -------------------------------------------------


def run_size(name: str, spec: dict[str, object], seed: int = 0, timeout: float | None = None) -> dict[str, object]:
    """Generate one world in a fresh subprocess and return its measurements."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryDirectory(prefix="bench_world_") as tmp:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec),
               "--child-dir", tmp, "--seed", str(seed)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))
    if proc.returncode != 0:
        raise RuntimeError(f"size {name!r} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"size {name!r}: the child printed no result:\n{proc.stdout[-2000:]}")
    row = {"size": name, **json.loads(lines[-1])}
    row["load_before"] = round(load, 2) if load is not None else None
    return row


def fit_exponent(x: list[float], y: list[float]) -> float | None:
    """Slope of log(y) on log(x) by least squares (None with fewer than two distinct x)."""
    pts = [(math.log(a), math.log(b)) for a, b in zip(x, y) if a > 0 and b > 0]
    if len(pts) < 2 or len({p[0] for p in pts}) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    sxy = sum((p[0] - mx) * (p[1] - my) for p in pts)
    return sxy / sxx


def _machine() -> dict[str, object]:
    import numpy
    import pandas
    import pyarrow

    return {
        "platform": platform.platform(), "python": platform.python_version(), "cpu_count": os.cpu_count(),
        "machine": platform.machine(), "numpy": numpy.__version__, "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__, "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    }


def run_benchmark(sizes: dict[str, dict[str, object]], seed: int = 0, timeout: float | None = None,
                  verbose: bool = False) -> dict[str, object]:
    """Run every size (in order, one subprocess each); return rows, exponents and target checks."""
    if not sizes:
        raise ValueError("no sizes to run")
    rows = []
    for name, spec in sizes.items():
        if verbose:
            print(f"[bench_world] {name}: {spec} ...", file=sys.stderr, flush=True)
        row = run_size(name, spec, seed=seed, timeout=timeout)
        if verbose:
            print(f"[bench_world] {name}: {row['events']:,} events in {row['seconds']:.1f} s "
                  f"(cpu {row['cpu_seconds']:.1f} s), peak {row['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)
        rows.append(row)
    events = [float(r["events"]) for r in rows]
    exponent = fit_exponent(events, [float(r["seconds"]) for r in rows])
    cpu_exponent = fit_exponent(events, [float(r["cpu_seconds"]) for r in rows])
    rss_exponent = fit_exponent(events, [float(r["peak_rss_mb"]) for r in rows])
    cpu_rows = [r for r in rows if r["profile"] == "cpu"]
    checks = {
        "cpu_profile_seconds": cpu_rows[0]["seconds"] if cpu_rows else None,
        "cpu_profile_target_s": TARGET_CPU_SECONDS,
        "cpu_profile_ok": (cpu_rows[0]["seconds"] <= TARGET_CPU_SECONDS) if cpu_rows else None,
        "exponent_target": TARGET_EXPONENT,
        "exponent_ok": (exponent <= TARGET_EXPONENT) if exponent is not None else None,
    }
    return {
        "benchmark": "world_generation",
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "seed": seed,
        "raw_export": True,
        "machine": _machine(),
        "rows": rows,
        "exponent_time_vs_events": None if exponent is None else round(exponent, 3),
        "exponent_cpu_time_vs_events": None if cpu_exponent is None else round(cpu_exponent, 3),
        "exponent_rss_vs_events": None if rss_exponent is None else round(rss_exponent, 3),
        "events_span": round(max(events) / min(events), 2) if min(events) > 0 else None,
        "targets": checks,
    }


def markdown_table(result: dict[str, object]) -> str:
    """The results as a Markdown table plus the fitted exponents and target checks."""
    head = ("| size | profile | users | products | days | events | seconds | CPU s | events/s | peak RSS MB |\n"
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for r in result["rows"]:
        eps = "-" if r["events_per_second"] is None else f"{r['events_per_second']:,.0f}"
        lines.append(f"| {r['size']} | {r['profile']} | {r['users']:,} | {r['products']:,} | {r['days']:,} "
                     f"| {r['events']:,} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {eps} "
                     f"| {r['peak_rss_mb']:,.0f} |")
    exp, cexp, rexp = (result[k] for k in ("exponent_time_vs_events", "exponent_cpu_time_vs_events",
                                           "exponent_rss_vs_events"))
    t = result["targets"]
    fmt = lambda v: "n/a" if v is None else f"{v:.2f}"  # noqa: E731
    lines.append("")
    lines.append(f"scaling exponent (wall time vs events, log-log least squares): {fmt(exp)} "
                 f"(CPU time: {fmt(cexp)}, peak RSS: {fmt(rexp)}; events span {result['events_span']}x)")
    if t["cpu_profile_ok"] is not None:
        verdict = "met" if t["cpu_profile_ok"] else "MISSED"
        lines.append(f"target: cpu profile world <= {t['cpu_profile_target_s']:.0f} s: "
                     f"{t['cpu_profile_seconds']:.1f} s, {verdict}")
    if t["exponent_ok"] is not None:
        verdict = "met" if t["exponent_ok"] else "MISSED"
        lines.append(f"target: exponent <= {t['exponent_target']}: {fmt(exp)}, {verdict}")
    return "\n".join(lines)


def write_result(result: dict[str, object], path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default=",".join(DEFAULT_SIZES),
                   help=f"comma-separated sizes from {sorted(SIZES)} (default: {','.join(DEFAULT_SIZES)})")
    p.add_argument("--quick", action="store_true", help="tiny sizes for a smoke test")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help=f"JSON output (default: {DEFAULT_OUT.relative_to(ROOT)})")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per size")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--child-dir", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def select_sizes(names: str, quick: bool = False) -> dict[str, dict[str, object]]:
    table = QUICK_SIZES if quick else SIZES
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in table]
    if unknown or not wanted:
        raise SystemExit(f"--sizes: unknown or empty {unknown or names!r}; choose from {sorted(table)}")
    return {n: table[n] for n in wanted}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        print(json.dumps(_child(json.loads(args.child), args.child_dir, args.seed)))
        return 0
    sizes = select_sizes(args.sizes, args.quick)
    out = Path(args.out) if args.out else (DEFAULT_OUT.with_name("world_quick.json") if args.quick else DEFAULT_OUT)
    result = run_benchmark(sizes, seed=args.seed, timeout=args.timeout, verbose=True)
    result["quick"] = bool(args.quick)
    write_result(result, out)
    print(markdown_table(result))
    try:
        shown = out.resolve().relative_to(ROOT)
    except ValueError:
        shown = out
    print(f"\nwrote {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

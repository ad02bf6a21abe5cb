"""How far the notebooks' recorded metrics move across CPUs and thread counts.

Reads the expected metrics of the default run (tests/expected/quick_metrics.json) and the
metrics that ``make test VARIANT=<v>`` (or ``make test-notebooks VARIANT=<v>``) kept in
runs/portability/<v>.json, and prints, per tolerance family of tests/test_lessons.py, the
tolerance and the largest |difference| seen under each variant, then the metrics that moved
most. The tolerances are set a little above these measurements.

    .venv/bin/python benchmarks/portability.py            # Markdown tables on stdout
    .venv/bin/python benchmarks/portability.py --expected OTHER.json   # against another default run
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _lessons():
    spec = importlib.util.spec_from_file_location("test_lessons", ROOT / "tests" / "test_lessons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--expected", type=Path, default=ROOT / "tests" / "expected" / "quick_metrics.json")
    args = parser.parse_args(argv)
    lessons = _lessons()
    expected = json.loads(args.expected.read_text())
    runs = {p.stem: json.loads(p.read_text()) for p in sorted((ROOT / "runs" / "portability").glob("*.json"))}
    if not runs:
        print("no runs/portability/*.json yet: run `make test VARIANT=avx2` (or generic, 1thread) first",
              file=sys.stderr)
        return 1
    rows, worst = {}, []
    for stem, metrics in expected.items():
        for name, value in metrics.items():
            family, tol = lessons.tolerance(name)
            rows.setdefault(family, {"tol": tol, **{v: 0.0 for v in runs}})
            for variant, data in runs.items():
                got = data.get(stem, {}).get(name)
                if got is None:
                    rows[family][variant] = float("nan")
                    continue
                diff = abs(got - value)
                rows[family][variant] = max(rows[family][variant], diff)
                worst.append((diff, variant, f"{stem}.{name}", value, got))
    names = list(runs)
    print("| family | tolerance | " + " | ".join(f"max diff, {v}" for v in names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    for family, row in rows.items():
        print(f"| {family} | {row['tol']:g} | " + " | ".join(f"{row[v]:.4f}" for v in names) + " |")
    print("\n| metric | variant | expected | measured | diff |\n|---|---|---:|---:|---:|")
    for diff, variant, name, value, got in sorted(worst, reverse=True)[:12]:
        print(f"| {name} | {variant} | {value:.4f} | {got:.4f} | {diff:.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the forecasting peers of 07 (statsforecast, mlforecast) against 03's models, on a profile's rows.

07's Part 4 on the test rows 03 saved for a profile (``forecasts/demand_test``): WAPE, MASE and bias
of 03's models and of statsforecast's seasonal naive, AutoETS and TSB and mlforecast's global LightGBM,
each peer's wall time for all origins, and the paired cluster-bootstrap difference of every peer to
03's LightGBM (units = products). It needs 02 and 03 of that profile to have run, e.g.

    .venv/bin/python -m labkit course --profile cpu --only 00,01,02,03 --no-real
    .venv/bin/python benchmarks/bench_peers.py --profile cpu

Results go to ``benchmarks/out/peers-<profile>.json`` and Markdown tables are printed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
PEERS = ("statsforecast_seasonal_naive", "statsforecast_ets", "statsforecast_tsb")
COURSE = ("seasonal_naive", "moving_average", "lightgbm", "lstm", "lstm + lightgbm")


def run(profile: str, seed: int = 0) -> dict:
    """The peer table and the paired differences to 03's LightGBM for one profile's saved test rows."""
    import pandas as pd

    import labkit
    from labkit import schema as S
    from labkit.evaluation import uncertainty as U
    from labkit.evaluation.forecast_metrics import forecast_table, seasonal_scale
    from labkit.evaluation.handoff import read_handoff
    from labkit.features.build import load_features
    from labkit.models.demand.classical import classical_forecasts, classical_models
    from labkit.models.demand.global_lgbm import global_lgbm_forecasts

    prof = labkit.start(profile, seed)
    demand = read_handoff(labkit.ArtifactStore(prof.name, seed), "forecasts/demand_test")
    if demand is None:
        raise SystemExit(f"no forecasts/demand_test for profile {profile!r}: run 02 and 03 of it first")
    split = load_features(prof, "split", seed=seed)
    panel = load_features(prof, "demand_panel", seed=seed)
    ours = [m for m in COURSE if m in demand.columns]
    seconds = {}
    for name, make in classical_models(names=list(PEERS)).items():
        t0 = time.perf_counter()
        demand[name] = classical_forecasts(panel, demand, {name: make})[name]
        seconds[name] = time.perf_counter() - t0
    t0 = time.perf_counter()
    demand["mlforecast_lgbm"] = global_lgbm_forecasts(panel, demand, seed=seed)
    seconds["mlforecast_lgbm"] = time.perf_counter() - t0
    peers = list(seconds)
    table = forecast_table(demand, ours + peers, seasonal_scale(panel, split.train_end))
    table["source"] = ["03"] * len(ours) + ["peer"] * len(peers)
    table["seconds"] = pd.Series(seconds)
    board = U.leaderboard(U.wape, demand[S.UNITS], {m: demand[m] for m in ["lightgbm", *peers]},
                          demand[S.PRODUCT_ID], baseline="lightgbm", n=prof.bootstrap_samples, seed=seed)
    return {"profile": profile, "seed": seed, "rows": len(demand), "products": int(demand[S.PRODUCT_ID].nunique()),
            "origins": int(demand[S.ORIGIN].nunique()) if S.ORIGIN in demand.columns else None,
            "table": table[["source", "wape", "mase", "bias", "seconds"]].reset_index().to_dict("records"),
            "paired_vs_lightgbm": board.reset_index(names="model").to_dict("records")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    result = run(args.profile, args.seed)
    result.update(date=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                  threads=os.environ.get("OMP_NUM_THREADS", "unset"))
    out = args.out or HERE / "out" / f"peers-{args.profile}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=float))
    print(f"{result['rows']:,} test rows, {result['products']} products, profile {args.profile}\n")
    print("| model | source | WAPE | MASE | bias | seconds |\n|---|---|---:|---:|---:|---:|")
    for r in result["table"]:
        sec = "" if r["seconds"] != r["seconds"] else f"{r['seconds']:.1f}"
        print(f"| {r['model']} | {r['source']} | {r['wape']:.3f} | {r['mase']:.3f} | {r['bias']:+.3f} | {sec} |")
    print("\n| peer | WAPE minus 03's LightGBM | 95 % CI (products) |\n|---|---:|---|")
    for r in result["paired_vs_lightgbm"]:
        if r["model"] != "lightgbm":
            print(f"| {r['model']} | {r['diff']:+.3f} | {r['diff_lo']:+.3f} to {r['diff_hi']:+.3f} |")
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

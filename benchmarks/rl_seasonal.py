"""06 Part 6 alone, as the notebook computes it: the seasonal problem ordered on 03's forecasts.

03's LightGBM refitted every ``--refit-weeks`` weekly origins on 02's demand rows (``rolling_forecasts``),
the daily forecast a shop ordering L + 1 days ahead could use, the four rules of Part 6 and PPO given the forecast,
scored on the same 100 evaluation years. Prints one JSON line: run it under each portability setting
(benchmarks/README.md, "06 Part 6 on 03's forecast, under the variants"). Needs 02's artifacts of the
profile (``make notebooks`` or ``python -m labkit course --only 00,01,02``).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/rl_seasonal.py
    .venv/bin/python benchmarks/rl_seasonal.py --profile cpu --refit-weeks 8 --no-ppo
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> dict[str, float]:
    import labkit
    from labkit.evaluation.backtest import rolling_forecasts
    from labkit.features.build import load_features
    from labkit.models.demand.forecast import lightgbm_fitter
    from labkit.rl.agents import greedy, ppo
    from labkit.rl.forecasts import daily_forecast, seasonal_demand
    from labkit.rl.inventory import InventoryConfig, VecInventory, draw_demand, run_policy
    from labkit.rl.policies import base_stock, error_ratio, forecast_order_up_to, lead_time_sums
    from labkit.runtime import default_threads

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=None, help="PPO steps (default: the profile's rl_steps)")
    parser.add_argument("--refit-weeks", type=int, default=None, help="06's REFIT_WEEKS (default: the profile's)")
    parser.add_argument("--fit-threads", type=int, default=None, help="LightGBM threads (default: labkit's default)")
    parser.add_argument("--no-ppo", action="store_true", help="the forecasts and the rules only")
    args = parser.parse_args(argv)
    lead, years, products = 2, 100, 8  # 06's LEAD_TIME, EVAL_EPISODES, SEASONAL_PRODUCTS
    profile = labkit.start(args.profile, args.seed)
    world = labkit.ensure_world(profile, args.seed, verbose=False)
    refit_weeks = args.refit_weeks or profile.forecast_refit_weeks
    threads = args.fit_threads or default_threads()
    start = time.perf_counter()
    weekly = rolling_forecasts(load_features(profile, "demand_features", seed=args.seed),
                               lightgbm_fitter(seed=args.seed, threads=threads), refit_every=refit_weeks)
    seconds = time.perf_counter() - start
    demand = seasonal_demand(world, daily_forecast(weekly, lead), products, 5.0)
    rates, forecasts = demand.rates, demand.forecast
    config = InventoryConfig(lead, 1.0, 9.0, lost_sales=False, horizon=len(demand.dates))
    which = np.arange(years) % products
    env = {k: VecInventory(config, rates[which], n=years, demand=draw_demand(rates[which], config, years, seed=off + args.seed),
                           forecast=forecasts[which]) for k, off in (("tune", 10_000), ("eval", 20_000))}
    grid = np.arange(5, 60)
    per_level = np.array([run_policy(base_stock(s), env["tune"])["cost_per_day"] for s in grid])
    levels = np.array([grid[per_level[:, which == k].mean(1).argmin()] for k in range(products)])
    ratio = error_ratio(env["tune"].fixed_demand, forecasts[which], config)
    cost = {"basestock": base_stock(levels[which]), "orderupto_naive": forecast_order_up_to(),
            "orderupto": forecast_order_up_to(ratio=ratio)}
    truth_lt, forecast_lt = lead_time_sums(rates, lead), lead_time_sums(forecasts, lead)
    out = {"refit_weeks": refit_weeks, "fit_threads": threads, "forecast_seconds": round(seconds, 1),
           "forecast_sum": float(forecasts.sum()), "error_ratio": ratio,
           "wape": float(np.abs(forecast_lt - truth_lt).sum() / truth_lt.sum())}
    out.update({k: float(run_policy(policy, env["eval"])["cost_per_day"].mean()) for k, policy in cost.items()})
    if args.no_ppo:
        print(json.dumps(out))
        return out
    actor, _ = ppo(config, args.steps or profile.rl_steps, rates, forecast=forecasts, seed=args.seed)
    result = run_policy(greedy(actor, forecast=True), env["eval"])
    out.update(ppo=float(result["cost_per_day"].mean()), ppo_fill=float(result["fill_rate"].mean()))
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()

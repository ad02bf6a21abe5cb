"""Benchmark: environment steps per second of 06's inventory problem, the three ways an agent can step it.

- ``VecInventory``, 64 copies stepped at once as arrays (what 06's PPO trains on);
- ``InventoryEnv``, one ``gymnasium.Env`` copy stepped in a Python loop;
- Stable-Baselines3's ``DummyVecEnv`` of 8 ``InventoryEnv`` copies (what 06's library peer trains on).

Random order quantities, backorders, one year per episode; no learning, so the numbers are the
ceiling an agent's own computation then eats into (06 prints its PPO's and Stable-Baselines3's
training speed).

    .venv/bin/python benchmarks/bench_rl.py            # 200,000 steps each
    .venv/bin/python benchmarks/bench_rl.py --steps 20000

Results go to ``benchmarks/out/rl.json`` and a Markdown table is printed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
DEFAULT_OUT = HERE / "out" / "rl.json"


def vectorised(steps: int, n: int = 64) -> float:
    """Steps per second of ``VecInventory`` with ``n`` copies (one step = one copy-day)."""
    from labkit.rl.inventory import InventoryConfig, VecInventory, observation

    config = InventoryConfig(lost_sales=False)
    env, rng = VecInventory(config, 5.0, n=n, seed=0), np.random.default_rng(0)
    start, done_steps = time.perf_counter(), 0
    while done_steps < steps:
        _, done, _ = env.step(rng.integers(0, config.max_order + 1, n))
        observation(env)
        if done:
            env.reset()
        done_steps += n
    return done_steps / (time.perf_counter() - start)


def single(steps: int) -> float:
    """Steps per second of one ``InventoryEnv`` (gymnasium) in a Python loop."""
    from labkit.rl.gym_env import InventoryEnv

    env = InventoryEnv()
    env.reset(seed=0)
    start = time.perf_counter()
    for _ in range(steps):
        _, _, done, _, _ = env.step(int(env.action_space.sample()))
        if done:
            env.reset()
    return steps / (time.perf_counter() - start)


def sb3_dummy(steps: int, n: int = 8) -> float:
    """Steps per second of Stable-Baselines3's ``DummyVecEnv`` of ``n`` copies."""
    from stable_baselines3.common.env_util import make_vec_env

    from labkit.rl.gym_env import InventoryEnv

    venv = make_vec_env(lambda: InventoryEnv(), n_envs=n, seed=0)
    venv.reset()
    rng = np.random.default_rng(0)
    start, done_steps = time.perf_counter(), 0
    while done_steps < steps:
        venv.step(rng.integers(0, venv.action_space.n, n))
        done_steps += n
    return done_steps / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.steps < 1:
        raise ValueError(f"--steps: expected >= 1, got {args.steps}")
    rows = [{"environment": "VecInventory, 64 copies as arrays", "steps_per_s": vectorised(args.steps)},
            {"environment": "InventoryEnv (gymnasium), one copy", "steps_per_s": single(args.steps // 4)},
            {"environment": "Stable-Baselines3 DummyVecEnv, 8 copies", "steps_per_s": sb3_dummy(args.steps // 4)}]
    result = {"benchmark": "rl_environment_steps", "date": _dt.date.today().isoformat(), "steps": args.steps,
              "omp_threads": os.environ.get("OMP_NUM_THREADS"), "cpu_count": os.cpu_count(), "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print("| environment | steps/s |\n|---|---:|")
    for row in rows:
        print(f"| {row['environment']} | {row['steps_per_s']:,.0f} |")
    return result


if __name__ == "__main__":
    main()

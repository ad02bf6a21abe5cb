"""Benchmark: environment steps per second of 06's inventory problem, the three ways an agent can step it.

- ``VecInventory``, 64 copies stepped at once as arrays (what 06's PPO trains on);
- ``InventoryEnv``, one ``gymnasium.Env`` copy stepped in a Python loop;
- Stable-Baselines3's ``DummyVecEnv`` of 8 ``InventoryEnv`` copies (what 06's library peer trains on).

Random order quantities, backorders, one year per episode; no learning, so the numbers are the
ceiling an agent's own computation then eats into.

With ``--agents N``, also the agents' training speed with learning, on the threads torch is given
(``--threads``, default 1: the issue's one-thread comparison): 06's PPO (``labkit.rl.agents.ppo``,
64 copies as arrays) and Stable-Baselines3's PPO with 06's Part 5 settings (8 ``InventoryEnv``
copies, ``n_steps=256``, ``batch_size=512``, 4 epochs), each for N environment steps.

    .venv/bin/python benchmarks/bench_rl.py            # 200,000 steps each
    .venv/bin/python benchmarks/bench_rl.py --steps 20000
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_rl.py --agents 300000 --threads 1

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


def own_ppo(steps: int) -> float:
    """Training steps per second of 06's PPO (64 copies stepped as arrays, backorders)."""
    from labkit.rl.agents import ppo
    from labkit.rl.inventory import InventoryConfig

    start = time.perf_counter()
    ppo(InventoryConfig(lost_sales=False), steps, 5.0, seed=0)
    return steps / (time.perf_counter() - start)


def sb3_ppo(steps: int) -> float:
    """Training steps per second of Stable-Baselines3's PPO with 06's Part 5 settings."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecNormalize

    from labkit.rl.gym_env import InventoryEnv
    from labkit.rl.inventory import InventoryConfig

    venv = VecNormalize(make_vec_env(lambda: InventoryEnv(InventoryConfig(lost_sales=False), 5.0), n_envs=8, seed=0),
                        norm_obs=False)
    model = PPO("MlpPolicy", venv, n_steps=256, batch_size=512, n_epochs=4, ent_coef=0.01, learning_rate=3e-4,
                seed=0, device="cpu")
    start = time.perf_counter()
    model.learn(steps)
    return steps / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--agents", type=int, default=0, help="training steps per agent (0: environments only)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for --agents")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.steps < 1:
        raise ValueError(f"--steps: expected >= 1, got {args.steps}")
    if args.agents < 0 or args.threads < 1:
        raise ValueError(f"--agents: expected >= 0 steps, --threads >= 1, got {args.agents}, {args.threads}")
    rows = [{"environment": "VecInventory, 64 copies as arrays", "steps_per_s": vectorised(args.steps)},
            {"environment": "InventoryEnv (gymnasium), one copy", "steps_per_s": single(args.steps // 4)},
            {"environment": "Stable-Baselines3 DummyVecEnv, 8 copies", "steps_per_s": sb3_dummy(args.steps // 4)}]
    if args.agents:
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(args.threads)
        try:
            rows += [{"environment": f"06's PPO training, 64 copies, {args.threads} thread(s)",
                      "steps_per_s": own_ppo(args.agents)},
                     {"environment": f"Stable-Baselines3 PPO training, 8 copies, {args.threads} thread(s)",
                      "steps_per_s": sb3_ppo(args.agents)}]
        finally:
            torch.set_num_threads(before)
    result = {"benchmark": "rl_environment_steps", "date": _dt.date.today().isoformat(), "steps": args.steps,
              "agent_steps": args.agents, "torch_threads": args.threads if args.agents else None,
              "omp_threads": os.environ.get("OMP_NUM_THREADS"), "cpu_count": os.cpu_count(), "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print("| environment | steps/s |\n|---|---:|")
    for row in rows:
        print(f"| {row['environment']} | {row['steps_per_s']:,.0f} |")
    return result


if __name__ == "__main__":
    main()

"""One copy of the inventory problem as a ``gymnasium.Env``, for libraries such as Stable-Baselines3 (06)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from .inventory import InventoryConfig, VecInventory, observation


class InventoryEnv(gym.Env):
    """Discrete order quantities 0..max_order; reward = minus the day's cost; one episode = ``horizon`` days."""

    metadata = {"render_modes": []}

    def __init__(self, config: InventoryConfig | None = None, rates: np.ndarray | float = 5.0, forecast: bool = False):
        super().__init__()
        self.config = config or InventoryConfig()
        self.forecast = forecast
        self.env = VecInventory(self.config, rates, n=1, seed=0)
        dim = observation(self.env, forecast).shape[1]
        self.observation_space = gym.spaces.Box(-5.0, 5.0, shape=(dim,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(self.config.max_order + 1)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.env.rng = self.np_random  # gymnasium's seeded generator draws the demand
        self.env.reset()
        return observation(self.env, self.forecast)[0], {}

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"action: expected an order quantity in 0..{self.config.max_order}, got {action!r}")
        cost, done, info = self.env.step(np.array([int(action)], dtype=np.int64))
        obs = observation(self.env, self.forecast)[0]
        return obs, -float(cost[0]), bool(done), False, {k: int(v[0]) for k, v in info.items()}

"""Inventory control for one product, N copies stepped at once as arrays (06_reinforcement_learning).

The day, in order: the order placed ``lead_time`` days ago arrives; the shop orders ``a`` units
(they arrive ``lead_time`` days later); demand ``D ~ Poisson(rate[day])`` is served from stock.
Unmet demand is lost (``lost_sales=True``) or kept as a backorder (stock goes negative and is
served first when goods arrive). The cost of the day is

    holding * (stock left at night) + shortage * (units short today) + order_cost * [a > 0]

where "units short" are the units lost, or, with backorders, the units on backorder at night.
With this timing an order covers ``lead_time + 1`` days of demand, so the optimal base-stock
level under backorders is the critical fractile ``shortage / (shortage + holding)`` of the
Poisson demand over ``lead_time + 1`` days (:mod:`labkit.rl.policies`).

:class:`VecInventory` is the environment 06's agents train on: ``n`` independent copies, one
array operation per step, demand either drawn as it goes or given up front (common random
numbers, so that every policy meets the same days). :class:`InventoryEnv` wraps one copy as a
``gymnasium.Env`` for libraries such as Stable-Baselines3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class InventoryConfig:
    """Costs, lead time and bounds of the inventory problem (06, Part 1)."""

    lead_time: int = 2
    holding: float = 1.0  # per unit left in stock at night
    shortage: float = 9.0  # per unit lost (lost sales) or on backorder at night (backorders)
    lost_sales: bool = True
    order_cost: float = 0.0  # fixed cost of placing an order of any size
    max_order: int = 20  # actions are order quantities 0..max_order
    horizon: int = 365  # days per episode

    def __post_init__(self) -> None:
        for name in ("lead_time", "max_order", "horizon"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"InventoryConfig.{name}: expected an int, got {value!r}")
        if self.lead_time < 1:
            raise ValueError(f"InventoryConfig.lead_time: expected >= 1 day, got {self.lead_time}")
        if self.max_order < 1 or self.horizon < 1:
            raise ValueError(f"InventoryConfig: max_order and horizon must be >= 1, got {self.max_order}, {self.horizon}")
        for name in ("holding", "shortage", "order_cost"):
            if not np.isfinite(getattr(self, name)) or getattr(self, name) < 0:
                raise ValueError(f"InventoryConfig.{name}: expected a finite cost >= 0, got {getattr(self, name)!r}")


def daily_rates(rates: np.ndarray | float, config: InventoryConfig, n: int, name: str = "rates") -> np.ndarray:
    """Expected demand per copy and day, shape (n, horizon): a number, one day-profile, or one per copy."""
    r = np.asarray(rates, dtype=float)
    if r.ndim == 0:
        r = np.full((n, config.horizon), float(r))
    elif r.ndim == 1:
        if len(r) != config.horizon:
            raise ValueError(f"{name}: expected {config.horizon} days (config.horizon), got {len(r)}")
        r = np.broadcast_to(r, (n, config.horizon))
    elif r.shape != (n, config.horizon):
        raise ValueError(f"{name}: expected shape ({n}, {config.horizon}), got {r.shape}")
    if not np.all(np.isfinite(r)) or (r < 0).any():
        bad = int((~np.isfinite(r)).sum() + (r < 0).sum())
        raise ValueError(f"{name}: expected finite expected daily demand >= 0, got {bad} NaN, infinite or negative days")
    return np.ascontiguousarray(r)


def truth_units(world) -> "pd.DataFrame":
    """(date x product) expected units a day from the world's truth (season, promotions, festivals, trend)."""
    t = world.truth("truth_product_days", ["date", "product_id", "expected_units"])
    return t.pivot(index="date", columns="product_id", values="expected_units")


def world_profiles(world, n_products: int, mean: float, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected daily units of the world's ``n_products`` best sellers on sale all of the first ``days`` days
    (truth: season, promotions, festivals, trend), each rescaled to average ``mean`` a day: (profiles, product ids)."""
    units = truth_units(world).iloc[:days]
    if len(units) < days:
        raise ValueError(f"days: the world has {len(units)} days, expected at least {days}")
    alive = units.columns[(units > 0).all().to_numpy()]
    if n_products < 1 or len(alive) < n_products:
        raise ValueError(f"n_products: expected 1..{len(alive)} (products on sale every day), got {n_products}")
    top = units[alive].mean().sort_values(ascending=False, kind="stable").index[:n_products]
    r = units[top].to_numpy().T
    return r * (mean / r.mean(1, keepdims=True)), np.asarray(top)


def draw_demand(rates: np.ndarray | float, config: InventoryConfig, n: int, seed: int) -> np.ndarray:
    """Poisson demand (n, horizon) int64: the common random numbers every policy is scored on."""
    return np.random.default_rng(seed).poisson(daily_rates(rates, config, n)).astype(np.int64)


class VecInventory:
    """``n`` copies of the inventory problem, stepped together; costs and sales are counted per copy."""

    def __init__(self, config: InventoryConfig, rates: np.ndarray | float, n: int = 64, seed: int = 0,
                 demand: np.ndarray | None = None, initial_stock: int | None = None, resample: bool = False,
                 forecast: np.ndarray | None = None):
        """``resample=True``: ``rates`` are (m, horizon) demand profiles (and ``demand``, if given, m matching years
        of demand) and every reset gives each copy one of them at random: 06's seasonal problem, where the calendar
        alone does not say which product a year is, and 06b's years bootstrapped from real sales.
        ``forecast``: the expected demand a day the shop is told (same shape as ``rates``; 06 passes 03's
        forecasts); by default ``rates`` itself, a perfect mean forecast. It drives :func:`observation` and
        ``forecast_order_up_to``, never the demand."""
        if n < 1:
            raise ValueError(f"n: expected >= 1 copies, got {n}")
        self.config, self.n = config, n
        self.profiles = self.pool = None
        rows = n
        if resample:
            r = np.asarray(rates, dtype=float)
            if r.ndim != 2 or r.shape[1] != config.horizon:
                raise ValueError(f"rates: with resample=True expected (profiles, {config.horizon}) days, got {r.shape}")
            self.profiles, rows = daily_rates(r, config, len(r)), len(r)
        self.rates = None if resample else daily_rates(rates, config, n)
        self.forecasts = None if forecast is None else daily_rates(forecast, config, rows, name="forecast")
        self.forecast = self.forecasts
        if demand is not None:
            demand = np.asarray(demand)
            if demand.shape != (rows, config.horizon) or not np.issubdtype(demand.dtype, np.integer) or (demand < 0).any():
                raise ValueError(f"demand: expected integers >= 0 of shape ({rows}, {config.horizon}), "
                                 f"got {demand.dtype} {demand.shape}")
            if resample:
                self.pool, demand = demand, None
        self.fixed_demand = demand
        self.initial_stock = initial_stock
        self.rng = np.random.default_rng(seed)
        self.reset()

    def reset(self) -> None:
        """Day 0: stock at the initial level (default: the mean demand over the lead time plus one day), nothing on order."""
        c = self.config
        if self.profiles is not None:
            pick = self.rng.integers(0, len(self.profiles), self.n)
            self.rates = self.profiles[pick]
            if self.forecasts is not None:
                self.forecast = self.forecasts[pick]
            if self.pool is not None:
                self.fixed_demand = self.pool[pick]
        start = self.initial_stock if self.initial_stock is not None else \
            np.rint(self.rates[:, : c.lead_time + 1].sum(1)).astype(np.int64)
        self.stock = np.broadcast_to(np.asarray(start, dtype=np.int64), (self.n,)).copy()  # < 0: backorders
        self.pipeline = np.zeros((self.n, c.lead_time), dtype=np.int64)  # [:, 0] arrives next
        self.day = 0
        self.demand = self.fixed_demand if self.fixed_demand is not None else self.rng.poisson(self.rates)
        if self.forecasts is None:
            self.forecast = self.rates

    @property
    def position(self) -> np.ndarray:
        """Inventory position: stock (net of backorders) plus everything on order."""
        return self.stock + self.pipeline.sum(1)

    def step(self, orders: np.ndarray) -> tuple[np.ndarray, bool, dict[str, np.ndarray]]:
        """Advance every copy one day. Returns (cost per copy, episode over, the day's accounts)."""
        c = self.config
        if self.day >= c.horizon:
            raise ValueError("step: the episode is over; call reset()")
        a = np.asarray(orders)
        if a.shape != (self.n,) or not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"orders: expected {self.n} integer order quantities, got {a.dtype} {a.shape}")
        if (a < 0).any() or (a > c.max_order).any():
            raise ValueError(f"orders: expected quantities in 0..{c.max_order} (config.max_order)")
        arrived = self.pipeline[:, 0].copy()
        self.stock += arrived
        self.pipeline[:, :-1] = self.pipeline[:, 1:]
        self.pipeline[:, -1] = a
        d = self.demand[:, self.day]
        served = np.minimum(d, np.maximum(self.stock, 0))  # today's demand met from today's stock
        if c.lost_sales:
            short = d - served  # lost
            self.stock -= served
        else:
            self.stock -= d
            short = np.maximum(-self.stock, 0)  # units on backorder at night (old and new)
        left = np.maximum(self.stock, 0)
        cost = c.holding * left + c.shortage * short + c.order_cost * (a > 0)
        self.day += 1
        info = {"demand": d, "served": served, "short": short, "left": left, "arrived": arrived, "ordered": a}
        return cost, self.day >= c.horizon, info


def run_policy(policy, env: VecInventory) -> dict[str, np.ndarray]:
    """One episode of ``policy(env) -> orders`` on every copy; per copy: cost per day, fill rate, stockout days
    and inventory turns (units sold over the episode divided by the average stock on hand at night)."""
    env.reset()
    total, on_hand = np.zeros(env.n), np.zeros(env.n)
    demand = np.zeros(env.n, dtype=np.int64)
    served = np.zeros(env.n, dtype=np.int64)
    stockout_days = np.zeros(env.n, dtype=np.int64)
    done = False
    while not done:
        cost, done, info = env.step(np.asarray(policy(env), dtype=np.int64))
        total += cost
        demand += info["demand"]
        served += info["served"]
        stockout_days += info["served"] < info["demand"]
        on_hand += info["left"]
    days = env.config.horizon
    return {"cost_per_day": total / days, "fill_rate": served / np.maximum(demand, 1),
            "stockout_days": stockout_days, "turns": served / np.maximum(on_hand / days, 1e-9)}


def observation(env: VecInventory, forecast: bool = False) -> np.ndarray:
    """What an agent sees (n, features) float32 in [-5, 5], scaled by ``max_order``: stock, each order in
    transit, the day of the year (sin, cos) and, with ``forecast``, the forecast of demand over the next
    lead time + 1 days (``env.forecast``: the truth unless the environment was given a forecast)."""
    c = env.config
    scale = float(c.max_order)
    day = min(env.day, c.horizon - 1)
    angle = 2 * np.pi * day / 365.25
    cols = [np.clip(env.stock / scale, -5, 5)[:, None], env.pipeline / scale,
            np.full((env.n, 1), np.sin(angle)), np.full((env.n, 1), np.cos(angle))]
    if forecast:
        cols.append(np.clip(env.forecast[:, day: day + c.lead_time + 1].sum(1, keepdims=True) / scale, 0, 5))
    return np.hstack(cols).astype(np.float32)

"""The policies 06's agents are measured against: base-stock, (s, S) and the dynamic-programming optimum.

- :func:`base_stock_level`: the optimal base-stock level for stationary Poisson demand with
  backorders, the critical fractile ``shortage / (shortage + holding)`` of demand over
  ``lead_time + 1`` days (the newsvendor over the lead time).
- :func:`forecast_order_up_to`: base-stock whose level follows the demand forecast day by day;
  :func:`error_ratio` sizes its safety stock from a forecast's own errors.
- :func:`tune_base_stock`, :func:`tune_s_S`: the best level(s) on a grid, scored by simulation on
  common random demand (for lost sales and non-stationary demand, where no formula is exact).
- :func:`solve_lost_sales`: the average-cost optimal policy for stationary lost sales by relative
  value iteration over (stock, orders in transit): the bound an agent can reach, not beat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .inventory import InventoryConfig, VecInventory, run_policy


def critical_fractile(config: InventoryConfig) -> float:
    """``shortage / (shortage + holding)``: the share of lead-time demand a level should cover (the newsvendor)."""
    return config.shortage / (config.shortage + config.holding)


def base_stock_level(mean_daily: float, config: InventoryConfig) -> int:
    """Optimal order-up-to level under backorders: the critical fractile of Poisson((L + 1) * mean) demand."""
    if not np.isfinite(mean_daily) or mean_daily <= 0:
        raise ValueError(f"mean_daily: expected expected demand > 0, got {mean_daily!r}")
    return int(stats.poisson.ppf(critical_fractile(config), (config.lead_time + 1) * mean_daily))


def base_stock(level: int | np.ndarray):
    """Order up to ``level`` (per copy or one for all), at most ``max_order`` a day."""
    def policy(env: VecInventory) -> np.ndarray:
        return np.clip(np.asarray(level) - env.position, 0, env.config.max_order)
    return policy


def forecast_order_up_to(fractile: float | None = None, ratio: float | None = None):
    """Order up to a quantile of demand over the next ``lead_time + 1`` days, given the forecast ``m`` of it
    (``env.forecast``: the truth, a perfect mean forecast, unless the environment was given one, e.g. 03's).

    By default the critical fractile of Poisson(``m``) demand, right when ``m`` is the true mean; with
    ``ratio``, ``ratio * m``, a quantile learnt from the forecast's own errors (:func:`error_ratio`)."""
    if ratio is not None and (not np.isfinite(ratio) or ratio <= 0):
        raise ValueError(f"ratio: expected a finite multiple of the forecast > 0, got {ratio!r}")

    def policy(env: VecInventory) -> np.ndarray:
        c = env.config
        q = critical_fractile(c) if fractile is None else fractile
        mean = env.forecast[:, env.day: env.day + c.lead_time + 1].sum(1)
        level = stats.poisson.ppf(q, mean) if ratio is None else np.ceil(ratio * mean)
        return np.clip(level.astype(np.int64) - env.position, 0, c.max_order)
    return policy


def lead_time_sums(daily: np.ndarray, lead_time: int) -> np.ndarray:
    """Sums over every window of ``lead_time + 1`` days, (copies, days - lead_time)."""
    c = np.cumsum(np.pad(np.asarray(daily, dtype=float), ((0, 0), (1, 0))), axis=1)
    return c[:, lead_time + 1:] - c[:, : -(lead_time + 1)]


def error_ratio(demand: np.ndarray, forecast: np.ndarray, config: InventoryConfig, fractile: float | None = None) -> float:
    """The ``fractile`` quantile (default: the critical fractile) of actual over forecast demand in the next
    ``lead_time + 1`` days, across copies and days: the order-up-to multiple of a forecast that errs
    (a split-conformal quantile when ``demand`` are years the policy is not scored on)."""
    demand, forecast = np.asarray(demand, dtype=float), np.asarray(forecast, dtype=float)
    if demand.shape != forecast.shape or demand.ndim != 2:
        raise ValueError(f"demand and forecast: expected the same (copies, days) shape, got {demand.shape} and {forecast.shape}")
    q = critical_fractile(config) if fractile is None else fractile
    m = lead_time_sums(forecast, config.lead_time)
    if not np.all(np.isfinite(m)) or (m <= 0).any():
        raise ValueError("forecast: expected finite forecasts with every lead-time sum > 0")
    return float(np.quantile(lead_time_sums(demand, config.lead_time) / m, q))


def s_S(s: int, S: int):
    """(s, S): when the position falls to ``s`` or below, order up to ``S`` (at most ``max_order``)."""
    if S <= s:
        raise ValueError(f"(s, S): expected S > s, got s={s}, S={S}")

    def policy(env: VecInventory) -> np.ndarray:
        pos = env.position
        return np.where(pos <= s, np.clip(S - pos, 0, env.config.max_order), 0)
    return policy


def tune_base_stock(env: VecInventory, levels) -> tuple[int, dict[int, float]]:
    """The level with the lowest mean cost per day on ``env``'s demand (give it fixed demand: common draws)."""
    costs = {int(S): float(run_policy(base_stock(S), env)["cost_per_day"].mean()) for S in levels}
    return min(costs, key=costs.get), costs


def tune_s_S(env: VecInventory, s_values, gaps) -> tuple[tuple[int, int], dict[tuple[int, int], float]]:
    """The (s, S = s + gap) with the lowest mean cost per day on ``env``'s demand."""
    costs = {(int(s), int(s + g)): float(run_policy(s_S(s, s + g), env)["cost_per_day"].mean())
             for s in s_values for g in gaps if g > 0}
    return min(costs, key=costs.get), costs


@dataclass
class LostSalesSolution:
    """The optimal lost-sales policy: order quantity per (stock after arrival, orders in transit)."""

    config: InventoryConfig
    orders: np.ndarray  # (max_stock + 1, (max_order + 1) ** (lead_time - 1)) int
    average_cost: float  # optimal cost per day (the gain of relative value iteration)
    max_stock: int
    iterations: int

    def policy(self):
        """The policy for :func:`run_policy` (stock above ``max_stock`` is read as ``max_stock``)."""
        L, base = self.config.lead_time, self.config.max_order + 1

        def act(env: VecInventory) -> np.ndarray:
            # the DP state is taken after today's arrival: stock + pipeline[0], then the later orders in transit
            x = np.clip(env.stock + env.pipeline[:, 0], 0, self.max_stock)
            code = np.zeros(env.n, dtype=np.int64)
            for k in range(1, L):
                code = code * base + env.pipeline[:, k]
            return self.orders[x, code]
        return act


def solve_lost_sales(mean_daily: float, config: InventoryConfig, max_stock: int | None = None,
                     tol: float = 1e-6, max_iter: int = 5000) -> LostSalesSolution:
    """Relative value iteration for stationary Poisson lost sales (small lead times: states grow as max_order ** (L - 1))."""
    if not config.lost_sales:
        raise ValueError("solve_lost_sales: config.lost_sales must be True (under backorders base_stock_level is optimal)")
    if config.lead_time > 3:
        raise ValueError(f"solve_lost_sales: lead_time {config.lead_time} is too long for this exact solver (at most 3)")
    L, A = config.lead_time, config.max_order + 1
    if max_stock is None:
        max_stock = int(stats.poisson.ppf(0.9999, (L + 1) * mean_daily)) + config.max_order
    d = np.arange(int(stats.poisson.ppf(1 - 1e-9, mean_daily)) + 1)
    pd_ = stats.poisson.pmf(d, mean_daily)
    pd_[-1] += 1 - pd_.sum()  # the tail folded into the last value
    n_transit = A ** (L - 1)
    x = np.arange(max_stock + 1)
    left = np.maximum(x[:, None] - d[None, :], 0)  # (X, D) stock at night
    day_cost = (config.holding * left + config.shortage * np.maximum(d[None, :] - x[:, None], 0)) @ pd_  # (X,)
    transit = np.arange(n_transit)
    if L == 1:  # nothing else in transit: today's order is tomorrow's arrival
        first, rest = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    else:  # the code's leading digit arrives tomorrow; today's order joins at the end
        first, rest = transit // A ** (L - 2), transit % A ** (L - 2)
    # tomorrow's state for each action, the same at every iteration: (X, T, D) stock and (T,) orders in transit
    moves = []
    for a in range(A):
        arriving = first + (a if L == 1 else 0)
        nxt = np.minimum(left[:, None, :] + arriving[None, :, None], max_stock)
        nxt_code = np.zeros_like(transit) if L == 1 else rest * A + a
        moves.append((nxt, nxt_code[None, :, None], day_cost[:, None] + config.order_cost * (a > 0)))
    h = np.zeros((max_stock + 1, n_transit))
    for it in range(1, max_iter + 1):
        q = np.empty((max_stock + 1, n_transit, A))
        for a, (nxt, nxt_code, cost_today) in enumerate(moves):
            q[:, :, a] = cost_today + h[nxt, nxt_code] @ pd_
        new = q.min(axis=2)
        diff = new - h
        gain = 0.5 * (diff.max() + diff.min())  # the optimal cost per day lies between the two
        h = new - new[0, 0]
        if diff.max() - diff.min() < tol:
            break
    orders = q.argmin(axis=2)
    return LostSalesSolution(config, orders, float(gain), max_stock, it)

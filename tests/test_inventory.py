"""06's inventory environment and baselines: exact accounting, the known optima, the gymnasium contract."""

from __future__ import annotations

import numpy as np
import pytest

from labkit.rl.inventory import InventoryConfig, VecInventory, draw_demand, observation, run_policy
from labkit.rl.policies import base_stock, base_stock_level, s_S, solve_lost_sales, tune_base_stock, tune_s_S

MEAN = 5.0


@pytest.mark.parametrize("lost_sales", [True, False])
def test_every_unit_is_accounted_for(lost_sales):
    c = InventoryConfig(lost_sales=lost_sales, horizon=120)
    env = VecInventory(c, MEAN, n=16, seed=3)
    stock0 = env.stock.copy()
    rng = np.random.default_rng(0)
    arrived = served = short_lost = demand = 0
    done = False
    while not done:
        cost, done, info = env.step(rng.integers(0, c.max_order + 1, env.n))
        arrived, served, demand = arrived + info["arrived"], served + info["served"], demand + info["demand"]
        short_lost = short_lost + (info["short"] if lost_sales else 0)
        assert np.all(info["served"] <= info["demand"])
        expected = c.holding * info["left"] + c.shortage * info["short"]
        np.testing.assert_array_equal(cost, expected)
    assert env.day == c.horizon
    if lost_sales:  # stock moves by arrivals and sales; demand is served or lost
        np.testing.assert_array_equal(env.stock, stock0 + arrived - served)
        np.testing.assert_array_equal(demand, served + short_lost)
        assert (env.stock >= 0).all()
    else:  # net stock moves by arrivals and all demand; the backlog is what is negative
        np.testing.assert_array_equal(env.stock, stock0 + arrived - demand)
    with pytest.raises(ValueError, match="episode is over"):
        env.step(np.zeros(env.n, dtype=np.int64))


def test_the_critical_fractile_is_the_best_base_stock_level_under_backorders():
    c = InventoryConfig(lost_sales=False)
    env = VecInventory(c, MEAN, n=100, demand=draw_demand(MEAN, c, 100, seed=1))
    level = base_stock_level(MEAN, c)
    assert level == 20  # Poisson(15) at the fractile 9 / (9 + 1)
    best, costs = tune_base_stock(env, range(level - 3, level + 4))
    assert best == level
    assert costs[level] < min(costs[level - 1], costs[level + 1])


def test_dynamic_programming_beats_every_base_stock_level_under_lost_sales():
    c = InventoryConfig(lost_sales=True)
    sol = solve_lost_sales(MEAN, c)
    env = VecInventory(c, MEAN, n=100, demand=draw_demand(MEAN, c, 100, seed=2))
    dp = run_policy(sol.policy(), env)["cost_per_day"].mean()
    best, costs = tune_base_stock(env, range(15, 24))
    (s, S), sS_costs = tune_s_S(env, range(14, 20), (1, 2, 3))
    # 2026-12-06: DP 6.09 per day (simulated 6.10), best base-stock 6.34 at 19
    assert dp < costs[best] - 0.1 and dp < sS_costs[(s, S)]
    assert dp == pytest.approx(sol.average_cost, rel=0.02)  # the simulated cost is the DP's gain
    assert sol.average_cost < costs[best]


@pytest.mark.parametrize("lead_time", [1, 3])
def test_dynamic_programming_other_lead_times(lead_time):
    c = InventoryConfig(lost_sales=True, lead_time=lead_time, max_order=12, horizon=200)
    sol = solve_lost_sales(3.0, c)
    env = VecInventory(c, 3.0, n=60, demand=draw_demand(3.0, c, 60, seed=4))
    dp = run_policy(sol.policy(), env)["cost_per_day"].mean()
    best, costs = tune_base_stock(env, range(2, 6 * (lead_time + 1)))
    assert dp <= costs[best] + 1e-9


def test_common_random_numbers_give_every_policy_the_same_days():
    c = InventoryConfig(horizon=50)
    d = draw_demand(MEAN, c, 8, seed=5)
    np.testing.assert_array_equal(d, draw_demand(MEAN, c, 8, seed=5))
    env = VecInventory(c, MEAN, n=8, demand=d)
    a = run_policy(base_stock(18), env)
    b = run_policy(base_stock(18), env)
    np.testing.assert_array_equal(a["cost_per_day"], b["cost_per_day"])
    assert observation(env).shape == (8, 1 + c.lead_time + 2)
    assert observation(env, forecast=True).shape == (8, 1 + c.lead_time + 3)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="lead_time"):
        InventoryConfig(lead_time=0)
    with pytest.raises(ValueError, match="holding"):
        InventoryConfig(holding=-1.0)
    c = InventoryConfig(horizon=10)
    with pytest.raises(ValueError, match="rates: expected 10 days"):
        VecInventory(c, np.ones(7), n=2)
    with pytest.raises(ValueError, match="demand: expected integers"):
        VecInventory(c, MEAN, n=2, demand=np.ones((2, 9), dtype=np.int64))
    env = VecInventory(c, MEAN, n=2)
    with pytest.raises(ValueError, match="orders: expected quantities in 0..20"):
        env.step(np.array([0, 21]))
    with pytest.raises(ValueError, match="S > s"):
        s_S(5, 5)
    with pytest.raises(ValueError, match="lost_sales must be True"):
        solve_lost_sales(MEAN, InventoryConfig(lost_sales=False))


def test_the_gymnasium_environment_passes_the_checker():
    gym_env = pytest.importorskip("labkit.rl.gym_env")
    from gymnasium.utils.env_checker import check_env

    env = gym_env.InventoryEnv(InventoryConfig(horizon=30), rates=MEAN, forecast=True)
    check_env(env, skip_render_check=True)
    obs, _ = env.reset(seed=7)
    total, done = 0.0, False
    while not done:
        obs, reward, done, truncated, info = env.step(5)
        total += reward
        assert not truncated and info["served"] <= info["demand"]
    assert total < 0
    with pytest.raises(ValueError, match="action"):
        env.step(99)

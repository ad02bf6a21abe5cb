"""06's recommendation bandit: the world's choice model, exact regret accounting, logged data, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labkit import schema as S
from labkit.rl.bandit import (RecoWorld, best_slates, build_reco_world, buy_probabilities, log_shoppers, run_bandit,
                              user_context)


def tiny(k: int = 2) -> RecoWorld:
    rng = np.random.default_rng(0)
    n_users, n_products = 30, 6
    return RecoWorld(utility=rng.normal(0, 1, (n_users, n_products)), outside=1.0,
                     context=np.hstack([np.ones((n_users, 1)), rng.random((n_users, 2))]),
                     context_names=("intercept", "a", "b"), popularity=np.arange(n_products, dtype=float),
                     category=np.zeros(n_products, dtype=np.int64), k=k)


class Fixed:
    def __init__(self, slate):
        self.slate, self.updates = np.asarray(slate), 0

    def choose(self, x):
        return np.tile(self.slate, (len(x), 1))

    def update(self, x, slates, bought):
        assert bought.shape == slates.shape and set(np.unique(bought)) <= {0.0, 1.0}
        assert (bought.sum(1) <= 1).all()  # one purchase at most per shopper
        self.updates += len(x)


def test_the_multinomial_logit_with_an_outside_option():
    reco = tiny(k=2)
    users, slates = np.arange(5), np.tile([0, 3], (5, 1))
    p = buy_probabilities(reco, users, slates)
    e = np.exp(reco.utility[:5][:, [0, 3]])
    np.testing.assert_allclose(p, e / (np.exp(reco.outside) + e.sum(1, keepdims=True)), rtol=1e-12)
    # the oracle's slate (top-k utilities) has the highest purchase probability of all slates
    best = buy_probabilities(reco, users, best_slates(reco, users)).sum(1)
    for pair in [(i, j) for i in range(6) for j in range(i + 1, 6)]:
        assert (buy_probabilities(reco, users, np.tile(pair, (5, 1))).sum(1) <= best + 1e-12).all()


def test_regret_is_zero_for_the_oracle_and_exact_for_a_fixed_slate():
    reco = tiny(k=2)
    policy = Fixed([0, 1])
    out = run_bandit(policy, reco, n_shoppers=101, batch=10, seed=4)
    assert policy.updates == 101 and len(out["regret"]) == 101
    users = np.random.default_rng(4).integers(0, 30, 101)  # run_bandit's shoppers: the first draw of its seed
    expected = (buy_probabilities(reco, users, best_slates(reco, users)).sum(1)
                - buy_probabilities(reco, users, np.tile([0, 1], (101, 1))).sum(1))
    np.testing.assert_allclose(out["regret"], expected, rtol=1e-12)

    class Oracle(Fixed):
        def choose(self, x):  # cheats by recognising the shopper from the context row
            rows = [int(np.flatnonzero((reco.context == r).all(1))[0]) for r in x]
            return best_slates(reco, np.asarray(rows))

    assert np.abs(run_bandit(Oracle([0, 1]), reco, 50, seed=1)["regret"]).max() < 1e-12


def test_logged_data_follow_the_propensities():
    reco = tiny(k=1)
    pr = np.full((30, 6), 1 / 6)
    pr[:, 0], pr[:, 5] = 0.5, 0.0
    pr[:, 1:5] = 0.125
    logs = log_shoppers(reco, pr, 20_000, seed=0)
    assert (logs["shown"] != 5).all()  # never shown where the propensity is 0
    assert abs((logs["shown"] == 0).mean() - 0.5) < 0.02
    np.testing.assert_array_equal(logs["propensity"], pr[logs["user"], logs["shown"]])


def test_bad_input_is_named():
    reco = tiny(k=2)
    with pytest.raises(ValueError, match="slates: expected integers of shape"):
        run_bandit(Fixed([0, 1, 2]), reco, 10)
    with pytest.raises(ValueError, match="shown twice"):
        run_bandit(Fixed([2, 2]), reco, 10)
    with pytest.raises(ValueError, match="product indices"):
        run_bandit(Fixed([0, 6]), reco, 10)
    with pytest.raises(ValueError, match="n_shoppers"):
        run_bandit(Fixed([0, 1]), reco, 0)
    with pytest.raises(ValueError, match="propensities"):
        log_shoppers(reco, np.full((30, 6), 0.5), 10, seed=0)
    with pytest.raises(ValueError, match="events: expected columns"):
        user_context(pd.DataFrame({S.USER_ID: [0], S.SEGMENT: ["new"]}), pd.DataFrame({S.USER_ID: [0]}),
                     pd.DataFrame({S.PRODUCT_ID: [0], S.CATEGORY: ["tops"]}))


def test_the_world_gives_a_context_from_observable_tables_only(quick_world):
    reco = build_reco_world(quick_world, k=3)
    users, products = quick_world.table("users"), quick_world.table("products")
    assert reco.utility.shape == (len(users), len(products))
    assert reco.context.shape == (len(users), len(reco.context_names)) and np.isfinite(reco.context).all()
    shares = reco.context[:, [i for i, n in enumerate(reco.context_names) if n.startswith("share_")]]
    np.testing.assert_allclose(shares.sum(1), 1.0, rtol=1e-12)
    orders = quick_world.table("orders")
    assert reco.popularity.sum() == orders["quantity"].sum()
    with pytest.raises(ValueError, match="k: expected at most"):
        build_reco_world(quick_world, k=len(products) + 1)

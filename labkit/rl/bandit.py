"""Recommendation as a contextual bandit in the world's choice model (06_reinforcement_learning, Part 6).

A shopper arrives; the shop shows ``k`` products; the shopper buys one of them or none. The
world decides with its own multinomial logit over what is shown plus "buy nothing":

    P(buy i | shown S) = exp(v_ui) / (exp(v_0) + sum_{j in S} exp(v_uj))

    v_ui = appeal_i + (taste_u - 1) * (image + text appeal)_i - 0.5 * price_sens_u * log(price_i / category price)
           + log affinity_u[category_i]

The same utility as the journeys' choice among a consideration set (``labkit.world.journeys``), at
each product's base appeal, with the user's hidden category affinity added because a home page
is not browsed within one category. Everything in ``v`` is hidden truth: the policies see only
:attr:`RecoWorld.context`, built from the observable tables (the user's segment and the categories
of the products in their past events), and the purchases they cause. The truth gives the best slate for every
shopper, so regret is exact: the purchase probability of the best slate minus that of the shown one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import schema as S
from ..world.catalog import CATEGORY_PRICE
from ..world.conventions import CATEGORIES, SEGMENTS


@dataclass(frozen=True)
class RecoWorld:
    """Shoppers, products and the hidden utilities of every pair (06, Part 6)."""

    utility: np.ndarray  # (n_users, n_products) hidden v_ui
    outside: float  # v_0, the utility of buying nothing
    context: np.ndarray  # (n_users, d) what a policy may see of a shopper
    context_names: tuple[str, ...]
    popularity: np.ndarray  # (n_products,) units sold in the world's orders (observable)
    category: np.ndarray  # (n_products,) index into CATEGORIES (observable)
    k: int  # products shown per shopper

    @property
    def n_products(self) -> int:
        return self.utility.shape[1]


def user_context(users: pd.DataFrame, events: pd.DataFrame, products: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...]]:
    """Observable features of each user: 1, category shares of the products in their events (smoothed),
    log1p(events)/5, segment."""
    for name, frame, cols in (("users", users, [S.USER_ID, S.SEGMENT]), ("events", events, [S.USER_ID, S.PRODUCT_ID]),
                              ("products", products, [S.PRODUCT_ID, S.CATEGORY])):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"{name}: expected columns {cols}, missing {missing}")
    n = len(users)
    cat_of = products.set_index(S.PRODUCT_ID)[S.CATEGORY]
    lines = events[[S.USER_ID, S.PRODUCT_ID]].dropna().assign(c=lambda e: e[S.PRODUCT_ID].map(cat_of))
    counts = pd.crosstab(lines[S.USER_ID], lines["c"]).reindex(index=users[S.USER_ID], columns=list(CATEGORIES),
                                                                 fill_value=0).to_numpy(float)
    shares = (counts + 1.0) / (counts.sum(1, keepdims=True) + len(CATEGORIES))
    seg = (users[S.SEGMENT].to_numpy()[:, None] == np.asarray(SEGMENTS)[None, :]).astype(float)
    x = np.hstack([np.ones((n, 1)), shares, np.log1p(counts.sum(1, keepdims=True)) / 5, seg])
    names = ("intercept", *[f"share_{c}" for c in CATEGORIES], "log_events", *[f"segment_{s}" for s in SEGMENTS])
    return x, names


def build_reco_world(world, k: int = 3, outside: float = 2.0) -> RecoWorld:
    """The bandit's world from a generated world (``labkit.world.store.World``): truth for v, tables for the context."""
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k: expected an int >= 1 products shown, got {k!r}")
    if not np.isfinite(outside):
        raise ValueError(f"outside: expected a finite utility, got {outside!r}")
    products, users, orders = world.table("products"), world.table("users"), world.table("orders")
    if k > len(products):
        raise ValueError(f"k: expected at most {len(products)} products shown (the catalogue), got {k}")
    tp = world.truth("truth_products").set_index(S.PRODUCT_ID).loc[products[S.PRODUCT_ID]]
    tu = world.truth("truth_users").set_index(S.USER_ID).loc[users[S.USER_ID]]
    cat = pd.Categorical(products[S.CATEGORY], categories=list(CATEGORIES)).codes
    rel_price = np.log(products[S.BASE_PRICE].to_numpy() / CATEGORY_PRICE[cat])
    modifier = (tp["appeal_image"] + tp["appeal_text"]).to_numpy()
    affinity = tu[[f"affinity_{c}" for c in CATEGORIES]].to_numpy()
    taste, sens = tu["taste"].to_numpy(), tu["price_sensitivity"].to_numpy()
    v = (tp["appeal_base"].to_numpy()[None, :] + (taste[:, None] - 1.0) * modifier[None, :]
         - 0.5 * sens[:, None] * rel_price[None, :] + np.log(affinity[:, cat] + 1e-12))
    x, names = user_context(users, world.table("events", [S.USER_ID, S.PRODUCT_ID]), products)
    sold = orders.groupby(S.PRODUCT_ID)["quantity"].sum().reindex(products[S.PRODUCT_ID], fill_value=0)
    return RecoWorld(v, float(outside), x, names, sold.to_numpy(float), cat.astype(np.int64), int(k))


def buy_probabilities(reco: RecoWorld, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
    """P(buy each shown product) for shoppers ``users`` shown ``slates`` (B, k); the rest of 1 is "nothing"."""
    u = np.take_along_axis(reco.utility[users], slates, axis=1)
    m = np.maximum(u.max(1, keepdims=True), reco.outside)
    e = np.exp(u - m)
    return e / (np.exp(reco.outside - m) + e.sum(1, keepdims=True))


def best_slates(reco: RecoWorld, users: np.ndarray, k: int | None = None) -> np.ndarray:
    """The oracle: the k products of highest hidden utility (the best slate for buying anything)."""
    k = reco.k if k is None else k
    return np.argsort(-reco.utility[users], axis=1, kind="stable")[:, :k]


def _check_slates(slates: np.ndarray, n_users: int, k: int, n_products: int) -> np.ndarray:
    s = np.asarray(slates)
    if s.shape != (n_users, k) or not np.issubdtype(s.dtype, np.integer):
        raise ValueError(f"slates: expected integers of shape ({n_users}, {k}), got {s.dtype} {s.shape}")
    if (s < 0).any() or (s >= n_products).any():
        raise ValueError(f"slates: expected product indices in 0..{n_products - 1}")
    if k > 1 and (np.diff(np.sort(s, axis=1), axis=1) == 0).any():
        raise ValueError("slates: a product is shown twice to the same shopper")
    return s


def run_bandit(policy, reco: RecoWorld, n_shoppers: int, batch: int = 50, seed: int = 0) -> dict[str, np.ndarray]:
    """Shoppers arrive in batches; ``policy.choose(x) -> slates``, then ``policy.update(x, slates, bought)``.

    ``bought`` is (B, k), 1 where that product was bought. Returns per shopper the expected regret
    (best slate's purchase probability minus the shown one's) and whether they bought.
    """
    if n_shoppers < 1 or batch < 1:
        raise ValueError(f"n_shoppers and batch: expected >= 1, got {n_shoppers}, {batch}")
    rng = np.random.default_rng(seed)
    users = rng.integers(0, len(reco.context), n_shoppers)
    uniform = rng.random(n_shoppers)  # common random numbers: the same shoppers and dice for every policy
    regret, bought_any = np.zeros(n_shoppers), np.zeros(n_shoppers, dtype=bool)
    for start in range(0, n_shoppers, batch):
        b = users[start: start + batch]
        x = reco.context[b]
        slates = _check_slates(policy.choose(x), len(b), reco.k, reco.n_products)
        p = buy_probabilities(reco, b, slates)
        best = buy_probabilities(reco, b, best_slates(reco, b)).sum(1)
        pick = (uniform[start: start + batch, None] > np.cumsum(p, axis=1)).sum(1)  # k means "nothing"
        bought = (np.arange(reco.k)[None, :] == pick[:, None]).astype(float)
        policy.update(x, slates, bought)
        regret[start: start + batch] = best - p.sum(1)
        bought_any[start: start + batch] = pick < reco.k
    return {"regret": regret, "bought": bought_any}


def log_shoppers(reco: RecoWorld, propensities: np.ndarray, n_shoppers: int, seed: int) -> dict[str, np.ndarray]:
    """Logged data of a stochastic policy showing one product (k = 1): ``propensities`` (n_users, n_products) rows sum to 1.

    Returns users, the product shown, its propensity and whether it was bought (for 06's offline evaluation).
    """
    pr = np.asarray(propensities, dtype=float)
    if pr.shape != reco.utility.shape or (pr < 0).any() or not np.allclose(pr.sum(1), 1.0):
        raise ValueError(f"propensities: expected probabilities of shape {reco.utility.shape} with rows summing to 1")
    rng = np.random.default_rng(seed)
    users = rng.integers(0, len(reco.context), n_shoppers)
    shown = (rng.random(n_shoppers)[:, None] > np.cumsum(pr[users], axis=1)).sum(1).clip(0, reco.n_products - 1)
    p_buy = buy_probabilities(reco, users, shown[:, None])[:, 0]
    return {"user": users, "shown": shown, "propensity": pr[users, shown], "bought": rng.random(n_shoppers) < p_buy}

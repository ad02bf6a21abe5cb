"""The next-product oracle of 03_lstm's "a task where order matters": the world's own
distribution of a shopper's next viewed product.

Given the hidden state, focus category and consideration set on the target's day (from a
rebuilt journey chain with snapshots), it mirrors ``labkit.world.journeys.session_events``.
No model can reach it: nobody sees the consideration set a new comparing episode draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from ..world.journeys import COMPARING, READY
from .demand import rebuild_chain

__all__ = ["hidden_state", "next_product_oracle", "true_next_distribution"]


def hidden_state(truth_user_days: pd.DataFrame, user: np.ndarray, day: np.ndarray, start: pd.Timestamp) -> np.ndarray:
    """Each (user, day index since ``start``)'s true journey state (a name of ``S.JOURNEY_STATES``):
    truth, to read results by state, never a feature."""
    need = {S.DATE, S.USER_ID, S.STATE}
    if not need <= set(truth_user_days.columns):
        raise ValueError(f"truth_user_days: expected columns {sorted(need)}, got {list(truth_user_days.columns)}")
    keys = pd.DataFrame({S.DATE: pd.Timestamp(start) + pd.to_timedelta(np.asarray(day), unit="D"),
                         S.USER_ID: np.asarray(user, dtype=np.int64)})
    t = truth_user_days[[S.DATE, S.USER_ID, S.STATE]].astype({S.USER_ID: np.int64})
    merged = keys.merge(t, on=[S.DATE, S.USER_ID], how="left", validate="m:1")
    if merged[S.STATE].isna().any():
        raise ValueError(f"{int(merged[S.STATE].isna().sum())} sample(s) have no truth for their day")
    return merged[S.STATE].astype(str).to_numpy()


def next_product_oracle(profile: object, seed: int, user: np.ndarray, day: np.ndarray) -> np.ndarray:
    """(n, n_products) :func:`true_next_distribution` of each (user, day) (rebuilds the chain: quick ~1 s)."""
    chain = rebuild_chain(profile, seed, snapshot_days=np.unique(np.asarray(day)))
    return true_next_distribution(chain, user, day)


def true_next_distribution(chain: object, user: np.ndarray, day: np.ndarray) -> np.ndarray:
    """(n, n_products) the world's P(product of a view/click of ``user`` on ``day``).

    ``chain``: :func:`labkit.oracles.demand.rebuild_chain` of the world with ``snapshot_days``
    covering every day in ``day``. Mirrors ``labkit.world.journeys.session_events``: with
    probability ``p_consider[state]`` a product of the day's consideration set (a ready
    shopper's first slot with 0.6 extra), otherwise a product of a category (the focus
    category with 0.8 for comparing/ready shoppers, else the shopper's category affinity)
    drawn by the day's appeal. The event type is drawn independently of the product.
    """
    log, cat, pop, P = chain.log, chain.cat, chain.pop, chain.params
    user, day = np.asarray(user, dtype=np.int64), np.asarray(day, dtype=np.int64)
    missing = sorted(set(np.unique(day).tolist()) - set(log.snapshots))
    if missing:
        raise ValueError(f"chain: no snapshot for day(s) {missing[:5]}; rebuild it with snapshot_days covering them")
    n, n_prod, K = len(user), cat.appeal.shape[1], P.consider_k
    n_cat = int(cat.category.max()) + 1
    state = log.states[day, user].astype(np.int64)
    cons = np.stack([log.snapshots[int(d)].cons[u] for d, u in zip(day, user)]).astype(np.int64)
    focus = np.array([log.snapshots[int(d)].focus[u] for d, u in zip(day, user)], dtype=np.int64)
    slot = np.full((n, K), 1.0 / K)
    slot[state == READY] = 0.4 / K
    slot[state == READY, 0] += 0.6
    cons = np.where(cons >= 0, cons, cons[:, :1])  # an empty slot falls back to the first product
    in_set = np.zeros((n, n_prod))
    np.add.at(in_set, (np.repeat(np.arange(n), K), cons.ravel()), slot.ravel())
    p_cons = np.asarray(P.p_consider)[np.maximum(state, 0)] * (cons[:, 0] >= 0)
    cat_p = pop.cat_affinity[user].copy()
    engaged = state >= COMPARING
    cat_p[engaged] *= 0.2
    cat_p[np.nonzero(engaged)[0], np.minimum(focus[engaged], n_cat - 1)] += 0.8
    w = np.exp(np.clip(cat.appeal[day], -30, 30)) * np.isfinite(cat.appeal[day])  # (n, n_prod)
    onehot = np.eye(n_cat)[cat.category]  # (n_prod, n_cat)
    within = w / (np.maximum(w @ onehot, 1e-300) @ onehot.T)  # P(product | its category) per day
    free = within * cat_p[:, cat.category]
    return p_cons[:, None] * in_set + (1 - p_cons[:, None]) * free

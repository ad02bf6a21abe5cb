"""Oracles of 03's purchase-intent task: the state oracle and the observable ceiling.

:func:`intent_state_oracle` reads each user's true purchase probability on the cut-off day
from the world's truth. :func:`observable_ceiling` is a forward filter over the hidden
journey chain (part of :mod:`labkit.oracles`, the one home of the course's oracles).

The state oracle knows each user's hidden state on the cut-off day; no model does. A model
sees what the user did. :func:`observable_ceiling` computes, with the world's own chain
(the forward algorithm of a hidden Markov model), P(purchase in days d+1..d+7 | everything
the user did up to the end of day d). It integrates over the user's hidden activity level
(a grid; prior from the population model, updated by the observable marketing segment).

Evidence per user-day: the number of sessions, events per session, each event's type and
dwell time, and whether the user bought. Not used: *which* products were looked at (the
consideration sets behind repeat views) and product questions, so this is a slightly
conservative ceiling: a model that reads product repeats could in principle edge past it.
The calendar's daily effects and the day shocks of the purchase rate are taken as known
(they are shared by every user, so any model sees them in aggregate).
Introduced in 03_lstm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import gammaln, ndtr

from .. import schema as S
from .demand import rebuild_chain
from ..world.journeys import (
    BROWSING,
    DORMANT,
    DWELL_MEDIANS,
    DWELL_SIGMA,
    EVENT_TYPE_PROBS,
    INITIAL_MIX,
    READY,
    JourneyParams,
    _step,
)

N_STATES = 5
ACTIVITY_SIGMA = 0.6  # log-activity ~ N(0, 0.6) in the population model
PURCHASE_TYPE = 4


def activity_prior(segments: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """(n_users, len(grid)) prior weights of log-activity given the observable segment."""
    w = np.exp(-0.5 * (grid / ACTIVITY_SIGMA) ** 2)
    premium = ndtr((grid - 0.4) / 0.3)  # the segment rule of labkit.world.users
    seg = np.asarray(segments).astype(str)
    like = np.ones((len(seg), len(grid)))
    like[seg == "premium"] = premium
    like[seg == "regular"] = 1 - premium
    out = like * w
    return out / out.sum(axis=1, keepdims=True)


def _log_poisson(k: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """log P(k | Poisson(rate)) for k (m,) and per-state rates (5,) -> (m, 5); rate 0 handled."""
    k = np.asarray(k, dtype=np.float64)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = k * np.log(rate)[None, :] - rate[None, :] - gammaln(k + 1)
    return np.where(rate[None, :] == 0, np.where(k == 0, 0.0, -np.inf), out)


def _event_loglik(types: np.ndarray, dwell: np.ndarray) -> np.ndarray:
    """(m, 5) log-likelihood of each event's type and integer dwell time under each state."""
    with np.errstate(divide="ignore"):
        lt = np.log(EVENT_TYPE_PROBS)[:, types].T
    mu = np.log(DWELL_MEDIANS)[None, :]
    x = np.asarray(dwell, dtype=np.float64)[:, None]
    hi = ndtr((np.log(x + 1) - mu) / DWELL_SIGMA)
    lo = np.where(x <= 1, 0.0, ndtr((np.log(np.maximum(x, 1)) - mu) / DWELL_SIGMA))
    with np.errstate(divide="ignore"):
        return lt + np.log(np.maximum(hi - lo, 0.0))


def day_evidence(events: dict[str, np.ndarray], params: JourneyParams) -> pd.DataFrame:
    """Per (day, user) with sessions: ``n_sessions`` and the 5 per-state log-likelihoods of its events.

    ``events``: the simulation's event log (``session``, ``user``, ``time`` in seconds from
    day 0, ``type``, ``dwell``); purchase lines (type 4) are evidence of their own, not events.
    """
    keep = events["type"] != PURCHASE_TYPE
    ev = {k: np.asarray(v)[keep] for k, v in events.items()}
    ll = _event_loglik(ev["type"].astype(np.int64), ev["dwell"])
    sess, inv = np.unique(ev["session"], return_inverse=True)
    n_ev = np.bincount(inv, minlength=len(sess))
    ll_sess = np.zeros((len(sess), N_STATES))
    np.add.at(ll_sess, inv, ll)
    ll_sess += _log_poisson(n_ev - 1, np.asarray(params.extra_events, dtype=np.float64))
    first_time = np.full(len(sess), np.iinfo(np.int64).max)
    np.minimum.at(first_time, inv, ev["time"].astype(np.int64))
    user = np.zeros(len(sess), dtype=np.int64)
    user[inv] = ev["user"]
    frame = pd.DataFrame(ll_sess, columns=[f"ll_{s}" for s in range(N_STATES)])
    frame["day"], frame["user"], frame["n_sessions"] = first_time // 86400, user, 1
    return frame.groupby(["day", "user"], sort=True).sum().reset_index()


def forward_filter(evidence: pd.DataFrame, bought: np.ndarray, signup_day: np.ndarray, prior: np.ndarray,
                   grid: np.ndarray, wake_day: np.ndarray, buy_day: np.ndarray, params: JourneyParams,
                   horizon: int = 7) -> np.ndarray:
    """(n_days, n_users) P(purchase in days d+1..d+horizon | evidence up to the end of day d); NaN before sign-up."""
    P = params
    n_days, n = bought.shape
    rates = np.asarray(P.session_rate, dtype=np.float64)
    act = np.exp(grid)
    # the chain's no-purchase mass per state, day and activity level (as in purchase_within_7d)
    ext = np.arange(n_days + horizon).clip(max=n_days - 1)
    wake_g = np.minimum(0.9, P.wake * act[None, :] * wake_day[ext][:, None])
    q = np.ones((N_STATES, n_days + horizon, len(grid)))
    for _ in range(horizon):
        q = _step(q, wake_g, buy_day[ext][:, None], P)
    p_no_buy = 1 - _step(q, wake_g, 0.0, P)[:, :n_days]  # (5, days, J)
    p_after_buy = 1 - q[DORMANT, 1:n_days + 1]  # (days, J)
    by_day = {int(d): g for d, g in evidence.groupby("day")}
    ll_cols = [f"ll_{s}" for s in range(N_STATES)]
    zero_sessions = -rates  # log P(0 sessions | state)
    alpha = np.zeros((n, N_STATES, len(grid)))
    alpha[signup_day < 0] = np.asarray(INITIAL_MIX + (0.0,))[None, :, None] * prior[signup_day < 0][:, None, :]
    out = np.full((n_days, n), np.nan)
    for d in range(n_days):
        new = signup_day == d
        alpha[new] = 0.0
        alpha[new, BROWSING] = prior[new]
        active = signup_day <= d
        ll = np.tile(zero_sessions, (n, 1))
        g = by_day.get(d)
        if g is not None:
            u = g["user"].to_numpy()
            k = g["n_sessions"].to_numpy()
            lk = _log_poisson(k, rates)
            buyer_one = bought[d, u] & (k == 1)  # a buyer has at least one session: P(1) + P(0)
            lk[buyer_one] = np.log(np.exp(-rates) * (1 + rates))[None, :]
            ll[u] = g[ll_cols].to_numpy() + lk
        b = bought[d]
        ll[~b, READY] += np.log1p(-buy_day[d])  # a ready user who did not buy
        ll[b, READY] += np.log(buy_day[d])  # only a ready user buys
        ll[np.ix_(b, np.arange(N_STATES) != READY)] = -np.inf
        top = ll.max(axis=1, keepdims=True)
        ll -= np.where(np.isfinite(top), top, 0.0)
        post = alpha * np.exp(ll)[:, :, None]
        post /= np.maximum(post.sum(axis=(1, 2), keepdims=True), 1e-300)
        p = np.einsum("usj,sj->u", post, p_no_buy[:, d])
        p_b = post.sum(axis=1) @ p_after_buy[d]
        out[d, active] = np.where(b, p_b, p)[active]
        alpha = _transition(post, b, np.minimum(0.9, P.wake * act * wake_day[d]), P)
    return out


def _transition(post: np.ndarray, bought: np.ndarray, wake: np.ndarray, P: JourneyParams) -> np.ndarray:
    """Tomorrow's state distribution (n, 5, J) from today's posterior (as in journeys.transition_step)."""
    p0, p1, p2, p3, p4 = (post[:, s] for s in range(N_STATES))
    c2 = 1 - P.compare_to_ready - P.compare_to_browse - P.compare_to_dormant
    new = np.stack([
        p0 * (1 - wake - P.churn) + p1 * P.browse_to_dormant + p2 * P.compare_to_dormant + p3 * P.ready_to_dormant,
        p0 * wake + p1 * (1 - P.browse_to_compare - P.browse_to_dormant) + p2 * P.compare_to_browse,
        p1 * P.browse_to_compare + p2 * c2 + p3 * P.ready_to_compare,
        p2 * P.compare_to_ready + p3 * (1 - P.ready_to_dormant - P.ready_to_compare),
        p4 + p0 * P.churn,
    ], axis=1)
    if bought.any():  # a buyer goes back to dormant
        new[bought] = 0.0
        new[bought, DORMANT] = post[bought].sum(axis=1)
    return new


def observable_ceiling(profile: object, seed: int, rows: pd.DataFrame, grid_points: int = 13) -> np.ndarray:
    """The filtered P(purchase within 7 days after the cut-off) for each ``(cutoff, user_id)`` row.

    Rebuilds the world's chain (same seed, no tables; quick ~2 s, cpu ~10 s) and runs the
    forward filter over every user and day.
    """

    for col in (S.CUTOFF, S.USER_ID):
        if col not in rows.columns:
            raise ValueError(f"rows: expected a {col!r} column, got {list(rows.columns)}")
    chain = rebuild_chain(profile, seed)
    log, pop = chain.log, chain.pop
    n_days, n = log.states.shape
    bought = np.zeros((n_days, n), dtype=bool)
    bought[log.orders["day"], log.orders["user"]] = True
    grid = np.linspace(-2.5, 2.5, grid_points) * ACTIVITY_SIGMA
    prior = activity_prior(pop.users[S.SEGMENT].to_numpy(), grid)
    ev = day_evidence(log.events, chain.params)
    filt = forward_filter(ev, bought, pop.signup_day, prior, grid, log.wake_day, log.buy_day, chain.params)
    start = pd.Timestamp(chain.calendar[S.DATE].iloc[0])
    day = ((pd.DatetimeIndex(rows[S.CUTOFF]) - start) / pd.Timedelta(days=1)).to_numpy().astype(np.int64)
    user = rows[S.USER_ID].to_numpy().astype(np.int64)
    if (day < 0).any() or (day >= n_days).any() or (user < 0).any() or (user >= n).any():
        raise ValueError("rows: cut-offs or user ids outside the world")
    out = filt[day, user]
    if np.isnan(out).any():
        raise ValueError(f"rows: {int(np.isnan(out).sum())} rows are before the user's sign-up")
    return out


def intent_state_oracle(truth_user_days: pd.DataFrame, labels: pd.DataFrame) -> np.ndarray:
    """The world's ``p_purchase_next_7d`` for each (cutoff, user_id) row of ``labels`` (truth date == cut-off)."""
    need = {S.DATE, S.USER_ID, S.P_PURCHASE_NEXT_7D}
    if not need <= set(truth_user_days.columns):
        raise ValueError(f"truth_user_days: expected columns {sorted(need)}, got {list(truth_user_days.columns)}")
    truth = truth_user_days[[S.DATE, S.USER_ID, S.P_PURCHASE_NEXT_7D]].rename(columns={S.DATE: S.CUTOFF})
    keys = [S.CUTOFF, S.USER_ID]
    merged = labels[keys].merge(truth, on=keys, how="left", validate="1:1")
    p = merged[S.P_PURCHASE_NEXT_7D].to_numpy(dtype=np.float64)
    if np.isnan(p).any():
        raise ValueError(f"{np.isnan(p).sum()} row(s) have no truth for their cut-off day")
    return p

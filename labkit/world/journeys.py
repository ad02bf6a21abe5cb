"""Hidden user journeys: a daily Markov chain whose states emit sessions, events and purchases.

dormant -> browsing -> comparing -> ready -> (purchase) -> dormant, plus churned.
Each state has its own browsing style, so the *order* of recent events reveals the
current state better than window counts do (the lesson of 03). The truth
``p_purchase_7d`` is exact: a backward recursion over the same chain. ``simulate`` can
record the chain's state at chosen days (``snapshot_days``), from which
:mod:`labkit.oracles` restarts it for 03's forecast oracle.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .catalog import CATEGORY_ELASTICITY, CATEGORY_PRICE, Catalog
from .users import Population

DORMANT, BROWSING, COMPARING, READY, CHURNED = range(5)
EVENT_TYPE_PROBS = np.array([  # view, click, add_to_cart, remove_from_cart (purchase added separately)
    [0.90, 0.10, 0.00, 0.00],
    [0.75, 0.21, 0.03, 0.01],
    [0.55, 0.28, 0.13, 0.04],
    [0.45, 0.20, 0.28, 0.07],
    [1.00, 0.00, 0.00, 0.00],
])
INITIAL_MIX = (0.74, 0.13, 0.08, 0.05)
BUY_SHOCK_SD = 0.08  # day-level lognormal shock of the purchase probability
DWELL_MEDIANS = (12.0, 18.0, 35.0, 22.0, 10.0)  # seconds per event, per state (lognormal median)
DWELL_SIGMA = 0.7  # lognormal sigma of the dwell time
HOUR_WEIGHTS = np.array([1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.5, 2, 2.5, 3, 3.5, 4, 3.8, 3, 2.8, 3,
                         3.5, 4.5, 5.5, 6, 5, 3.5, 2], dtype=float)


@dataclass(frozen=True)
class JourneyParams:
    """Transition, purchase and emission parameters of the hidden chain (saved in the manifest)."""

    wake: float = 0.08
    churn: float = 0.0002
    browse_to_compare: float = 0.30
    browse_to_dormant: float = 0.25
    compare_to_ready: float = 0.30
    compare_to_browse: float = 0.10
    compare_to_dormant: float = 0.15
    ready_to_compare: float = 0.10
    ready_to_dormant: float = 0.12
    buy: float = 0.45
    session_rate: tuple[float, ...] = (0.03, 0.6, 0.9, 0.8, 0.0)
    extra_events: tuple[float, ...] = (0.3, 1.5, 3.0, 1.5, 0.0)
    p_consider: tuple[float, ...] = (0.0, 0.05, 0.7, 0.85, 0.0)
    consider_k: int = 4
    extra_lines: float = 0.25
    question_rate: float = 0.004

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class JourneyLog:
    """What the simulation emits; the world generator turns it into tables."""

    states: np.ndarray  # (n_days, n_users) int8, -1 before sign-up
    wake_day: np.ndarray  # (n_days,) day multiplier of the wake-up rate
    buy_day: np.ndarray  # (n_days,) purchase probability of a ready user
    events: dict[str, np.ndarray]
    orders: dict[str, np.ndarray]
    lines: dict[str, np.ndarray]
    expected_units: np.ndarray  # (n_days, n_products)
    questions: dict[str, np.ndarray]
    snapshots: dict[int, "JourneySnapshot"] = field(default_factory=dict)  # day -> chain state


@dataclass(frozen=True)
class JourneySnapshot:
    """The chain's state at the start of ``day`` (before that day's sign-ups and purchases)."""

    day: int
    state: np.ndarray  # (n_users,) int8, -1 before sign-up
    cons: np.ndarray  # (n_users, consider_k) int32 consideration sets, -1 = empty slot
    focus: np.ndarray  # (n_users,) int8 focus category


def _utility(cat: Catalog, pop: Population, appeal_mod: np.ndarray, d: int, users: np.ndarray,
             prods: np.ndarray) -> np.ndarray:
    """Utility of products ``prods`` (users × k) for ``users`` on day ``d``."""
    c = cat.category[prods]
    disc = cat.discount[d, prods]
    rel_price = np.log(cat.price[0, prods] / (1 - cat.discount[0, prods]) / CATEGORY_PRICE[c])
    promo = CATEGORY_ELASTICITY[c] * -np.log1p(-disc)
    sens = pop.price_sens[users][:, None]
    return (cat.appeal[d, prods] + (pop.taste[users][:, None] - 1.0) * appeal_mod[prods]
            + sens * (promo - 0.5 * rel_price))


def _softmax(u: np.ndarray) -> np.ndarray:
    u = u - np.max(u, axis=1, keepdims=True)
    e = np.exp(u)
    return e / e.sum(axis=1, keepdims=True)


def _category_cdf(cat: Catalog, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Products sorted by category and a global CDF in which category c spans [c, c+1)."""
    order = np.argsort(cat.category, kind="stable")
    w = np.exp(np.clip(cat.appeal[d, order], -30, 30)) * np.isfinite(cat.appeal[d, order])
    cats = cat.category[order]
    cdf = np.empty(len(order))
    for c in np.unique(cats):
        m = cats == c
        cdf[m] = c + np.cumsum(w[m]) / max(w[m].sum(), 1e-300)
    return order, cdf


def _consider(rng: np.random.Generator, cat: Catalog, pop: Population, appeal_mod: np.ndarray, d: int,
              idx: np.ndarray, cons: np.ndarray, focus: np.ndarray, K: int) -> None:
    """Users ``idx`` pick a focus category and a consideration set of K products (Gumbel top-k)."""
    if not len(idx):
        return
    n_cat = int(cat.category.max()) + 1
    cat_w = pop.cat_affinity[idx]
    fc = (rng.random(len(idx))[:, None] > np.cumsum(cat_w / cat_w.sum(1, keepdims=True), axis=1)).sum(1)
    focus[idx] = np.minimum(fc, n_cat - 1)
    for c in np.unique(focus[idx]):
        us = idx[focus[idx] == c]
        ps = np.nonzero(cat.category == c)[0]
        g = _utility(cat, pop, appeal_mod, d, us, np.broadcast_to(ps, (len(us), len(ps))))
        g = g + rng.gumbel(size=g.shape)
        k = min(K, len(ps))
        top = np.argsort(-g, axis=1)[:, :k]
        chosen = np.where(np.isfinite(np.take_along_axis(g, top, 1)), ps[top], -1)
        cons[us] = -1
        cons[us, :k] = chosen


def appeal_modifier(cat: Catalog) -> np.ndarray:
    """A user's taste rescales this image/text part of appeal (user-product affinity)."""
    return (cat.truth["appeal_image"] + cat.truth["appeal_text"]).to_numpy()


def wake_multiplier(effects: dict[str, np.ndarray]) -> np.ndarray:
    """Day multiplier of the wake-up rate (weekly, yearly and festival effects)."""
    return effects["weekly"] * effects["yearly"] * (1 + effects["festival_boost"])


def buy_probability(effects: dict[str, np.ndarray], params: JourneyParams, shock: np.ndarray) -> np.ndarray:
    """Purchase probability of a ready user per day, given the day-level shocks ``exp(N(0, BUY_SHOCK_SD))``."""
    return np.minimum(0.95, params.buy * effects["weekly"] * effects["yearly"] * effects["holiday"]
                      * (1 + 0.6 * effects["festival_boost"]) * shock)


def purchase_step(rng: np.random.Generator, cat: Catalog, pop: Population, appeal_mod: np.ndarray, d: int,
                  state: np.ndarray, active: np.ndarray, cons: np.ndarray, buy_d: float, params: JourneyParams,
                  expected_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Day ``d``'s purchases: add the state oracle of demand to ``expected_row``, draw the buyers.

    Returns the buyers and their choice probabilities over their consideration sets.
    """
    ready = active[state[active] == READY]
    valid = cons[ready] >= 0
    util = np.where(valid, _utility(cat, pop, appeal_mod, d, ready, np.maximum(cons[ready], 0)), -np.inf)
    probs = _softmax(util)
    per_user = buy_d * (1 + params.extra_lines) * (1 + pop.qty_mean[ready])
    np.add.at(expected_row, cons[ready][valid], (probs * per_user[:, None])[valid])
    buys = rng.random(len(ready)) < buy_d
    return ready[buys], probs[buys]


def transition_step(rng: np.random.Generator, cat: Catalog, pop: Population, appeal_mod: np.ndarray, d: int,
                    state: np.ndarray, cons: np.ndarray, focus: np.ndarray, buyers: np.ndarray, wake_d: float,
                    params: JourneyParams) -> np.ndarray:
    """Tomorrow's states; users entering "comparing" get a focus and consideration set (in place)."""
    P = params
    u = rng.random(len(state))
    new = state.copy()
    wake = np.minimum(0.9, P.wake * pop.activity * wake_d)
    s0, s1, s2, s3 = state == DORMANT, state == BROWSING, state == COMPARING, state == READY
    new[s0 & (u < wake)] = BROWSING
    new[s0 & (u >= wake) & (u < wake + P.churn)] = CHURNED
    enter = s1 & (u < P.browse_to_compare)
    new[enter] = COMPARING
    new[s1 & (u >= P.browse_to_compare) & (u < P.browse_to_compare + P.browse_to_dormant)] = DORMANT
    a, b = P.compare_to_ready, P.compare_to_ready + P.compare_to_browse
    new[s2 & (u < a)] = READY
    new[s2 & (u >= a) & (u < b)] = BROWSING
    new[s2 & (u >= b) & (u < b + P.compare_to_dormant)] = DORMANT
    new[s3 & (u < P.ready_to_dormant)] = DORMANT
    new[s3 & (u >= P.ready_to_dormant) & (u < P.ready_to_dormant + P.ready_to_compare)] = COMPARING
    new[buyers] = DORMANT
    _consider(rng, cat, pop, appeal_mod, d, np.nonzero(enter)[0], cons, focus, P.consider_k)
    return new


@dataclass
class DaySessions:
    """One day's sessions and their events (before the buyers' purchase lines are appended)."""

    sess_id: np.ndarray  # global session ids of the day
    sess_user: np.ndarray  # user of each session
    ev_sess: np.ndarray  # session (index into the day's sessions) of each event
    ev_user: np.ndarray
    ev_prod: np.ndarray
    ev_time: np.ndarray
    ev_type: np.ndarray
    dwell: np.ndarray


def session_events(rng: np.random.Generator, cat: Catalog, pop: Population, d: int, state: np.ndarray,
                   active: np.ndarray, cons: np.ndarray, focus: np.ndarray, buyers: np.ndarray, order: np.ndarray,
                   cdf: np.ndarray, P: JourneyParams, hour_p: np.ndarray, session_base: int) -> DaySessions:
    """Day ``d``'s sessions of the active users (buyers have at least one) and their events."""
    n, K, n_cat = len(state), P.consider_k, int(cat.category.max()) + 1
    rate = np.asarray(P.session_rate)[state[active]]
    n_sess = rng.poisson(rate)
    is_buyer = np.zeros(n, dtype=bool)
    is_buyer[buyers] = True
    n_sess = np.where(is_buyer[active], np.maximum(n_sess, 1), n_sess)
    sess_user = np.repeat(active, n_sess)
    n_s = len(sess_user)
    sess_id = session_base + np.arange(n_s)
    sess_start = d * 86400 + rng.choice(24, n_s, p=hour_p) * 3600 + rng.integers(0, 3300, n_s)
    s_state = state[sess_user]
    n_ev = 1 + rng.poisson(np.asarray(P.extra_events)[s_state])
    ev_sess = np.repeat(np.arange(n_s), n_ev)
    ev_user, ev_state = sess_user[ev_sess], s_state[ev_sess]
    m = len(ev_sess)
    use_cons = (rng.random(m) < np.asarray(P.p_consider)[ev_state]) & (cons[ev_user, 0] >= 0)
    pick = np.where((ev_state == READY) & (rng.random(m) < 0.6), 0, rng.integers(0, K, m))
    cons_pick = cons[ev_user, pick]
    cons_pick = np.where(cons_pick >= 0, cons_pick, cons[ev_user, 0])
    aff_cdf = np.cumsum(pop.cat_affinity[ev_user], axis=1)
    ev_cat = (rng.random(m)[:, None] > aff_cdf).sum(axis=1)
    ev_cat = np.where((ev_state >= COMPARING) & (rng.random(m) < 0.8), focus[ev_user], ev_cat)
    ev_cat = np.minimum(ev_cat, n_cat - 1)
    free = order[np.minimum(np.searchsorted(cdf, ev_cat + rng.random(m)), len(order) - 1)]
    ev_prod = np.where(use_cons, cons_pick, free).astype(np.int32)
    tp = np.cumsum(EVENT_TYPE_PROBS[ev_state], axis=1)
    ev_type = (rng.random(m)[:, None] > tp).sum(axis=1).clip(0, 3).astype(np.int8)
    dwell = np.maximum(1, rng.lognormal(np.log(DWELL_MEDIANS)[ev_state], DWELL_SIGMA)).astype(np.int32)
    offs = np.cumsum(dwell) - dwell
    first = np.cumsum(n_ev) - n_ev
    ev_time = sess_start[ev_sess] + offs - offs[first][ev_sess]
    return DaySessions(sess_id, sess_user, ev_sess, ev_user, ev_prod, ev_time, ev_type, dwell)


def order_lines(rng: np.random.Generator, cat: Catalog, pop: Population, d: int, cons: np.ndarray,
                buyers: np.ndarray, bprobs: np.ndarray, ses: DaySessions,
                P: JourneyParams) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The buyers' order lines, appended to each buyer's last session of the day: ``(events, orders)``."""
    n, K, n_s = len(cons), P.consider_k, len(ses.sess_user)
    last_sess = np.full(n, -1)
    last_sess[ses.sess_user] = np.arange(n_s)  # later sessions overwrite earlier ones
    n_lines = 1 + rng.poisson(P.extra_lines, len(buyers))
    line_user = np.repeat(buyers, n_lines)
    line_probs = np.repeat(bprobs, n_lines, axis=0)
    line_k = (rng.random(len(line_user))[:, None] > np.cumsum(line_probs, axis=1)).sum(axis=1)
    line_prod = cons[line_user, np.minimum(line_k, K - 1)]
    sess_end = np.zeros(n_s, dtype=np.int64)
    np.maximum.at(sess_end, ses.ev_sess, ses.ev_time + ses.dwell)
    b_sess = last_sess[line_user]
    line_no = np.arange(len(line_user)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines)
    line_time = sess_end[b_sess] + 20 * line_no + 15
    events = {
        "session": np.concatenate([ses.sess_id[ses.ev_sess], ses.sess_id[b_sess]]),
        "user": np.concatenate([ses.ev_user, line_user]).astype(np.int32),
        "product": np.concatenate([ses.ev_prod, line_prod]).astype(np.int32),
        "time": np.concatenate([ses.ev_time, line_time]).astype(np.int64),
        "type": np.concatenate([ses.ev_type, np.full(len(line_user), 4, np.int8)]),
        "dwell": np.concatenate([ses.dwell, np.full(len(line_user), 15, np.int32)]),
    }
    extra = rng.poisson(rng.gamma(1.0, pop.qty_mean[line_user]))
    orders = {"user": line_user.astype(np.int32), "day": np.full(len(line_user), d, np.int32),
              "product": line_prod.astype(np.int32), "quantity": (1 + extra).astype(np.int32),
              "unit_price": cat.price[d, line_prod], "time": line_time.astype(np.int64),
              "n_lines": np.repeat(n_lines, n_lines)}
    return events, orders


def simulate(rng: np.random.Generator, cat: Catalog, pop: Population, effects: dict[str, np.ndarray],
             params: JourneyParams, snapshot_days: object = ()) -> JourneyLog:
    """Run the chain day by day, vectorised over users; return states, events and orders.

    ``snapshot_days``: days whose starting state (states, consideration sets, focus
    categories) is kept in ``log.snapshots``; recording draws no random numbers, so
    the log is the same with or without snapshots.
    """
    n_days, n_prod = cat.appeal.shape
    snap_days = {int(d) for d in np.asarray(snapshot_days, dtype=np.int64).ravel()}
    if any(not 0 <= d < n_days for d in snap_days):
        raise ValueError(f"snapshot_days must lie in 0 .. {n_days - 1}, got {sorted(snap_days)[:5]} ...")
    snapshots: dict[int, JourneySnapshot] = {}
    n = len(pop.signup_day)
    P = params
    K = P.consider_k
    appeal_mod = appeal_modifier(cat)
    wake_day = wake_multiplier(effects)
    shock = np.exp(rng.normal(0, BUY_SHOCK_SD, n_days))
    buy_day = buy_probability(effects, P, shock)
    states = np.full((n_days, n), -1, dtype=np.int8)
    # users who signed up before day 0 start near the chain's long-run mix of states
    state = np.where(pop.signup_day < 0, rng.choice(4, n, p=INITIAL_MIX), -1).astype(np.int8)
    cons = np.full((n, K), -1, dtype=np.int32)
    focus = np.zeros(n, dtype=np.int8)
    _consider(rng, cat, pop, appeal_mod, 0, np.nonzero(state >= COMPARING)[0], cons, focus, K)
    expected = np.zeros((n_days, n_prod))
    ev_parts: list[dict[str, np.ndarray]] = []
    order_parts: list[dict[str, np.ndarray]] = []
    q_parts: list[dict[str, np.ndarray]] = []
    hour_p = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
    session_base = 0

    for d in range(n_days):
        if d in snap_days:
            snapshots[d] = JourneySnapshot(d, state.copy(), cons.copy(), focus.copy())
        state[pop.signup_day == d] = BROWSING  # new users arrive while browsing
        states[d] = state
        active = np.nonzero(state >= 0)[0]
        order, cdf = _category_cdf(cat, d)
        # --- purchases of ready users (and the state oracle of demand) ---------------
        buyers, bprobs = purchase_step(rng, cat, pop, appeal_mod, d, state, active, cons, buy_day[d], P, expected[d])
        # --- sessions and events, then the buyers' order lines -----------------------
        ses = session_events(rng, cat, pop, d, state, active, cons, focus, buyers, order, cdf, P, hour_p,
                             session_base)
        session_base += len(ses.sess_user)
        ev_part, order_part = order_lines(rng, cat, pop, d, cons, buyers, bprobs, ses, P)
        ev_parts.append(ev_part)
        order_parts.append(order_part)
        # product questions from comparing users
        comp = active[state[active] == COMPARING]
        ask = comp[rng.random(len(comp)) < P.question_rate]
        q_parts.append({"user": ask.astype(np.int32), "day": np.full(len(ask), d, np.int32),
                        "product": np.maximum(cons[ask, 0], 0).astype(np.int32)})
        # --- transitions to tomorrow (entering "comparing": focus and consideration set)
        state = transition_step(rng, cat, pop, appeal_mod, d, state, cons, focus, buyers, wake_day[d], P)

    cat_ev = {k: np.concatenate([p[k] for p in ev_parts]) for k in ev_parts[0]}
    cat_or = {k: np.concatenate([p[k] for p in order_parts]) for k in order_parts[0]}
    cat_q = {k: np.concatenate([p[k] for p in q_parts]) for k in q_parts[0]}
    return JourneyLog(states, wake_day, buy_day, cat_ev, cat_or, cat_or, expected, cat_q, snapshots)


def _step(q: np.ndarray, wake: np.ndarray, buy: np.ndarray | float, P: JourneyParams) -> np.ndarray:
    """One backward step: no-purchase mass of tomorrow's window seen from today's states."""
    nxt = np.concatenate([q[:, 1:], np.ones((5, 1, q.shape[2]))], axis=1)
    q0 = (1 - wake - P.churn) * nxt[DORMANT] + wake * nxt[BROWSING] + P.churn * nxt[CHURNED]
    q1 = (P.browse_to_compare * nxt[COMPARING] + P.browse_to_dormant * nxt[DORMANT]
          + (1 - P.browse_to_compare - P.browse_to_dormant) * nxt[BROWSING])
    q2 = (P.compare_to_ready * nxt[READY] + P.compare_to_browse * nxt[BROWSING]
          + P.compare_to_dormant * nxt[DORMANT]
          + (1 - P.compare_to_ready - P.compare_to_browse - P.compare_to_dormant) * nxt[COMPARING])
    stay = 1 - P.ready_to_dormant - P.ready_to_compare
    q3 = (1 - buy) * (P.ready_to_dormant * nxt[DORMANT] + P.ready_to_compare * nxt[COMPARING] + stay * nxt[READY])
    return np.stack([q0, q1, q2, q3, np.ones_like(q0)])


def purchase_within_7d(log: JourneyLog, pop: Population, params: JourneyParams, horizon: int = 7,
                       chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Exact purchase probabilities from the hidden chain, each of shape (n_days, n_users).

    Returns ``(p_7d, p_next_7d)``: ``p_7d`` = P(a purchase in days d..d+6 | state on day d);
    ``p_next_7d`` = P(a purchase in days d+1..d+7 | state on day d and whether the user bought
    on day d) — the oracle for a cut-off at the end of day d (03). Backward recursion with
    "no purchase yet" as the surviving mass; days after the world's end reuse the last
    day's calendar effects.
    """
    P = params
    n_days, n = log.states.shape
    out = np.full((n_days, n), np.nan, dtype=np.float32)
    out_next = np.full((n_days, n), np.nan, dtype=np.float32)
    bought = np.zeros((n_days, n), dtype=bool)
    bought[log.orders["day"], log.orders["user"]] = True
    ext = np.arange(n_days + horizon).clip(max=n_days - 1)
    wake_day, buy_day = log.wake_day[ext], log.buy_day[ext]
    for lo in range(0, n, chunk):
        act = pop.activity[lo: lo + chunk]
        wake = np.minimum(0.9, P.wake * act[None, :] * wake_day[:, None])  # (days+h, m)
        buy = buy_day[:, None]
        q = np.ones((5, n_days + horizon, len(act)))  # q[s, d] = P(no purchase in the window)
        for _ in range(horizon):
            q = _step(q, wake, buy, P)
        st = log.states[:, lo: lo + chunk]
        idx = np.maximum(st, 0)[None].astype(np.int64)
        qs = np.take_along_axis(q[:, :n_days], idx, 0)[0]
        out[:, lo: lo + chunk] = np.where(st >= 0, 1 - qs, np.nan)
        # tomorrow's window seen from today, conditioned on today's purchase (buy=0: no purchase)
        qn = np.take_along_axis(_step(q, wake, 0.0, P)[:, :n_days], idx, 0)[0]
        after_buy = q[DORMANT, 1: n_days + 1]
        qn = np.where(bought[:, lo: lo + chunk], after_buy, qn)
        out_next[:, lo: lo + chunk] = np.where(st >= 0, 1 - qn, np.nan)
    return out, out_next

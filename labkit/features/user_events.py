"""Clickstream features of every user at one cut-off (behaviour windows, sessions, recency).

Called by :func:`labkit.features.user.user_features` once per cut-off, in time order;
everything is a bincount over the rows of the history slice, so no loop over users
(02_feature_extraction; the same features feed 03's tabular baselines and 05's fusion).
"""

from __future__ import annotations

import numpy as np

from .. import schema as S
from .asof import cutoff_end
from .common import days_between
from .eventlog import CART, CLICK, PURCHASE, REMOVE, EventLog

EVENT_WINDOWS = (1, 7, 30)  # days, the cut-off day included


class EventState:
    """Running lifetime state of every user (last event of each type, category counts)."""

    def __init__(self, log: EventLog):
        self.log = log
        n = log.n_users
        self.done = 0  # rows [0, done) are already folded in
        self.last_pos = np.full((n, len(S.EVENT_TYPES)), -1, dtype=np.int64)
        self.last_any = np.full(n, -1, dtype=np.int64)
        self.cat_counts = np.zeros((n, log.n_categories), dtype=np.float64)

    def advance(self, hi: int) -> None:
        """Fold in rows [done, hi): the history between the previous cut-off and this one."""
        if hi < self.done:
            raise ValueError("cut-offs must be processed in increasing order")
        log, sl = self.log, slice(self.done, hi)
        pos = np.arange(self.done, hi, dtype=np.int64)
        u, e = log.user[sl], log.etype[sl]
        np.maximum.at(self.last_pos, (u, e), pos)
        np.maximum.at(self.last_any, u, pos)
        browse = e <= CLICK
        self.cat_counts += np.bincount(u[browse] * log.n_categories + log.category[sl][browse],
                                       minlength=self.cat_counts.size).reshape(self.cat_counts.shape)
        self.done = hi


def _count(u: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(u, weights=weights, minlength=n).astype(np.float32)


def event_features(state: EventState, cutoff: object) -> dict[str, np.ndarray]:
    """All clickstream features of every user (arrays of length n_users) at ``cutoff``."""
    log = state.log
    n, tl = log.n_users, log.timeline
    end = cutoff_end(cutoff).as_unit("ns").value
    _, hi = tl.bounds(cutoff)
    state.advance(hi)
    out: dict[str, np.ndarray] = {}
    for w in EVENT_WINDOWS:
        lo, _ = tl.bounds(cutoff, days=w)
        sl = slice(lo, hi)
        u, e = log.user[sl], log.etype[sl]
        types = np.bincount(u * 5 + e, minlength=n * 5).reshape(n, 5).astype(np.float32)
        for k, name in enumerate(S.EVENT_TYPES):
            out[f"n_{name}_{w}d"] = types[:, k]
        out[f"n_events_{w}d"] = types.sum(axis=1)
        out[f"n_sessions_{w}d"] = _count(u, n, log.prev_session[sl] < lo)
        out[f"n_products_{w}d"] = _count(u, n, log.prev_user_product[sl] < lo)
        cats = np.bincount(u * log.n_categories + log.category[sl], minlength=n * log.n_categories).reshape(n, -1)
        out[f"n_categories_{w}d"] = (cats > 0).sum(axis=1).astype(np.float32)
        out[f"dwell_min_{w}d"] = _count(u, n, log.dwell[sl] / 60.0)
        if w >= 7:
            # views/clicks of a product the user already viewed or clicked in the window
            again = (e <= CLICK) & (log.prev_view_same_product[sl] >= lo)
            out[f"repeat_views_{w}d"] = _count(u, n, again.astype(np.float64))
            out[f"open_cart_{w}d"] = np.maximum(0, types[:, CART] - types[:, REMOVE] - types[:, PURCHASE])
        if w == 7:
            out["category_focus_7d"] = (cats.max(axis=1) / np.maximum(cats.sum(axis=1), 1)).astype(np.float32)
        if w == 30:
            out.update(_session_stats(log, lo, hi, n))
    out.update(_last_session(log, state, end))
    for k, name in enumerate(S.EVENT_TYPES[:-1]):  # the last purchase: days_since_last_order
        pos = state.last_pos[:, k]
        out[f"days_since_{name}"] = days_between(end, np.where(pos >= 0, log.time_ns[np.maximum(pos, 0)], -1))
    out["days_since_event"] = days_between(end, np.where(state.last_any >= 0,
                                                         log.time_ns[np.maximum(state.last_any, 0)], -1))
    total = np.maximum(state.cat_counts.sum(axis=1, keepdims=True), 1)
    share = (state.cat_counts / total).astype(np.float32)
    for k, name in enumerate(log.category_names):
        out[f"affinity_{name}"] = share[:, k]
    out["affinity_top"] = share.max(axis=1)
    return out


def _session_stats(log: EventLog, lo: int, hi: int, n: int) -> dict[str, np.ndarray]:
    """Sessions touched in [lo, hi), each described by its events so far (up to hi)."""
    sl = slice(lo, hi)
    last = log.next_session[sl] >= hi  # this row is its session's last known event
    u = log.user[sl][last]
    events = log.sess_events[sl][last].astype(np.float64)
    dur = (log.time_ns[sl][last] - log.sess_start_ns[sl][last]) / 60e9 + log.dwell[sl][last] / 60.0
    n_sess = np.maximum(np.bincount(u, minlength=n), 1)
    max_events = np.zeros(n)
    np.maximum.at(max_events, u, events)
    return {
        "session_events_mean_30d": (np.bincount(u, events, n) / n_sess).astype(np.float32),
        "session_events_max_30d": max_events.astype(np.float32),
        "session_minutes_mean_30d": (np.bincount(u, dur, n) / n_sess).astype(np.float32),
        "session_cart_share_30d": (np.bincount(u, log.sess_carts[sl][last] > 0, n) / n_sess).astype(np.float32),
    }


def _last_session(log: EventLog, state: EventState, end: int) -> dict[str, np.ndarray]:
    """The user's last session before the cut-off's end, as far as it had gone by then."""
    has = state.last_any >= 0
    i = np.maximum(state.last_any, 0)

    def pick(values: np.ndarray) -> np.ndarray:
        return np.where(has, values[i], 0).astype(np.float32)

    events = pick(log.sess_events)
    ended = (log.time_ns[i] + log.dwell[i] * 1e9)
    return {
        "last_session_events": events,
        "last_session_carts": pick(log.sess_carts),
        "last_session_removes": pick(log.sess_removes),
        "last_session_purchases": pick(log.sess_purchases),
        "last_session_products": pick(log.sess_products),
        "last_session_category_focus": np.where(has, log.sess_cat_max[i] / np.maximum(log.sess_events[i], 1),
                                                0).astype(np.float32),
        "last_session_minutes": np.where(has, (ended - log.sess_start_ns[i]) / 60e9, 0).astype(np.float32),
        "last_session_hours_ago": np.where(has, np.maximum(end - ended, 0) / 3600e9,
                                           24 * 999.0).astype(np.float32),
        "last_event_is_cart": np.where(has, log.etype[i] == CART, 0).astype(np.float32),
    }


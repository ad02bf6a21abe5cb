"""The clickstream prepared once for fast, leak-free slicing (used by user.py and sequences.py).

Events are sorted by time and coded as small integers; every per-event helper looks
only *backwards* (the previous event of the same user and product, the running counts
of the session so far), so any slice ``[0, hi)`` of this log holds exactly what was
known at the end of that slice (02_feature_extraction).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import schema as S
from .asof import Timeline
from .common import category_codes, codes_of, sorted_index

EVENT_CODES = {name: i for i, name in enumerate(S.EVENT_TYPES)}  # view 0 .. purchase 4
VIEW, CLICK, CART, REMOVE, PURCHASE = range(5)


class Groups:
    """Rows (in time order) grouped by an integer key: one stable sort, many running helpers."""

    def __init__(self, key: np.ndarray):
        if len(key) >= 2**31:
            raise ValueError(f"events: at most 2**31 - 1 rows are supported, got {len(key)}")
        self.order = np.argsort(key, kind="stable").astype(np.int32)  # by key, time order inside a key
        k = key[self.order]
        self.start = np.r_[True, k[1:] != k[:-1]] if len(k) else np.zeros(0, dtype=bool)
        self.gid = np.cumsum(self.start) - 1
        self.n = len(key)

    def prev(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Position of the previous row of the same key (among ``mask`` rows), -1 if none."""
        o, g = self.order, self.gid
        if mask is not None:
            keep = mask[o]
            o, g = o[keep], g[keep]
        same = g[1:] == g[:-1]
        out = np.full(self.n, -1, dtype=np.int32)
        out[o[1:][same]] = o[:-1][same]
        return out

    def next(self) -> np.ndarray:
        """Position of the next row of the same key, n if none."""
        same = ~self.start[1:]
        out = np.full(self.n, self.n, dtype=np.int32)
        out[self.order[:-1][same]] = self.order[1:][same]
        return out

    def cumsum(self, values: np.ndarray) -> np.ndarray:
        """Running sum within the key, the current row included."""
        v = np.asarray(values)[self.order].astype(np.int32)
        csum = np.cumsum(v, dtype=np.int32)  # rows < 2**31
        base = (csum - v)[self.start][self.gid]
        out = np.empty(self.n, dtype=np.int32)
        out[self.order] = csum - base
        return out

    def cummax(self, values: np.ndarray) -> np.ndarray:
        """Running maximum of non-negative ``values`` within the key, the current row included."""
        v = np.asarray(values)[self.order].astype(np.int64)
        big = int(v.max(initial=0)) + 1
        out = np.empty(self.n, dtype=np.int32)
        out[self.order] = np.maximum.accumulate(v + self.gid * big) - self.gid * big
        return out


@dataclass
class EventLog:
    """Coded, time-sorted events with backward-looking per-event helpers (see module doc)."""

    timeline: Timeline
    user: np.ndarray  # user code 0..n_users-1
    etype: np.ndarray  # 0..4 (EVENT_CODES)
    product: np.ndarray  # product code 0..n_products-1
    category: np.ndarray  # category code 0..n_categories-1
    session: np.ndarray  # session code
    dwell: np.ndarray  # seconds
    time_ns: np.ndarray
    by_user: np.ndarray  # row order grouped by user, time order inside
    prev_user: np.ndarray  # previous event of the user
    prev_user_product: np.ndarray  # previous event of the user on the same product
    prev_view_same_product: np.ndarray  # previous view/click of the user on the product (views/clicks only)
    prev_cart_same_product: np.ndarray  # last add_to_cart of the user on the product before this event
    prev_session: np.ndarray  # previous event of the session
    next_session: np.ndarray  # next event of the session
    sess_events: np.ndarray  # events of the session so far (this one included)
    sess_carts: np.ndarray
    sess_removes: np.ndarray
    sess_purchases: np.ndarray
    sess_products: np.ndarray  # distinct products of the session so far
    sess_cat_max: np.ndarray  # events in the session's most frequent category so far
    sess_start_ns: np.ndarray
    n_users: int
    n_products: int
    n_categories: int
    user_index: pd.Index  # user_id of each user code
    product_index: pd.Index  # product_id of each product code
    category_names: list[str]  # name of each category code


def event_log(events: pd.DataFrame, users: pd.DataFrame | None = None,
              products: pd.DataFrame | None = None) -> EventLog:
    """The :class:`EventLog` of ``events``, users and products coded by their tables' sorted ids."""
    users_ids = users[S.USER_ID] if users is not None else events[S.USER_ID]
    product_ids = products[S.PRODUCT_ID] if products is not None else events[S.PRODUCT_ID]
    pidx = sorted_index(product_ids)
    cat, names = category_codes(products, pidx)
    return build_event_log(events, sorted_index(users_ids), pidx, cat, names)


def build_event_log(events: pd.DataFrame, user_index: pd.Index, product_index: pd.Index,
                    product_category: np.ndarray, category_names: list[str] | None = None) -> EventLog:
    """Code and sort ``events``; events of users or products outside the indexes are dropped."""
    need = [S.USER_ID, S.PRODUCT_ID, S.SESSION_ID, S.EVENT_TYPE, S.TIMESTAMP, S.DWELL_SECONDS]
    missing = [c for c in need if c not in events.columns]
    if missing:
        raise ValueError(f"events: missing column(s) {missing}; expected {need}")
    user = codes_of(user_index, events[S.USER_ID])
    product = codes_of(product_index, events[S.PRODUCT_ID])
    etype = pd.Categorical(events[S.EVENT_TYPE], categories=list(S.EVENT_TYPES)).codes
    keep = (user >= 0) & (product >= 0) & (etype >= 0)
    ev = pd.DataFrame({"u": user[keep], "p": product[keep], "e": etype[keep].astype(np.int8),
                       "s": events[S.SESSION_ID].to_numpy()[keep],
                       "d": events[S.DWELL_SECONDS].to_numpy()[keep].astype(np.float32),
                       S.TIMESTAMP: events[S.TIMESTAMP].to_numpy()[keep]})
    tl = Timeline(ev)
    df = tl.df
    u, p, e = df["u"].to_numpy(np.int64), df["p"].to_numpy(np.int64), df["e"].to_numpy(np.int8)
    s = df["s"].to_numpy()
    s = s.astype(np.int64) - s.min(initial=0) if s.dtype.kind in "iu" else pd.factorize(s)[0].astype(np.int64)
    c = np.asarray(product_category, dtype=np.int64)[p]  # int64 for composite keys; stored as int32
    n_u, n_p, n_c = len(user_index), len(product_index), int(np.max(product_category, initial=0)) + 1
    pos = np.arange(len(u), dtype=np.int32)
    t = tl.time_ns
    by_user = Groups(u)
    by_up = Groups(u * n_p + p)
    prev_up = by_up.prev()
    # last add_to_cart of the same (user, product) strictly before each event
    last_cart_incl = by_up.cummax(np.where(e == CART, pos + 1, 0)) - 1
    prev_cart = np.where(prev_up >= 0, last_cart_incl[np.maximum(prev_up, 0)], -1)
    by_s = Groups(s)  # session ids are nearly sorted by time: cheap sorts
    prev_s = by_s.prev()
    sess_start = t[by_s.cummax(np.where(prev_s < 0, pos + 1, 0)) - 1]
    sess_prod_first = Groups(s * n_p + p).prev() < 0
    sess_cat_count = Groups(s * n_c + c).cumsum(np.ones(len(s), dtype=np.int64))
    return EventLog(
        timeline=tl, user=u.astype(np.int32), etype=e, product=p.astype(np.int32),
        category=c.astype(np.int32), session=s.astype(np.int32),
        dwell=df["d"].to_numpy(np.float32), time_ns=t,
        by_user=by_user.order, prev_user=by_user.prev(), prev_user_product=prev_up,
        prev_view_same_product=by_up.prev(mask=e <= CLICK), prev_cart_same_product=prev_cart,
        prev_session=prev_s, next_session=by_s.next(),
        sess_events=by_s.cumsum(np.ones(len(s), dtype=np.int64)),
        sess_carts=by_s.cumsum(e == CART), sess_removes=by_s.cumsum(e == REMOVE),
        sess_purchases=by_s.cumsum(e == PURCHASE),
        sess_products=by_s.cumsum(sess_prod_first), sess_cat_max=by_s.cummax(sess_cat_count),
        sess_start_ns=sess_start, n_users=n_u, n_products=n_p, n_categories=n_c,
        user_index=user_index, product_index=product_index,
        category_names=list(category_names) if category_names is not None else [str(i) for i in range(n_c)],
    )

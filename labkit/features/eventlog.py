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

EVENT_CODES = {name: i for i, name in enumerate(S.EVENT_TYPES)}  # view 0 .. purchase 4
VIEW, CLICK, CART, REMOVE, PURCHASE = range(5)


def prev_same(key: np.ndarray) -> np.ndarray:
    """Position of the previous row with the same key (rows in time order), -1 if none."""
    order = np.argsort(key, kind="stable")
    k = key[order]
    same = k[1:] == k[:-1]
    prev = np.full(len(key), -1, dtype=np.int64)
    prev[order[1:][same]] = order[:-1][same]
    return prev


def next_same(key: np.ndarray) -> np.ndarray:
    """Position of the next row with the same key (rows in time order), len(key) if none."""
    order = np.argsort(key, kind="stable")
    k = key[order]
    same = k[1:] == k[:-1]
    nxt = np.full(len(key), len(key), dtype=np.int64)
    nxt[order[:-1][same]] = order[1:][same]
    return nxt


def group_cumsum(key: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running sum of ``values`` within each key, including the current row (time order)."""
    order = np.argsort(key, kind="stable")
    k, v = key[order], values[order].astype(np.int64)
    start = np.r_[True, k[1:] != k[:-1]]
    csum = np.cumsum(v)
    base = (csum - v)[start][np.cumsum(start) - 1]
    out = np.empty(len(key), dtype=np.int64)
    out[order] = csum - base
    return out


def group_cummax(key: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running maximum of non-negative ``values`` within each key (time order)."""
    order = np.argsort(key, kind="stable")
    k, v = key[order], values[order].astype(np.int64)
    grp = np.cumsum(np.r_[True, k[1:] != k[:-1]]) - 1
    big = int(v.max(initial=0)) + 1
    out = np.empty(len(key), dtype=np.int64)
    out[order] = np.maximum.accumulate(v + grp * big) - grp * big
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
    prev_user: np.ndarray  # previous event of the user
    prev_user_product: np.ndarray  # previous event of the user on the same product
    prev_user_category: np.ndarray
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


def build_event_log(events: pd.DataFrame, user_index: pd.Index, product_index: pd.Index,
                    product_category: np.ndarray) -> EventLog:
    """Code and sort ``events``; events of users or products outside the indexes are dropped."""
    need = [S.USER_ID, S.PRODUCT_ID, S.SESSION_ID, S.EVENT_TYPE, S.TIMESTAMP, S.DWELL_SECONDS]
    missing = [c for c in need if c not in events.columns]
    if missing:
        raise ValueError(f"events: missing column(s) {missing}; expected {need}")
    user = user_index.get_indexer(events[S.USER_ID])
    product = product_index.get_indexer(events[S.PRODUCT_ID])
    etype = pd.Series(np.asarray(events[S.EVENT_TYPE], dtype=object)).map(EVENT_CODES).to_numpy()
    keep = (user >= 0) & (product >= 0) & ~pd.isna(etype)
    ev = pd.DataFrame({"u": user[keep], "p": product[keep], "e": etype[keep].astype(np.int8),
                       "s": events[S.SESSION_ID].to_numpy()[keep],
                       "d": events[S.DWELL_SECONDS].to_numpy()[keep].astype(np.float32),
                       S.TIMESTAMP: events[S.TIMESTAMP].to_numpy()[keep]})
    tl = Timeline(ev)
    df = tl.df
    u, p, e = df["u"].to_numpy(np.int64), df["p"].to_numpy(np.int64), df["e"].to_numpy(np.int8)
    s = pd.factorize(df["s"])[0].astype(np.int64)
    c = np.asarray(product_category, dtype=np.int64)[p]
    n_u, n_p, n_c = len(user_index), len(product_index), int(np.max(product_category, initial=0)) + 1
    up = u * n_p + p
    # previous view/click of the same (user, product): key -1 rows (other types) are never matched
    is_view = e <= CLICK
    view_key = np.where(is_view, up, -1 - np.arange(len(up)))
    prev_view = prev_same(view_key)
    # last add_to_cart of the same (user, product) strictly before each event
    pos = np.arange(len(up), dtype=np.int64)
    cart_pos = np.where(e == CART, pos, -1)
    last_cart_incl = group_cummax(up, cart_pos + 1) - 1  # +1 keeps values non-negative
    prev_up = prev_same(up)
    prev_cart = np.where(prev_up >= 0, last_cart_incl[np.maximum(prev_up, 0)], -1)
    sess_prod_first = prev_same(s * n_p + p) < 0
    sess_cat_count = group_cumsum(s * n_c + c, np.ones(len(s), dtype=np.int64))
    first_of_session = prev_same(s)
    t = tl.time_ns
    start_pos = np.where(first_of_session < 0, pos, -1)
    sess_start = t[group_cummax(s, start_pos + 1) - 1]
    return EventLog(
        timeline=tl, user=u, etype=e, product=p, category=c, session=s,
        dwell=df["d"].to_numpy(np.float32), time_ns=t,
        prev_user=prev_same(u), prev_user_product=prev_up, prev_user_category=prev_same(u * n_c + c),
        prev_view_same_product=prev_view, prev_cart_same_product=prev_cart,
        prev_session=first_of_session, next_session=next_same(s),
        sess_events=group_cumsum(s, np.ones(len(s), dtype=np.int64)),
        sess_carts=group_cumsum(s, e == CART), sess_removes=group_cumsum(s, e == REMOVE),
        sess_purchases=group_cumsum(s, e == PURCHASE),
        sess_products=group_cumsum(s, sess_prod_first), sess_cat_max=group_cummax(s, sess_cat_count),
        sess_start_ns=sess_start, n_users=n_u, n_products=n_p, n_categories=n_c,
    )

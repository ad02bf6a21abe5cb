"""Product features: catalogue attributes (one-hot) and, per cut-off, price, promotion and popularity.

``product_attributes`` is static (what the catalogue shows; 05 uses it for cold start).
``product_features`` gives one row per (cut-off, product launched by then) with price and
promotion history, popularity windows (events and units over 7/30/90 days, buyers) and
reviews so far, all from rows before the end of the cut-off day. Introduced in
02_feature_extraction; used in 05 (fusion, cold start) and 06.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from ..frames import as_days, check_order_lines, require
from .asof import Timeline, day_window
from .common import NEVER_DAYS, one_hot
from .eventlog import EVENT_CODES

ATTRIBUTES = (S.CATEGORY, S.SUBCATEGORY, S.BRAND, S.COLOUR)
POPULARITY_WINDOWS = (7, 30, 90)
KEYS = [S.CUTOFF, S.PRODUCT_ID]


def product_attributes(products: pd.DataFrame) -> pd.DataFrame:
    """product_id, one-hot category/subcategory/brand/colour and log base price (static)."""
    require(products, [S.PRODUCT_ID], "products")
    parts = [products[[S.PRODUCT_ID]].reset_index(drop=True)]
    for col in ATTRIBUTES:
        if col in products.columns:
            parts.append(one_hot(products[col].reset_index(drop=True), col))
    if S.BASE_PRICE in products.columns:
        parts.append(pd.DataFrame({"log_base_price": np.log(products[S.BASE_PRICE].to_numpy(np.float64))
                                   .astype(np.float32)}))
    return pd.concat(parts, axis=1)


def _day_matrix(pids: pd.Index, dates: pd.DatetimeIndex, ids: pd.Series, times: pd.Series,
                weights: np.ndarray | None = None) -> np.ndarray:
    """Product x day sums of ``weights`` (counts by default); rows outside the grid are ignored."""
    p = pids.get_indexer(ids)
    d = dates.get_indexer(pd.DatetimeIndex(times).normalize().as_unit(dates.unit))
    ok = (p >= 0) & (d >= 0)
    w = None if weights is None else np.asarray(weights, dtype=np.float64)[ok]
    flat = np.bincount(p[ok] * len(dates) + d[ok], weights=w, minlength=len(pids) * len(dates))
    return flat.reshape(len(pids), len(dates))


def _window_sum(m: np.ndarray, di: np.ndarray, w: int | None) -> np.ndarray:
    """Sums over the ``w`` days ending on each day index ``di`` (all days so far when None)."""
    c = np.concatenate([np.zeros((m.shape[0], 1)), np.cumsum(m, axis=1)], axis=1)
    lo, hi = day_window(di, w)
    return c[:, hi] - c[:, lo]


def product_features(cutoffs: object, products: pd.DataFrame, orders: pd.DataFrame,
                     prices: pd.DataFrame | None = None, events: pd.DataFrame | None = None,
                     reviews: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (cut-off, product launched by the cut-off day) of price and popularity history."""
    require(products, [S.PRODUCT_ID], "products")
    orders = check_order_lines(orders)
    cut = as_days(cutoffs)
    pids = pd.Index(products[S.PRODUCT_ID].drop_duplicates().sort_values())
    start = min(cut[0] - pd.Timedelta(days=365), orders[S.TIMESTAMP].min().normalize())
    dates = pd.date_range(start, cut[-1], freq="D").as_unit("ns")
    di = dates.get_indexer(cut)
    feats: dict[str, np.ndarray] = {}
    units = _day_matrix(pids, dates, orders[S.PRODUCT_ID], orders[S.TIMESTAMP], orders[S.QUANTITY])
    for w in POPULARITY_WINDOWS:
        feats[f"units_{w}d"] = _window_sum(units, di, w)
    feats["units_all"] = _window_sum(units, di, None)
    if events is not None:
        require(events, [S.PRODUCT_ID, S.TIMESTAMP, S.EVENT_TYPE], "events")
        code = pd.Categorical(events[S.EVENT_TYPE], categories=list(S.EVENT_TYPES)).codes
        for name in ("view", "click", "add_to_cart"):
            m = code == EVENT_CODES[name]
            mat = _day_matrix(pids, dates, events[S.PRODUCT_ID][m], events[S.TIMESTAMP][m])
            for w in (7, 30):
                feats[f"n_{name}_{w}d"] = _window_sum(mat, di, w)
        feats["units_per_view_30d"] = feats["units_30d"] / np.maximum(feats["n_view_30d"], 1)
    if reviews is not None:
        require(reviews, [S.PRODUCT_ID, S.TIMESTAMP, S.RATING], "reviews")
        n_rev = _window_sum(_day_matrix(pids, dates, reviews[S.PRODUCT_ID], reviews[S.TIMESTAMP]), di, None)
        stars = _window_sum(_day_matrix(pids, dates, reviews[S.PRODUCT_ID], reviews[S.TIMESTAMP],
                                        reviews[S.RATING]), di, None)
        feats["n_reviews"] = n_rev
        feats["mean_rating"] = np.where(n_rev > 0, stars / np.maximum(n_rev, 1), np.nan)
    if prices is not None:
        feats.update(_price_features(prices, pids, dates, di))
    out = _rows(feats, pids, cut)
    out = out.merge(_buyers(orders, pids, cut), on=KEYS, how="left")
    launch = _launch(products, pids, orders)
    since = (out[S.CUTOFF] - launch.reindex(out[S.PRODUCT_ID]).to_numpy()) / pd.Timedelta(days=1)
    out["days_since_launch"] = since.to_numpy(np.float32)
    out = out.loc[out["days_since_launch"] >= 0].reset_index(drop=True)
    num = [c for c in out.columns if c not in KEYS]
    out[num] = out[num].astype(np.float32)
    return out


def _rows(feats: dict[str, np.ndarray], pids: pd.Index, cut: pd.DatetimeIndex) -> pd.DataFrame:
    """(cut-off, product) rows from product x cut-off matrices."""
    out = pd.DataFrame({S.CUTOFF: np.repeat(cut, len(pids)), S.PRODUCT_ID: np.tile(pids.to_numpy(), len(cut))})
    for name, m in feats.items():
        out[name] = m.T.reshape(-1)
    return out


def _price_features(prices: pd.DataFrame, pids: pd.Index, dates: pd.DatetimeIndex,
                    di: np.ndarray) -> dict[str, np.ndarray]:
    """Price and discount on the cut-off day and over the days before it."""
    require(prices, [S.DATE, S.PRODUCT_ID, S.PRICE, S.DISCOUNT], "prices")
    known = _day_matrix(pids, dates, prices[S.PRODUCT_ID], prices[S.DATE]) > 0
    price = _day_matrix(pids, dates, prices[S.PRODUCT_ID], prices[S.DATE], prices[S.PRICE])
    disc = _day_matrix(pids, dates, prices[S.PRODUCT_ID], prices[S.DATE], prices[S.DISCOUNT])
    promo = (disc > 0).astype(float)
    n90 = np.maximum(_window_sum(known.astype(float), di, 90), 1)
    price_ff = pd.DataFrame(np.where(known, price, np.nan)).ffill(axis=1).to_numpy()
    promo_day = np.where(promo > 0, np.arange(len(dates))[None, :], -10**6)
    last_promo = np.maximum.accumulate(promo_day, axis=1)[:, di]
    return {
        "price": price_ff[:, di],
        "discount": disc[:, di],
        "on_promo": promo[:, di],
        "discount_mean_90d": _window_sum(disc, di, 90) / n90,
        "promo_days_28d": _window_sum(promo, di, 28),
        "days_since_promo": np.minimum(di[None, :] - last_promo, NEVER_DAYS).astype(float),
        "price_vs_mean_90d": price_ff[:, di] / np.maximum(_window_sum(price, di, 90) / n90, 1e-9),
    }


def _buyers(orders: pd.DataFrame, pids: pd.Index, cut: pd.DatetimeIndex) -> pd.DataFrame:
    """Distinct buyers of each product in the 30 days up to each cut-off."""
    tl = Timeline(orders[[S.USER_ID, S.PRODUCT_ID, S.TIMESTAMP]])
    frames = []
    for c in cut:
        h = tl.history(c, days=30).drop_duplicates([S.USER_ID, S.PRODUCT_ID])
        n = h[S.PRODUCT_ID].value_counts().reindex(pids, fill_value=0)
        frames.append(pd.DataFrame({S.CUTOFF: c, S.PRODUCT_ID: pids.to_numpy(), "n_buyers_30d": n.to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def _launch(products: pd.DataFrame, pids: pd.Index, orders: pd.DataFrame) -> pd.Series:
    """Launch day per product; without launch dates, the day of the first order."""
    if S.LAUNCH_DATE in products.columns:
        return products.set_index(S.PRODUCT_ID)[S.LAUNCH_DATE].dt.normalize().reindex(pids)
    first = orders.groupby(S.PRODUCT_ID)[S.TIMESTAMP].min().dt.normalize()
    return first.reindex(pids)

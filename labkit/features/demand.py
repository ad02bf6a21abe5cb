"""Daily demand panel (product x day) and 14-day-ahead forecast features per origin.

``demand_panel`` turns order lines into a dense product x day table of units (all ordered
units, cancelled or returned later or not; see :mod:`labkit.labels`). ``demand_features``
gives one row per (origin, product, horizon): what was known at the end of the origin
day (lags, rolling means and spreads, last price, days since the last sale, category
and shop level) plus what the shop knows in advance about the target day (its calendar
and, when a ``prices`` table is given, the planned price and promotion). Lags are counted
from the first forecast day o+1: ``units_lag_1`` is the origin day, ``units_lag_7`` the
day 6 days before it. Works on the world and on real order lines with string product
ids (no prices table: price features come from observed sales only). Introduced in
02_feature_extraction; used by 03 (global demand model), 06 (inventory) and 07.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from ..frames import as_days, check_order_lines, require
from .asof import day_window
from .common import one_hot

LAGS = (1, 7, 14, 28)
ROLL_MEANS = (7, 14, 28, 91)
ROLL_STDS = (7, 28)
KEYS = [S.ORIGIN, S.PRODUCT_ID, S.HORIZON, S.TARGET_DATE]


def plain_calendar(dates: pd.DatetimeIndex) -> pd.DataFrame:
    """A calendar without holidays or festivals (for real data that brings none)."""
    return pd.DataFrame({S.DATE: dates, S.WEEKDAY: dates.day_of_week.astype(np.int8), S.IS_HOLIDAY: False,
                         S.FESTIVAL: "", S.PROMO_INTENSITY: 0.0})


def demand_panel(orders: pd.DataFrame, products: pd.DataFrame | None = None, prices: pd.DataFrame | None = None,
                 calendar: pd.DataFrame | None = None) -> pd.DataFrame:
    """Dense product x day table: units, on_sale, price, discount, on_promo, calendar columns.

    Days: the calendar's (else first to last order day). Products: the product table's
    (else those with orders). ``on_sale``: launched (or, without launch dates, sold before).
    Without a prices table, ``price`` is the mean unit price of the day's sales (NaN otherwise).
    """
    orders = check_order_lines(orders)
    if calendar is None:
        day = orders[S.TIMESTAMP].dt.normalize()
        calendar = plain_calendar(pd.date_range(day.min(), day.max(), freq="D"))
    require(calendar, [S.DATE, S.WEEKDAY, S.IS_HOLIDAY, S.FESTIVAL, S.PROMO_INTENSITY], "calendar")
    dates = pd.DatetimeIndex(calendar[S.DATE]).normalize()
    pids = (products[S.PRODUCT_ID] if products is not None else orders[S.PRODUCT_ID]).drop_duplicates().sort_values()
    grid = pd.MultiIndex.from_product([pids.to_numpy(), dates], names=[S.PRODUCT_ID, S.DATE])
    key = [orders[S.PRODUCT_ID], orders[S.TIMESTAMP].dt.normalize().rename(S.DATE)]
    g = orders.assign(_v=orders[S.QUANTITY] * orders[S.UNIT_PRICE]).groupby(key)
    units = g[S.QUANTITY].sum().astype(np.float64)
    panel = pd.DataFrame({S.UNITS: units.reindex(grid, fill_value=0.0)})
    if products is not None and S.LAUNCH_DATE in products.columns:
        launch = products.set_index(S.PRODUCT_ID)[S.LAUNCH_DATE].dt.normalize()
        panel["launch_date"] = launch.reindex(grid.get_level_values(0)).to_numpy()
        panel["on_sale"] = grid.get_level_values(1) >= panel["launch_date"].to_numpy()
    else:
        sold = (panel[S.UNITS] > 0).groupby(level=0).cummax()
        panel["launch_date"] = pd.NaT
        panel["on_sale"] = sold.to_numpy()
    if prices is not None:
        require(prices, [S.DATE, S.PRODUCT_ID, S.PRICE, S.DISCOUNT], "prices")
        p = prices.set_index([S.PRODUCT_ID, S.DATE])[[S.PRICE, S.DISCOUNT]]
        p.index = p.index.set_levels(pd.DatetimeIndex(p.index.levels[1]).normalize(), level=1)
        panel[[S.PRICE, S.DISCOUNT]] = p.reindex(grid).to_numpy()
    else:
        panel[S.PRICE] = (g["_v"].sum() / g[S.QUANTITY].sum()).reindex(grid).to_numpy()
        panel[S.DISCOUNT] = np.nan
    panel = panel.reset_index()
    cal = calendar[[S.DATE, S.WEEKDAY, S.IS_HOLIDAY, S.FESTIVAL, S.PROMO_INTENSITY]].copy()
    cal[S.DATE] = pd.DatetimeIndex(cal[S.DATE]).normalize()
    panel[S.DATE] = panel[S.DATE].astype(cal[S.DATE].dtype)
    return panel.merge(cal, on=S.DATE, how="left")


def _rolling(m: np.ndarray, live: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std over the last ``w`` days (ending on each day) of the on-sale days only."""
    z = np.zeros((m.shape[0], 1))
    c1 = np.concatenate([z, np.cumsum(m * live, axis=1)], axis=1)
    c2 = np.concatenate([z, np.cumsum(m * m * live, axis=1)], axis=1)
    cn = np.concatenate([z, np.cumsum(live, axis=1)], axis=1)
    lo, hi = day_window(np.arange(m.shape[1]), w)
    n = np.maximum(cn[:, hi] - cn[:, lo], 1)
    mean = (c1[:, hi] - c1[:, lo]) / n
    var = np.maximum((c2[:, hi] - c2[:, lo]) / n - mean ** 2, 0)
    return mean, np.sqrt(var)


def _asof_matrices(panel: pd.DataFrame, pids: np.ndarray, dates: pd.DatetimeIndex,
                   categories: np.ndarray | None) -> dict[str, np.ndarray]:
    """Product x day matrices of features known at the end of each day (backward-looking only)."""
    shape = (len(pids), len(dates))
    units = panel[S.UNITS].to_numpy(np.float64).reshape(shape)
    live = panel["on_sale"].to_numpy(bool).reshape(shape).astype(np.float64)
    price = pd.DataFrame(panel[S.PRICE].to_numpy().reshape(shape)).ffill(axis=1).to_numpy()
    out: dict[str, np.ndarray] = {}
    for k in LAGS:
        lag = np.full(shape, np.nan)
        lag[:, k - 1:] = units[:, : shape[1] - k + 1]
        out[f"units_lag_{k}"] = lag
    for w in ROLL_MEANS:
        mean, std = _rolling(units, live, w)
        out[f"units_mean_{w}d"] = mean
        if w in ROLL_STDS:
            out[f"units_std_{w}d"] = std
    sold_day = np.where(units > 0, np.arange(shape[1])[None, :], -10_000)
    out["days_since_sale"] = np.minimum(np.arange(shape[1])[None, :] - np.maximum.accumulate(sold_day, axis=1), 999.0)
    out["sale_day_share_28d"] = _rolling((units > 0).astype(float), live, 28)[0]
    out["price_last"] = price
    pmean = _rolling(np.nan_to_num(price), live * ~np.isnan(price), 28)[0]
    out["price_vs_28d"] = price / np.where(pmean > 0, pmean, np.nan)
    disc = panel[S.DISCOUNT].to_numpy(np.float64).reshape(shape)
    if not np.isnan(disc).all():
        out["discount_last"] = disc
        out["promo_days_28d"] = _rolling((np.nan_to_num(disc) > 0).astype(float), np.ones(shape), 28)[0] * 28
    shop = units.sum(axis=0, keepdims=True)
    out["shop_units_mean_7d"] = np.repeat(_rolling(shop, np.ones_like(shop), 7)[0], shape[0], axis=0)
    out["shop_units_mean_28d"] = np.repeat(_rolling(shop, np.ones_like(shop), 28)[0], shape[0], axis=0)
    if categories is not None:
        codes, _ = pd.factorize(categories)
        cat = np.zeros((codes.max() + 1, shape[1]))
        np.add.at(cat, codes, units)
        out["category_units_mean_7d"] = _rolling(cat, np.ones_like(cat), 7)[0][codes]
        out["category_units_mean_28d"] = _rolling(cat, np.ones_like(cat), 28)[0][codes]
    return out


def demand_features(panel: pd.DataFrame, origins: object, horizon: int = 14,
                    products: pd.DataFrame | None = None, planned_prices: bool = True) -> pd.DataFrame:
    """One row per (origin, product, horizon 1..horizon) for products on sale at the origin.

    Origin-side features use panel days <= origin only; target-day features are the
    calendar and (``planned_prices`` and a prices table behind the panel) the planned
    price/discount of the target day, known to the shop in advance.
    """
    require(panel, [S.PRODUCT_ID, S.DATE, S.UNITS, "on_sale", S.PRICE, S.DISCOUNT], "panel")
    panel = panel.sort_values([S.PRODUCT_ID, S.DATE], ignore_index=True)
    pids = panel[S.PRODUCT_ID].drop_duplicates().to_numpy()
    dates = pd.DatetimeIndex(panel[S.DATE].drop_duplicates().sort_values())
    if len(panel) != len(pids) * len(dates):
        raise ValueError("panel: expected a dense product x day table (use demand_panel)")
    org = as_days(origins, "origins")
    oi = dates.get_indexer(org.as_unit(dates.unit))
    if (oi < 0).any():
        raise ValueError(f"origins: {org[oi < 0][:3].date.tolist()} ... are not days of the panel")
    cats = None
    if products is not None and S.CATEGORY in products.columns:
        cats = products.set_index(S.PRODUCT_ID)[S.CATEGORY].reindex(pids).fillna("unknown").to_numpy()
    mats = _asof_matrices(panel, pids, dates, cats)
    live = panel["on_sale"].to_numpy(bool).reshape(len(pids), len(dates))
    pi, di = np.nonzero(live[:, oi])  # products on sale at each origin
    order = np.lexsort((pi, di))  # by origin, then product
    pi, di = pi[order], di[order]
    base = pd.DataFrame({S.ORIGIN: org[di], S.PRODUCT_ID: pids[pi]})
    for name, m in mats.items():
        base[name] = m[pi, oi[di]].astype(np.float32)
    launch = pd.DatetimeIndex(panel["launch_date"].to_numpy().reshape(live.shape)[:, 0])
    first_live = dates[np.argmax(live, axis=1)]  # no launch date: the first sale
    launch = pd.DatetimeIndex(np.where(launch.isna(), first_live, launch))
    base["age_at_origin"] = ((org[di] - launch.as_unit("ns")[pi]) / pd.Timedelta(days=1)).astype(np.float32)
    hs = np.arange(1, horizon + 1)
    rows = base.loc[base.index.repeat(horizon)].reset_index(drop=True)
    rows.insert(2, S.HORIZON, np.tile(hs, len(base)).astype(np.int16))
    ti = np.repeat(oi[di], horizon) + rows[S.HORIZON].to_numpy()
    inside = ti < len(dates)
    tic = np.minimum(ti, len(dates) - 1)
    rows.insert(3, S.TARGET_DATE, np.where(inside, dates[tic], pd.NaT))
    rows["days_since_launch"] = rows.pop("age_at_origin") + rows[S.HORIZON]
    units = panel[S.UNITS].to_numpy().reshape(len(pids), len(dates))
    back = 7 * np.ceil(rows[S.HORIZON].to_numpy() / 7).astype(int)  # same weekday, last known week
    rows["units_same_weekday"] = units[np.repeat(pi, horizon), ti - back].astype(np.float32)
    day_rows = pd.DataFrame({S.DATE: dates}).merge(
        panel.drop_duplicates(S.DATE)[[S.DATE, S.WEEKDAY, S.IS_HOLIDAY, S.FESTIVAL, S.PROMO_INTENSITY]],
        on=S.DATE, how="left")
    t_cal = day_rows.iloc[tic].reset_index(drop=True)
    rows["weekday"] = t_cal[S.WEEKDAY].to_numpy(np.float32)
    rows["is_weekend"] = (t_cal[S.WEEKDAY].to_numpy() >= 5).astype(np.float32)
    rows["is_holiday"] = t_cal[S.IS_HOLIDAY].to_numpy(np.float32)
    rows["is_festival"] = (t_cal[S.FESTIVAL].fillna("").to_numpy() != "").astype(np.float32)
    rows["promo_intensity"] = t_cal[S.PROMO_INTENSITY].to_numpy(np.float32)
    doy = pd.DatetimeIndex(dates[tic]).day_of_year.to_numpy()
    rows["season_sin"] = np.sin(2 * np.pi * doy / 365.25).astype(np.float32)
    rows["season_cos"] = np.cos(2 * np.pi * doy / 365.25).astype(np.float32)
    disc = panel[S.DISCOUNT].to_numpy(np.float64).reshape(len(pids), len(dates))
    if planned_prices and not np.isnan(disc).all():
        price = panel[S.PRICE].to_numpy(np.float64).reshape(len(pids), len(dates))
        pr = np.repeat(pi, horizon)
        rows["price_target"] = price[pr, tic].astype(np.float32)
        rows["discount_target"] = disc[pr, tic].astype(np.float32)
        rows["on_promo_target"] = (disc[pr, tic] > 0).astype(np.float32)
        if cats is not None:
            codes, _ = pd.factorize(cats)
            num, den = np.zeros((codes.max() + 1, len(dates))), np.zeros((codes.max() + 1, len(dates)))
            np.add.at(num, codes, np.nan_to_num(disc) * live)
            np.add.at(den, codes, live)
            cat_disc = (num / np.maximum(den, 1))[codes]  # mean discount of the category's products on sale
            rows["discount_vs_category_target"] = (disc[pr, tic] - cat_disc[pr, tic]).astype(np.float32)
    if cats is not None:
        cat_rows = pd.Series(cats[np.repeat(pi, horizon)])
        rows = pd.concat([rows, one_hot(cat_rows, "category", sorted(set(cats)))], axis=1)
    rows[S.TARGET_DATE] = pd.to_datetime(rows[S.TARGET_DATE])
    return rows.loc[inside].reset_index(drop=True)


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """The feature columns of a demand-feature frame (everything but the keys)."""
    return [c for c in frame.columns if c not in KEYS]

"""03's demand forecasts as the shop sees them when it orders (06_reinforcement_learning, Part 6).

:func:`labkit.evaluation.backtest.rolling_forecasts` gives, at every weekly origin, 03's LightGBM's
forecasts of the next 14 days, the model fitted on the past only. :func:`daily_forecast` turns them
into one forecast per product and day, the one a shop ordering ``lead_time`` days ahead can have
used; :func:`seasonal_demand` pairs it with the world's truth for the products an episode follows.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .. import schema as S
from ..frames import require
from .inventory import truth_units


class SeasonalDemand(NamedTuple):
    """Part 6's demand: truth and forecast per product and day (both rescaled to the same mean), the products
    (the world's ids) and the dates."""

    rates: np.ndarray
    forecast: np.ndarray
    products: np.ndarray
    dates: pd.DatetimeIndex


def daily_forecast(forecasts: pd.DataFrame, lead_time: int, max_carry: int = 7) -> pd.DataFrame:
    """(date x product) forecast of each day's units from the latest origin at least ``lead_time + 1`` days
    before it, so that it was known on every day an order covering that day was placed. A day no origin
    reached in time (02 leaves out the origins at its split edges) keeps the product's forecast of the day
    before, for at most ``max_carry`` days; their count is ``attrs["carried"]``. NaN where none was."""
    require(forecasts, [S.ORIGIN, S.PRODUCT_ID, S.TARGET_DATE, "forecast"], "forecasts")
    if isinstance(lead_time, bool) or not isinstance(lead_time, (int, np.integer)) or lead_time < 0:
        raise ValueError(f"lead_time: expected an int >= 0, got {lead_time!r}")
    ahead = (forecasts[S.TARGET_DATE] - forecasts[S.ORIGIN]).dt.days
    known = forecasts.loc[ahead >= lead_time + 1].sort_values(S.ORIGIN, kind="stable")
    if known.empty:
        raise ValueError(f"forecasts: no forecast made {lead_time + 1} or more days ahead (lead_time + 1)")
    latest = known.groupby([S.TARGET_DATE, S.PRODUCT_ID])["forecast"].last()
    table = latest.unstack(S.PRODUCT_ID).sort_index()
    table = table.reindex(pd.date_range(table.index[0], table.index[-1], freq="D"))
    gaps = table.isna() & table.ffill().notna()  # days no origin forecast in time (02 skips origins at split edges)
    table = table.ffill(limit=max_carry)
    table.attrs["carried"] = int((gaps & table.notna()).to_numpy().sum())  # product-days given the day before's
    return table


def seasonal_demand(world, daily: pd.DataFrame, n_products: int, mean: float) -> SeasonalDemand:
    """The world's ``n_products`` best sellers on sale and forecast on every day ``daily`` covers: their expected
    units (truth) and ``daily``'s forecast, each product's pair rescaled by one factor to average ``mean`` a day."""
    if not np.isfinite(mean) or mean <= 0:
        raise ValueError(f"mean: expected expected units a day > 0, got {mean!r}")
    units = truth_units(world)
    missing = daily.index.difference(units.index)
    if len(missing):
        raise ValueError(f"daily: {len(missing)} days are not in the world (first {missing[0].date()})")
    truth = units.loc[daily.index]
    forecast = daily.reindex(columns=truth.columns)
    ok = truth.columns[((truth > 0).all() & forecast.notna().all()).to_numpy()]
    if n_products < 1 or len(ok) < n_products:
        raise ValueError(f"n_products: expected 1..{len(ok)} (products on sale and forecast every day), got {n_products}")
    top = truth[ok].mean().sort_values(ascending=False, kind="stable").index[:n_products]
    scale = mean / truth[top].mean().to_numpy()
    return SeasonalDemand(truth[top].to_numpy().T * scale[:, None], forecast[top].to_numpy().T * scale[:, None],
                          np.asarray(top), pd.DatetimeIndex(truth.index))

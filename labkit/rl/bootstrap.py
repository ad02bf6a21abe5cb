"""Years of demand bootstrapped from a real product's daily sales (06b_online_retail_inventory).

A real product's demand law is unknown, so the course does not model it. A year is 52 weeks drawn with
replacement from the product's own history (a block bootstrap by week: it keeps the weekday pattern and
the lumps of trade orders), rescaled so that the product sells ``mean`` units a day on average and rounded
to whole units at random (the mean is kept). No dynamic-programming bound exists for such demand.

The forecast a policy may use is a moving average of the ``window`` days before, lagged by the lead time:
``rates[:, s]`` averages days ``s - lead_time - window .. s - lead_time - 1``, so that the sum over the
next ``lead_time + 1`` days, which ``observation(env, forecast=True)`` and ``forecast_order_up_to`` read,
uses only days already seen. Weeks before the year give the first days their history.
"""

from __future__ import annotations

import numpy as np

from .inventory import InventoryConfig


def bootstrap_years(units: np.ndarray, config: InventoryConfig, n: int, mean: float, window: int = 28,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` years (demand int64 (n, horizon), moving-average forecast (n, horizon)) from daily ``units``."""
    u = np.asarray(units, dtype=float)
    if u.ndim != 1 or len(u) < 28 or not np.all(np.isfinite(u)) or (u < 0).any() or u.sum() <= 0:
        raise ValueError(f"units: expected at least 28 days of finite daily units >= 0, not all 0; "
                         f"got shape {u.shape}")
    if n < 1 or window < 1 or not np.isfinite(mean) or mean <= 0:
        raise ValueError(f"n, window, mean: expected n >= 1, window >= 1, mean > 0; got {n}, {window}, {mean}")
    rng = np.random.default_rng(seed)
    weeks = (u * (mean / u.mean()))[: len(u) // 7 * 7].reshape(-1, 7)
    before = window + config.lead_time  # days of history the first day's forecast needs
    n_weeks = -(-(before + config.horizon) // 7)
    days = weeks[rng.integers(0, len(weeks), (n, n_weeks))].reshape(n, -1)
    days = np.floor(days + rng.random(days.shape))  # random rounding keeps the mean
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(days, axis=1)], axis=1)
    end = before + np.arange(config.horizon) - config.lead_time  # the forecast of day s ends before this day
    rates = (cum[:, end] - cum[:, end - window]) / window
    return days[:, before: before + config.horizon].astype(np.int64), rates

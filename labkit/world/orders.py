"""Orders as invoice-style lines: statuses, delivery dates, returns (from the journeys' purchases).

Introduced in 00_data_tour; cleaned in 01, aggregated into daily demand in 02.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from .catalog import APPAREL, Catalog
from .conventions import CATEGORIES, INVOICE_OFFSET
from .journeys import JourneyLog
from .users import Population


def build_orders(rng: np.random.Generator, log: JourneyLog, cat: Catalog, pop: Population,
                 calendar: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (orders, truth_order_lines): one row per order line, ordered by time."""
    o = log.orders  # one buyer's lines of one day are consecutive: that is one order
    n = len(o["user"])
    grp_start = np.ones(n, dtype=bool)
    grp_start[1:] = (o["user"][1:] != o["user"][:-1]) | (o["day"][1:] != o["day"][:-1])
    grp = np.cumsum(grp_start) - 1
    first_time = o["time"][grp_start][grp]
    perm = np.lexsort((o["time"], grp, first_time))  # orders numbered in time order
    o = {k: v[perm] for k, v in o.items()}
    grp = grp[perm]
    new_order = np.ones(n, dtype=bool)
    new_order[1:] = grp[1:] != grp[:-1]
    order_id = np.cumsum(new_order) - 1
    n_orders = int(order_id[-1]) + 1 if n else 0
    day = o["day"]
    # order-level outcomes
    cancelled = rng.random(n_orders) < 0.03
    boost = calendar[S.PROMO_INTENSITY].to_numpy()
    backlog = np.convolve(boost, np.ones(6), mode="full")[: len(boost)]  # busy after festivals
    first_day = day[new_order]
    delay = 1 + rng.poisson(1.3 + 2.0 * backlog[first_day])
    promised = first_day + 3
    # line-level outcomes
    apparel = np.isin(cat.category[o["product"]], [CATEGORIES.index(c) for c in APPAREL])
    size_ok = ~apparel | (rng.random(n) < 0.8)
    damaged = rng.random(n) < 0.012
    quality = cat.truth["quality"].to_numpy()[o["product"]]
    p_return = np.where(~size_ok, 0.55, 0.04 + 0.05 * (quality < -1.0)) + np.where(damaged, 0.6, 0.0)
    returned = (rng.random(n) < p_return) & ~cancelled[order_id]
    status = np.where(cancelled[order_id], "cancelled", np.where(returned, "returned", "completed"))
    start = pd.Timestamp(calendar[S.DATE].iloc[0])
    delivered = np.where(cancelled, np.nan, first_day + delay)
    orders = pd.DataFrame({
        S.LINE_ID: np.arange(n, dtype=np.int64),
        S.ORDER_ID: order_id.astype(np.int64),
        S.USER_ID: o["user"],
        S.PRODUCT_ID: o["product"],
        S.QUANTITY: o["quantity"],
        S.UNIT_PRICE: np.round(o["unit_price"], 2),
        S.TIMESTAMP: start + pd.to_timedelta(o["time"], unit="s"),
        S.COUNTRY: pop.users[S.COUNTRY].to_numpy()[o["user"]],
        S.STATUS: status,
        S.PROMISED_DATE: start + pd.to_timedelta(promised[order_id], unit="D"),
        S.DELIVERED_DATE: start + pd.to_timedelta(delivered[order_id], unit="D"),
    })
    truth = pd.DataFrame({
        S.LINE_ID: orders[S.LINE_ID], "size_ok": size_ok, "damaged": damaged,
        "delivery_days": np.where(cancelled, -1, delay)[order_id].astype(np.int16),
        "late_days": np.where(cancelled, 0, np.maximum(0, delay - 3))[order_id].astype(np.int16),
        "discount": cat.discount[day, o["product"]],
    })
    return orders, truth




def invoice_number(order_id: np.ndarray | int) -> np.ndarray:
    """The shop-facing invoice number of an order (what customers quote in messages)."""
    return np.char.mod("%d", np.asarray(order_id) + INVOICE_OFFSET)

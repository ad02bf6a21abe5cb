"""Labels of the course's tasks, all defined on the one split of :mod:`labkit.splits`.

* purchase intent (02, 03, 05, 07): ``purchase_next_7d`` = 1 if the user places an order
  on one of the 7 days after the cut-off day (c+1 .. c+7), whatever its later status;
  only users signed up by the cut-off day are labelled.
* daily demand (02, 03, 06, 07): ``units`` of a product on a day = the sum of ``quantity``
  over its order lines that day, **including lines of orders later cancelled or
  returned**: that is what was ordered, and what the truth's ``expected_units``
  measures (the simulation draws purchases first, cancellations afterwards).
  Forecast rows: per origin o, product and horizon h = 1..14, the units on day o+h;
  only products launched by the origin.
* review sentiment (04): 0 negative (1-2 stars), 1 neutral (3), 2 positive (4-5).
* message intent (04): index of the ``intent`` in ``schema.INTENTS``.
* cold-start demand (05): units in the first 28 days after launch, for products
  launched inside the data.
Reviews and messages get their part from their own timestamp (warm-up counts as train).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import schema as S
from .frames import as_days, check_order_lines, require, sentiment_of_rating
from .splits import CourseSplit, assign_part

DAY = pd.Timedelta(days=1)


def daily_units(orders: pd.DataFrame) -> pd.DataFrame:
    """Units ordered per product and day (only days with orders): product_id, date, units."""
    orders = check_order_lines(orders)
    day = orders[S.TIMESTAMP].dt.normalize().rename(S.DATE)
    out = orders.groupby([orders[S.PRODUCT_ID], day], sort=True)[S.QUANTITY].sum()
    return out.rename(S.UNITS).astype(np.float64).reset_index()


def purchase_labels(orders: pd.DataFrame, cutoffs: object, users: pd.DataFrame | None = None,
                    horizon: int = 7) -> pd.DataFrame:
    """One row per (cut-off, user): ``purchase_next_7d`` = an order on days c+1 .. c+horizon.

    Users are those signed up by the cut-off day (``users`` table), or without ``users``
    those with an order before the end of the cut-off day (real order data).
    """
    orders = check_order_lines(orders)
    cut = as_days(cutoffs)
    if users is not None:
        require(users, [S.USER_ID, S.SIGNUP_DATE], "users")
        signup = users[S.SIGNUP_DATE].to_numpy()
        pop_ids = users[S.USER_ID].to_numpy()
    else:
        first = orders.groupby(S.USER_ID)[S.TIMESTAMP].min()
        signup, pop_ids = first.dt.normalize().to_numpy(), first.index.to_numpy()
    day = orders[S.TIMESTAMP].dt.normalize().to_numpy()
    buyer_days = pd.DataFrame({S.USER_ID: orders[S.USER_ID].to_numpy(), S.DATE: day}).drop_duplicates()
    frames = []
    for c in cut:
        c64 = c.to_datetime64()
        members = np.sort(pop_ids[signup < (c + DAY).to_datetime64()])
        win = buyer_days[(buyer_days[S.DATE] > c64) & (buyer_days[S.DATE] <= (c + horizon * DAY).to_datetime64())]
        frames.append(pd.DataFrame({S.CUTOFF: c, S.USER_ID: members,
                                    S.PURCHASE_NEXT_7D: np.isin(members, win[S.USER_ID].unique()).astype(np.int8)}))
    return pd.concat(frames, ignore_index=True)


def revenue_next_days(orders: pd.DataFrame, rows: pd.DataFrame, horizon: int = 7) -> np.ndarray:
    """Revenue (quantity x unit price) each (cut-off, user) row of ``rows`` ordered on days c+1 .. c+horizon.

    The money behind :func:`purchase_labels`: 07_evaluation's campaign view ranks users by purchase
    intent and counts the revenue of those it would target. Same window and same order lines, so a
    row with ``purchase_next_7d`` = 0 has revenue 0.
    """
    orders = check_order_lines(orders)
    require(rows, [S.CUTOFF, S.USER_ID], "rows")
    if horizon < 1:
        raise ValueError(f"horizon: expected at least 1 day, got {horizon}")
    day = orders[S.TIMESTAMP].dt.normalize()
    lines = pd.DataFrame({S.USER_ID: orders[S.USER_ID].to_numpy(), S.DATE: day.to_numpy(),
                          "revenue": (orders[S.QUANTITY] * orders[S.UNIT_PRICE]).to_numpy(np.float64)})
    out = np.zeros(len(rows))
    cut = pd.to_datetime(rows[S.CUTOFF]).dt.normalize().to_numpy()
    for c in np.unique(cut):
        win = lines[(lines[S.DATE] > c) & (lines[S.DATE] <= c + np.timedelta64(horizon, "D"))]
        per_user = win.groupby(S.USER_ID)["revenue"].sum()
        at = cut == c
        out[at] = rows.loc[at, S.USER_ID].map(per_user).fillna(0.0).to_numpy()
    return out

def demand_labels(orders: pd.DataFrame, origins: object, products: pd.DataFrame | None = None,
                  horizon: int = 14) -> pd.DataFrame:
    """One row per (origin, product, horizon 1..14): units ordered on day origin + horizon.

    Products: those launched by the origin (``products.launch_date``), or without a
    product table those with an order before the end of the origin day.
    """
    units = daily_units(orders)
    org = as_days(origins, "origins")
    if products is not None:
        require(products, [S.PRODUCT_ID, S.LAUNCH_DATE], "products")
        launch, pids = products[S.LAUNCH_DATE].dt.normalize().to_numpy(), products[S.PRODUCT_ID].to_numpy()
    else:
        first = units.groupby(S.PRODUCT_ID)[S.DATE].min()
        launch, pids = first.to_numpy(), first.index.to_numpy()
    hs = np.arange(1, horizon + 1)
    frames = []
    for o in org:
        live = np.sort(pids[launch <= o.to_datetime64()])
        frames.append(pd.DataFrame({S.ORIGIN: o, S.PRODUCT_ID: np.repeat(live, horizon),
                                    S.HORIZON: np.tile(hs, len(live)).astype(np.int16)}))
    out = pd.concat(frames, ignore_index=True)
    out[S.TARGET_DATE] = out[S.ORIGIN] + pd.to_timedelta(out[S.HORIZON].astype(np.int64), unit="D")
    units = units.rename(columns={S.DATE: S.TARGET_DATE})
    out[S.TARGET_DATE] = out[S.TARGET_DATE].astype(units[S.TARGET_DATE].dtype)
    out = out.merge(units, on=[S.PRODUCT_ID, S.TARGET_DATE], how="left")
    out[S.UNITS] = out[S.UNITS].fillna(0.0)
    return out


def review_labels(reviews: pd.DataFrame, split: CourseSplit) -> pd.DataFrame:
    """Reviews with rating, 3-class sentiment and the part of their timestamp (04)."""
    require(reviews, [S.REVIEW_ID, S.TIMESTAMP, S.RATING, S.TEXT], "reviews")
    out = reviews.copy()
    out[S.SENTIMENT] = sentiment_of_rating(out[S.RATING])
    out[S.SENTIMENT_NAME] = np.asarray(S.SENTIMENTS, dtype=object)[out[S.SENTIMENT]]
    out[S.PART] = assign_part(out[S.TIMESTAMP], split, warmup_as_train=True)
    return out


def message_labels(messages: pd.DataFrame, split: CourseSplit) -> pd.DataFrame:
    """Messages with the intent's index in ``schema.INTENTS`` and the part of their timestamp (04)."""
    require(messages, [S.MESSAGE_ID, S.TIMESTAMP, S.TEXT, S.INTENT], "messages")
    unknown = sorted(set(messages[S.INTENT].dropna()) - set(S.INTENTS))
    if unknown or messages[S.INTENT].isna().any():
        raise ValueError(f"messages.intent: expected one of {S.INTENTS}, got {unknown or 'missing values'}")
    out = messages.copy()
    out[S.INTENT_ID] = pd.Index(S.INTENTS).get_indexer(out[S.INTENT]).astype(np.int8)
    out[S.PART] = assign_part(out[S.TIMESTAMP], split, warmup_as_train=True)
    return out


def cold_start_labels(orders: pd.DataFrame, products: pd.DataFrame, split: CourseSplit,
                      days: int = 28) -> pd.DataFrame:
    """Products launched inside the data: units in their first ``days`` days (launch day included).

    ``part`` is the part of the launch day (warm-up launches count as train: a cold-start
    model needs no history); ``complete`` is False when the window runs past the end of
    the data (those labels are too small and should not be scored). A product launched in
    a part's last 27 days has the end of its window in the next part: its features
    (catalogue, text, image) are all known at launch, only the label reaches over.
    """
    require(products, [S.PRODUCT_ID, S.LAUNCH_DATE], "products")
    launch = products[S.LAUNCH_DATE].dt.normalize()
    new = products.loc[launch >= split.history_start, [S.PRODUCT_ID, S.LAUNCH_DATE]].copy()
    new[S.PART] = assign_part(new[S.LAUNCH_DATE], split, warmup_as_train=True)
    units = daily_units(orders).merge(new[[S.PRODUCT_ID, S.LAUNCH_DATE]], on=S.PRODUCT_ID)
    age = (units[S.DATE] - units[S.LAUNCH_DATE].dt.normalize()).dt.days
    first = units.loc[(age >= 0) & (age < days)].groupby(S.PRODUCT_ID)[S.UNITS].sum()
    new[S.UNITS_28D if days == 28 else f"units_{days}d"] = new[S.PRODUCT_ID].map(first).fillna(0.0).to_numpy()
    new["complete"] = (new[S.LAUNCH_DATE].dt.normalize() + (days - 1) * DAY) <= split.test_end
    return new.sort_values(S.LAUNCH_DATE).reset_index(drop=True)

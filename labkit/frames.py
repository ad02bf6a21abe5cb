"""Ground-floor checks and conversions of the course's tables: columns present, order lines
well formed, days, the sentiment of a star rating.

Used by every stage above (labels, features, models, the real-data tracks), so it imports
nothing of labkit but the column names. Introduced with 02_feature_extraction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import schema as S

ORDER_LINE_COLUMNS = (S.USER_ID, S.PRODUCT_ID, S.ORDER_ID, S.QUANTITY, S.UNIT_PRICE, S.TIMESTAMP)


def require(df: pd.DataFrame, columns: tuple[str, ...] | list[str], name: str) -> None:
    """Raise a ValueError naming ``name`` and the missing columns."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}; got {list(df.columns)}")


def check_order_lines(orders: pd.DataFrame) -> pd.DataFrame:
    """The canonical order-line table (synthetic or cleaned real data) without guest lines."""
    require(orders, ORDER_LINE_COLUMNS, "orders")
    if not pd.api.types.is_datetime64_any_dtype(orders[S.TIMESTAMP]):
        raise ValueError(f"orders: column {S.TIMESTAMP!r} must be datetime64, got {orders[S.TIMESTAMP].dtype}")
    return orders.loc[orders[S.USER_ID].notna()]


def as_days(values: object, name: str = "cutoffs") -> pd.DatetimeIndex:
    """Cut-off days as a sorted, unique DatetimeIndex of midnights (in nanoseconds)."""
    if isinstance(values, (str, pd.Timestamp, np.datetime64)):
        values = [values]
    days = pd.DatetimeIndex(pd.to_datetime(np.asarray(values))).as_unit("ns")
    if days.hasnans:
        raise ValueError(f"{name}: expected dates, got missing values")
    return days.normalize().unique().sort_values()


def sentiment_of_rating(rating: pd.Series | np.ndarray) -> np.ndarray:
    """``schema.SENTIMENT`` of star ratings: 0 negative (1-2 stars), 1 neutral (3), 2 positive (4-5)."""
    r = np.asarray(rating, dtype=np.float64)
    if np.isnan(r).any() or ((r < 1) | (r > 5)).any():
        raise ValueError("rating: expected stars between 1 and 5 without missing values")
    return np.select([r <= 2, r == 3], [0, 1], 2).astype(np.int8)

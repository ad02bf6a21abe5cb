"""The one place where "what was known at a cut-off" is decided.

A cut-off (or forecast origin) is the last day of history: a feature at cut-off ``c``
may use every row whose timestamp is before the end of day ``c`` (midnight of c + 1),
and nothing else. Every feature module of :mod:`labkit.features` takes its rows through
:func:`history` or :class:`Timeline` (event-level tables), :func:`cutoff_ends_ns` (many
cut-offs at once) or :func:`day_window` (product x day panels), all built on
``HISTORY_END`` (02_feature_extraction; the leakage tests in ``tests/test_features.py``
plant future rows and check that no feature moves).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S

DAY_NS = 86_400 * 10**9
HISTORY_END = pd.Timedelta(days=1)  # history ends at the midnight after the cut-off day: THE rule


def cutoff_end(cutoff: object) -> pd.Timestamp:
    """The first instant after cut-off day ``cutoff``: its history is everything before it."""
    return pd.Timestamp(cutoff).normalize() + HISTORY_END


def cutoff_ends_ns(cutoffs: pd.Series | pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """:func:`cutoff_end` of many cut-offs at once, as int64 nanoseconds."""
    days = pd.DatetimeIndex(np.asarray(cutoffs)).as_unit("ns").normalize()
    return (days + HISTORY_END).asi8


def day_window(cutoff_pos: np.ndarray, days: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Day positions [lo, hi) of the history of cut-off days at positions ``cutoff_pos`` of a
    daily axis: the cut-off day and the ``days - 1`` before it (all earlier days when None)."""
    hi = np.asarray(cutoff_pos) + 1
    lo = np.zeros_like(hi) if days is None else np.maximum(hi - days, 0)
    return lo, hi


def _ns(values: pd.Series | np.ndarray) -> np.ndarray:
    """Timestamps as int64 nanoseconds (whatever their datetime64 unit)."""
    return pd.DatetimeIndex(np.asarray(values)).as_unit("ns").asi8


def history(df: pd.DataFrame, cutoff: object, days: int | None = None,
            time_col: str = S.TIMESTAMP) -> pd.DataFrame:
    """Rows of ``df`` known at the end of day ``cutoff``; with ``days``, only its last ``days`` days.

    ``days=1`` is the cut-off day itself, ``days=7`` the cut-off day and the 6 before it.
    """
    if time_col not in df.columns:
        raise ValueError(f"history: expected a time column {time_col!r}, got {list(df.columns)}")
    end = cutoff_end(cutoff)
    t = df[time_col]
    keep = t < end
    if days is not None:
        keep &= t >= end - pd.Timedelta(days=days)
    return df.loc[keep]


class Timeline:
    """A table sorted once by time, sliced many times by cut-off (fast :func:`history`).

    ``Timeline(events).history(c, days=7)`` equals ``history(events, c, days=7)`` (same
    rows, time order), in O(log n) per slice instead of a full scan.
    """

    def __init__(self, df: pd.DataFrame, time_col: str = S.TIMESTAMP):
        if time_col not in df.columns:
            raise ValueError(f"Timeline: expected a time column {time_col!r}, got {list(df.columns)}")
        t = _ns(df[time_col])
        if len(t) > 1 and (np.diff(t) < 0).any():
            order = np.argsort(t, kind="stable")
            df, t = df.iloc[order], t[order]
        self.df = df.reset_index(drop=True)
        self.time_ns = t
        self.time_col = time_col

    def bounds(self, cutoff: object, days: int | None = None) -> tuple[int, int]:
        """Row positions [lo, hi) of :meth:`history` in the sorted table."""
        end = cutoff_end(cutoff).as_unit("ns").value
        hi = int(np.searchsorted(self.time_ns, end, side="left"))
        lo = 0 if days is None else int(np.searchsorted(self.time_ns, end - days * DAY_NS, side="left"))
        return lo, hi

    def history(self, cutoff: object, days: int | None = None) -> pd.DataFrame:
        """The rows known at the end of day ``cutoff`` (optionally only its last ``days`` days)."""
        lo, hi = self.bounds(cutoff, days)
        return self.df.iloc[lo:hi]

    def end_positions(self, ends_ns: np.ndarray) -> np.ndarray:
        """For many cut-off ends (int64 ns), the number of rows before each end."""
        return np.searchsorted(self.time_ns, ends_ns, side="left")

"""One time split for the whole course: warm-up, train, validation and test periods.

Introduced in 02_feature_extraction and used by every later notebook (03 LSTM, 04 BERT,
05 fusion, 06 RL, 07 evaluation), so that no model ever trains on a day another one is
tested on. Periods are whole weeks counted back from the last day, so every cut-off
falls on the last day's weekday and every 7-day label window is one full week::

    history_start   train_start            valid_start        test_start     test_end
        |  warm-up   |        train         |      valid      |     test      |
        |  8 weeks   |       the rest       |     ~15 %       |     ~20 %     |
        |  history   |  c ][ label window ] |                 |               |
                        c = cut-off: the last day of history; its label window is
                        the next 7 (purchase intent) or 14 (demand) days, and must
                        end inside the same part as it starts.

``quick`` (2023-01-02 .. 2023-12-31): train 2023-02-27 .. 2023-08-27, valid 2023-08-28 ..
2023-10-22, test 2023-10-23 .. 2023-12-31 (Singles' Day, Black Friday and Christmas).
``cpu``/``gpu`` (.. 2024-12-29): train 2023-02-27 .. 2024-04-14, valid .. 2024-08-04, test
2024-08-05 .. 2024-12-29.
The warm-up days only serve as history: no label window starts there. All dates are
inclusive days (midnight timestamps); a cut-off's history is every row with a timestamp
before the end of the cut-off day (:func:`labkit.features.asof.history`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import schema as S

PARTS = ("warmup", "train", "valid", "test")
LABELLED_PARTS = ("train", "valid", "test")
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class CourseSplit:
    """The course's periods; every date is an inclusive day (a midnight timestamp)."""

    history_start: pd.Timestamp  # first day of data; the warm-up runs to train_start - 1
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    valid_end: pd.Timestamp
    test_end: pd.Timestamp

    @property
    def valid_start(self) -> pd.Timestamp:
        return self.train_end + DAY

    @property
    def test_start(self) -> pd.Timestamp:
        return self.valid_end + DAY

    def bounds(self, part: str) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last day (inclusive) of ``part`` (warmup, train, valid or test)."""
        starts = {"warmup": self.history_start, "train": self.train_start,
                  "valid": self.valid_start, "test": self.test_start}
        ends = {"warmup": self.train_start - DAY, "train": self.train_end,
                "valid": self.valid_end, "test": self.test_end}
        if part not in starts:
            raise ValueError(f"part must be one of {PARTS}, got {part!r}")
        return starts[part], ends[part]

    def table(self) -> pd.DataFrame:
        """One row per part: first and last day, number of days and share of all days."""
        rows = [(p, *self.bounds(p)) for p in PARTS]
        df = pd.DataFrame(rows, columns=[S.PART, "start", "end"])
        df["days"] = (df["end"] - df["start"]).dt.days + 1
        df["share"] = (df["days"] / df["days"].sum()).round(3)
        return df


def _days(calendar_or_dates: pd.DataFrame | pd.Series | pd.Index | np.ndarray | list) -> pd.DatetimeIndex:
    """The normalised dates of a calendar (its ``date`` column) or of any sequence of timestamps."""
    if isinstance(calendar_or_dates, pd.DataFrame):
        if S.DATE not in calendar_or_dates.columns:
            raise ValueError(f"calendar_or_dates: a DataFrame needs a {S.DATE!r} column, "
                             f"got columns {list(calendar_or_dates.columns)}")
        calendar_or_dates = calendar_or_dates[S.DATE]
    dates = pd.DatetimeIndex(pd.to_datetime(np.asarray(calendar_or_dates))).dropna()
    if len(dates) == 0:
        raise ValueError("calendar_or_dates: expected at least one date, got none")
    return dates.normalize()


def course_split(calendar_or_dates: pd.DataFrame | pd.Series | pd.Index | np.ndarray | list,
                 test_frac: float = 0.20, valid_frac: float = 0.15, warmup_days: int = 56,
                 whole_weeks: bool = True) -> CourseSplit:
    """The course's split of the days covered by a calendar or by any timestamps (e.g. orders).

    The test period is the last ``test_frac`` of the days, the validation period the
    ``valid_frac`` before it (both rounded to whole weeks when ``whole_weeks``), the first
    ``warmup_days`` only serve as history, and train is what lies between.
    """
    for name, frac in (("test_frac", test_frac), ("valid_frac", valid_frac)):
        if not 0 < frac < 1:
            raise ValueError(f"{name} must be between 0 and 1, got {frac}")
    if warmup_days < 0:
        raise ValueError(f"warmup_days must be >= 0, got {warmup_days}")
    days = _days(calendar_or_dates)
    first, last = days.min(), days.max()
    n_days = (last - first).days + 1
    step = 7 if whole_weeks else 1
    test_days = max(step, int(round(test_frac * n_days / step)) * step)
    valid_days = max(step, int(round(valid_frac * n_days / step)) * step)
    train_start = first + pd.Timedelta(days=warmup_days)
    valid_start = last - pd.Timedelta(days=test_days + valid_days - 1)
    train_days = (valid_start - train_start).days
    if train_days < 28:
        raise ValueError(f"the data cover {n_days} days: after a warm-up of warmup_days={warmup_days}, "
                         f"{valid_days} validation and {test_days} test days only {train_days} train days "
                         f"remain (need >= 28); lower warmup_days, test_frac or valid_frac")
    split = CourseSplit(history_start=first, train_start=train_start, train_end=valid_start - DAY,
                        valid_end=last - pd.Timedelta(days=test_days), test_end=last)
    _check_filled(split, days)
    return split


MIN_FILLED = 0.25  # a part whose days hold data on fewer than this share is a gap, not a period


def _check_filled(split: CourseSplit, days: pd.DatetimeIndex) -> None:
    """Refuse a split whose train, valid or test period is mostly empty (one mistyped far date,
    e.g. 2099 in a 2010-2011 file, stretches the span and leaves the periods without data)."""
    present = pd.DatetimeIndex(days.unique())
    for part in LABELLED_PARTS:
        start, end = split.bounds(part)
        n = (end - start).days + 1
        held = int(((present >= start) & (present <= end)).sum())
        if held < MIN_FILLED * n:
            order = present.sort_values()
            gap = int(np.argmax(np.diff(order.asi8))) if len(order) > 1 else 0
            raise ValueError(
                f"the dates cannot fill the course split: the {part} period {start:%Y-%m-%d} .. {end:%Y-%m-%d} "
                f"holds data on {held} of its {n} days. The largest gap runs from {order[gap]:%Y-%m-%d} to "
                f"{order[min(gap + 1, len(order) - 1)]:%Y-%m-%d}; a mistyped date far from the rest? Quarantine "
                f"such dates when cleaning (01b's date_outlier rule) or pass only the period you mean")


def _check_part(part: str) -> None:
    if part not in LABELLED_PARTS:
        raise ValueError(f"part must be one of {LABELLED_PARTS} (the warm-up has no labels), got {part!r}")


def _anchors(split: CourseSplit, part: str, window: int, every_days: int) -> pd.DatetimeIndex:
    """Last-history days c of ``part`` whose window c+1 .. c+window lies inside the part.

    Counted back from the part's end in steps of ``every_days``, so the last window ends
    on the part's last day; the first c may be the day before the part starts.
    """
    _check_part(part)
    if every_days < 1 or window < 1:
        raise ValueError(f"every_days and the window must be >= 1, got every_days={every_days}, window={window}")
    start, end = split.bounds(part)
    last = end - pd.Timedelta(days=window)
    n = (last - (start - DAY)).days // every_days + 1
    if n <= 0:
        return pd.DatetimeIndex([], name=S.CUTOFF)
    return pd.DatetimeIndex(sorted(last - pd.Timedelta(days=every_days * k) for k in range(n)))


def cutoffs(split: CourseSplit, part: str, every_days: int = 7, horizon: int = 7) -> pd.DatetimeIndex:
    """Purchase-intent cut-off days of ``part``: the label window (the ``horizon`` days after
    the cut-off day) lies inside the part, so no train label peeks into validation (02, 03)."""
    return _anchors(split, part, horizon, every_days).rename(S.CUTOFF)


def forecast_origins(split: CourseSplit, part: str, horizon: int = 14, every_days: int = 7) -> pd.DatetimeIndex:
    """Demand forecast origins of ``part``: days o with o+1 .. o+horizon inside the part (02, 03, 06)."""
    return _anchors(split, part, horizon, every_days).rename(S.ORIGIN)


def assign_part(dates: pd.Series | pd.Index | np.ndarray | list, split: CourseSplit,
                warmup_as_train: bool = False) -> np.ndarray:
    """Part name of each timestamp's day: warmup, train, valid, test, or "" outside the data.

    ``warmup_as_train`` folds the warm-up into train, for samples that need no history
    (reviews and messages in 04).
    """
    days = pd.DatetimeIndex(pd.to_datetime(np.asarray(dates))).normalize().as_unit("ns")
    edges = pd.DatetimeIndex([split.history_start, split.train_start, split.valid_start,
                              split.test_start, split.test_end + DAY]).as_unit("ns")
    idx = np.searchsorted(edges.asi8, days.asi8, side="right")  # 1 .. 4 inside the data
    names = np.array(["", "train" if warmup_as_train else "warmup", "train", "valid", "test", ""], dtype=object)
    out = names[idx]
    out[np.asarray(days.isna())] = ""
    return out


def cold_start_products(products: pd.DataFrame, split: CourseSplit) -> pd.DataFrame:
    """The products launched in the test period: 05's cold-start demand targets."""
    if S.LAUNCH_DATE not in products.columns:
        raise ValueError(f"products: expected a {S.LAUNCH_DATE!r} column, got {list(products.columns)}")
    part = assign_part(products[S.LAUNCH_DATE], split)
    return products.loc[part == "test"].sort_values(S.LAUNCH_DATE).reset_index(drop=True)

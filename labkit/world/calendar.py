"""The world's calendar: weekdays, public holidays, shopping festivals, promotion intensity.

Introduced in 00_data_tour; its columns are the calendar covariates of 02 and 03.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from dateutil.easter import easter

from .. import schema as S

# festival -> (sitewide promotion intensity, purchase boost)
FESTIVALS: dict[str, tuple[float, float]] = {
    "new_year_sale": (0.4, 0.3),
    "valentines": (0.2, 0.2),
    "easter": (0.2, 0.15),
    "summer_sale": (0.6, 0.5),
    "singles_day": (0.8, 0.8),
    "black_friday": (1.0, 1.3),
    "cyber_monday": (0.9, 1.0),
    "christmas_rush": (0.2, 0.35),
    "boxing_day": (0.7, 0.6),
}


def _festival_days(year: int) -> dict[pd.Timestamp, str]:
    ts = pd.Timestamp
    nov1 = ts(year, 11, 1)
    black_friday = nov1 + pd.Timedelta(days=(4 - nov1.weekday()) % 7 + 21)
    days = {
        ts(year, 1, 2): "new_year_sale", ts(year, 1, 3): "new_year_sale",
        ts(year, 2, 14): "valentines",
        ts(easter(year)) - pd.Timedelta(days=2): "easter",
        ts(year, 7, 10): "summer_sale", ts(year, 7, 11): "summer_sale", ts(year, 7, 12): "summer_sale",
        ts(year, 11, 11): "singles_day",
        black_friday: "black_friday",
        black_friday + pd.Timedelta(days=3): "cyber_monday",
        ts(year, 12, 26): "boxing_day",
    }
    for d in range(10, 22):
        days.setdefault(ts(year, 12, d), "christmas_rush")
    return days


def _holidays(year: int) -> dict[pd.Timestamp, str]:
    ts = pd.Timestamp
    e = ts(easter(year))
    return {
        ts(year, 1, 1): "new_year", e - pd.Timedelta(days=2): "good_friday",
        e + pd.Timedelta(days=1): "easter_monday", ts(year, 5, 1): "labour_day",
        ts(year, 12, 25): "christmas", ts(year, 12, 26): "boxing_day",
    }


def build_calendar(start_date: str, n_days: int) -> pd.DataFrame:
    """One row per day: date, weekday, holiday, festival and sitewide promotion intensity."""
    if n_days <= 0:
        raise ValueError(f"n_days must be > 0, got {n_days}")
    dates = pd.date_range(pd.Timestamp(start_date), periods=n_days, freq="D")
    festivals: dict[pd.Timestamp, str] = {}
    holidays: dict[pd.Timestamp, str] = {}
    for year in range(dates[0].year, dates[-1].year + 1):
        festivals.update(_festival_days(year))
        holidays.update(_holidays(year))
    festival = [festivals.get(d, "") for d in dates]
    holiday = [holidays.get(d, "") for d in dates]
    return pd.DataFrame({
        S.DATE: dates,
        S.DAY: np.arange(n_days, dtype=np.int32),
        S.WEEKDAY: dates.day_of_week.astype(np.int8),
        S.IS_HOLIDAY: np.array([h != "" for h in holiday]),
        S.HOLIDAY_NAME: holiday,
        S.FESTIVAL: festival,
        S.PROMO_INTENSITY: np.array([FESTIVALS[f][0] if f else 0.0 for f in festival]),
    })


def day_effects(calendar: pd.DataFrame) -> dict[str, np.ndarray]:
    """Hidden daily multipliers that drive the journeys (truth, never a feature)."""
    weekday = calendar[S.WEEKDAY].to_numpy()
    doy = calendar[S.DATE].dt.day_of_year.to_numpy()
    weekly = np.array([0.95, 0.92, 0.95, 1.0, 1.05, 1.12, 1.1])[weekday]
    # general shopping season: low in late summer, high in Nov-Dec
    yearly = 1.0 + 0.12 * np.cos(2 * np.pi * (doy - 340) / 365.25)
    boost = np.array([FESTIVALS[f][1] if f else 0.0 for f in calendar[S.FESTIVAL]])
    holiday = np.where(calendar[S.IS_HOLIDAY].to_numpy(), 0.6, 1.0)
    return {"weekly": weekly, "yearly": yearly, "festival_boost": boost, "holiday": holiday,
            "doy": doy.astype(np.float64)}

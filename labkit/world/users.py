"""Users: observable profile and hidden traits (activity, price sensitivity, tastes).

Introduced in 00_data_tour; the hidden traits live only in ``truth_users``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import schema as S
from .conventions import AGE_BANDS, CATEGORIES, DEVICES, REGIONS, SEGMENTS

INTERNATIONAL = ("Germany", "France", "Netherlands", "Ireland", "Spain", "Belgium")


@dataclass(frozen=True)
class Population:
    """Observable user table, hidden traits, and arrays the journey simulation reads."""

    users: pd.DataFrame
    truth: pd.DataFrame
    signup_day: np.ndarray
    activity: np.ndarray  # wake-up rate multiplier
    price_sens: np.ndarray
    cat_affinity: np.ndarray  # (n_users, n_categories), rows sum to 1
    taste: np.ndarray  # (n_users,) weight on a product's image/text appeal
    qty_mean: np.ndarray  # expected extra units per order line (bulk buyers are high)


def build_population(rng: np.random.Generator, n_users: int, n_days: int, start_date: str) -> Population:
    """Sample users: sign-up (60 % before the world starts), region, device, traits."""
    n = n_users
    signup_day = np.where(rng.random(n) < 0.6, -rng.integers(1, 730, n), rng.integers(0, n_days, n))
    activity = np.exp(rng.normal(0.0, 0.6, n))
    price_sens = np.exp(rng.normal(0.0, 0.4, n))
    cat_affinity = rng.dirichlet(np.full(len(CATEGORIES), 0.6), n)
    taste = np.clip(rng.normal(1.0, 0.35, n), 0.2, None)
    bulk = rng.random(n) < 0.03
    qty_mean = np.where(bulk, rng.uniform(4.0, 12.0, n), 0.12)
    region = rng.choice(len(REGIONS), n, p=[0.22, 0.3, 0.15, 0.18, 0.15])
    country = np.where(region == 4, np.asarray(INTERNATIONAL)[rng.integers(0, len(INTERNATIONAL), n)],
                       "United Kingdom")
    # the marketing segment is a noisy, observable summary of the hidden traits
    seg_score = np.log(price_sens) + rng.normal(0, 0.3, n)
    segment = np.where(seg_score > 0.3, "bargain_hunter",
                       np.where(np.log(activity) + rng.normal(0, 0.3, n) > 0.4, "premium", "regular"))
    segment = np.where(signup_day > n_days - 60, "new", segment)
    start = pd.Timestamp(start_date)
    users = pd.DataFrame({
        S.USER_ID: np.arange(n, dtype=np.int32),
        S.SIGNUP_DATE: start + pd.to_timedelta(signup_day, unit="D"),
        S.REGION: np.asarray(REGIONS)[region], S.COUNTRY: country,
        S.DEVICE: np.asarray(DEVICES)[rng.choice(3, n, p=[0.6, 0.32, 0.08])],
        S.AGE_BAND: np.asarray(AGE_BANDS)[rng.choice(5, n, p=[0.15, 0.3, 0.25, 0.17, 0.13])],
        S.SEGMENT: segment,
    })
    truth = pd.DataFrame({S.USER_ID: users[S.USER_ID], "activity": activity, "price_sensitivity": price_sens,
                          "taste": taste, "bulk_buyer": bulk, "qty_mean": qty_mean,
                          **{f"affinity_{c}": cat_affinity[:, i] for i, c in enumerate(CATEGORIES)}})
    return Population(users, truth, signup_day, activity, price_sens, cat_affinity, taste, qty_mean)

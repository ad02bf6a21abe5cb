"""New products launched into a world, and the oracle of their launch demand (05_multimodal_fusion).

05's cold-start task needs thousands of new products, each with a product row, a title and
description, an image, and its demand in the first ``LAUNCH_DAYS`` days after launch. The
course worlds hold 40 / 160 / 1,000 products, so :func:`draw_launch_catalog` draws new ones
with the world's own catalogue generator (``build_catalog``: the same attributes, renderer,
texts and hidden appeal parts), re-based on the world's brands (each brand's effect on
appeal and price is the world's, read from its truth) and launched on a few launch days.

The oracle (:func:`launch_oracle`) is "the world plus these products": the world's journey
chain restarted at the start of the launch day (every shopper's state, consideration set and
focus category, from :func:`~labkit.oracles.demand.rebuild_chain`), with the new products on
sale. They enter the consideration sets of shoppers who start comparing in their category
after the launch, against the category's existing products, and are chosen by the world's
own utility. Products launch in cohorts with at most ``per_category`` new products in a
category, so a new product competes with the shop's assortment (and at most a few other
newcomers), never with hundreds of them. ``expected_units`` (the mean over ``replications``
rollouts) is the best prediction any model can make; ``units`` is a Poisson draw from it,
the label a model trains on.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .. import schema as S
from ..world.catalog import (
    APPEAL_SHOCK_SD, APPEAL_TREND_SD, BRANDS, CATEGORY_SEASON, Catalog, build_catalog,
)
from ..world.generate import Chain
from .demand import rollout_expected_units

LAUNCH_DAYS = 28  # the demand window after launch that 05 predicts
LAUNCH_STREAM = 20_261_206  # mixed into the launch catalogue's seeds: never one of the world's own streams


def appeal_path(base_appeal: np.ndarray, category: np.ndarray, launch_day: np.ndarray, life_days: np.ndarray,
                trend: np.ndarray, shock: np.ndarray, day_of_year: np.ndarray) -> np.ndarray:
    """Daily log-appeal (n_days, n): base + category season + random walk + shock + launch ramp and decline.

    The formula of ``labkit.world.catalog.build_catalog``; tests/test_launch.py checks that it
    rebuilds the world's own appeal table from the world's recorded parts. ``-inf`` before launch.
    """
    days = np.arange(len(day_of_year))[:, None]
    age = days - launch_day[None, :]
    ramp = 1.0 / (1.0 + np.exp(-(age - 14) / 5.0))
    decline = np.exp(-np.clip(age - life_days[None, :], 0, None) / 365.0)
    amp, peak = CATEGORY_SEASON[category, 0], CATEGORY_SEASON[category, 1]
    season = amp[None, :] * np.cos(2 * np.pi * (day_of_year[:, None] - peak[None, :]) / 365.25)
    appeal = base_appeal[None, :] + season + trend + shock + np.log(ramp * decline + 1e-12)
    return np.where(age >= 0, appeal, -np.inf)


def brand_effects(world_truth: pd.DataFrame, world_products: pd.DataFrame) -> pd.Series:
    """Each brand's appeal effect in the world: ``appeal_tabular - 0.15 * quality`` (constant per brand)."""
    t = world_truth.merge(world_products[[S.PRODUCT_ID, S.BRAND]], on=S.PRODUCT_ID)
    effect = (t["appeal_tabular"] - 0.15 * t["quality"]).groupby(t[S.BRAND])
    if (effect.max() - effect.min()).max() > 1e-9:
        raise ValueError("world truth: appeal_tabular - 0.15 * quality is not constant per brand; "
                         "the catalogue generator changed (update labkit/oracles/launch.py)")
    return effect.mean()


@dataclasses.dataclass(frozen=True)
class LaunchCatalog:
    """New products (ids after the world's), their images, truth, and daily appeal and prices in the world."""

    products: pd.DataFrame  # the product table's columns, launch_date within the world
    truth: pd.DataFrame  # truth_products' columns + launch_day, cohort
    images: np.ndarray  # (n, size, size, 3) uint8
    appeal: np.ndarray  # (n_days, n)
    price: np.ndarray  # (n_days, n)
    discount: np.ndarray  # (n_days, n)
    category: np.ndarray  # (n,) category index


def launch_days(n_days: int, k: int = 4) -> np.ndarray:
    """``k`` launch days spread over the world's second half, each with LAUNCH_DAYS days after it."""
    last = n_days - LAUNCH_DAYS
    if k < 1 or last <= n_days // 2:
        raise ValueError(f"launch days: need k >= 1 and a world longer than {2 * LAUNCH_DAYS} days, got {k}, {n_days}")
    return np.linspace(n_days // 2, last, k).round().astype(int)


def draw_launch_catalog(chain: Chain, n: int, seed: int = 0, days: np.ndarray | None = None,
                        per_category: int = 1) -> LaunchCatalog:
    """``n`` new products for ``chain``'s world, launched on ``days`` (default :func:`launch_days`), in cohorts.

    A cohort is launched together on one day and holds at most ``per_category`` products of
    each category; ``truth['cohort']`` numbers them.
    """
    if n < 1 or per_category < 1:
        raise ValueError(f"n and per_category must be >= 1, got {n} and {per_category}")
    cat0 = chain.cat
    n_days, n_world = cat0.appeal.shape
    days = launch_days(n_days) if days is None else np.asarray(days, dtype=int)
    if ((days < 1) | (days > n_days - LAUNCH_DAYS)).any():
        raise ValueError(f"launch days must lie in 1 .. {n_days - LAUNCH_DAYS}, got {days.tolist()}")
    rng = np.random.default_rng([LAUNCH_STREAM, int(seed)])
    new = build_catalog(rng, n, n_days, chain.calendar, int(chain.cat.images.shape[1]))
    brand = new.products[S.BRAND].to_numpy()
    world_effect = brand_effects(cat0.truth, cat0.products).reindex(list(BRANDS))
    new_effect = new.truth["appeal_tabular"].to_numpy() - 0.15 * new.truth["quality"].to_numpy()
    known = world_effect.reindex(brand).to_numpy()
    if np.isnan(known).any():  # a brand the world never sold: keep the draw's own effect
        known = np.where(np.isnan(known), new_effect, known)
    shift = known - new_effect
    truth = new.truth.copy()
    truth["appeal_tabular"] += shift
    truth["appeal_base"] += shift
    launch = np.asarray(days)[rng.integers(0, len(days), n)]
    doy = chain.calendar[S.DATE].dt.day_of_year.to_numpy()
    trend = np.cumsum(rng.normal(0.0, APPEAL_TREND_SD, (n_days, n)), axis=0)
    shock = rng.normal(0.0, APPEAL_SHOCK_SD, (n_days, n))
    appeal = appeal_path(truth["appeal_base"].to_numpy(), new.category, launch, truth["life_days"].to_numpy(),
                         trend, shock, doy)
    base_price = np.round(new.products[S.BASE_PRICE].to_numpy() * np.exp(0.5 * shift), 2)  # the brand's premium
    price = np.round(base_price[None, :] * (1 - new.discount), 2)  # as build_catalog prices a product
    products = new.products.copy()
    products[S.PRODUCT_ID] = np.arange(n_world, n_world + n, dtype=np.int32)
    products[S.BASE_PRICE] = base_price
    products[S.LAUNCH_DATE] = pd.Timestamp(chain.calendar[S.DATE].iloc[0]) + pd.to_timedelta(launch, unit="D")
    # cohorts: per launch day, the k-th product of each category goes to cohort k // per_category
    order = pd.DataFrame({"day": launch, "cat": new.category})
    rank = order.groupby(["day", "cat"]).cumcount() // per_category
    cohort = pd.factorize(pd.MultiIndex.from_arrays([order["day"], rank]), sort=True)[0]
    truth[S.PRODUCT_ID] = products[S.PRODUCT_ID].to_numpy()
    truth["launch_day"], truth["cohort"] = launch, cohort
    return LaunchCatalog(products, truth, new.images, appeal, price, new.discount, new.category)


def _with_products(cat: Catalog, launch: LaunchCatalog, idx: np.ndarray) -> Catalog:
    """The world's catalogue plus the launch products ``idx`` (appended after the world's)."""
    truth = pd.concat([cat.truth, launch.truth.iloc[idx][cat.truth.columns]], ignore_index=True)
    return dataclasses.replace(
        cat, truth=truth, appeal=np.concatenate([cat.appeal, launch.appeal[:, idx]], axis=1),
        price=np.concatenate([cat.price, launch.price[:, idx]], axis=1),
        discount=np.concatenate([cat.discount, launch.discount[:, idx]], axis=1),
        category=np.concatenate([cat.category, launch.category[idx]]), appeal_trend=None, appeal_shock=None)


def launch_oracle(chain: Chain, launch: LaunchCatalog, replications: int = 4, seed: int = 0) -> pd.DataFrame:
    """Expected units of each new product over its first LAUNCH_DAYS days, and a Poisson draw from them.

    ``chain`` must hold a snapshot of every launch day (``rebuild_chain(profile, seed,
    snapshot_days=np.unique(launch.truth['launch_day']))``). Returns product_id, launch_day,
    cohort, expected_units, expected_units_se (Monte-Carlo error) and units.
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    need = sorted(set(launch.truth["launch_day"].tolist()) - set(chain.log.snapshots))
    if need:
        raise ValueError(f"chain: no snapshot of launch day(s) {need[:5]}; rebuild it with "
                         "rebuild_chain(profile, seed, snapshot_days=<the launch days>)")
    n_world = chain.cat.appeal.shape[1]
    mean = np.zeros(len(launch.truth))
    se = np.zeros(len(launch.truth))
    for c, rows in launch.truth.groupby("cohort").indices.items():
        day = int(launch.truth["launch_day"].iloc[rows[0]])
        world = dataclasses.replace(chain, cat=_with_products(chain.cat, launch, rows))
        reps = rollout_expected_units(world, chain.log.snapshots[day], LAUNCH_DAYS, replications,
                                      seed=seed * 100_003 + int(c), resample_appeal=False)
        total = reps[:, :, n_world:].sum(axis=1)  # (replications, products of the cohort)
        mean[rows] = total.mean(0)
        se[rows] = total.std(0, ddof=1) / np.sqrt(replications) if replications > 1 else np.nan
    units = np.random.default_rng([LAUNCH_STREAM, int(seed), 1]).poisson(mean)
    return pd.DataFrame({S.PRODUCT_ID: launch.truth[S.PRODUCT_ID].to_numpy(),
                         "launch_day": launch.truth["launch_day"].to_numpy(), "cohort": launch.truth["cohort"].to_numpy(),
                         "expected_units": mean, "expected_units_se": se, S.UNITS: units})


__all__ = ["LAUNCH_DAYS", "LaunchCatalog", "appeal_path", "brand_effects", "draw_launch_catalog", "launch_days",
           "launch_oracle"]

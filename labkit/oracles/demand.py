"""Oracles of daily demand: the best forecasts the world allows (03_lstm, 06, 07).

Part of :mod:`labkit.oracles`, the one home of the course's oracles.

* **state oracle** -- ``truth_product_days.expected_units``: expected units given every
  user's true state *on the target day*. No forecast made earlier can know that state.
* **forecast oracle** -- E[units on day o+h | the world's state at the end of origin day
  o, the planned calendar, prices and promotions]: the best any forecast from origin o
  can do. :func:`rollout_expected_units` estimates it by Monte-Carlo: it restarts the
  world's own journey chain from the snapshot taken at the start of day o+1 (users'
  states, consideration sets, focus categories) with fresh random numbers and averages
  the per-day expectation the simulation computes (which already integrates purchase
  and choice randomness). Redrawn: users' transitions and new consideration sets, the
  day-level purchase shocks and (``resample_appeal``) the future steps of each product's
  appeal random walk and day-level noise. Kept: users' hidden traits, the sign-up
  schedule, the calendar, prices and promotions.

The rollout lives here, not in ``labkit/world``, so that changing it never invalidates
generated worlds (their cache key hashes the generator's code).
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema as S
from ..artifacts import ArtifactStore
from ..profiles import Profile, get_profile
from ..splits import course_split, forecast_origins
from ..world.catalog import APPEAL_SHOCK_SD, APPEAL_TREND_SD, Catalog
from ..world.generate import Chain, run_journeys, stream_rngs
from ..world.journeys import (
    BROWSING,
    BUY_SHOCK_SD,
    JourneySnapshot,
    appeal_modifier,
    buy_probability,
    purchase_step,
    transition_step,
    wake_multiplier,
)

ROLLOUT_STREAM = 20_240_603  # mixed into the rollout seeds: never one of the world's own streams
FORECAST_ORACLE = "forecast_oracle"
STATE_ORACLE = "state_oracle"


def rebuild_chain(profile: Profile | str, seed: int, snapshot_days: object = ()) -> Chain:
    """Re-run a world's catalog, population and journeys (same seed, same draws), keeping snapshots.

    Costs one journey simulation (quick ~2 s, cpu ~10 s on 2 cores); builds no tables.
    """
    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    return run_journeys(prof, stream_rngs(seed), snapshot_days)


def _future_appeal(rng: np.random.Generator, cat: Catalog, day: int, horizon: int) -> np.ndarray:
    """The appeal table with days day .. day+horizon-1 redrawn from the walk's level on day-1."""
    if cat.appeal_trend is None or cat.appeal_shock is None:
        raise ValueError("resample_appeal needs a Catalog from build_catalog (with appeal_trend and appeal_shock)")
    days = slice(day, day + horizon)
    n = cat.appeal.shape[1]
    level = cat.appeal_trend[day - 1] if day > 0 else np.zeros(n)
    walk = level + np.cumsum(rng.normal(0.0, APPEAL_TREND_SD, (horizon, n)), axis=0)
    appeal = cat.appeal.copy()
    with np.errstate(invalid="ignore"):  # -inf (not on sale yet) stays -inf
        appeal[days] = (cat.appeal[days] - cat.appeal_trend[days] - cat.appeal_shock[days]
                        + walk + rng.normal(0.0, APPEAL_SHOCK_SD, (horizon, n)))
    return appeal


def rollout_expected_units(chain: Chain, snapshot: JourneySnapshot, horizon: int = 14, replications: int = 32,
                           seed: int = 0, resample_appeal: bool = True) -> np.ndarray:
    """Expected units per product on days ``snapshot.day`` .. ``+horizon-1``, per replication.

    Returns an array (replications, horizon, n_products): its mean over axis 0 estimates
    E[demand | state at the start of ``snapshot.day``], the forecast oracle of origin
    ``snapshot.day - 1``; its standard deviation / sqrt(replications) is the Monte-Carlo error.
    """
    cat, pop, effects, P = chain.cat, chain.pop, chain.effects, chain.params
    n_days, n_prod = cat.appeal.shape
    d0 = int(snapshot.day)
    if horizon < 1 or replications < 1:
        raise ValueError(f"horizon and replications must be >= 1, got {horizon} and {replications}")
    if not 0 <= d0 <= n_days - horizon:
        raise ValueError(f"a rollout of {horizon} days from day {d0} leaves the world's {n_days} days")
    rng = np.random.default_rng([ROLLOUT_STREAM, int(seed), d0])
    appeal_mod, wake = appeal_modifier(cat), wake_multiplier(effects)
    days = np.arange(d0, d0 + horizon)
    window = {k: v[days] for k, v in effects.items()}
    out = np.zeros((replications, horizon, n_prod))
    for r in range(replications):
        cat_r = dataclasses.replace(cat, appeal=_future_appeal(rng, cat, d0, horizon)) if resample_appeal else cat
        buy = buy_probability(window, P, np.exp(rng.normal(0.0, BUY_SHOCK_SD, horizon)))
        state, cons, focus = snapshot.state.copy(), snapshot.cons.copy(), snapshot.focus.copy()
        for i, d in enumerate(days):
            state[pop.signup_day == d] = BROWSING
            active = np.nonzero(state >= 0)[0]
            buyers, _ = purchase_step(rng, cat_r, pop, appeal_mod, d, state, active, cons, buy[i], P, out[r, i])
            state = transition_step(rng, cat_r, pop, appeal_mod, d, state, cons, focus, buyers, wake[d], P)
    return out


def _world_profile(world) -> Profile:
    return Profile(**world.manifest["profile"])


def _origin_days(world, origins: object) -> tuple[pd.DatetimeIndex, np.ndarray]:
    start = pd.Timestamp(world.manifest["start_date"])
    org = pd.DatetimeIndex(pd.to_datetime(np.asarray(origins))).normalize().unique().sort_values()
    if len(org) == 0:
        raise ValueError("origins: expected at least one forecast origin, got none")
    return org, ((org - start) / pd.Timedelta(days=1)).to_numpy().astype(int)


def _config(world, replications: int, horizon: int, seed: int, resample_appeal: bool) -> dict[str, object]:
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    m = world.manifest
    return {"world": world.path.name, "generator": m.get("generator"), "seed": m.get("seed"),
            "profile": m.get("profile"), "code": code, "replications": int(replications), "horizon": int(horizon),
            "rollout_seed": int(seed), "resample_appeal": bool(resample_appeal)}


def forecast_oracle(world, origins: object = None, replications: int = 32, horizon: int = 14, seed: int = 0,
                    resample_appeal: bool = True, cache: bool = True, verbose: bool = True) -> pd.DataFrame:
    """The forecast oracle of each origin: origin, product_id, horizon, target_date, forecast_oracle, _se.

    ``origins`` default to the test part's demand origins. Cost: one re-run of the journeys
    plus replications x horizon chain-days per origin -- on 2 cores about 15 s for quick's
    9 test origins and 80 s for cpu's 20 (32 replications). The result is cached as the
    artifact ``oracles/forecast_oracle`` of the world's profile and seed (``cache=False``:
    neither read nor written); the rebuilt chain must reproduce the world's
    ``expected_units`` exactly, else a ValueError.
    """

    if origins is None:
        origins = forecast_origins(course_split(world.table("calendar")), "test", horizon=horizon)
    org, days = _origin_days(world, origins)
    n_days = int(world.manifest["profile"]["n_days"])
    bad = org[(days < 0) | (days + horizon > n_days - 1)]
    if len(bad):
        raise ValueError(f"origins {[str(d.date()) for d in bad[:3]]}: each needs {horizon} days of the world after it")
    config = _config(world, replications, horizon, seed, resample_appeal)
    cached = pd.DataFrame()
    store, name = ArtifactStore(world.profile, world.seed), f"oracles/{FORECAST_ORACLE}"
    if cache and store.status(name, config) == "fresh":
        cached = pd.read_parquet(store.path(name))
    todo = org[~org.isin(pd.DatetimeIndex(cached[S.ORIGIN].unique()) if len(cached) else [])]
    if len(todo):
        t0 = time.perf_counter()
        todo_days = days[org.isin(todo)]
        chain = rebuild_chain(_world_profile(world), world.seed, todo_days + 1)
        truth = world.truth("truth_product_days", columns=[S.EXPECTED_UNITS])[S.EXPECTED_UNITS].to_numpy()
        if not np.array_equal(truth, chain.log.expected_units.ravel()):
            raise ValueError(f"world {world.path.name!r}: re-running its journeys does not reproduce its truth; "
                             "regenerate it with the current generator (labkit.ensure_world)")
        frames = [cached]
        n_prod = chain.cat.appeal.shape[1]
        for o, d in zip(todo, todo_days):
            reps = rollout_expected_units(chain, chain.log.snapshots[int(d) + 1], horizon, replications, seed,
                                          resample_appeal)
            h = np.repeat(np.arange(1, horizon + 1), n_prod)
            frames.append(pd.DataFrame({
                S.ORIGIN: o, S.PRODUCT_ID: np.tile(np.arange(n_prod, dtype=np.int32), horizon),
                S.HORIZON: h.astype(np.int16), S.TARGET_DATE: o + pd.to_timedelta(h, unit="D"),
                FORECAST_ORACLE: reps.mean(0).ravel(),
                f"{FORECAST_ORACLE}_se": (reps.std(0, ddof=1) / np.sqrt(replications)).ravel() if replications > 1
                else np.nan}))
        cached = pd.concat([f for f in frames if len(f)], ignore_index=True).sort_values(
            [S.ORIGIN, S.PRODUCT_ID, S.HORIZON], ignore_index=True)
        if verbose:
            print(f"forecast oracle: {len(todo)} origins x {replications} replications in "
                  f"{time.perf_counter() - t0:.0f} s")
        if cache:
            cached.to_parquet(store.path(name), index=False)
            store.record(name, config)
    return cached[cached[S.ORIGIN].isin(org)].reset_index(drop=True)


def demand_state_oracle(world, rows: pd.DataFrame) -> np.ndarray:
    """The state oracle of each row (its ``target_date`` and ``product_id``): truth ``expected_units``."""
    for col in (S.TARGET_DATE, S.PRODUCT_ID):
        if col not in rows.columns:
            raise ValueError(f"rows: expected a {col!r} column, got {list(rows.columns)}")
    truth = world.truth("truth_product_days", columns=[S.DATE, S.PRODUCT_ID, S.EXPECTED_UNITS])
    key = pd.MultiIndex.from_arrays([pd.DatetimeIndex(rows[S.TARGET_DATE]).as_unit("ns"), rows[S.PRODUCT_ID]])
    lookup = truth.set_index([pd.DatetimeIndex(truth[S.DATE]).as_unit("ns"), S.PRODUCT_ID])[S.EXPECTED_UNITS]
    out = lookup.reindex(key).to_numpy()
    if np.isnan(out).any():
        raise ValueError(f"rows: {int(np.isnan(out).sum())} (target_date, product_id) pairs are not days of the world")
    return out

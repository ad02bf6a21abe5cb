"""Demand forecasting (03_lstm, task 2): metrics, baselines, LightGBM, LSTM, oracles, saved forecasts."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import labkit
from labkit import schema as S
from labkit.evaluation.forecast_metrics import bias, forecast_table, mase, per_horizon, rmse, seasonal_scale, wape
from labkit.features.build import load_features
from labkit.models.demand.forecast import (LGBM_CONFIGS, LightGBMForecaster, ensemble, load_forecasts, moving_average,
                                    save_forecasts, seasonal_naive)
from labkit.oracles import demand_state_oracle, forecast_oracle, rebuild_chain
from labkit.world import generate_world, load_world

SMALL = dict(n_users=600, n_products=18, n_days=90)


def _panel(values: np.ndarray, start: str = "2024-01-01", launch: int = 0) -> pd.DataFrame:
    dates = pd.date_range(start, periods=len(values), freq="D")
    return pd.DataFrame({S.PRODUCT_ID: 0, S.DATE: dates, S.UNITS: np.asarray(values, dtype=float),
                         "on_sale": np.arange(len(values)) >= launch})


def _rows(origins: pd.DatetimeIndex, horizons: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({S.ORIGIN: origins, S.PRODUCT_ID: 0, S.HORIZON: horizons})


def test_point_metrics_on_hand_made_examples():
    y = np.array([2.0, 0.0, 4.0, 4.0])
    assert wape(y, y) == 0.0 and rmse(y, y) == 0.0 and bias(y, y) == 0.0
    pred = np.array([3.0, 1.0, 2.0, 4.0])  # errors +1, +1, -2, 0
    assert wape(y, pred) == pytest.approx(4 / 10)
    assert rmse(y, pred) == pytest.approx(np.sqrt(6 / 4))
    assert bias(y, pred) == pytest.approx(0.0)
    assert bias(y, pred + 1) == pytest.approx(0.4)
    assert mase(y, pred, np.array([1.0, 1.0, 2.0, np.nan])) == pytest.approx((1 + 1 + 1) / 3)
    with pytest.raises(ValueError, match="same shape"):
        wape(y, pred[:2])
    with pytest.raises(ValueError, match="sum to zero"):
        wape(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        rmse(y, np.array([1.0, np.nan, 1.0, 1.0]))


def test_mase_of_the_in_sample_seasonal_naive_is_one_on_a_weekly_series():
    rng = np.random.default_rng(0)
    n = 140
    y = np.tile([3, 1, 2, 5, 8, 9, 4], n // 7) + rng.poisson(1.0, n)  # a weekly pattern plus noise
    panel = _panel(y)
    end = panel[S.DATE].iloc[-1]
    scale = seasonal_scale(panel, end, min_pairs=28)
    assert scale.loc[0] == pytest.approx(np.abs(y[7:] - y[:-7]).mean())
    # every in-sample day t >= 7 forecast from origin t-1 at horizon 1: the value 7 days before
    rows = _rows(panel[S.DATE].iloc[6: n - 1].to_numpy(), np.ones(n - 7, dtype=int))
    pred = seasonal_naive(panel, rows)
    np.testing.assert_array_equal(pred, y[:-7])
    assert mase(y[7:], pred, np.full(n - 7, scale.loc[0])) == pytest.approx(1.0)
    # a purely weekly series has a zero in-sample scale: MASE is undefined there
    flat = _panel(np.tile([3, 1, 2, 5, 8, 9, 4], 20))
    assert np.isnan(seasonal_scale(flat, flat[S.DATE].iloc[-1]).loc[0])
    with pytest.raises(ValueError, match="no row has a positive"):
        mase(np.ones(3), np.ones(3), np.full(3, np.nan))


def test_seasonal_naive_and_moving_average_use_only_data_up_to_the_origin():
    y = np.arange(1, 61, dtype=float)
    panel = _panel(y)
    origin = panel[S.DATE].iloc[39]
    rows = _rows(pd.DatetimeIndex([origin] * 14), np.arange(1, 15))
    sn, ma = seasonal_naive(panel, rows), moving_average(panel, rows, window=28)
    # horizon h: the same weekday of the last observed week, day 39 + h - 7*ceil(h/7) <= 39
    expected = np.array([y[39 + h - 7 * int(np.ceil(h / 7))] for h in range(1, 15)])
    np.testing.assert_array_equal(sn, expected)
    np.testing.assert_allclose(ma, y[12:40].mean())
    planted = panel.copy()
    planted.loc[40:, S.UNITS] = 1e6  # the future: must not leak into any forecast
    np.testing.assert_array_equal(seasonal_naive(planted, rows), sn)
    np.testing.assert_array_equal(moving_average(planted, rows, window=28), ma)
    # not on sale yet: the moving average counts on-sale days only
    young = _panel(y, launch=30)
    np.testing.assert_allclose(moving_average(young, rows, window=28), y[30:40].mean())
    with pytest.raises(ValueError, match="not in the panel"):
        seasonal_naive(panel, _rows(pd.DatetimeIndex(["2030-01-01"]), np.array([1])))


def test_per_horizon_and_forecast_table():
    df = pd.DataFrame({S.HORIZON: np.repeat([1, 2], 3), S.UNITS: [1.0, 2, 3, 4, 5, 6], S.PRODUCT_ID: 0,
                       "a": [1.0, 2, 3, 4, 5, 6], "b": [2.0, 2, 3, 4, 5, 9]})
    table = per_horizon(df, ["a", "b"])
    assert list(table.columns) == ["a", "b"] and list(table.index) == [1, 2]
    assert table.loc[1, "a"] == 0 and table.loc[1, "b"] == pytest.approx(1 / 6)
    assert table.loc[2, "b"] == pytest.approx(3 / 15)
    summary = forecast_table(df, ["a", "b"], scale=pd.Series([2.0], index=[0]))
    assert summary.loc["b", "wape"] == pytest.approx(4 / 21) and summary.loc["b", "mase"] == pytest.approx(4 / 6 / 2)
    with pytest.raises(ValueError, match="metric must be"):
        per_horizon(df, "a", metric="mape")
    np.testing.assert_allclose(ensemble(np.ones(3), np.zeros(3)), 0.5)
    with pytest.raises(ValueError, match="weights"):
        ensemble(np.ones(3), np.zeros(3), weights=[0.7, 0.7])


@pytest.fixture(scope="module")
def demand() -> pd.DataFrame:
    return load_features("quick", "demand_features")


def test_lightgbm_beats_the_seasonal_naive_on_quick(demand):
    panel = load_features("quick", "demand_panel")
    train, valid = demand[demand[S.PART] == "train"], demand[demand[S.PART] == "valid"]
    test = demand[demand[S.PART] == "test"].reset_index(drop=True)
    model = LightGBMForecaster(configs=LGBM_CONFIGS[:1], threads=1).fit(train, valid, verbose=False)
    assert model.rounds > 10 and len(model.tuning) == 1
    pred = model.predict(test)
    assert np.isfinite(pred).all() and (pred >= 0).all()
    naive = seasonal_naive(panel, test)
    np.testing.assert_array_equal(naive, test["units_same_weekday"].to_numpy())  # the feature agrees
    assert wape(test[S.UNITS], pred) < 0.85 * wape(test[S.UNITS], naive)


def test_lstm_trains_and_predicts_every_row(quick_world, demand):
    import torch

    from labkit.models.demand.lstm import LSTMForecaster

    panel = load_features("quick", "demand_panel")
    split = load_features("quick", "split")
    threads = torch.get_num_threads()
    try:  # one thread: two OpenMP threads crawl when other processes share the 2 cores
        model = LSTMForecaster(epochs=1, refit=False, threads=1, verbose=False).fit(
            panel, quick_world.table("products"), split)
    finally:
        torch.set_num_threads(threads)
    assert len(model.history) == 1 and np.isfinite(model.history[0]["valid_wape"])
    test = demand[demand[S.PART] == "test"].head(500)
    pred = model.predict(test)
    assert pred.shape == (len(test),) and np.isfinite(pred).all() and (pred > 0).all()
    with pytest.raises(ValueError, match="horizons must lie"):
        model.predict(test.assign(**{S.HORIZON: 15}))


def test_forecast_oracle_is_unbiased_and_beats_the_seasonal_naive(quick_world, demand):
    test = demand[demand[S.PART] == "test"].reset_index(drop=True)
    fo = forecast_oracle(quick_world, replications=8, cache=False, verbose=False)
    rows = test.merge(fo, on=[S.ORIGIN, S.PRODUCT_ID, S.HORIZON, S.TARGET_DATE], how="left", validate="1:1")
    assert rows["forecast_oracle"].notna().all()
    y = rows[S.UNITS]
    assert abs(bias(y, rows["forecast_oracle"])) < 0.04
    assert wape(y, rows["forecast_oracle"]) < 0.8 * wape(y, rows["units_same_weekday"])
    state = demand_state_oracle(quick_world, rows)
    assert wape(y, state) < wape(y, rows["forecast_oracle"])  # knowing the target day's states helps
    with pytest.raises(ValueError, match="days of the world after it"):
        forecast_oracle(quick_world, origins=[quick_world.table("calendar")[S.DATE].iloc[-3]], cache=False)


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_rollouts_do_not_change_the_generated_world(tmp_path):
    prof = labkit.get_profile("quick", **SMALL)
    before = _digests(generate_world(prof, 3, tmp_path / "a", raw=False))
    world = load_world(tmp_path / "a")
    origins = world.table("calendar")[S.DATE].iloc[[60, 70]]
    fo = forecast_oracle(world, origins, replications=2, cache=False, verbose=False)  # checks truth reproduced
    assert len(fo) == 2 * 14 * SMALL["n_products"] and (fo["forecast_oracle"] >= 0).all()
    assert _digests(tmp_path / "a") == before
    assert _digests(generate_world(prof, 3, tmp_path / "b", raw=False)) == before
    plain, snap = rebuild_chain(prof, 3), rebuild_chain(prof, 3, snapshot_days=[10, 61, 71])
    assert sorted(snap.log.snapshots) == [10, 61, 71] and not plain.log.snapshots
    np.testing.assert_array_equal(plain.log.states, snap.log.states)
    np.testing.assert_array_equal(plain.log.expected_units, snap.log.expected_units)
    for key in plain.log.orders:
        np.testing.assert_array_equal(plain.log.orders[key], snap.log.orders[key])
    np.testing.assert_array_equal(snap.log.snapshots[61].state, np.where(snap.log.states[61] >= 0,
                                                                         snap.log.snapshots[61].state, -1))


def test_save_and_load_forecasts(tmp_path, demand):
    rows = demand[demand[S.PART] == "test"].head(28)
    path = save_forecasts(rows, {"seasonal_naive": rows["units_same_weekday"].to_numpy(),
                                 "moving_average": rows["units_mean_28d"].to_numpy()}, "quick", root=tmp_path)
    assert path == tmp_path / "artifacts" / "quick" / "synthetic-seed0" / "forecasts" / "demand_test.parquet"
    back = load_forecasts("quick", root=tmp_path)
    assert list(back.columns) == [S.ORIGIN, S.PRODUCT_ID, S.HORIZON, S.TARGET_DATE, S.UNITS,
                                  "seasonal_naive", "moving_average"]
    assert len(back) == 28
    with pytest.raises(ValueError, match="expected 28 finite values"):
        save_forecasts(rows, {"bad": np.ones(3)}, "quick", root=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"forecasts/demand_test for quick/synthetic-seed1 not found.*03_lstm"):
        load_forecasts("quick", seed=1, root=tmp_path)


def test_statsforecast_peers_use_only_the_past_and_the_on_sale_days():
    """03b's peers: AutoETS, Croston and TSB on numpy arrays (statsforecast under pandas 3, installed --no-deps)."""
    from labkit.models.demand.classical import classical_forecasts

    week = np.array([0, 5, 5, 5, 5, 5, 10], dtype=float)  # closed one day a week, busy on another
    y = np.tile(week, 12)
    panel = _panel(y)
    origin = panel[S.DATE].iloc[69]
    rows = _rows(pd.DatetimeIndex([origin] * 14), np.arange(1, 15))
    out = classical_forecasts(panel, rows)
    assert set(out) == {"statsforecast_ets", "statsforecast_croston", "statsforecast_tsb"}
    expected = np.array([y[69 + h - 7 * int(np.ceil(h / 7))] for h in range(1, 15)])
    np.testing.assert_allclose(out["statsforecast_ets"], expected, atol=0.5)  # the weekly season, found by AICc
    for name in ("statsforecast_croston", "statsforecast_tsb"):  # a flat rate near the mean of 5 a day
        assert np.ptp(out[name]) < 1e-9 and abs(out[name][0] - week.mean()) < 1.0
    planted = panel.copy()
    planted.loc[70:, S.UNITS] = 1e6  # the future: must not leak into any forecast
    for name, pred in classical_forecasts(planted, rows).items():
        np.testing.assert_array_equal(pred, out[name])
    # not on sale before day 60: the zeros before the launch are not history; 10 days (< 14) are forecast by their mean
    young = _panel(np.where(np.arange(len(y)) >= 60, 3.0, 0.0) + (np.arange(len(y)) % 2), launch=60)
    short = classical_forecasts(young, rows)
    for pred in short.values():
        np.testing.assert_allclose(pred, young[S.UNITS].iloc[60:70].mean())
    with pytest.raises(ValueError, match="horizons must lie in 1 .. 14"):
        classical_forecasts(panel, _rows(pd.DatetimeIndex([origin]), np.array([15])))

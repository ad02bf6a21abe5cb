"""Retraining and drift (07_evaluation): PSI / KS drift monitor and the rolling-origin backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labkit import schema as S
from labkit.evaluation.backtest import known_before, rolling_backtest, rolling_forecasts, weekly_origins
from labkit.models.demand.forecast import lightgbm_fitter
from labkit.evaluation.drift import calibrate_threshold, drift_report, ks, psi, quantile_edges, window_flags

RNG = np.random.default_rng(0)


def test_psi_zero_for_identical_and_large_for_shifted():
    a = RNG.normal(size=3000)
    assert psi(a, a) == 0.0
    assert psi(a, RNG.normal(size=3000)) < 0.05  # same distribution, new sample
    b = RNG.normal(1.0, 1.0, size=3000)
    ab, ba = psi(a, b), psi(b, a)
    assert ab > 0.5 and ba > 0.5
    assert 0.5 < ab / ba < 2  # symmetric-ish: bins come from the reference only
    assert ks(a, b)[0] > 0.3 and ks(a, b)[1] < 1e-6


def test_psi_handles_constant_zero_heavy_and_missing_values():
    zeros = np.zeros(500)
    assert len(quantile_edges(zeros)) == 1
    assert psi(zeros, zeros) == 0.0
    some = np.r_[np.zeros(350), np.ones(150)]
    assert np.isfinite(psi(zeros, some)) and psi(zeros, some) > 1.0
    sparse = np.r_[np.zeros(900), RNG.poisson(3, 100) + 1.0]  # 90 % zeros: quantile cut points repeat
    assert psi(sparse, sparse[::-1]) == pytest.approx(0.0)
    with_nan = np.r_[RNG.normal(size=400), np.full(100, np.nan)]
    assert psi(with_nan, with_nan) == 0.0
    assert psi(with_nan[:400], with_nan) > 0.5  # NaN is a bin of its own
    assert ks(np.full(5, np.nan), np.ones(5)) == (0.0, 1.0)
    with pytest.raises(ValueError, match="current"):
        psi(zeros, [])
    with pytest.raises(ValueError, match="bins"):
        psi(zeros, zeros, bins=1)


def _frame(n: int, shift: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame({"x": RNG.normal(shift, 1.0, n), "flag": np.zeros(n), "y": RNG.exponential(1.0, n)})


def test_drift_report_flags_the_shifted_window_only():
    ref = _frame(4000)
    windows = {"same": _frame(400), "shifted": _frame(400, shift=1.5)}
    rep = drift_report(ref, windows, ["x", "flag", "y"], threshold=0.25)
    assert list(rep.columns) == ["window", "feature", "psi", "ks", "ks_pvalue", "flagged"]
    assert len(rep) == 6
    flagged = set(map(tuple, rep.loc[rep["flagged"], ["window", "feature"]].to_numpy()))
    assert flagged == {("shifted", "x")}
    assert rep.loc[rep["feature"] == "flag", "psi"].eq(0).all()  # constant feature: no drift, no error
    wf = window_flags(rep).set_index("window")
    assert wf.loc["shifted", "flagged"] and not wf.loc["same", "flagged"]
    assert wf.loc["shifted", "features"] == "x"
    by_ks = drift_report(ref, windows, ["x"], threshold=0.2, method="ks")
    assert by_ks.set_index("window")["flagged"].to_dict() == {"same": False, "shifted": True}
    # one frame split by origin, per-feature thresholds
    frame = pd.concat([w.assign(**{S.ORIGIN: pd.Timestamp(d)}) for w, d in
                       [(_frame(300), "2024-01-07"), (_frame(300, 2.0), "2024-01-14")]], ignore_index=True)
    rep2 = drift_report(ref, frame, ["x", "y"], threshold={"x": 0.25, "y": 10.0})
    assert rep2.groupby("window")["flagged"].any().tolist() == [False, True]


def test_drift_report_and_calibration_errors():
    ref = _frame(200)
    with pytest.raises(ValueError, match="reference: missing column"):
        drift_report(ref, {"w": _frame(50)}, ["x", "nope"])
    with pytest.raises(ValueError, match=r"windows\['w'\]: missing column"):
        drift_report(ref, {"w": _frame(50).drop(columns="y")}, ["x", "y"])
    with pytest.raises(ValueError, match=r"windows\['w'\]: no rows"):
        drift_report(ref, {"w": _frame(0)}, ["x"])
    with pytest.raises(ValueError, match="windows: no windows"):
        drift_report(ref, {}, ["x"])
    with pytest.raises(ValueError, match="reference: no rows"):
        drift_report(ref.iloc[:0], {"w": _frame(50)}, ["x"])
    with pytest.raises(ValueError, match="windows: missing column"):
        drift_report(ref, _frame(50), ["x"])  # a frame needs the `by` column (origin)
    with pytest.raises(ValueError, match="method"):
        drift_report(ref, {"w": _frame(50)}, ["x"], method="chi2")
    with pytest.raises(ValueError, match="threshold: no value"):
        drift_report(ref, {"w": _frame(50)}, ["x", "y"], threshold={"x": 0.1})
    with pytest.raises(ValueError, match="features"):
        drift_report(ref, {"w": _frame(50)}, [])
    windows = {i: _frame(100) for i in range(20)}
    calib = drift_report(ref, windows, ["x", "y"], threshold=0.0)
    single = calibrate_threshold(calib, alarm_rate=0.1)
    per = calibrate_threshold(calib, alarm_rate=0.1, per_feature=True)
    assert single > 0 and set(per) == {"x", "y"}
    for thr in (single, per):  # on the calibration windows themselves: at most 10 % alarms
        assert window_flags(drift_report(ref, windows, ["x", "y"], thr))["flagged"].mean() <= 0.1
    with pytest.raises(ValueError, match="alarm_rate"):
        calibrate_threshold(calib, alarm_rate=1.0)


def _demand_rows(n_origins: int = 10, n_products: int = 3, horizon: int = 14) -> pd.DataFrame:
    origins = pd.date_range("2024-01-07", periods=n_origins, freq="7D")
    idx = pd.MultiIndex.from_product([origins, range(n_products), range(1, horizon + 1)],
                                     names=[S.ORIGIN, S.PRODUCT_ID, S.HORIZON]).to_frame(index=False)
    idx[S.TARGET_DATE] = idx[S.ORIGIN] + pd.to_timedelta(idx[S.HORIZON], unit="D")
    idx[S.UNITS] = 1.0 + idx[S.PRODUCT_ID] + (idx[S.TARGET_DATE] - origins[0]).dt.days / 10
    idx["is_festival"] = (idx[S.TARGET_DATE].dt.day == 15).astype(float)
    return idx


class _Recorder:
    """A model stub: remembers the rows of each fit, predicts the training mean."""

    fits: list[pd.DataFrame] = []

    def __init__(self, rows: pd.DataFrame) -> None:
        _Recorder.fits.append(rows.copy())
        self.mean = float(rows[S.UNITS].mean())

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        return np.full(len(rows), self.mean)


def test_backtest_never_trains_on_target_dates_at_or_after_the_origin():
    rows = _demand_rows()
    _Recorder.fits = []
    table = rolling_backtest(rows, _Recorder, last=4)
    origins = weekly_origins(rows, last=4)
    assert table[S.ORIGIN].tolist() == list(origins)
    assert len(_Recorder.fits) == 1 + 4  # frozen once, then one refit per origin
    frozen, *refits = _Recorder.fits
    assert frozen[S.TARGET_DATE].max() < origins[0]
    for origin, fitted in zip(origins, refits):
        assert fitted[S.TARGET_DATE].max() < origin
        assert len(fitted) == len(known_before(rows, origin))  # and every known row is used
    assert table.loc[0, "gain"] == 0.0  # at the first origin frozen == retrained
    assert (table["gain"].iloc[1:] > 0).all()  # a rising level: the refits track it
    assert {"wape_frozen", "wape_retrained", "festival_share", "train_rows", "seconds"} <= set(table.columns)
    _Recorder.fits = []
    early = rolling_backtest(rows, _Recorder, last=3, frozen_before="2024-01-28",
                             baselines={"zero_one": lambda r: np.ones(len(r))})
    assert _Recorder.fits[0][S.TARGET_DATE].max() < pd.Timestamp("2024-01-28")
    assert "wape_zero_one" in early.columns


def test_backtest_errors_and_lightgbm_fitter():
    rows = _demand_rows()
    with pytest.raises(ValueError, match="last"):
        rolling_backtest(rows, _Recorder, last=11)
    with pytest.raises(ValueError, match="rows: missing column"):
        rolling_backtest(rows.drop(columns=S.TARGET_DATE), _Recorder)
    with pytest.raises(ValueError, match="frozen_before"):
        rolling_backtest(rows, _Recorder, last=2, frozen_before="2024-12-31")
    with pytest.raises(ValueError, match="frozen_before: no rows"):
        rolling_backtest(rows, _Recorder, last=2, frozen_before="2024-01-01")
    with pytest.raises(ValueError, match="origins"):
        rolling_backtest(rows, _Recorder, origins=["2030-01-01"])
    big = _demand_rows(n_origins=9, n_products=30)
    big["x"] = RNG.normal(size=len(big))
    model = lightgbm_fitter(valid_origins=2)(known_before(big, big[S.ORIGIN].max()))
    pred = model.predict(big)
    assert pred.shape == (len(big),) and np.isfinite(pred).all()
    with pytest.raises(ValueError, match="valid_origins"):
        lightgbm_fitter(valid_origins=20)(big)


def test_rolling_forecasts_fit_on_the_past_only_and_keep_every_row():
    rows = _demand_rows()
    _Recorder.fits = []
    out = rolling_forecasts(rows, _Recorder, min_history=3)
    origins = weekly_origins(rows)
    kept = [o for o in origins if known_before(rows, o)[S.ORIGIN].nunique() >= 3]
    assert kept and kept[0] > origins[0]
    assert out[S.ORIGIN].drop_duplicates().tolist() == kept
    assert len(out) == (rows[S.ORIGIN].isin(kept)).sum()  # every row of every kept origin, once
    assert len(_Recorder.fits) == len(kept)  # refitted at every origin
    for origin, fitted in zip(kept, _Recorder.fits):
        assert fitted[S.TARGET_DATE].max() < origin
        np.testing.assert_allclose(out.loc[out[S.ORIGIN] == origin, "forecast"], fitted[S.UNITS].mean())
    _Recorder.fits = []
    rolling_forecasts(rows, _Recorder, refit_every=3, min_history=3)
    assert len(_Recorder.fits) == -(-len(kept) // 3)  # refitted every third origin
    with pytest.raises(ValueError, match="refit_every"):
        rolling_forecasts(rows, _Recorder, refit_every=0)
    with pytest.raises(ValueError, match="min_history"):
        rolling_forecasts(rows, _Recorder, min_history=50)
    with pytest.raises(ValueError, match="rows: missing column"):
        rolling_forecasts(rows.drop(columns=S.HORIZON), _Recorder)

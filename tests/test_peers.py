"""07_evaluation's peers: statsforecast's seasonal naive and mlforecast's global LightGBM on a small panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labkit import schema as S
from labkit.evaluation.forecast_metrics import wape
from labkit.models.demand.classical import classical_forecasts, classical_models
from labkit.models.demand.global_lgbm import global_lgbm_forecasts

WEEK = np.array([0, 5, 5, 5, 5, 5, 10], dtype=float)  # closed one day a week, busy on another
DAYS = 140


def _panel(n_products: int = 8, launch: dict[object, int] | None = None,
           ids: list[object] | None = None) -> pd.DataFrame:
    """A perfectly weekly panel: product k sells WEEK * (1 + k % 2), with planned prices and a calendar."""
    ids = list(range(n_products)) if ids is None else ids
    dates = pd.date_range("2024-01-01", periods=DAYS, freq="D")
    frames = []
    for k, pid in enumerate(ids):
        start = (launch or {}).get(pid, 0)
        on = np.arange(DAYS) >= start
        frames.append(pd.DataFrame({S.PRODUCT_ID: pid, S.DATE: dates,
                                    S.UNITS: np.where(on, np.tile(WEEK, DAYS // 7) * (1 + k % 2), 0.0),
                                    "on_sale": on, S.PRICE: 10.0 + k, S.DISCOUNT: 0.0,
                                    S.PROMO_INTENSITY: 0.0, S.IS_HOLIDAY: False}))
    return pd.concat(frames, ignore_index=True)


def _rows(panel: pd.DataFrame, origins: list[int]) -> pd.DataFrame:
    """Every (origin, product, horizon 1..14) for origins given as day numbers, with the actual units."""
    dates = pd.DatetimeIndex(panel[S.DATE].drop_duplicates().sort_values())
    grid = pd.MultiIndex.from_product([dates[origins], panel[S.PRODUCT_ID].unique(), np.arange(1, 15)],
                                      names=[S.ORIGIN, S.PRODUCT_ID, S.HORIZON]).to_frame(index=False)
    grid[S.TARGET_DATE] = grid[S.ORIGIN] + pd.to_timedelta(grid[S.HORIZON], unit="D")
    units = panel.set_index([S.PRODUCT_ID, S.DATE])[S.UNITS]
    grid[S.UNITS] = units.reindex(pd.MultiIndex.from_arrays([grid[S.PRODUCT_ID], grid[S.TARGET_DATE]])).to_numpy()
    return grid


def test_global_model_gives_one_forecast_per_row_in_the_rows_order_and_sees_no_future():
    panel = _panel()
    rows = _rows(panel, [97, 111]).sample(frac=1.0, random_state=0).reset_index(drop=True)  # shuffled
    pred = global_lgbm_forecasts(panel, rows)
    assert pred.shape == (len(rows),) and np.isfinite(pred).all() and (pred >= 0).all()
    again = global_lgbm_forecasts(panel, rows.iloc[::-1].reset_index(drop=True))
    np.testing.assert_array_equal(again[::-1], pred)  # aligned to the rows, not to an internal order; deterministic
    planted = panel.copy()
    planted.loc[planted[S.DATE] > rows[S.ORIGIN].min(), S.UNITS] = 1e6  # the future must not leak in
    first = (rows[S.ORIGIN] == rows[S.ORIGIN].min()).to_numpy()
    np.testing.assert_array_equal(global_lgbm_forecasts(planted, rows[first]), pred[first])


def test_a_weekly_series_is_forecast_well_by_the_seasonal_naive_and_the_global_model():
    panel = _panel()
    rows = _rows(panel, [97, 111])
    naive = classical_forecasts(panel, rows, classical_models(names=["statsforecast_seasonal_naive"]))
    assert set(naive) == {"statsforecast_seasonal_naive"}
    assert wape(rows[S.UNITS], naive["statsforecast_seasonal_naive"]) < 1e-9
    assert wape(rows[S.UNITS], global_lgbm_forecasts(panel, rows)) < 0.1
    assert wape(rows[S.UNITS], global_lgbm_forecasts(panel, rows, product_feature=True, exog=[])) < 0.1
    with pytest.raises(ValueError, match="names: unknown model"):
        classical_models(names=["prophet"])


def test_pandas3_string_ids_and_a_product_launched_late():
    ids = [f"sku-{k}" for k in range(8)]
    panel = _panel(ids=ids, launch={"sku-7": 120})
    panel[S.PRODUCT_ID] = panel[S.PRODUCT_ID].astype("str")  # pandas 3's string dtype
    rows = _rows(panel, [125])
    pred = global_lgbm_forecasts(panel, rows)  # sku-7 has 6 days of history: lags are NaN, still a forecast
    assert np.isfinite(pred).all() and wape(rows[S.UNITS], pred) < 0.2
    with pytest.raises(ValueError, match=r"product\(s\) \['sku-7'\] have no on-sale history"):
        global_lgbm_forecasts(panel, _rows(panel, [111]))


def test_clear_errors_for_rows_and_columns_the_panel_cannot_serve():
    panel = _panel(n_products=2)
    rows = _rows(panel, [97])
    with pytest.raises(ValueError, match="1 product ids and 0 origins are not in the panel"):
        global_lgbm_forecasts(panel, pd.concat([rows, rows.iloc[[0]].assign(**{S.PRODUCT_ID: 99})]))
    with pytest.raises(ValueError, match="0 product ids and 1 origins are not in the panel"):
        global_lgbm_forecasts(panel, pd.concat([rows, rows.iloc[[0]].assign(**{S.ORIGIN: pd.Timestamp("2030-01-01")})]))
    with pytest.raises(ValueError, match=r"panel: missing column\(s\) \['units'\]"):
        global_lgbm_forecasts(panel.drop(columns=S.UNITS), rows)
    with pytest.raises(ValueError, match=r"rows: missing column\(s\) \['horizon'\]"):
        global_lgbm_forecasts(panel, rows.drop(columns=S.HORIZON))
    with pytest.raises(ValueError, match=r"panel \(exog\): missing column\(s\) \['festival_flag'\]"):
        global_lgbm_forecasts(panel, rows, exog=["festival_flag"])
    with pytest.raises(ValueError, match="horizons must lie in 1 .. 14"):
        global_lgbm_forecasts(panel, rows.assign(**{S.HORIZON: 15}))
    with pytest.raises(ValueError, match="target days lie after the panel's last day"):
        global_lgbm_forecasts(panel, _rows(panel, [DAYS - 5]))
    observed = panel.assign(**{S.PRICE: panel[S.PRICE].where(panel[S.UNITS] > 0)})  # price seen on sale days only
    with pytest.raises(ValueError, match=r"exog: column\(s\) \['price'\] hold NaN"):
        global_lgbm_forecasts(observed, rows, exog=[S.PRICE])
    with pytest.raises(ValueError, match="lags: expected positive lags"):
        global_lgbm_forecasts(panel, rows, lags=[0, 7])

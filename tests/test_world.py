"""The synthetic world: determinism, schemas, referential integrity, truth consistency, errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import labkit
from labkit import schema as S
from labkit.world import generate_world, load_world

SMALL = dict(n_users=600, n_products=18, n_days=90)


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path):
    prof = labkit.get_profile("quick", **SMALL)
    a = _digests(generate_world(prof, 5, tmp_path / "a"))
    b = _digests(generate_world(prof, 5, tmp_path / "b"))
    c = _digests(generate_world(prof, 6, tmp_path / "c"))
    assert a == b
    assert len(a) >= 20  # tables, truth, images, raw export, manifest
    differing = [k for k in a if a[k] != c.get(k)]
    assert "events.parquet" in differing and "orders.parquet" in differing


def test_observed_tables_have_their_columns(quick_world):
    expected = {
        "calendar": [S.DATE, S.DAY, S.WEEKDAY, S.IS_HOLIDAY, S.HOLIDAY_NAME, S.FESTIVAL, S.PROMO_INTENSITY],
        "products": [S.PRODUCT_ID, S.CATEGORY, S.SUBCATEGORY, S.BRAND, S.COLOUR, S.BASE_PRICE, S.LAUNCH_DATE,
                     S.TITLE, S.DESCRIPTION],
        "users": [S.USER_ID, S.SIGNUP_DATE, S.REGION, S.COUNTRY, S.DEVICE, S.AGE_BAND, S.SEGMENT],
        "prices": [S.DATE, S.PRODUCT_ID, S.PRICE, S.DISCOUNT, S.ON_PROMO],
        "events": [S.EVENT_ID, S.SESSION_ID, S.USER_ID, S.PRODUCT_ID, S.TIMESTAMP, S.EVENT_TYPE,
                   S.DWELL_SECONDS, S.DEVICE],
        "orders": [S.LINE_ID, S.ORDER_ID, S.USER_ID, S.PRODUCT_ID, S.QUANTITY, S.UNIT_PRICE, S.TIMESTAMP,
                   S.COUNTRY, S.STATUS, S.PROMISED_DATE, S.DELIVERED_DATE],
        "reviews": [S.REVIEW_ID, S.USER_ID, S.PRODUCT_ID, S.ORDER_ID, S.TIMESTAMP, S.RATING, S.TEXT],
        "messages": [S.MESSAGE_ID, S.USER_ID, S.TIMESTAMP, S.ORDER_ID, S.PRODUCT_ID, S.TEXT, S.INTENT],
    }
    for name, cols in expected.items():
        df = quick_world.table(name)
        assert list(df.columns) == cols, name
        assert len(df) > 0, name
    for name in S.TRUTH_TABLES:
        assert len(quick_world.truth(name)) > 0


def test_referential_integrity_and_ranges(quick_world):
    w = quick_world
    users, products = w.table("users"), w.table("products")
    orders, events = w.table("orders"), w.table("events")
    reviews, messages = w.table("reviews"), w.table("messages")
    cal = w.table("calendar")
    for df in (orders, events, reviews, messages):
        assert df[S.USER_ID].isin(users[S.USER_ID]).all()
    for df in (orders, events, reviews):
        assert df[S.PRODUCT_ID].isin(products[S.PRODUCT_ID]).all()
    assert messages[S.PRODUCT_ID].dropna().isin(products[S.PRODUCT_ID]).all()
    assert reviews[S.ORDER_ID].isin(orders[S.ORDER_ID]).all()
    assert messages[S.ORDER_ID].dropna().isin(orders[S.ORDER_ID]).all()
    assert orders[S.LINE_ID].is_unique and events[S.EVENT_ID].is_unique
    assert (orders[S.QUANTITY] >= 1).all() and (orders[S.UNIT_PRICE] > 0).all()
    assert set(orders[S.STATUS]) <= set(S.ORDER_STATUSES)
    assert set(messages[S.INTENT]) == set(S.INTENTS)
    assert events[S.TIMESTAMP].is_monotonic_increasing
    first, last = cal[S.DATE].min(), cal[S.DATE].max() + pd.Timedelta(days=1)
    for df in (orders, events, reviews, messages):
        assert df[S.TIMESTAMP].min() >= first and df[S.TIMESTAMP].max() < last
    # every order line is paid at the day's list price
    prices = w.table("prices").set_index([S.DATE, S.PRODUCT_ID])[S.PRICE]
    key = pd.MultiIndex.from_arrays([orders[S.TIMESTAMP].dt.normalize(), orders[S.PRODUCT_ID]])
    np.testing.assert_allclose(prices.reindex(key).to_numpy(), orders[S.UNIT_PRICE].to_numpy())
    # every purchase event has an order line and vice versa
    assert (events[S.EVENT_TYPE] == "purchase").sum() == len(orders)
    # users only act after they sign up
    signup = users.set_index(S.USER_ID)[S.SIGNUP_DATE]
    assert (events[S.TIMESTAMP].dt.normalize() >= signup.reindex(events[S.USER_ID]).to_numpy()).all()
    assert w.images().shape == (len(products), 64, 64, 3)


def _purchase_windows(world: labkit.World, column: str, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """(truth probability, observed purchase in days d+offset .. d+offset+6) per labelled user-day."""
    cal, orders = world.table("calendar"), world.table("orders")
    n_days, n_users = len(cal), len(world.table("users"))
    start = cal[S.DATE].iloc[0]
    day = ((orders[S.TIMESTAMP].dt.normalize() - start).dt.days).to_numpy()
    buys = np.zeros((n_days + 8, n_users), dtype=bool)
    buys[day, orders[S.USER_ID].to_numpy()] = True
    ahead = np.cumsum(buys[::-1], axis=0)[::-1]  # purchases from day d to the end
    within = (ahead[offset: n_days + offset] - ahead[offset + 7: n_days + offset + 7]) > 0
    ud = world.truth("truth_user_days")
    ud = ud[ud[S.DATE] <= cal[S.DATE].iloc[-9]]
    d = ((ud[S.DATE] - start).dt.days).to_numpy()
    return ud[column].to_numpy().astype(float), within[d, ud[S.USER_ID].to_numpy()]


@pytest.mark.parametrize("column, offset", [(S.P_PURCHASE_7D, 0), (S.P_PURCHASE_NEXT_7D, 1)])
def test_truth_purchase_probability_is_calibrated(quick_world, column, offset):
    p, y = _purchase_windows(quick_world, column, offset)
    # overall rate within a generous sampling band (user-days of one user are correlated)
    se = np.sqrt(p.mean() * (1 - p.mean()) / (len(p) / 30))
    assert abs(y.mean() - p.mean()) < 3 * se
    bins = pd.qcut(p, 10, labels=False, duplicates="drop")
    table = pd.DataFrame({"p": p, "y": y, "b": bins}).groupby("b").mean()
    assert np.all(np.abs(table["y"] - table["p"]) < 0.02 + 0.1 * table["p"])
    from sklearn.metrics import roc_auc_score
    assert 0.8 < roc_auc_score(y, p) < 0.95  # informative, yet not a give-away


def test_truth_expected_demand_matches_realised(quick_world):
    orders = quick_world.table("orders")
    truth = quick_world.truth("truth_product_days")
    total_expected = truth[S.EXPECTED_UNITS].sum()
    assert abs(orders[S.QUANTITY].sum() / total_expected - 1) < 0.03
    per_product = orders.groupby(S.PRODUCT_ID)[S.QUANTITY].sum()
    expected = truth.groupby(S.PRODUCT_ID)[S.EXPECTED_UNITS].sum()
    corr = np.corrcoef(per_product.reindex(expected.index, fill_value=0), expected)[0, 1]
    assert corr > 0.98
    assert total_expected / len(truth) > 1.5  # dense enough to forecast (units per product-day)


def test_hidden_attributes_drive_demand(quick_world):
    """Image-only and text-only attributes must move demand, or fusion has nothing to learn."""
    t = quick_world.truth("truth_products")
    assert t["appeal_image"].std() > 0.15 and t["appeal_text"].std() > 0.15
    products = quick_world.table("products")
    for hidden in (S.PATTERN, S.SHADE):
        assert hidden not in products.columns
    text = (products[S.TITLE] + " " + products[S.DESCRIPTION]).str.lower()
    assert all(m in d for m, d in zip(t[S.MATERIAL], text))


def test_truth_tables_need_explicit_access(quick_world):
    with pytest.raises(ValueError, match="hidden ground truth"):
        quick_world.table("truth_user_days")
    with pytest.raises(ValueError, match="unknown table 'nope'"):
        quick_world.table("nope")


@pytest.mark.parametrize("overrides, message", [
    (dict(n_users=-5), "n_users"), (dict(n_days=0), "n_days"), (dict(n_products=2.5), "n_products"),
    (dict(image_size=8), "image_size"), (dict(colour_depth=3), "unknown profile parameter"),
    (dict(bert_curve_points=-1), "bert_curve_points"), (dict(bert_epochs=0), "bert_epochs"),
])
def test_bad_profile_values_are_named(overrides, message):
    with pytest.raises(ValueError, match=message):
        labkit.get_profile("quick", **overrides)


def test_zero_only_where_allowed():
    assert labkit.get_profile("quick", bert_curve_points=0).bert_curve_points == 0


def test_bad_generator_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown profile 'huge'"):
        generate_world("huge", 0, tmp_path / "w")
    for seed in ("1", 1.5, -1, True):
        with pytest.raises(ValueError, match="seed must be a non-negative int"):
            generate_world("quick", seed, tmp_path / "w")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(ValueError, match="exists and is a file"):
        generate_world("quick", 0, a_file)
    with pytest.raises(FileNotFoundError, match="no manifest.json"):
        load_world(tmp_path)

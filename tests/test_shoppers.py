"""UCI Online Shoppers: loader errors, features, cross-validation (deterministic, stratified, no
resampling of the test fold) on small synthetic tables; the last test runs the real 5-fold CV
through $LABKIT_REAL_DATA (skipped when unset, failed when LABKIT_REQUIRE_REAL_DATA=1).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from labkit.datasets import SHOPPERS_COLUMNS, find_dataset_file, load_online_shoppers
from labkit.models.purchase_intent import shoppers
from labkit.models.purchase_intent.shoppers import (cross_validate_shoppers, oversample, shoppers_features, shoppers_folds,
                                    summarise_cv)

MONTHS_IN_FILE = ["Feb", "Mar", "May", "June", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """A table with the schema of the UCI file (as read by pd.read_csv) and an easy signal:
    buyers see pages with a page value and leave less often."""
    rng = np.random.default_rng(seed)
    buy = rng.random(n) < 0.2
    pages = rng.poisson(np.where(buy, 30, 15)) + 1
    return pd.DataFrame({
        "Administrative": rng.poisson(2, n), "Administrative_Duration": rng.exponential(60, n),
        "Informational": rng.poisson(0.5, n), "Informational_Duration": rng.exponential(20, n),
        "ProductRelated": pages, "ProductRelated_Duration": pages * rng.exponential(40, n),
        "BounceRates": rng.uniform(0, 0.05, n), "ExitRates": np.clip(rng.normal(np.where(buy, 0.02, 0.05), 0.02), 0, 0.2),
        "PageValues": np.where(buy, rng.exponential(30, n), rng.exponential(30, n) * (rng.random(n) < 0.1)),
        "SpecialDay": rng.choice([0.0, 0.2, 0.6, 1.0], n, p=[0.85, 0.05, 0.05, 0.05]),
        "Month": rng.choice(MONTHS_IN_FILE, n), "OperatingSystems": rng.integers(1, 5, n),
        "Browser": rng.integers(1, 6, n), "Region": rng.integers(1, 10, n), "TrafficType": rng.integers(1, 12, n),
        "VisitorType": rng.choice(["Returning_Visitor", "New_Visitor", "Other"], n, p=[0.8, 0.17, 0.03]),
        "Weekend": rng.random(n) < 0.25, "Revenue": buy,
    })


def _write_csv(df: pd.DataFrame, path) -> None:
    """As the UCI file: booleans spelled TRUE/FALSE."""
    out = df.copy()
    for col in ("Weekend", "Revenue"):
        if out[col].dtype == bool:
            out[col] = out[col].map({True: "TRUE", False: "FALSE"})
    out.to_csv(path, index=False)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("data") / "online_shoppers_intention"
    folder.mkdir()
    _write_csv(_frame(900, seed=1), folder / "online_shoppers_intention.csv")
    return load_online_shoppers(folder.parent, verbose=False)


# --- loader -------------------------------------------------------------------------------------

def test_loader_reads_folder_and_types(loaded, tmp_path):
    assert list(loaded.columns) == list(SHOPPERS_COLUMNS) and len(loaded) == 900
    assert loaded["Weekend"].dtype == bool and loaded["Revenue"].dtype == "int64"
    assert set(loaded["Revenue"]) == {0, 1} and loaded.attrs["rows"] == 900
    # bools in a parquet file, 1/0 and lower-case spellings in a CSV: the same table
    raw = _frame(50, seed=2)
    raw.to_parquet(tmp_path / "online_shoppers_intention.parquet")
    from_parquet = load_online_shoppers(tmp_path / "online_shoppers_intention.parquet", verbose=False)
    mixed = raw.assign(Weekend=raw["Weekend"].map({True: "true", False: "FALSE"}), Revenue=raw["Revenue"].astype(int))
    mixed.to_csv(tmp_path / "mixed.csv", index=False)
    pd.testing.assert_frame_equal(from_parquet, load_online_shoppers(tmp_path / "mixed.csv", verbose=False),
                                  check_dtype=False)
    assert find_dataset_file("online_shoppers", tmp_path).suffix in (".csv", ".parquet")


def test_loader_missing_column_names_column_and_file(tmp_path):
    _write_csv(_frame(20).drop(columns=["ExitRates"]), tmp_path / "shoppers.csv")
    with pytest.raises(ValueError, match=r"shoppers\.csv: missing column\(s\) ExitRates"):
        load_online_shoppers(tmp_path / "shoppers.csv")


def test_loader_bad_values_are_reported_not_dropped(tmp_path):
    df = _frame(20)
    df["Revenue"] = df["Revenue"].map({True: "TRUE", False: "FALSE"})
    df.loc[3, "Revenue"] = "maybe"
    df.loc[5, "BounceRates"] = 1.5
    df.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError) as err:
        load_online_shoppers(tmp_path / "bad.csv")
    message = str(err.value)
    assert message.startswith("bad.csv:") and "column Revenue: expected TRUE/FALSE" in message
    assert "'maybe' (row 3)" in message and "column BounceRates" in message
    blank = _frame(20)
    blank["Month"] = blank["Month"].astype(object)
    blank.loc[7, "Month"] = None
    _write_csv(blank, tmp_path / "blank.csv")
    with pytest.raises(ValueError, match="column Month"):
        load_online_shoppers(tmp_path / "blank.csv")
    with pytest.raises(FileNotFoundError):
        load_online_shoppers(tmp_path / "absent.csv")


# --- features and folds -------------------------------------------------------------------------

def test_features_shapes_and_no_label(loaded):
    X, y = shoppers_features(loaded)
    assert X.shape == (900, 14 + 12 + 3 + 1) and y.shape == (900,) and set(np.unique(y)) == {0, 1}
    assert "Revenue" not in X.columns and X.notna().all().all()
    assert set(X["Weekend"]) <= {0.0, 1.0} and X.filter(like="Month_").sum(axis=1).eq(1).all()
    assert X["Month_Jun"].sum() == (loaded["Month"] == "June").sum()  # the file's 'June'
    Xc, _ = shoppers_features(loaded, categorical="category")
    assert Xc.shape == (900, 17) and isinstance(Xc["Month"].dtype, pd.CategoricalDtype)
    assert X.index.equals(loaded.index)


def test_folds_are_stratified(loaded):
    y = loaded["Revenue"].to_numpy()
    splits = shoppers_folds(y, folds=5, seed=3)
    tests = np.concatenate([te for _, te in splits])
    assert np.array_equal(np.sort(tests), np.arange(len(y)))  # each row tested exactly once
    positives = [int(y[te].sum()) for _, te in splits]
    assert max(positives) - min(positives) <= 1


def test_oversample_balances_training_rows_only():
    X = pd.DataFrame({"a": np.arange(10)}, index=np.arange(100, 110))
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    Xr, yr = oversample(X, y, seed=0)
    assert np.bincount(yr).tolist() == [8, 8] and set(Xr.index) == set(X.index)
    assert set(Xr.index[len(X):]) <= {100, 101}


# --- cross-validation ---------------------------------------------------------------------------

def test_cv_is_deterministic_and_learns_an_easy_signal(loaded):
    first = cross_validate_shoppers(loaded, folds=3, seed=0, threads=1)
    again = cross_validate_shoppers(loaded, folds=3, seed=0, threads=1)
    cols = ["model", "fold", "roc_auc", "pr_auc"]
    pd.testing.assert_frame_equal(first[cols], again[cols])
    assert len(first) == 6 and set(first["model"]) == {"lgbm", "mlp"}
    summary = summarise_cv(first)
    assert (summary["roc_auc_mean"] > 0.8).all(), summary
    other = cross_validate_shoppers(loaded, models=("lgbm",), folds=3, seed=1, threads=1)
    assert not np.allclose(other["roc_auc"], first.loc[first["model"] == "lgbm", "roc_auc"])


def test_resampling_never_touches_the_test_fold(loaded, monkeypatch):
    calls = []

    def spy(X, y, seed=0):
        calls.append(set(X.index))
        return oversample(X, y, seed)

    monkeypatch.setattr(shoppers, "oversample", spy)
    cross_validate_shoppers(loaded, folds=3, seed=0, threads=1, resample="none")
    assert calls == []
    table = cross_validate_shoppers(loaded, folds=3, seed=0, threads=1, resample="oversample")
    splits = shoppers_folds(loaded["Revenue"].to_numpy(), folds=3, seed=0)
    assert len(calls) == 3 * 3  # per fold, in order: lgbm inner-fit part, lgbm refit, mlp
    for i, rows in enumerate(calls):
        train, test = splits[i // 3]
        assert rows <= set(loaded.index[train]) and not rows & set(loaded.index[test])
    assert len(calls[0]) < len(calls[1]) == len(splits[0][0])  # the inner validation split is not resampled
    assert (table["n_test"] == [len(te) for _, te in splits for _ in range(2)]).all()
    with pytest.raises(ValueError, match="resample"):
        cross_validate_shoppers(loaded, resample="smote")


# --- the real file ------------------------------------------------------------------------------

@pytest.mark.real_data
def test_real_online_shoppers_cv(real_data):
    df = load_online_shoppers(real_data)
    assert len(df) == 12_330 and int(df["Revenue"].sum()) == 1_908
    start = time.perf_counter()
    table = cross_validate_shoppers(df, folds=5, seed=0, threads=1)
    summary = summarise_cv(table)
    print(f"\nonline_shoppers 5-fold CV: {time.perf_counter() - start:.1f} s\n{summary.round(4).to_string()}")
    assert (summary["roc_auc_mean"] >= 0.90).all(), summary
    assert 0.90 <= summary.loc["lgbm", "roc_auc_mean"] <= 0.95

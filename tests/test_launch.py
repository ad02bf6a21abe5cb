"""05's launch catalogue: new products drawn by the world's own generator, and the launch oracle ("the world plus them")."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from labkit import schema as S
from labkit.oracles import rebuild_chain
from labkit.oracles.launch import (
    LAUNCH_DAYS, appeal_path, brand_effects, draw_launch_catalog, launch_days, launch_oracle,
)


@pytest.fixture(scope="module")
def chain():
    return rebuild_chain("quick", 0, snapshot_days=launch_days(364))


@pytest.fixture(scope="module")
def launch(chain):
    return draw_launch_catalog(chain, 60, seed=0)


def test_appeal_path_rebuilds_the_worlds_own_appeal(chain):
    """The launch catalogue's appeal formula is the world generator's: fed the world's parts, it gives its table."""
    cat = chain.cat
    start = pd.Timestamp(chain.calendar[S.DATE].iloc[0])
    launch_day = ((cat.products[S.LAUNCH_DATE] - start) / pd.Timedelta(days=1)).to_numpy().astype(int)
    got = appeal_path(cat.truth["appeal_base"].to_numpy(), cat.category, launch_day, cat.truth["life_days"].to_numpy(),
                      cat.appeal_trend, cat.appeal_shock, chain.calendar[S.DATE].dt.day_of_year.to_numpy())
    assert np.array_equal(np.isfinite(got), np.isfinite(cat.appeal))
    np.testing.assert_allclose(got[np.isfinite(got)], cat.appeal[np.isfinite(cat.appeal)], rtol=0, atol=1e-12)


def test_new_products_carry_the_worlds_brands_and_launch_in_small_cohorts(chain, launch):
    n_world = chain.cat.appeal.shape[1]
    t, p = launch.truth, launch.products
    assert p[S.PRODUCT_ID].tolist() == list(range(n_world, n_world + 60)) and t[S.PRODUCT_ID].equals(p[S.PRODUCT_ID])
    world = brand_effects(chain.cat.truth, chain.cat.products)
    effect = pd.Series(t["appeal_tabular"].to_numpy() - 0.15 * t["quality"].to_numpy(), index=p[S.BRAND].to_numpy())
    seen = effect.index.isin(world.index)
    np.testing.assert_allclose(effect[seen].to_numpy(), world.reindex(effect.index[seen]).to_numpy(), atol=1e-12)
    assert set(t["launch_day"]) <= set(launch_days(364).tolist())
    start = pd.Timestamp(chain.calendar[S.DATE].iloc[0])
    assert (p[S.LAUNCH_DATE] == start + pd.to_timedelta(t["launch_day"], unit="D")).all()
    cohorts = t.assign(cat=launch.category).groupby("cohort")
    assert (cohorts["launch_day"].nunique() == 1).all() and cohorts["cat"].apply(lambda c: c.value_counts().max()).max() == 1
    # on sale from the launch day only; the images and texts are the world's renderer's
    assert all(np.isneginf(launch.appeal[: d, i]).all() and np.isfinite(launch.appeal[d, i])
               for i, d in enumerate(t["launch_day"]))
    assert launch.images.shape == (60, *chain.cat.images.shape[1:]) and launch.images.dtype == np.uint8
    assert p[S.TITLE].str.len().min() > 5 and p[S.DESCRIPTION].str.len().min() > 20
    again = draw_launch_catalog(chain, 60, seed=0)
    assert again.products.equals(p) and np.array_equal(again.images, launch.images)
    assert not draw_launch_catalog(chain, 60, seed=1).products[S.TITLE].equals(p[S.TITLE])


def test_launch_oracle_follows_appeal_and_its_labels_follow_the_oracle(chain, launch):
    out = launch_oracle(chain, launch, replications=4)
    assert out[S.PRODUCT_ID].tolist() == launch.products[S.PRODUCT_ID].tolist()
    assert (out["expected_units"] > 0).all() and np.isfinite(out["expected_units_se"]).all()
    assert (out["expected_units_se"] < 0.5 * out["expected_units"]).all()
    # Poisson labels: unbiased in total (60 products, about 2,000 units: within 5 %)
    assert abs(out[S.UNITS].sum() / out["expected_units"].sum() - 1) < 0.05
    # the hidden appeal drives launch demand (its parts are what 05's encoders must find)
    assert np.corrcoef(launch.truth["appeal_base"], np.log(out["expected_units"]))[0, 1] > 0.5
    # a more appealing product sells more, against the same shoppers (same random numbers)
    first = launch.truth.index[launch.truth["cohort"] == 0].to_numpy()
    better = dataclasses.replace(launch, appeal=launch.appeal.copy())
    better.appeal[:, first[0]] += 1.0
    lifted = launch_oracle(chain, better, replications=4)
    assert lifted["expected_units"].iloc[first[0]] > 1.5 * out["expected_units"].iloc[first[0]]
    with pytest.raises(ValueError, match=r"no snapshot of launch day\(s\)"):
        launch_oracle(rebuild_chain("quick", 0), launch)


def test_launch_arguments_are_checked(chain):
    with pytest.raises(ValueError, match=r"launch days must lie in 1 \.\. 336"):
        draw_launch_catalog(chain, 5, days=[350])
    with pytest.raises(ValueError, match="n and per_category must be >= 1"):
        draw_launch_catalog(chain, 0)
    assert LAUNCH_DAYS == 28 and launch_days(364).tolist() == [182, 233, 285, 336]


def test_launch_data_is_built_once_and_cached_with_its_features(tmp_path, monkeypatch, capsys):
    """05's plumbing: the catalogue, split and frozen features are artifacts of the store, built on first use."""
    from labkit.models.fusion.data import image_features, launch_data, text_features

    monkeypatch.setenv("LABKIT_ROOT", str(tmp_path))
    data = launch_data("quick", 0, n=60)
    assert "building 05's launch catalogue for quick/synthetic-seed0: 60 new products" in capsys.readouterr().out
    assert len(data.products) == len(data.oracle) == len(data.truth) == len(data.images) == 60
    parts = data.products.groupby([data.products[S.LAUNCH_DATE], S.PART]).size().unstack(fill_value=0)
    assert (parts["train"] >= parts["test"]).all() and sorted(np.concatenate([data.rows(k) for k in
                                                                              ("train", "valid", "test")])) == list(range(60))
    again = launch_data("quick", 0, n=60)
    assert capsys.readouterr().out == "" and again.products.equals(data.products)
    assert np.array_equal(again.oracle["expected_units"], data.oracle["expected_units"])
    t, i = text_features(data), image_features(data, size=64)
    assert t.shape == (60, 384) and i.shape == (60, 1280)
    assert np.array_equal(text_features(again), t)  # read back, not recomputed
    with pytest.raises(ValueError, match="part: expected one of"):
        data.rows("holdout")

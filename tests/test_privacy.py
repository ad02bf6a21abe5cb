"""07's privacy tools: pseudonyms that re-join exactly, k-anonymity, the Laplace mechanism's accuracy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labkit import schema as S
from labkit.evaluation.privacy import KEY_ENV, k_anonymity, laplace_error, laplace_release, pseudonymise

KEY = "a test key, not a secret, 32 b."


def test_pseudonyms_rejoin_exactly_and_need_the_key(quick_world):
    users, orders = quick_world.table("users"), quick_world.table("orders")
    direct = orders.merge(users, on=S.USER_ID, validate="m:1")
    u = users.assign(**{S.USER_ID: pseudonymise(users[S.USER_ID], KEY)})
    o = orders.assign(**{S.USER_ID: pseudonymise(orders[S.USER_ID], KEY)})
    released = o.merge(u, on=S.USER_ID, validate="m:1")
    assert len(released) == len(direct)  # no lost or duplicated line: the join is exact
    pd.testing.assert_frame_equal(released.drop(columns=S.USER_ID), direct.drop(columns=S.USER_ID))
    assert u[S.USER_ID].nunique() == users[S.USER_ID].nunique()  # no collisions among 4,000 users
    assert (u[S.USER_ID].str.len() == 16).all() and not u[S.USER_ID].isin(users[S.USER_ID].astype(str)).any()
    other = pseudonymise(users[S.USER_ID], KEY + "!")
    assert not (other == u[S.USER_ID]).any()  # another key, other pseudonyms


def test_the_key_comes_from_the_environment(monkeypatch):
    ids = pd.Series([3, 1, 3], name="user_id")
    monkeypatch.setenv(KEY_ENV, KEY)
    from_env = pseudonymise(ids)
    pd.testing.assert_series_equal(from_env, pseudonymise(ids, KEY))
    assert from_env.iloc[0] == from_env.iloc[2] != from_env.iloc[1]
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(ValueError, match=KEY_ENV):
        pseudonymise(ids)
    with pytest.raises(ValueError, match="at least 16 bytes"):
        pseudonymise(ids, "short")
    with pytest.raises(ValueError, match="missing id"):
        pseudonymise(pd.Series([1, None], name="user_id"), KEY)


def test_k_anonymity_is_the_smallest_group():
    t = pd.DataFrame({"region": ["n", "n", "s", "s", "s", "e"], "age": ["a", "a", "b", "b", "b", "a"], "x": range(6)})
    assert k_anonymity(t, ["region", "age"]) == 1  # the one row from "e"
    assert k_anonymity(t[t.region != "e"], ["region", "age"]) == 2
    assert k_anonymity(t, ["age"]) == 3
    with pytest.raises(ValueError, match="missing"):
        k_anonymity(t, ["postcode"])
    with pytest.raises(ValueError, match="no rows"):
        k_anonymity(t.iloc[:0], ["age"])


def test_the_laplace_mechanism_costs_its_scale_in_accuracy():
    counts = np.arange(200, dtype=float)
    for eps in (0.1, 1.0, 10.0):
        noisy = np.concatenate([laplace_release(counts, 1.0, eps, seed=s) for s in range(50)])
        err = np.abs(noisy - np.tile(counts, 50)).mean()
        assert err == pytest.approx(laplace_error(1.0, eps), rel=0.05)  # 10,000 draws: sd of the mean about 1 %
    np.testing.assert_array_equal(laplace_release(counts, 1.0, 1.0, seed=3), laplace_release(counts, 1.0, 1.0, seed=3))
    for bad in (0.0, -1.0, np.inf, np.nan):
        with pytest.raises(ValueError, match="epsilon"):
            laplace_release(counts, 1.0, bad, seed=0)
    with pytest.raises(ValueError, match="sensitivity"):
        laplace_error(0.0, 1.0)
    with pytest.raises(ValueError, match="finite numbers"):
        laplace_release([1.0, np.nan], 1.0, 1.0, seed=0)

"""The cluster bootstrap of labkit.evaluation.uncertainty (07_evaluation's leaderboards)."""

from __future__ import annotations

import numpy as np
import pytest

from labkit.evaluation import uncertainty as U


def _clustered(n_units: int = 60, rows: int = 20, seed: int = 0):
    """Rows that share a per-unit offset: the rows of one unit are not independent."""
    rng = np.random.default_rng(seed)
    units = np.repeat(np.arange(n_units), rows)
    level = rng.gamma(2.0, 2.0, n_units)[units]
    y = rng.poisson(level).astype(float)
    good = level * rng.uniform(0.9, 1.1, n_units)[units]
    bad = level.mean() + 0 * level
    return y, good, bad, units


def test_weights_are_unit_draw_counts():
    units = np.array(["u2", "u1", "u2", "u3", "u1", "u1"])
    w = U.unit_weights(units, n=200, seed=1)
    assert w.shape == (200, 6)
    for rep in w:
        assert rep[1] == rep[4] == rep[5] and rep[0] == rep[2]  # one count per unit, shared by its rows
        assert rep[[0, 1, 3]].sum() == 3  # three units drawn per replicate
    assert np.array_equal(w, U.unit_weights(units, n=200, seed=1))


def test_weighted_metric_equals_repeated_rows():
    y, good, _, units = _clustered(n_units=10, rows=3)
    w = U.unit_weights(units, n=1, seed=3)[0]
    reps = np.repeat(np.arange(len(y)), w.astype(int))
    assert U.wape(y, good, w) == pytest.approx(U.wape(y[reps], good[reps], np.ones(len(reps))), rel=1e-12)


def test_cluster_interval_is_wider_than_the_row_interval():
    y, good, _, units = _clustered()
    by_unit = U.bootstrap_ci(U.wape, y, good, units, n=300, seed=0)
    by_row = U.bootstrap_ci(U.wape, y, good, np.arange(len(y)), n=300, seed=0)
    assert by_unit["lo"] <= by_unit["score"] <= by_unit["hi"]
    assert by_unit["score"] == pytest.approx(U.wape(y, good, np.ones(len(y))))
    assert (by_unit["hi"] - by_unit["lo"]) > 1.5 * (by_row["hi"] - by_row["lo"])


def test_paired_difference():
    y, good, bad, units = _clustered()
    d = U.paired_bootstrap(U.wape, y, good, bad, units, n=300, seed=0)
    assert d["diff"] < 0 and d["diff_hi"] < 0 and d["flip_share"] == 0  # good is really better (lower WAPE)
    same = U.paired_bootstrap(U.wape, y, good, good, units, n=50, seed=0)
    assert same["diff"] == same["diff_lo"] == same["diff_hi"] == 0


def test_leaderboard_rows_and_flags():
    y, good, bad, units = _clustered()
    board = U.leaderboard(U.wape, y, {"good": good, "bad": bad}, units, baseline="bad", n=200, seed=0)
    assert list(board.index) == ["good", "bad"]
    assert bool(board.loc["good", "real"]) and not bool(board.loc["bad", "real"])
    ya = (y > np.median(y)).astype(int)
    auc = U.leaderboard(U.roc_auc, ya, {"good": good, "bad": good[::-1]}, units, n=100, seed=0)
    assert auc.loc["good", "score"] > auc.loc["bad", "score"]


@pytest.mark.parametrize("kwargs, match", [
    (dict(units=np.arange(5)), "units: expected one unit per row"),
    (dict(n=0), "n: expected a positive number"),
    (dict(baseline="nope"), "baseline: 'nope'"),
    (dict(level=1.5), "level"),
])
def test_bad_input_is_named(kwargs, match):
    y, good, bad, units = _clustered(n_units=5, rows=2)
    args = dict(units=units, n=10, seed=0) | kwargs
    with pytest.raises(ValueError, match=match):
        U.leaderboard(U.wape, y, {"good": good, "bad": bad}, **args)


def test_nan_predictions_are_named():
    y, good, _, units = _clustered(n_units=5, rows=2)
    good[3] = np.nan
    with pytest.raises(ValueError, match="predictions 'm': contain NaN"):
        U.leaderboard(U.wape, y, {"m": good}, units)


def test_fast_metrics_equal_sklearn():
    from sklearn import metrics as skm

    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 400)
    p = np.round(rng.uniform(size=400) + 0.3 * y, 1)  # rounded: many ties
    w = rng.integers(0, 3, 400).astype(float)
    assert U.roc_auc(y, p, w) == pytest.approx(skm.roc_auc_score(y, p, sample_weight=w), abs=1e-12)
    y3 = rng.integers(0, 3, 400)
    probs = rng.dirichlet(np.ones(3), 400)
    assert U.macro_f1(y3, probs, w) == pytest.approx(
        skm.f1_score(y3, probs.argmax(1), average="macro", sample_weight=w), abs=1e-12)


def _two_scores(n: int = 3000, seed: int = 7):  # not the bootstrap's seed: the same stream would tie them
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    signal = y + rng.normal(0, 1.0, n)
    return y, signal + rng.normal(0, 0.5, n), signal + rng.normal(0, 1.5, n)


def test_delong_placements_give_the_auc_and_a_hand_worked_pair():
    from sklearn.metrics import roc_auc_score

    y, a, b = _two_scores()
    v10, v01 = U._placements(y, np.round(a, 1))  # rounded: ties count one half
    assert v10.mean() == pytest.approx(roc_auc_score(y, np.round(a, 1)), abs=1e-12)
    assert v01.mean() == pytest.approx(v10.mean(), abs=1e-12)
    # positives 0.9, 0.5 against negatives 0.5, 0.1: pairs 1, 1, 1/2, 1 -> AUC 7/8; b ranks every pair wrong
    t = U.delong([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1], [0.1, 0.2, 0.3, 0.4])
    assert t["diff"] == pytest.approx(0.875 - 0.0)


def test_delong_agrees_with_the_row_bootstrap_on_independent_rows():
    y, a, b = _two_scores()
    t = U.delong(y, a, b)
    boot = U.paired_bootstrap(U.roc_auc, y, a, b, np.arange(len(y)), n=1000, seed=0)
    assert t["diff"] == pytest.approx(boot["diff"], abs=1e-12)
    width_delong, width_boot = t["hi"] - t["lo"], boot["diff_hi"] - boot["diff_lo"]
    assert width_boot == pytest.approx(width_delong, rel=0.15)
    assert t["lo"] > 0 and t["p"] < 1e-6  # the less noisy score ranks better
    same = U.delong(y, a, a)
    assert same["diff"] == 0 and same["p"] == 1.0


def test_delong_is_too_narrow_when_rows_share_a_unit():
    rng = np.random.default_rng(1)
    units = np.repeat(np.arange(100), 30)
    shift = rng.normal(0, 1, 100)[units]  # a unit's rows move together, in both models' errors
    y = (rng.random(len(units)) < 0.3).astype(int)
    a = y + shift + rng.normal(0, 0.3, len(units))
    b = y + shift * rng.uniform(0, 2, 100)[units] + rng.normal(0, 0.3, len(units))
    t = U.delong(y, a, b)
    boot = U.paired_bootstrap(U.roc_auc, y, a, b, units, n=500, seed=0)
    assert boot["diff_hi"] - boot["diff_lo"] > 1.5 * (t["hi"] - t["lo"])


def test_delong_bad_input():
    with pytest.raises(ValueError, match="binary labels"):
        U.delong([1, 1, 1], [0.1, 0.2, 0.3], [0.3, 0.2, 0.1])
    with pytest.raises(ValueError, match="expected 3 rows"):
        U.delong([1, 0, 1], [0.1, 0.2], [0.3, 0.2, 0.1])

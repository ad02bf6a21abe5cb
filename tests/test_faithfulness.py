"""The deletion test, SHAP and LIME helpers of 07_evaluation (labkit.evaluation.faithfulness)."""

import numpy as np
import pandas as pd
import pytest

from labkit.evaluation import faithfulness as F


@pytest.fixture(scope="module")
def linear():
    """A logistic model whose log-odds depend on feature 0 only: exact attributions are w * (x - mean)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 6))
    w = np.array([3.0, 0, 0, 0, 0, 0])
    mean = X.mean(0)
    return X, (lambda Z: Z @ w), w * (X - mean), mean, np.repeat(np.arange(200), 3)


def test_true_attributions_beat_random(linear):
    X, logit, A, mean, users = linear
    res = F.deletion_test(A, F.replace_features(X, mean), logit, ks=(1, 3), seed=0, n_random=3)
    assert list(res.columns) == ["row", "k", "score", "drop_top", "drop_random"] and len(res) == 2 * len(X)
    summ = F.deletion_summary(res, units=users, n_boot=300)
    assert list(summ["k"]) == [1, 3] and (summ["units"] == 200).all()
    assert (summ["gap"] > 0.5).all() and (summ["gap_low"] > 0).all()
    assert (summ["gap_low"] <= summ["gap"]).all() and (summ["gap"] <= summ["gap_high"]).all()
    # deleting the only feature that matters removes exactly its contribution
    top1 = res[res["k"] == 1]
    pos = A[:, 0] > 0
    np.testing.assert_allclose(top1["drop_top"].to_numpy()[pos], A[pos, 0], atol=1e-12)


def test_random_attributions_gap_near_zero(linear):
    """Attributions that are noise: the gap is small, and its 95 % interval covers 0 for most noise draws."""
    X, logit, A, mean, users = linear
    true = F.deletion_summary(F.deletion_test(A, F.replace_features(X, mean), logit, ks=1), units=users)
    gaps, covered = [], []
    for s in range(101, 121):  # seeds apart from the fixture's, whose stream would reproduce X
        noise = np.random.default_rng(s).normal(size=A.shape)
        summ = F.deletion_summary(F.deletion_test(noise, F.replace_features(X, mean), logit, ks=1, seed=0),
                                  units=users, n_boot=200)
        gaps.append(summ["gap"].iloc[0])
        covered.append(summ["gap_low"].iloc[0] < 0 < summ["gap_high"].iloc[0])
    assert abs(np.mean(gaps)) < 0.05 * true["gap"].iloc[0]
    assert max(map(abs, gaps)) < 0.2 * true["gap"].iloc[0]
    assert np.mean(covered) >= 0.8  # a 95 % interval; 20 draws


def test_deterministic_and_nested_random_choice():
    A = np.array([[0.5, 0.1, np.nan, np.nan], [0.0, 0.3, 0.2, 0.9]])
    masks = []

    def delete(mask):
        masks.append(mask.copy())
        return mask

    res = F.deletion_test(A, delete, lambda m: -m.sum(1).astype(float), ks=(1, 2), seed=3)
    again = F.deletion_test(A, lambda m: m, lambda m: -m.sum(1).astype(float), ks=(1, 2), seed=3)
    pd.testing.assert_frame_equal(res, again)
    base, top1, rnd1, top2, rnd2 = masks
    assert not base.any()
    assert top1[0].tolist() == [True, False, False, False] and top1[1].tolist() == [False, False, False, True]
    assert top2[1].tolist() == [False, True, False, True]
    assert not rnd2[0, 2:].any() and rnd2[0, :2].all()  # padding (NaN) is never drawn
    assert (rnd1 <= rnd2).all()  # random subsets are nested across k


def test_errors(linear):
    X, logit, A, mean, users = linear
    delete = F.replace_features(X, mean)
    with pytest.raises(ValueError, match="ks"):
        F.deletion_test(A, delete, logit, ks=7)
    with pytest.raises(ValueError, match="ks"):
        F.deletion_test(A, delete, logit, ks=0)
    with pytest.raises(ValueError, match="ks"):
        F.deletion_test(np.array([[1.0, np.nan], [1.0, 2.0]]), lambda m: m, lambda m: m.sum(1), ks=2)
    with pytest.raises(ValueError, match="attributions"):
        F.deletion_test(A[:, 0], delete, logit)
    with pytest.raises(ValueError, match="mask"):
        F.deletion_test(A[:10], delete, logit, ks=1)
    with pytest.raises(ValueError, match="score"):
        F.deletion_test(A, delete, lambda Z: logit(Z)[:5], ks=1)
    with pytest.raises(ValueError, match="n_random"):
        F.deletion_test(A, delete, logit, ks=1, n_random=0)
    with pytest.raises(ValueError, match="fill"):
        F.replace_features(X, mean[:3])
    res = F.deletion_test(A, delete, logit, ks=1)
    with pytest.raises(ValueError, match="units"):
        F.deletion_summary(res, units=users[:10])
    with pytest.raises(ValueError, match="result"):
        F.deletion_summary(res.drop(columns="drop_top"))
    with pytest.raises(ValueError, match="level"):
        F.deletion_summary(res, level=95)


def test_shap_values_lgbm_add_up_to_the_raw_score():
    import lightgbm as lgb

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=400) > 0).astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_threads": 1, "num_leaves": 7}, lgb.Dataset(X, y), 30)
    booster.best_iteration = 20  # as after early stopping: predict() uses 20 of the 30 trees
    values, base = F.shap_values_lgbm(booster, X[:50], return_base=True)
    assert values.shape == (50, 4)
    np.testing.assert_allclose(values.sum(1) + base, booster.predict(X[:50], raw_score=True), atol=1e-6)
    contrib = booster.predict(X[:50], pred_contrib=True, num_iteration=20)
    np.testing.assert_allclose(values, contrib[:, :4], atol=1e-6)
    assert np.abs(values[:, 0]).mean() > np.abs(values[:, 3]).mean()
    with pytest.raises(ValueError, match="X"):
        F.shap_values_lgbm(booster, X[:, :3])
    with pytest.raises(ValueError, match="booster"):
        F.shap_values_lgbm(object(), X)


@pytest.fixture(scope="module")
def sentiment():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    good = ["great product", "really great fit", "love it great", "great value love", "nice and great"]
    bad = ["awful product", "really awful fit", "hate it awful", "awful value", "broken and awful"]
    return make_pipeline(TfidfVectorizer(), LogisticRegression(C=10.0)).fit(good + bad, [1] * 5 + [0] * 5)


def test_lime_text_seeded_and_faithful(sentiment):
    texts = ["the fit is great and i love the colour", "awful it broke after a week"]
    labels = [1, 0]
    exps = [F.lime_text(sentiment.predict_proba, t, y, num_samples=200, seed=0) for t, y in zip(texts, labels)]
    again = F.lime_text(sentiment.predict_proba, texts[0], 1, num_samples=200, seed=0)
    np.testing.assert_array_equal(exps[0].weights, again.weights)
    assert exps[0].top(1)[0][0] == "great" and exps[1].top(1)[0][0] == "awful"
    assert exps[0].words[:3] == ["the", "fit", "is"] and isinstance(exps[0].words[0], str)
    A, delete = F.text_deletion_inputs(exps)
    assert A.shape == (2, 8) and np.isnan(A[1, 6:]).all()  # "the" counts once
    assert delete(np.eye(2, 8, dtype=bool)) == [" fit is great and i love  colour", "awful  broke after a week"]
    score = lambda T: sentiment.predict_proba(T)[np.arange(2), labels]
    res = F.deletion_test(A, delete, score, ks=1, seed=0, n_random=3)
    assert (res["drop_top"] > res["drop_random"]).all()
    with pytest.raises(ValueError, match="text"):
        F.lime_text(sentiment.predict_proba, "  ", 1)
    with pytest.raises(ValueError, match="num_samples"):
        F.lime_text(sentiment.predict_proba, texts[0], 1, num_samples=2)
    with pytest.raises(ValueError, match="explanations"):
        F.text_deletion_inputs([])

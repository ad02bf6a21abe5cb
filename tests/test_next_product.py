"""Next-product prediction (03, Part 3): samples, counting baselines, metrics and the world's oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labkit import schema as S
from labkit.models import next_product as NPM
from labkit.oracles import hidden_state, next_product_oracle
from labkit.splits import course_split


def _events() -> pd.DataFrame:
    """Two users over 100 days: user 0 views products 0, 1, 2, 0, 1, 2, ...; user 1 clicks product 3 daily."""
    t0 = pd.Timestamp("2023-01-02 10:00")
    rows = [(0, i % 3, t0 + pd.Timedelta(days=i), "view") for i in range(100)]
    rows += [(1, 3, t0 + pd.Timedelta(days=i, hours=1), "click") for i in range(100)]
    return pd.DataFrame(rows, columns=[S.USER_ID, S.PRODUCT_ID, S.TIMESTAMP, S.EVENT_TYPE])


def test_samples_hold_only_the_past_and_follow_the_split():
    events = _events()
    split = course_split(events[S.TIMESTAMP], warmup_days=7)
    parts = NPM.next_product_samples(events, split, n_products=4, history=5)
    first_day = pd.Timestamp(events[S.TIMESTAMP].min()).normalize()
    for part, d in parts.items():
        lo, hi = split.bounds(part)
        days = first_day + pd.to_timedelta(d.day, unit="D")
        assert ((days >= lo) & (days <= hi)).all()
        # user 0 cycles 0, 1, 2: the newest history product is the one before the target
        u0 = d.user == 0
        assert ((d.last_product[u0] + 1) % 3 == d.target[u0]).all()
        assert np.isin(d.products[d.user == 1], [0, 4]).all()  # padding, or product 3 (stored as 3 + 1)
    assert sum(map(len, parts.values())) + 2 * 7 >= 190  # all but the warm-up week and the first events


def test_markov_learns_the_cycle_and_popularity_sums_to_one():
    events = _events()
    split = course_split(events[S.TIMESTAMP], warmup_days=7)
    parts = NPM.next_product_samples(events, split, n_products=4, history=5)
    pop, markov = NPM.popularity(parts["train"]), NPM.markov(parts["train"])
    assert pop.sum() == pytest.approx(1.0) and np.allclose(markov.sum(1), 1.0)
    test = parts["test"]
    assert NPM.recall_at_k(markov[test.last_product], test.target, k=1) == 1.0
    assert NPM.mrr(markov[test.last_product], test.target) == 1.0


def test_ranks_count_ties_half():
    scores = np.array([[0.5, 0.5, 0.1], [0.1, 0.2, 0.3]])
    assert NPM.ranks(scores, np.array([0, 0])).tolist() == [1.5, 3.0]
    assert NPM.recall_at_k(scores, np.array([1, 2]), k=1) == 0.5  # a tie for first is not a hit at k=1


@pytest.mark.parametrize("kwargs, match", [
    ({"history": 0}, "history must be >= 1"),
    ({"n_products": 3}, "n_products must exceed every product_id"),
    ({"max_rows": {"tests": 5}}, "max_rows: keys must be train, valid or test"),
])
def test_bad_parameters_are_named(kwargs, match):
    events = _events()
    split = course_split(events[S.TIMESTAMP], warmup_days=7)
    args = {"n_products": 4, "history": 5, **kwargs}
    with pytest.raises(ValueError, match=match):
        NPM.next_product_samples(events, split, **args)
    with pytest.raises(ValueError, match="events: expected columns"):
        NPM.next_product_samples(events.drop(columns=S.EVENT_TYPE), split, 4)


def test_caps_sample_each_part_on_its_own(quick_world):
    split = course_split(quick_world.table("calendar"))
    events = quick_world.table("events")
    a = NPM.next_product_samples(events, split, 40, 20, {"test": 1_000}, seed=0)
    b = NPM.next_product_samples(events, split, 40, 20, {"test": 1_000, "valid": 500}, seed=0)
    assert np.array_equal(a["test"].target, b["test"].target) and np.array_equal(a["test"].user, b["test"].user)
    assert len(b["valid"]) == 500


def test_oracle_is_a_distribution_that_predicts_as_well_as_it_expects(quick_world):
    split = course_split(quick_world.table("calendar"))
    test = NPM.next_product_samples(quick_world.table("events"), split, 40, 20, {"test": 5_000}, seed=0)["test"]
    p = next_product_oracle("quick", 0, test.user, test.day)
    assert p.shape == (len(test), 40) and np.allclose(p.sum(1), 1.0) and (p >= 0).all()
    # the world's own distribution: the recall@5 it expects is the recall@5 it gets (within sampling noise)
    top5 = np.argsort(-p, axis=1)[:, :5]
    expected = np.take_along_axis(p, top5, 1).sum(1).mean()
    assert NPM.recall_at_k(p, test.target) == pytest.approx(expected, abs=0.02)
    states = hidden_state(quick_world.truth("truth_user_days"), test.user, test.day, split.history_start)
    assert set(states) <= set(S.JOURNEY_STATES)
    engaged = np.isin(states, ["comparing", "ready"])
    assert NPM.recall_at_k(p[engaged], test.target[engaged]) > NPM.recall_at_k(p[~engaged], test.target[~engaged]) + 0.3
